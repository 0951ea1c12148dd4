#!/bin/sh
# InfluxQL for Grafana: map the v1 database INFLUX_V1_DATABASE (retention policy "autogen") onto the bucket that
# the influxdb image's setup mode just created. Runs once, after the initial setup (influxdb image:
# /docker-entrypoint-initdb.d, executable *.sh files); the influx CLI is already configured with the admin token.
# For an existing volume run the same command by hand:
#   docker compose exec influxdb influx v1 dbrp create --db <db> --rp autogen --default --bucket-id <id> --org <org>
set -e
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${INFLUX_V1_DATABASE}" \
  --rp autogen \
  --default

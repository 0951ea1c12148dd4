#!/bin/sh
# ChirpStack v4 needs the pg_trgm extension (device and gateway search). Runs once, when the PostgreSQL volume is
# initialised (postgres image: /docker-entrypoint-initdb.d).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL

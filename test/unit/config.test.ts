import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/config/env.js';
import { ConfigError, loadConfig, redactedConfig } from '../../src/config/load.js';

type Env = Record<string, string>;

/** The problems of the ConfigError that loadConfig(env) throws; fails the test if it does not throw one. */
function problemsOf(env: Env): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** Reads a dotted path out of the (frozen) configuration. */
function at(config: unknown, path: readonly string[]): unknown {
  let node = config;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

/** Every problem that comes from schema validation reads `NAME (path): message`. */
const PROBLEM_LINE = /^([A-Z][A-Z0-9_]*) \(([A-Za-z.]+)\): \S.*$/;

const FULL_V1_ENV: Env = {
  MQTT_URL: 'mqtts://broker.example:8883',
  MQTT_USERNAME: 'stadtpuls',
  MQTT_PASSWORD: 'mqtt-secret-pw',
  MQTT_CLIENT_ID: 'stadtpuls-1',
  MQTT_TOPICS: 'application/+/device/+/event/up, v3/+/devices/+/up',
  MQTT_SHARE_GROUP: 'ingest',
  MQTT_CA_FILE: '/etc/stadtpuls/ca.pem',
  MQTT_SESSION_EXPIRY_SECONDS: '3600',
  MQTT_MAX_MESSAGE_BYTES: '65536',
  INFLUX_URL: 'http://influxdb:8086',
  INFLUX_DATABASE: 'stadtpuls',
  INFLUX_USERNAME: 'writer',
  INFLUX_PASSWORD: 'influx-secret-pw',
  INFLUX_RETENTION_POLICY: 'autogen',
  INFLUX_TIMEOUT_MS: '5000',
  WRITE_BATCH_MAX_POINTS: '1000',
  SPOOL_MAX_BYTES: '10485760',
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: '9090',
  DATA_DIR: '/var/lib/stadtpuls',
  DECODER_TIMEOUT_MS: '250',
  DECODER_MEMORY_MB: '64',
  EMBEDDED_MQTT_PORT: '1885',
  SIMULATOR: 'false',
  SIMULATOR_INTERVAL_MS: '1000',
  LOG_LEVEL: 'debug',
};

const V2_ENV: Env = { INFLUX_URL: 'https://influx.example', INFLUX_TOKEN: 'influx-token-secret', INFLUX_ORG: 'town', INFLUX_BUCKET: 'telemetry' };

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('subscribes to all ChirpStack v4 events, serves HTTP on 8080, decoders get 100 ms', () => {
    expect(config.mqtt.topics).toStrictEqual(['application/+/device/+/event/+']);
    expect(config.http).toStrictEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.decoder.timeoutMs).toBe(100);
  });

  it('no broker URL and no InfluxDB: embedded broker with simulator, embedded store', () => {
    expect(config.mqtt.url).toBeUndefined();
    expect(config.mqtt.username).toBeUndefined();
    expect(config.mqtt.password).toBeUndefined();
    expect(config.influx.url).toBeUndefined();
    expect(config.influx.database).toBeUndefined();
    expect(config.influx.token).toBeUndefined();
    expect(config.embedded.simulator).toBe(true);
    expect(config.mqtt.clientId).toBe('stadtpuls');
    expect(config.logLevel).toBe('info');
  });

  it('empty environment variables count as unset', () => {
    const empty = Object.fromEntries(ENV_VARS.map((v) => [v.name, '']));
    expect(loadConfig(empty)).toStrictEqual(config);
  });

  it('variables that are not ours are ignored', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', MQTT_URLS: 'x', http_port: 'abc' })).toStrictEqual(config);
  });
});

describe('loadConfig parses the environment', () => {
  it('every variable of a complete 1.x environment lands at its path with its type', () => {
    const config = loadConfig(FULL_V1_ENV);
    for (const [name, text] of Object.entries(FULL_V1_ENV)) {
      const v = ENV_VARS.find((e) => e.name === name);
      if (!v) throw new Error(`${name} is not in ENV_VARS`);
      const expected =
        v.kind === 'number' ? Number(text) : v.kind === 'boolean' ? text === 'true' : v.kind === 'list' ? text.split(',').map((s) => s.trim()) : text;
      expect(at(config, v.path), `${name} → ${v.path.join('.')}`).toStrictEqual(expected);
    }
  });

  it('MQTT_TOPICS is a comma-separated list; blanks and empty entries are dropped', () => {
    expect(loadConfig({ MQTT_TOPICS: 'application/+/device/+/event/up' }).mqtt.topics).toStrictEqual(['application/+/device/+/event/up']);
    expect(loadConfig({ MQTT_TOPICS: ' application/+/device/+/event/+ ,, v3/+/devices/+/up ,' }).mqtt.topics).toStrictEqual([
      'application/+/device/+/event/+',
      'v3/+/devices/+/up',
    ]);
  });

  it('MQTT_TOPICS with no topic at all is a problem', () => {
    const problems = problemsOf({ MQTT_TOPICS: ' , ,' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^MQTT_TOPICS \(mqtt\.topics\): /);
  });

  it('numbers', () => {
    const config = loadConfig({ HTTP_PORT: '9090', DECODER_TIMEOUT_MS: '250', INFLUX_TIMEOUT_MS: ' 2500 ', SPOOL_MAX_BYTES: '2097152' });
    expect(config.http.port).toBe(9090);
    expect(config.decoder.timeoutMs).toBe(250);
    expect(config.influx.timeoutMs).toBe(2500);
    expect(config.store.spoolMaxBytes).toBe(2097152);
  });

  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['on', true],
    ['0', false],
    ['false', false],
    ['False', false],
    ['no', false],
    ['off', false],
  ])('boolean SIMULATOR=%s → %s', (text, value) => {
    expect(loadConfig({ SIMULATOR: text }).embedded.simulator).toBe(value);
  });

  it('an unparseable boolean is a problem naming the variable and the value', () => {
    const problems = problemsOf({ SIMULATOR: 'maybe' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SIMULATOR\b.*"maybe"/);
  });

  it('accepts mqtt:// and mqtts:// broker URLs', () => {
    expect(loadConfig({ MQTT_URL: 'mqtt://mosquitto:1883' }).mqtt.url).toBe('mqtt://mosquitto:1883');
    expect(loadConfig({ MQTT_URL: 'mqtts://broker.example:8883' }).mqtt.url).toBe('mqtts://broker.example:8883');
  });

  it('InfluxDB 1.x (INFLUX_DATABASE) and 2.x (INFLUX_TOKEN + ORG + BUCKET) configurations load', () => {
    expect(loadConfig({ INFLUX_URL: 'http://influxdb:8086', INFLUX_DATABASE: 'stadtpuls' }).influx).toMatchObject({
      url: 'http://influxdb:8086',
      database: 'stadtpuls',
    });
    expect(loadConfig(V2_ENV).influx).toMatchObject({ url: 'https://influx.example', token: 'influx-token-secret', org: 'town', bucket: 'telemetry' });
  });

  it('overrides are merged over the environment', () => {
    const config = loadConfig({ HTTP_PORT: '9090', HTTP_HOST: '127.0.0.1' }, { http: { port: 0 } });
    expect(config.http).toStrictEqual({ host: '127.0.0.1', port: 0 });
  });
});

describe('the configuration is deeply frozen', () => {
  const config = loadConfig(FULL_V1_ENV);

  it('every object and array in it is frozen', () => {
    const unfrozen: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null || typeof node !== 'object') return;
      if (!Object.isFrozen(node)) unfrozen.push(path || '(root)');
      for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
    };
    walk(config, '');
    expect(unfrozen).toStrictEqual([]);
  });

  it('writes throw (ES modules are strict)', () => {
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.mqtt.topics as string[]).push('#');
    }).toThrow(TypeError);
    expect(() => {
      (config as unknown as { extra: number }).extra = 1;
    }).toThrow(TypeError);
    expect(config.http.port).toBe(9090);
    expect(config.mqtt.topics).toHaveLength(2);
  });
});

describe('ConfigError reports all problems together', () => {
  it('HTTP_PORT=abc, MQTT_URL=notaurl and INFLUX_URL without database or token: three problems in one error', () => {
    let error: unknown;
    try {
      loadConfig({ HTTP_PORT: 'abc', MQTT_URL: 'notaurl', INFLUX_URL: 'http://influxdb:8086' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message, name } = error as ConfigError;
    expect(name).toBe('ConfigError');
    expect(problems).toHaveLength(3);
    expect(problems.filter((p) => p.startsWith('HTTP_PORT') && p.includes('"abc"'))).toHaveLength(1);
    expect(problems.filter((p) => /^MQTT_URL \(mqtt\.url\): .*URL/.test(p))).toHaveLength(1);
    expect(problems.filter((p) => /^INFLUX_DATABASE \(influx\.database\): .*INFLUX_DATABASE.*INFLUX_TOKEN/.test(p))).toHaveLength(1);
    expect(message).toBe(`invalid configuration:\n  ${problems.join('\n  ')}`);
  });

  it('INFLUX_TOKEN without INFLUX_ORG/INFLUX_BUCKET, HTTP_PORT out of range, MQTT_PASSWORD without MQTT_USERNAME', () => {
    const problems = problemsOf({ INFLUX_URL: 'http://influxdb:8086', INFLUX_TOKEN: 't', HTTP_PORT: '70000', MQTT_PASSWORD: 'p' });
    for (const p of problems) expect(p).toMatch(PROBLEM_LINE);
    const byName = problems.map((p) => PROBLEM_LINE.exec(p)!.slice(1, 3).join(' '));
    expect(byName.sort()).toStrictEqual(['HTTP_PORT http.port', 'INFLUX_BUCKET influx.bucket', 'INFLUX_ORG influx.org', 'MQTT_USERNAME mqtt.username']);
    expect(problems.find((p) => p.startsWith('MQTT_USERNAME'))).toContain('MQTT_PASSWORD is set but MQTT_USERNAME is not');
  });

  it('INFLUX_TOKEN without INFLUX_URL', () => {
    const problems = problemsOf({ INFLUX_TOKEN: 't', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^INFLUX_URL \(influx\.url\): .*required/);
  });

  it('INFLUX_DATABASE without INFLUX_URL', () => {
    const problems = problemsOf({ INFLUX_DATABASE: 'stadtpuls' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^INFLUX_URL \(influx\.url\): /);
  });

  it('both INFLUX_DATABASE and INFLUX_TOKEN', () => {
    const problems = problemsOf({ ...V2_ENV, INFLUX_DATABASE: 'stadtpuls' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^INFLUX_DATABASE \(influx\.database\): .*not both/);
  });

  it.each([
    [{ MQTT_URL: 'notaurl' }, 'MQTT_URL (mqtt.url)'],
    [{ MQTT_URL: 'http://broker:1883' }, 'MQTT_URL (mqtt.url)'],
    [{ INFLUX_URL: 'influxdb:8086', INFLUX_DATABASE: 'db' }, 'INFLUX_URL (influx.url)'],
    [{ HTTP_PORT: '-1' }, 'HTTP_PORT (http.port)'],
    [{ HTTP_PORT: '80.5' }, 'HTTP_PORT (http.port)'],
    [{ DECODER_TIMEOUT_MS: '0' }, 'DECODER_TIMEOUT_MS (decoder.timeoutMs)'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL (logLevel)'],
    [{ MQTT_CLIENT_ID: 'has space' }, 'MQTT_CLIENT_ID (mqtt.clientId)'],
    [{ MQTT_SHARE_GROUP: 'a/b' }, 'MQTT_SHARE_GROUP (mqtt.shareGroup)'],
    [{ SPOOL_MAX_BYTES: '10' }, 'SPOOL_MAX_BYTES (store.spoolMaxBytes)'],
  ] as const)('%j → "%s: …"', (env, prefix) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(PROBLEM_LINE);
    expect(problems[0]!.startsWith(`${prefix}: `)).toBe(true);
  });

  it('an unparseable number is reported by variable name with the offending text', () => {
    for (const name of ['HTTP_PORT', 'DECODER_TIMEOUT_MS', 'INFLUX_TIMEOUT_MS', 'MQTT_MAX_MESSAGE_BYTES']) {
      const problems = problemsOf({ [name]: '12abc' });
      expect(problems).toHaveLength(1);
      expect(problems[0]!.startsWith(name)).toBe(true);
      expect(problems[0]).toContain('"12abc"');
    }
  });
});

describe('redactedConfig', () => {
  it('hides MQTT_PASSWORD and INFLUX_PASSWORD, keeps everything else', () => {
    const config = loadConfig(FULL_V1_ENV);
    const redacted = redactedConfig(config) as { mqtt: Record<string, unknown>; influx: Record<string, unknown> };
    expect(redacted.mqtt.password).toBe('[redacted]');
    expect(redacted.influx.password).toBe('[redacted]');
    expect(redacted.mqtt.username).toBe('stadtpuls');
    expect(redacted.influx.username).toBe('writer');
    const text = JSON.stringify(redacted);
    expect(text).not.toContain('mqtt-secret-pw');
    expect(text).not.toContain('influx-secret-pw');
    // Everything else is unchanged, and the configuration itself keeps its secrets.
    expect({ ...redacted, mqtt: { ...redacted.mqtt, password: 'mqtt-secret-pw' }, influx: { ...redacted.influx, password: 'influx-secret-pw' } }).toStrictEqual(
      JSON.parse(JSON.stringify(config)),
    );
    expect(config.mqtt.password).toBe('mqtt-secret-pw');
  });

  it('hides INFLUX_TOKEN', () => {
    const config = loadConfig({ ...V2_ENV, MQTT_URL: 'mqtt://mosquitto:1883', MQTT_USERNAME: 'u', MQTT_PASSWORD: 'pw-123456' });
    const redacted = redactedConfig(config) as { mqtt: Record<string, unknown>; influx: Record<string, unknown> };
    expect(redacted.influx.token).toBe('[redacted]');
    expect(redacted.mqtt.password).toBe('[redacted]');
    expect(redacted.influx.org).toBe('town');
    const text = JSON.stringify(redacted);
    expect(text).not.toContain('influx-token-secret');
    expect(text).not.toContain('pw-123456');
    expect(config.influx.token).toBe('influx-token-secret');
  });

  it('unset secrets stay unset', () => {
    const redacted = redactedConfig(loadConfig({})) as { mqtt: Record<string, unknown>; influx: Record<string, unknown> };
    expect('password' in redacted.mqtt).toBe(false);
    expect('token' in redacted.influx).toBe(false);
    expect(JSON.stringify(redacted)).not.toContain('[redacted]');
  });

  it('every secret ENV_VAR is redacted', () => {
    const secrets = ENV_VARS.filter((v) => v.secret).map((v) => v.name);
    expect(secrets).toEqual(expect.arrayContaining(['MQTT_PASSWORD', 'INFLUX_TOKEN']));
    const configs = [
      loadConfig(FULL_V1_ENV),
      loadConfig({ ...V2_ENV, MQTT_USERNAME: 'u', MQTT_PASSWORD: 'pw-123456', STADTPULS_ADMIN_USER: 'admin', STADTPULS_ADMIN_PASSWORD: 'a-long-admin-secret' }),
      loadConfig({ CHIRPSTACK_API_URL: 'http://chirpstack:8080', CHIRPSTACK_API_TOKEN: 'chirpstack-api-key', CHIRPSTACK_APPLICATION_ID: '7c6a4e2d-1f0b-4e8a-9d3c-2b5f6a7e8d90' }),
    ];
    for (const name of secrets) {
      const v = ENV_VARS.find((e) => e.name === name)!;
      const config = configs.find((c) => at(c, v.path) !== undefined);
      expect(config, `no sample configuration sets ${name}`).toBeDefined();
      expect(at(redactedConfig(config!), v.path), name).toBe('[redacted]');
    }
  });
});

describe('documentation', () => {
  it('ENV_VARS names are unique', () => {
    const names = ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('every ENV_VARS name appears in README.md', () => {
    const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
    const names = ENV_VARS.map((v) => v.name);
    if (!existsSync(readme)) throw new Error(`README.md not found at ${readme}; it must document every environment variable: ${names.join(', ')}`);
    const text = readFileSync(readme, 'utf8');
    // Whole names only: SIMULATOR must not count as documented just because SIMULATOR_INTERVAL_MS is.
    const missing = names.filter((name) => !new RegExp(`(?<![A-Z0-9_])${name}(?![A-Z0-9_])`).test(text));
    expect(missing, `README.md does not mention these environment variables: ${missing.join(', ')}`).toStrictEqual([]);
  });
});

describe('redactedConfig and URLs', () => {
  it('hides a password embedded in the broker URL', () => {
    const redacted = JSON.stringify(redactedConfig(loadConfig({ MQTT_URL: 'mqtts://svc:hunter2@broker:8883' })));
    expect(redacted).not.toContain('hunter2');
    expect(redacted).toContain('mqtts://svc:redacted@broker:8883');
  });
});

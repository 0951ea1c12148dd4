import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

const mqtt = z
  .object({
    url: z
      .url({ protocol: /^(mqtt|mqtts|tcp|ssl|ws|wss)$/, error: 'must be a URL like mqtt://host:1883 or mqtts://host:8883' })
      .optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-" only, at most 64 characters')
      .default('stadtpuls'),
    topics: z.array(z.string().min(1)).min(1).default(['application/+/device/+/event/+']),
    shareGroup: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only').optional(),
    caFile: z.string().min(1).optional(),
    sessionExpirySeconds: z.number().int().min(60).default(7 * 24 * 3600),
    maxMessageBytes: positiveInt.default(256 * 1024),
  })
  .refine((m) => !m.password || m.username, { message: 'MQTT_PASSWORD is set but MQTT_USERNAME is not', path: ['username'] });

const influx = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like http://influxdb:8086' }).optional(),
    database: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    retentionPolicy: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    org: z.string().min(1).optional(),
    bucket: z.string().min(1).optional(),
    timeoutMs: positiveInt.default(10_000),
  })
  .superRefine((i, ctx) => {
    const v2 = i.token !== undefined || i.org !== undefined || i.bucket !== undefined;
    if (i.url === undefined) {
      if (i.database !== undefined || v2) ctx.addIssue({ code: 'custom', path: ['url'], message: 'INFLUX_URL is required when INFLUX_DATABASE or INFLUX_TOKEN/ORG/BUCKET are set' });
      return;
    }
    if (v2 && i.database !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['database'], message: 'set either INFLUX_DATABASE (1.x) or INFLUX_TOKEN + INFLUX_ORG + INFLUX_BUCKET (2.x), not both' });
      return;
    }
    if (v2) {
      for (const key of ['token', 'org', 'bucket'] as const) {
        if (i[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required for the InfluxDB 2.x API (INFLUX_TOKEN, INFLUX_ORG and INFLUX_BUCKET go together)' });
      }
    } else if (i.database === undefined) {
      ctx.addIssue({ code: 'custom', path: ['database'], message: 'INFLUX_URL is set: also set INFLUX_DATABASE (1.x) or INFLUX_TOKEN + INFLUX_ORG + INFLUX_BUCKET (2.x)' });
    }
  });

const chirpstack = z
  .object({
    apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like http://chirpstack:8080' }).optional(),
    apiToken: z.string().min(1).optional(),
    applicationId: z.uuid('must be a UUID (the application id shown in ChirpStack)').optional(),
    tenantId: z.uuid('must be a UUID (the tenant id shown in ChirpStack)').optional(),
    deviceProfiles: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]*=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'entries look like model-id=<device-profile UUID>'))
      .default([]),
    timeoutMs: positiveInt.default(10_000),
  })
  .superRefine((c, ctx) => {
    const set = [c.apiUrl, c.apiToken, c.applicationId].filter((x) => x !== undefined).length;
    if (set === 0 || set === 3) return;
    for (const key of ['apiUrl', 'apiToken', 'applicationId'] as const) {
      if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'CHIRPSTACK_API_URL, CHIRPSTACK_API_TOKEN and CHIRPSTACK_APPLICATION_ID go together' });
    }
  });

export const configSchema = z.object({
  mqtt: mqtt.default(() => mqtt.parse({})),
  influx: influx.default(() => influx.parse({})),
  store: z
    .object({
      batchMaxPoints: z.number().int().min(1).max(100_000).default(5000),
      spoolMaxBytes: z.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
    })
    .default({ batchMaxPoints: 5000, spoolMaxBytes: 1024 * 1024 * 1024 }),
  http: z.object({ host: z.string().min(1).default('0.0.0.0'), port: port.default(8080) }).default({ host: '0.0.0.0', port: 8080 }),
  dataDir: z.string().min(1).default('./data'),
  decoder: z
    .object({ timeoutMs: z.number().int().min(1).max(10_000).default(100), memoryMb: z.number().int().min(1).max(1024).default(32) })
    .default({ timeoutMs: 100, memoryMb: 32 }),
  embedded: z
    .object({
      mqttPort: port.default(1884),
      simulator: z.boolean().default(true),
      simulatorIntervalMs: positiveInt.default(5000),
    })
    .default({ mqttPort: 1884, simulator: true, simulatorIntervalMs: 5000 }),
  town: z
    .object({
      timeZone: z
        .string()
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('de-DE', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'not an IANA time zone (e.g. Europe/Berlin)')
        .default('Europe/Berlin'),
    })
    .default({ timeZone: 'Europe/Berlin' }),
  auth: z
    .object({
      adminUser: z.string().regex(/^[a-zA-Z0-9_.-]{2,64}$/, 'letters, digits, "_", "." and "-", 2 to 64 characters').optional(),
      adminPassword: z.string().min(10, 'at least 10 characters').optional(),
      demoUsers: z.boolean().optional(),
    })
    .refine((a) => (a.adminUser === undefined) === (a.adminPassword === undefined), { message: 'STADTPULS_ADMIN_USER and STADTPULS_ADMIN_PASSWORD go together', path: ['adminPassword'] })
    .default({}),
  chirpstack: chirpstack.default(() => chirpstack.parse({})),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where the catalog and decoders live; overridable for tests. */
  catalogDir: z.string().min(1).default('devices'),
  decodersDir: z.string().min(1).default('decoders'),
});

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;
type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
export type Config = DeepReadonly<Parsed>;

import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { apiRoutes, type RouteDef } from './api/routes.js';
import { PublicData, publicRoutes, tileOrigin, webSettingsFromEnv, type WebSettings } from './api/public.js';
import { createHttpApp, type Health } from './api/server.js';
import { ROLES } from './auth/roles.js';
import { LoginThrottle } from './auth/throttle.js';
import { Users } from './auth/users.js';
import type { Config } from './config/schema.js';
import { CodecRegistry } from './decode/codecs.js';
import { CustomCodecs } from './decode/custom-codecs.js';
import { MqttSource } from './ingest/mqtt-source.js';
import { RateLimitedLog, createLogger, type Logger } from './observability/log.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { LiveBus } from './live/bus.js';
import { LiveSocket } from './live/socket.js';
import { Pipeline, type PipelineObserver } from './pipeline/pipeline.js';
import { Catalog } from './registry/catalog.js';
import { createSemantics } from './semantics/index.js';
import { LevelModule } from './semantics/level/index.js';
import type { SemanticsModule } from './semantics/module.js';
import { Fleet } from './registry/fleet.js';
import { Onboarding } from './onboarding/index.js';
import { demoDevices } from './sim/demo-town.js';
import { EmbeddedBroker } from './sim/embedded-broker.js';
import { Simulator } from './sim/simulator.js';
import { DurableWriter } from './store/durable-writer.js';
import { EmbeddedSink } from './store/embedded.js';
import { InfluxV1Sink } from './store/influx-v1.js';
import { InfluxV2Sink } from './store/influx-v2.js';
import type { PointSink } from './store/sink.js';
import { Spool } from './store/spool.js';

/** The documented password of the demo users (demo mode only). */
export const DEMO_PASSWORD = 'stadtpuls-demo';

export interface AppOptions {
  readonly log?: Logger;
  /** Extra observers (tests). */
  readonly observers?: readonly PipelineObserver[];
  /** The clock of the semantics modules (tests). */
  readonly now?: () => number;
  /** The built web app (default `dist/web` under the working directory; tests build their own). */
  readonly webDir?: string;
  /** Map settings of the web app (default: WEB_TILE_URL, WEB_TILE_ATTRIBUTION from the environment). */
  readonly web?: WebSettings;
}

function createSink(config: Config): PointSink {
  const i = config.influx;
  if (i.url && i.token && i.org && i.bucket) return new InfluxV2Sink({ url: i.url, token: i.token, org: i.org, bucket: i.bucket, timeoutMs: i.timeoutMs });
  if (i.url && i.database) {
    return new InfluxV1Sink({ url: i.url, database: i.database, username: i.username, password: i.password, retentionPolicy: i.retentionPolicy, timeoutMs: i.timeoutMs });
  }
  return new EmbeddedSink(path.join(config.dataDir, 'history.db'));
}

/**
 * The composition root. Building it does no I/O; `start()` brings the components up in dependency order and
 * `stop()` takes them down in reverse, losing nothing in flight.
 */
export class App {
  readonly log: Logger;
  readonly metrics: Metrics = createMetrics();
  readonly sink: PointSink;
  catalog!: Catalog;
  fleet!: Fleet;
  users!: Users;
  customCodecs!: CustomCodecs;
  /** Live events for the web app (socket.io) and tests. */
  readonly live: LiveBus;
  semantics: SemanticsModule[] = [];
  /** Device onboarding: devices API, CSV import, ChirpStack provisioning, audit log. */
  onboarding: Onboarding | undefined;
  private db: Database.Database | undefined;
  private codecs: CodecRegistry;
  private spool: Spool;
  private writer!: DurableWriter;
  private source: MqttSource | undefined;
  private broker: EmbeddedBroker | undefined;
  private simulator: Simulator | undefined;
  private simClient: mqtt.MqttClient | undefined;
  private server: Server | undefined;
  /** socket.io on the HTTP server: live events for the web app. */
  liveSocket: LiveSocket | undefined;
  /** The HTTP API route table (for the security test matrix and the OpenAPI document). */
  routes: readonly RouteDef[] = [];

  constructor(
    readonly config: Config,
    private readonly options: AppOptions = {},
  ) {
    this.log = options.log ?? createLogger(config.logLevel);
    const liveLog = this.log.child({ module: 'live' });
    this.live = new LiveBus((event, err) => liveLog.warn({ event, err: (err as Error).message }, 'live listener failed'));
    this.sink = createSink(config);
    this.codecs = new CodecRegistry({ timeoutMs: config.decoder.timeoutMs, memoryBytes: config.decoder.memoryMb * 1024 * 1024 });
    this.spool = new Spool(path.join(config.dataDir, 'spool.db'), config.store.spoolMaxBytes);
  }

  get httpPort(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  get mqttUrl(): string {
    return this.config.mqtt.url ?? this.broker?.url ?? '';
  }

  async start(): Promise<void> {
    const { config, log } = this;
    // The web app's map settings; checked before anything starts (an invalid WEB_TILE_URL fails start-up).
    const web = this.options.web ?? webSettingsFromEnv(process.env);
    mkdirSync(config.dataDir, { recursive: true });
    this.catalog = await Catalog.load(config.catalogDir, config.decodersDir);
    await this.codecs.load(this.catalog.all());
    this.db = new Database(path.join(config.dataDir, 'stadtpuls.db'));
    this.db.pragma('journal_mode = WAL');
    this.fleet = new Fleet(this.db);
    this.fleet.start();
    this.users = new Users(this.db);
    this.users.start();
    await this.bootstrapUsers();
    const codecLimits = { timeoutMs: config.decoder.timeoutMs, memoryBytes: config.decoder.memoryMb * 1024 * 1024 };
    this.customCodecs = new CustomCodecs(this.db, codecLimits);
    await this.customCodecs.start();
    this.onboarding = new Onboarding({ db: this.db, catalog: this.catalog, fleet: this.fleet, chirpstack: config.chirpstack, log: log.child({ module: 'onboarding' }), routes: () => this.routes });
    this.onboarding.start();
    await this.sink.start();
    this.spool.start();
    this.writer = new DurableWriter({ sink: this.sink, spool: this.spool, metrics: this.metrics, log: log.child({ module: 'store' }), maxBatchPoints: config.store.batchMaxPoints });
    this.writer.start();
    this.semantics = createSemantics({
      db: this.db,
      catalog: this.catalog,
      fleet: this.fleet,
      live: this.live,
      log: log.child({ module: 'semantics' }),
      write: (points) => this.writer.submit(points),
      timeZone: config.town.timeZone,
      now: this.options.now ?? Date.now,
    });
    for (const m of this.semantics) await m.start();
    const pipeline = new Pipeline({
      catalog: this.catalog,
      fleet: this.fleet,
      codecs: this.codecs,
      customCodecs: this.customCodecs,
      writer: this.writer,
      metrics: this.metrics,
      rejectLog: new RateLimitedLog(log.child({ module: 'pipeline' })),
      maxMessageBytes: config.mqtt.maxMessageBytes,
      observers: [...this.semantics, ...(this.options.observers ?? [])],
    });

    const embedded = config.mqtt.url === undefined;
    if (embedded) {
      this.broker = new EmbeddedBroker(config.embedded.mqttPort);
      await this.broker.start();
      log.info({ url: this.broker.url }, 'no MQTT_URL: embedded broker started');
    }
    this.source = new MqttSource({
      config: config.mqtt,
      url: this.mqttUrl,
      protocolVersion: embedded ? 4 : 5,
      handle: (topic, payload) => pipeline.handle(topic, payload),
      metrics: this.metrics,
      log: log.child({ module: 'mqtt' }),
    });
    await this.source.start();

    if (embedded && config.embedded.simulator) {
      const devices = demoDevices();
      for (const d of devices) if (!this.fleet.get(d.devEui)) this.fleet.upsert(d);
      // Thresholds for the demo gauges (unless set), so the web app's Pegel view has warnings and alarms to show:
      // the river warns when it rises, the cisterns when they run low.
      const level = this.semantics.find((m): m is LevelModule => m instanceof LevelModule);
      for (const d of devices) {
        if (!level || d.siteKind !== 'gauge' || level.getThresholds(d.devEui)) continue;
        level.setThresholds(d.devEui, d.site === 'wupper' ? { direction: 'above', warning: 2050, alarm: 2400, hysteresisMm: 50 } : { direction: 'below', warning: 1950, alarm: 1600, hysteresisMm: 50 }, 'demo');
      }
      this.simClient = mqtt.connect(this.mqttUrl, { clientId: 'stadtpuls-simulator' });
      this.simulator = new Simulator({ client: this.simClient, catalog: this.catalog, devices, intervalMs: config.embedded.simulatorIntervalMs, log: log.child({ module: 'simulator' }) });
      this.simulator.start();
    }

    const now = this.options.now ?? Date.now;
    const publicDeps = { semantics: this.semantics, fleet: this.fleet, catalog: this.catalog, timeZone: config.town.timeZone, web, demo: this.demoUsers, now };
    const routes = (this.routes = apiRoutes({
      users: this.users,
      throttle: new LoginThrottle(),
      catalog: this.catalog,
      fleet: this.fleet,
      customCodecs: this.customCodecs,
      codecLimits,
      log: log.child({ module: 'api' }),
    })
      .concat(this.semantics.flatMap((m) => m.routes()))
      .concat(publicRoutes(publicDeps, new PublicData(publicDeps)))
      // Last: /api/devices/:devEui must not capture fixed paths like /api/devices/health.
      .concat(this.onboarding.routes()));
    const webDir = this.options.webDir ?? path.resolve('dist/web');
    const imgSrc = tileOrigin(web);
    const http = createHttpApp({ metrics: this.metrics, health: () => this.health(), users: this.users, routes, log: log.child({ module: 'http' }), web: { dir: webDir, imgSrc: imgSrc ? [imgSrc] : [] } });
    await new Promise<void>((resolve, reject) => {
      const server = http.listen(config.http.port, config.http.host, () => resolve());
      server.once('error', reject);
      this.server = server;
    });
    this.liveSocket = new LiveSocket({ server: this.server!, users: this.users, live: this.live, semantics: this.semantics, log: log.child({ module: 'socket' }) });
    log.info({ port: this.httpPort, store: this.sink.name, models: this.catalog.all().length, devices: this.fleet.size }, 'stadtpuls started');
  }

  /** The bootstrap admin from the environment, and in demo mode one demo user per role. */
  private async bootstrapUsers(): Promise<void> {
    const { auth } = this.config;
    if (auth.adminUser && auth.adminPassword) {
      await this.users.upsert(auth.adminUser, auth.adminPassword, ['admin']);
      this.log.info({ username: auth.adminUser }, 'bootstrap admin ready');
    }
    if (this.demoUsers) {
      for (const role of ROLES) if (!this.users.exists(role)) await this.users.upsert(role, DEMO_PASSWORD, [role]);
      this.log.warn({ users: ROLES, password: 'see README' }, 'demo users enabled: do not use in production');
    }
  }

  /** Demo mode's users (one per role, documented password). */
  get demoUsers(): boolean {
    return this.config.auth.demoUsers ?? this.config.mqtt.url === undefined;
  }

  async health(): Promise<Health> {
    const reachable = await this.sink.ping();
    const connected = this.source?.connected ?? false;
    return {
      status: connected && reachable ? 'ok' : 'degraded',
      mqtt: { connected, unacked: this.source?.unacked ?? 0 },
      store: { name: this.sink.name, reachable },
      spool: { batches: this.spool.batches, bytes: this.spool.bytes },
    };
  }

  /** Graceful: stop taking messages, make everything in flight durable (store or spool), then close. */
  async stop(): Promise<void> {
    this.simulator?.stop();
    await new Promise<void>((resolve) => (this.simClient ? this.simClient.end(true, {}, () => resolve()) : resolve()));
    await this.source?.stop();
    for (const m of this.semantics) m.stop();
    await this.writer?.idle();
    this.writer?.stop();
    this.liveSocket?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.broker?.stop();
    this.spool.stop();
    await this.sink.stop();
    this.codecs.dispose();
    this.customCodecs?.dispose();
    this.onboarding?.stop();
    this.db?.close();
    this.log.info('stadtpuls stopped');
  }
}

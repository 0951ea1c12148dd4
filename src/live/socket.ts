/**
 * Live updates for the web app over socket.io, on the platform's own HTTP server (path /socket.io).
 *
 * - Default namespace `/`: a login is required — the `sp_session` cookie (browsers) or `auth.token` in the
 *   handshake (API clients). Each socket joins one room per role; every stream goes to the rooms of the roles
 *   allowed by STREAM_ACCESS (and admin), so a packet is encoded once per flush and never reaches a socket whose
 *   roles may not see it. On connect (and after every reconnect, which is a new connection) the socket gets a
 *   `snapshot` of the parts its roles may see, then batched deltas.
 * - Namespace `/public`: deliberately public, zone totals only.
 *
 * Emission is cheap: the snapshot comes from the semantics modules' in-memory state and caches kept here (no
 * database query per event), deltas are coalesced per key and flushed every `batchMs`.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server, type Namespace, type Socket } from 'socket.io';
import { hasRole, type Principal } from '../auth/roles.js';
import type { Users } from '../auth/users.js';
import type { Logger } from '../observability/log.js';
import type { SemanticsModule } from '../semantics/module.js';
import { HealthModule } from '../semantics/health/module.js';
import { LevelModule } from '../semantics/level/module.js';
import { ParkingModule } from '../semantics/parking/module.js';
import type { LiveBus } from './bus.js';
import type { AlarmState, ReadingUpdate } from './events.js';
import {
  PUBLIC_NAMESPACE,
  STREAM_ACCESS,
  STREAM_NAMES,
  publicZone,
  type ClientToServerEvents,
  type GaugePoint,
  type GaugeUpdate,
  type LiveStreams,
  type PublicClientToServerEvents,
  type PublicServerToClientEvents,
  type PublicZone,
  type ServerToClientEvents,
  type Snapshot,
  type StreamName,
} from './protocol.js';

const SESSION_COOKIE = 'sp_session';
/** Readings kept per device for the snapshot (two: consumers derive power from consecutive counter readings). */
const READINGS_PER_DEVICE = 2;
const MAX_READING_DEVICES = 20_000;
/** Trend points kept per gauge. */
const TREND_POINTS = 240;
const MAX_GAUGES = 2_000;
const RESYNC_MIN_INTERVAL_MS = 3_000;

export interface LiveSocketOptions {
  readonly server: HttpServer;
  readonly users: Users;
  readonly live: LiveBus;
  readonly semantics: readonly SemanticsModule[];
  readonly log: Logger;
  /** Deltas are collected for this long, then sent as one batch per stream (default 10 ms; 0: next tick). */
  readonly batchMs?: number;
  /** How often open sockets' credentials are checked again (logout, expiry, changed roles); default 60 s. */
  readonly revalidateMs?: number;
}

interface SocketData {
  principal: Principal;
  token: string;
  lastResync: number;
}

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type AppNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const roleRoom = (role: string) => `role:${role}`;

/** The rooms a stream goes to: its roles' and admin's. */
function roomsOf(stream: StreamName): string[] {
  return [...new Set([...STREAM_ACCESS[stream], 'admin'])].map(roleRoom);
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The bearer token from `auth.token` (API clients), else the session cookie (browsers). */
export function handshakeToken(handshake: { auth: Record<string, unknown>; headers: IncomingMessage['headers'] }): string | undefined {
  const t = handshake.auth.token;
  if (typeof t === 'string' && t.length > 0) return t.startsWith('Bearer ') ? t.slice(7).trim() : t;
  return cookie(handshake.headers.cookie, SESSION_COOKIE);
}

/** The key under which later deltas replace earlier ones within one batch. */
function keyOf<K extends StreamName>(stream: K, payload: LiveStreams[K]): string {
  const p: LiveStreams[StreamName] = payload;
  if (stream === 'reading') return `${(p as ReadingUpdate).devEui}|${(p as ReadingUpdate).time}`;
  if (stream === 'parking.zone') return (p as LiveStreams['parking.zone']).zone;
  if (stream === 'alarm') return (p as AlarmState).id;
  return (p as { devEui: string }).devEui;
}

const sameRoles = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((r) => b.includes(r));

export class LiveSocket {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  private readonly main: AppNamespace;
  private readonly pub: Namespace<PublicClientToServerEvents, PublicServerToClientEvents>;
  private readonly parking: ParkingModule | undefined;
  private readonly level: LevelModule | undefined;
  private readonly health: HealthModule | undefined;
  /** Open alarms (active, acknowledged) by id. */
  private readonly alarms = new Map<string, AlarmState>();
  /** The last readings per device, by recency. */
  private readonly readings = new Map<string, ReadingUpdate[]>();
  private readonly trends = new Map<string, GaugePoint[]>();
  private readonly queue = new Map<StreamName, Map<string, unknown>>();
  private readonly publicQueue = new Map<string, PublicZone>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly revalidateTimer: NodeJS.Timeout;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly batchMs: number;

  constructor(private readonly options: LiveSocketOptions) {
    this.batchMs = options.batchMs ?? 10;
    this.parking = options.semantics.find((m): m is ParkingModule => m instanceof ParkingModule);
    this.level = options.semantics.find((m): m is LevelModule => m instanceof LevelModule);
    this.health = options.semantics.find((m): m is HealthModule => m instanceof HealthModule);
    for (const state of ['active', 'acknowledged'] as const) for (const a of this.level?.listAlarms({ state }) ?? []) this.alarms.set(a.id, a);

    this.io = new Server(options.server, {
      path: '/socket.io',
      serveClient: false,
      // Clients send nothing but `resync`.
      maxHttpBufferSize: 16 * 1024,
      // Same origin only: a browser's cross-site WebSocket would carry the user's cookie (cross-site WebSocket
      // hijacking); SameSite=Strict already keeps it out, and this refuses such handshakes outright.
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        if (!origin) return callback(null, true);
        try {
          callback(null, new URL(origin).host === req.headers.host);
        } catch {
          callback(null, false);
        }
      },
    });
    this.main = this.io.of('/');
    this.main.use((socket, next) => {
      const token = handshakeToken(socket.handshake);
      const principal = token ? options.users.authenticate(token) : undefined;
      if (!token || !principal) return next(new Error('unauthenticated'));
      socket.data = { principal, token, lastResync: 0 };
      next();
    });
    this.main.on('connection', (socket) => this.onConnection(socket));

    this.pub = this.io.of(PUBLIC_NAMESPACE);
    this.pub.on('connection', (socket) => {
      socket.emit('snapshot', { at: new Date().toISOString(), zones: (this.parking?.zoneStates() ?? []).map(publicZone) });
    });

    for (const stream of STREAM_NAMES) {
      if (stream === 'level.gauge') continue; // derived from 'reading' below
      this.unsubscribe.push(options.live.on(stream, (payload) => this.onLive(stream, payload)));
    }
    this.revalidateTimer = setInterval(() => this.revalidate(), options.revalidateMs ?? 60_000);
    this.revalidateTimer.unref();
  }

  /** Connected sockets on the default namespace (tests, metrics). */
  get clients(): number {
    return this.main.sockets.size;
  }

  /** Disconnects every client and stops; the HTTP server itself is left to its owner. */
  close(): void {
    for (const u of this.unsubscribe) u();
    clearInterval(this.revalidateTimer);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.io.disconnectSockets(true);
    this.pub.disconnectSockets(true);
    this.io.engine.close();
  }

  /** The snapshot a principal may see. */
  snapshot(principal: Principal): Snapshot {
    const may = (s: StreamName) => hasRole(principal, STREAM_ACCESS[s]);
    const gauges: readonly GaugeUpdate[] | undefined = may('level.gauge') ? (this.level?.gaugeViews() ?? []) : undefined;
    return {
      at: new Date().toISOString(),
      user: { username: principal.username, roles: principal.roles },
      ...(may('parking.bay') ? { bays: this.parking?.bayStates() ?? [] } : {}),
      ...(may('parking.zone') ? { zones: this.parking?.zoneStates() ?? [] } : {}),
      ...(may('alarm') ? { alarms: [...this.alarms.values()].sort((a, b) => Number(b.id) - Number(a.id)) } : {}),
      ...(may('device.health') ? { health: this.health?.list() ?? [] } : {}),
      ...(may('reading') ? { readings: [...this.readings.values()].flat() } : {}),
      ...(gauges ? { gauges, trends: Object.fromEntries(this.trends) } : {}),
    };
  }

  private onConnection(socket: AppSocket): void {
    const { principal } = socket.data;
    // Join first, then snapshot: both happen in this one tick, so no delta falls between them.
    void socket.join(principal.roles.map(roleRoom));
    socket.emit('snapshot', this.snapshot(principal));
    socket.on('resync', () => {
      const now = Date.now();
      if (now - socket.data.lastResync < RESYNC_MIN_INTERVAL_MS) return;
      socket.data.lastResync = now;
      socket.emit('snapshot', this.snapshot(socket.data.principal));
    });
  }

  private onLive<K extends StreamName>(stream: K, payload: LiveStreams[K]): void {
    switch (stream) {
      case 'alarm': {
        const a = payload as AlarmState;
        if (a.state === 'cleared') this.alarms.delete(a.id);
        else this.alarms.set(a.id, a);
        break;
      }
      case 'reading':
        this.noteReading(payload as ReadingUpdate);
        break;
      case 'parking.zone':
        this.enqueuePublic(publicZone(payload as LiveStreams['parking.zone']));
        break;
      case 'parking.bay':
      case 'device.health':
      case 'level.gauge':
        break;
    }
    this.enqueue(stream, payload);
  }

  private noteReading(r: ReadingUpdate): void {
    let list = this.readings.get(r.devEui);
    if (list) this.readings.delete(r.devEui);
    else list = [];
    list.push(r);
    if (list.length > READINGS_PER_DEVICE) list.splice(0, list.length - READINGS_PER_DEVICE);
    this.readings.set(r.devEui, list);
    if (this.readings.size > MAX_READING_DEVICES) this.readings.delete(this.readings.keys().next().value!);

    // A level gauge's reading: its derived level is settled by now (the level module sees uplinks first).
    const gauge: GaugeUpdate | undefined = this.level?.gaugeView(r.devEui);
    if (!gauge || gauge.levelMm === undefined || gauge.time === undefined) return;
    let trend = this.trends.get(r.devEui);
    if (!trend) {
      if (this.trends.size >= MAX_GAUGES) this.trends.delete(this.trends.keys().next().value!);
      this.trends.set(r.devEui, (trend = []));
    }
    if (trend.at(-1)?.time !== gauge.time) {
      trend.push({ time: gauge.time, levelMm: gauge.levelMm });
      if (trend.length > TREND_POINTS) trend.splice(0, trend.length - TREND_POINTS);
    }
    this.enqueue('level.gauge', gauge);
  }

  private enqueue<K extends StreamName>(stream: K, payload: LiveStreams[K]): void {
    if (this.main.sockets.size === 0) return;
    let q = this.queue.get(stream);
    if (!q) this.queue.set(stream, (q = new Map()));
    q.set(keyOf(stream, payload), payload);
    this.schedule();
  }

  private enqueuePublic(zone: PublicZone): void {
    if (this.pub.sockets.size === 0) return;
    this.publicQueue.set(zone.zone, zone);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), this.batchMs);
  }

  private flush(): void {
    this.flushTimer = undefined;
    for (const [stream, q] of this.queue) {
      if (q.size === 0) continue;
      const batch = [...q.values()];
      q.clear();
      // One encode per stream and flush, whatever the number of sockets (socket.io broadcasts the same packet).
      (this.main.to(roomsOf(stream)).emit as (ev: StreamName, b: unknown[]) => boolean)(stream, batch);
    }
    if (this.publicQueue.size > 0) {
      const zones = [...this.publicQueue.values()];
      this.publicQueue.clear();
      this.pub.emit('zones', zones);
    }
  }

  /** Drops sockets whose session ended (logout, expiry) or whose roles changed; the client logs in again. */
  revalidate(): void {
    for (const socket of this.main.sockets.values()) {
      const current = this.options.users.authenticate(socket.data.token);
      if (!current || !sameRoles(current.roles, socket.data.principal.roles)) socket.disconnect(true);
    }
  }
}

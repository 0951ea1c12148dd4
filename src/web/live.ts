/**
 * The live state of the web app: a socket.io connection that starts from the server's snapshot and applies its
 * batched deltas (types shared with the server, src/live/protocol.ts). Views subscribe to topics; notifications
 * are coalesced to one per animation frame and carry the keys that changed (or 'all' after a snapshot).
 */
import { io, type Socket } from 'socket.io-client';
import type { AlarmState, BayState, DeviceHealth, ReadingUpdate, ZoneState } from '../live/events.js';
import {
  PUBLIC_NAMESPACE,
  type ClientToServerEvents,
  type GaugePoint,
  type GaugeUpdate,
  type PublicClientToServerEvents,
  type PublicServerToClientEvents,
  type PublicZone,
  type ServerToClientEvents,
  type Snapshot,
} from '../live/protocol.js';

export type Topic = 'bays' | 'zones' | 'alarms' | 'health' | 'readings' | 'gauges' | 'status';
export type Changed = ReadonlySet<string> | 'all';
export type LiveStatus = 'connecting' | 'live' | 'offline' | 'unauthenticated';

const READINGS_PER_DEVICE = 2;
const TREND_POINTS = 240;

class Notifier<T extends string> {
  private readonly listeners = new Map<T, Set<(changed: Changed) => void>>();
  private readonly dirty = new Map<T, Set<string> | 'all'>();
  private frame: number | undefined;

  on(topic: T, fn: (changed: Changed) => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  mark(topic: T, key?: string): void {
    const d = this.dirty.get(topic);
    if (key === undefined) this.dirty.set(topic, 'all');
    else if (d === undefined) this.dirty.set(topic, new Set([key]));
    else if (d !== 'all') d.add(key);
    if (this.frame === undefined) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = undefined;
    const dirty = [...this.dirty];
    this.dirty.clear();
    for (const [topic, changed] of dirty) for (const fn of this.listeners.get(topic) ?? []) fn(changed);
  }
}

export class LiveStore {
  readonly bays = new Map<string, BayState>();
  readonly zones = new Map<string, ZoneState>();
  readonly alarms = new Map<string, AlarmState>();
  readonly health = new Map<string, DeviceHealth>();
  readonly readings = new Map<string, ReadingUpdate[]>();
  readonly gauges = new Map<string, GaugeUpdate>();
  readonly trends = new Map<string, GaugePoint[]>();
  status: LiveStatus = 'offline';
  /** When the last snapshot arrived (ms). */
  snapshotAt = 0;
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;
  private readonly notifier = new Notifier<Topic>();
  private onVisible = () => {
    if (document.visibilityState === 'visible' && this.socket?.connected) this.socket.emit('resync');
  };

  on(topic: Topic, fn: (changed: Changed) => void): () => void {
    return this.notifier.on(topic, fn);
  }

  /** Connects with the session cookie (the browser sends it with the handshake). */
  connect(onUnauthenticated: () => void): void {
    if (this.socket) return;
    this.setStatus('connecting');
    // forceNew: a connection of its own, whose handshake carries the session cookie as it is now (a shared one may
    // have been opened by the public page before the login).
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: '/socket.io', transports: ['websocket', 'polling'], withCredentials: true, forceNew: true });
    this.socket = socket;
    socket.on('connect', () => this.setStatus('live'));
    socket.on('disconnect', (reason) => {
      this.setStatus('offline');
      // The server ended it (logout elsewhere, session expired, roles changed): ask who we are.
      if (reason === 'io server disconnect') onUnauthenticated();
    });
    socket.on('connect_error', (err) => {
      if (err.message === 'unauthenticated') {
        this.setStatus('unauthenticated');
        onUnauthenticated();
      } else this.setStatus('offline');
    });
    socket.on('snapshot', (s) => this.applySnapshot(s));
    socket.on('parking.bay', (batch) => this.put('bays', this.bays, batch, (b) => b.devEui));
    socket.on('parking.zone', (batch) => this.put('zones', this.zones, batch, (z) => z.zone));
    socket.on('device.health', (batch) => this.put('health', this.health, batch, (x) => x.devEui));
    socket.on('level.gauge', (batch) => {
      for (const g of batch) this.addTrend(g);
      this.put('gauges', this.gauges, batch, (g) => g.devEui);
    });
    socket.on('alarm', (batch) => {
      for (const a of batch) {
        if (a.state === 'cleared') this.alarms.delete(a.id);
        else this.alarms.set(a.id, a);
        this.notifier.mark('alarms', a.id);
      }
    });
    socket.on('reading', (batch) => {
      for (const r of batch) {
        const list = this.readings.get(r.devEui) ?? [];
        list.push(r);
        if (list.length > READINGS_PER_DEVICE) list.splice(0, list.length - READINGS_PER_DEVICE);
        this.readings.set(r.devEui, list);
        this.notifier.mark('readings', r.devEui);
      }
    });
    document.addEventListener('visibilitychange', this.onVisible);
  }

  disconnect(): void {
    document.removeEventListener('visibilitychange', this.onVisible);
    this.socket?.disconnect();
    this.socket = undefined;
    for (const m of [this.bays, this.zones, this.alarms, this.health, this.readings, this.gauges, this.trends]) m.clear();
    this.snapshotAt = 0;
    this.setStatus('offline');
    for (const topic of ['bays', 'zones', 'alarms', 'health', 'readings', 'gauges'] as const) this.notifier.mark(topic);
  }

  /** The newest reading of a device. */
  latest(devEui: string): ReadingUpdate | undefined {
    return this.readings.get(devEui)?.at(-1);
  }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    this.notifier.mark('status');
  }

  private applySnapshot(s: Snapshot): void {
    const fill = <T>(map: Map<string, T>, items: readonly T[] | undefined, key: (x: T) => string) => {
      map.clear();
      for (const x of items ?? []) map.set(key(x), x);
    };
    fill(this.bays, s.bays, (b) => b.devEui);
    fill(this.zones, s.zones, (z) => z.zone);
    fill(this.alarms, s.alarms, (a) => a.id);
    fill(this.health, s.health, (x) => x.devEui);
    fill(this.gauges, s.gauges, (g) => g.devEui);
    this.readings.clear();
    for (const r of s.readings ?? []) {
      const list = this.readings.get(r.devEui) ?? [];
      list.push(r);
      this.readings.set(r.devEui, list);
    }
    this.trends.clear();
    for (const [devEui, points] of Object.entries(s.trends ?? {})) this.trends.set(devEui, [...points]);
    this.snapshotAt = Date.now();
    for (const topic of ['bays', 'zones', 'alarms', 'health', 'readings', 'gauges'] as const) this.notifier.mark(topic);
  }

  private put<T>(topic: Topic, map: Map<string, T>, batch: readonly T[], key: (x: T) => string): void {
    for (const x of batch) {
      map.set(key(x), x);
      this.notifier.mark(topic, key(x));
    }
  }

  private addTrend(g: GaugeUpdate): void {
    if (g.levelMm === undefined || g.time === undefined) return;
    const list = this.trends.get(g.devEui) ?? [];
    if (list.at(-1)?.time !== g.time) list.push({ time: g.time, levelMm: g.levelMm });
    if (list.length > TREND_POINTS) list.splice(0, list.length - TREND_POINTS);
    this.trends.set(g.devEui, list);
  }
}

export const live = new LiveStore();

/** The public namespace: zone totals for everybody, no login. */
export class PublicLive {
  readonly zones = new Map<string, PublicZone>();
  private socket: Socket<PublicServerToClientEvents, PublicClientToServerEvents> | undefined;
  private readonly notifier = new Notifier<'zones'>();

  on(fn: (changed: Changed) => void): () => void {
    return this.notifier.on('zones', fn);
  }

  connect(): void {
    if (this.socket) return;
    const socket: Socket<PublicServerToClientEvents, PublicClientToServerEvents> = io(PUBLIC_NAMESPACE, { path: '/socket.io', transports: ['websocket', 'polling'] });
    this.socket = socket;
    socket.on('snapshot', (s) => {
      this.zones.clear();
      for (const z of s.zones) this.zones.set(z.zone, z);
      this.notifier.mark('zones');
    });
    socket.on('zones', (zones) => {
      for (const z of zones) {
        this.zones.set(z.zone, z);
        this.notifier.mark('zones', z.zone);
      }
    });
  }

  disconnect(): void {
    this.socket?.disconnect();
    this.socket = undefined;
  }
}

export const publicLive = new PublicLive();

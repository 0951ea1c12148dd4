/**
 * The socket.io protocol between the platform and the web app, shared by both sides (the browser bundle imports
 * this file, so it must stay free of Node APIs and of server-only imports).
 *
 * Default namespace `/` (login required): on connect a `snapshot` of everything the user's roles may see, then
 * the live events of `LiveEvents` as batches (one array per event name and flush, latest state per key), plus the
 * derived `level.gauge` stream. After a reconnect the server sends a fresh snapshot.
 *
 * Namespace `/public` (deliberately public, no login): zone totals only (no DevEUIs, no device names).
 */
import type { Role } from '../auth/roles.js';
import { LIVE_ACCESS, type AlarmState, type BayState, type DeviceHealth, type LiveEvents, type ReadingUpdate, type ZoneState } from './events.js';

/** One of a device's last uplinks (the shape of `GET /api/devices/:devEui/uplinks` entries). */
export interface RecentUplink {
  readonly time: string;
  readonly fCnt: number;
  readonly fPort: number;
  readonly payloadHex: string;
  readonly rssi?: number;
  readonly snr?: number;
  readonly gateways: number;
  readonly decoded?: Record<string, unknown>;
  readonly readings: Readonly<Record<string, number | boolean | string>>;
  readonly rejection?: { readonly reason: string; readonly message: string };
}

/** A level gauge's current state (the shape of `GET /api/gauges` entries). */
export interface GaugeUpdate {
  readonly devEui: string;
  readonly name?: string;
  readonly model: string;
  readonly site?: string;
  /** Time of the newest level (ISO). */
  readonly time?: string;
  readonly levelMm?: number;
  readonly fillPct?: number;
  readonly severity: 'normal' | 'warning' | 'alarm';
  readonly alarmId?: string;
  readonly thresholds?: {
    readonly direction: 'above' | 'below';
    readonly warning?: number | undefined;
    readonly alarm?: number | undefined;
    readonly hysteresisMm: number;
  };
}

/** One point of a gauge's level trend (since the server started). */
export interface GaugePoint {
  readonly time: string;
  readonly levelMm: number;
}

/** Everything streamed on the default namespace: the live events plus derived gauge updates. */
export interface LiveStreams extends LiveEvents {
  'level.gauge': GaugeUpdate;
}
export type StreamName = keyof LiveStreams;

/** Who may receive each stream (admin always may). `level.gauge` goes to whoever may see level alarms. */
export const STREAM_ACCESS: { readonly [K in StreamName]: readonly Role[] } = { ...LIVE_ACCESS, 'level.gauge': LIVE_ACCESS.alarm };

export const STREAM_NAMES = Object.keys(STREAM_ACCESS) as StreamName[];

/** The state a client starts from; each part is present only when the user's roles may see its stream. */
export interface Snapshot {
  readonly at: string;
  readonly user: { readonly username: string; readonly roles: readonly Role[] };
  /** `parking.bay` */
  readonly bays?: readonly BayState[];
  /** `parking.zone` */
  readonly zones?: readonly ZoneState[];
  /** `alarm`: open alarms (active and acknowledged), newest first */
  readonly alarms?: readonly AlarmState[];
  /** `device.health` */
  readonly health?: readonly DeviceHealth[];
  /** `reading`: the last (up to) two readings of every device, oldest first */
  readonly readings?: readonly ReadingUpdate[];
  /** `level.gauge` */
  readonly gauges?: readonly GaugeUpdate[];
  /** `level.gauge`: level trend per gauge since the server started, oldest first */
  readonly trends?: Readonly<Record<string, readonly GaugePoint[]>>;
}

/** Which snapshot part belongs to which stream (for role filtering on both sides). */
export const SNAPSHOT_PARTS = {
  bays: 'parking.bay',
  zones: 'parking.zone',
  alarms: 'alarm',
  health: 'device.health',
  readings: 'reading',
  gauges: 'level.gauge',
  trends: 'level.gauge',
} as const satisfies Record<Exclude<keyof Snapshot, 'at' | 'user'>, StreamName>;

export type ServerToClientEvents = { [K in StreamName]: (batch: readonly LiveStreams[K][]) => void } & {
  snapshot: (snapshot: Snapshot) => void;
};

export interface ClientToServerEvents {
  /** Ask for a fresh snapshot (e.g. when a hidden tab becomes visible again); at most one per few seconds. */
  resync: () => void;
}

// --- the public namespace ---

export const PUBLIC_NAMESPACE = '/public';

/** Free spaces of a zone: aggregate counts only. */
export interface PublicZone {
  readonly zone: string;
  readonly total: number;
  readonly free: number;
  readonly occupied: number;
  /** Bays whose sensor has not reported for too long (state unknown). */
  readonly stale: number;
}

export interface PublicSnapshot {
  readonly at: string;
  readonly zones: readonly PublicZone[];
}

export interface PublicServerToClientEvents {
  snapshot: (snapshot: PublicSnapshot) => void;
  /** Changed zones (latest per zone). */
  zones: (zones: readonly PublicZone[]) => void;
}

export type PublicClientToServerEvents = Record<string, never>;

export const publicZone = (z: ZoneState): PublicZone => ({ zone: z.zone, total: z.total, free: z.free, occupied: z.occupied, stale: z.stale });

// --- public HTTP routes (src/api/public.ts) ---

/** Consumption of one counter reading of a public building, in the reading's canonical unit (Wh, m³, pulses). */
export interface PublicConsumption {
  readonly reading: string;
  readonly unit: string;
  /** Since local midnight (the town's time zone). */
  readonly today: number;
  /** Since the first of the month, local time. */
  readonly month: number;
}

export interface PublicBuilding {
  readonly building: string;
  readonly consumption: readonly PublicConsumption[];
}

export interface PublicBuildings {
  readonly at: string;
  readonly timeZone: string;
  readonly buildings: readonly PublicBuilding[];
}

/** `GET /api/public/config`: what the web app needs before login. */
export interface PublicConfig {
  /** Leaflet tile URL template, or null for no background tiles. */
  readonly tileUrl: string | null;
  readonly tileAttribution: string;
  /** The town's time zone (dates and days are shown in it). */
  readonly timeZone: string;
  /** Demo mode: the demo users exist (the login page says so). */
  readonly demo: boolean;
}

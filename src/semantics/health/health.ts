/**
 * A device's health as a pure record: last seen, battery, radio per gateway, codec errors, and whether it is
 * online — seen within N expected uplink intervals. Values only move forward in time: a late or duplicate
 * uplink never replaces a newer value.
 */

/** A device is offline after this many expected uplinks did not arrive. */
export const DEFAULT_MISSED_INTERVALS = 3;
/** How many counted codec errors are remembered per device so that a redelivered message is not counted twice. */
const REMEMBERED_ERRORS = 32;

export interface Timed<T> {
  readonly value: T;
  readonly timeMs: number;
}

export interface GatewaySeen {
  readonly rssi: number;
  readonly snr?: number;
  readonly lastSeenMs: number;
}

export interface HealthRecord {
  readonly devEui: string;
  readonly model?: string;
  readonly name?: string;
  /** Newest uplink, join or status event (event time). */
  readonly lastSeenMs?: number;
  readonly battery?: Timed<number>;
  readonly batteryVoltage?: Timed<number>;
  /** The best gateway of the newest uplink. */
  readonly radio?: { readonly rssi?: number; readonly snr?: number; readonly timeMs: number };
  readonly gateways: Readonly<Record<string, GatewaySeen>>;
  /** The online state as of the last evaluation (uplink or tick): transitions are detected against it. */
  readonly online: boolean;
  readonly offlineSinceMs?: number;
  readonly silencedUntilMs?: number;
  readonly codecErrors: number;
  readonly lastCodecError?: { readonly timeMs: number; readonly description: string };
  readonly countedErrors: readonly string[];
}

export const newRecord = (devEui: string): HealthRecord => ({ devEui, gateways: {}, online: false, codecErrors: 0, countedErrors: [] });

export interface UplinkFacts {
  readonly timeMs: number;
  readonly rssi?: number;
  readonly snr?: number;
  readonly gatewayId?: string;
  readonly battery?: number;
  readonly batteryVoltage?: number;
}

const newer = (t: Timed<number> | undefined, timeMs: number) => t === undefined || timeMs >= t.timeMs;

export function recordSeen(rec: HealthRecord, timeMs: number): HealthRecord {
  return rec.lastSeenMs !== undefined && rec.lastSeenMs >= timeMs ? rec : { ...rec, lastSeenMs: timeMs };
}

export function recordBattery(rec: HealthRecord, timeMs: number, battery: number | undefined, batteryVoltage: number | undefined): HealthRecord {
  let next = rec;
  if (battery !== undefined && newer(rec.battery, timeMs)) next = { ...next, battery: { value: battery, timeMs } };
  if (batteryVoltage !== undefined && newer(rec.batteryVoltage, timeMs)) next = { ...next, batteryVoltage: { value: batteryVoltage, timeMs } };
  return next;
}

export function recordUplink(rec: HealthRecord, f: UplinkFacts): HealthRecord {
  let next = recordBattery(recordSeen(rec, f.timeMs), f.timeMs, f.battery, f.batteryVoltage);
  if ((f.rssi !== undefined || f.snr !== undefined) && (rec.radio === undefined || f.timeMs >= rec.radio.timeMs)) {
    next = { ...next, radio: { ...(f.rssi !== undefined ? { rssi: f.rssi } : {}), ...(f.snr !== undefined ? { snr: f.snr } : {}), timeMs: f.timeMs } };
  }
  if (f.gatewayId !== undefined && f.rssi !== undefined) {
    const gw = rec.gateways[f.gatewayId];
    if (gw === undefined || f.timeMs >= gw.lastSeenMs) {
      next = { ...next, gateways: { ...rec.gateways, [f.gatewayId]: { rssi: f.rssi, ...(f.snr !== undefined ? { snr: f.snr } : {}), lastSeenMs: f.timeMs } } };
    }
  }
  return next;
}

/** Counts a codec error once per `key` (the uplink's deduplication id, or the log event's time and code). */
export function recordCodecError(rec: HealthRecord, key: string, timeMs: number, description: string): { readonly record: HealthRecord; readonly counted: boolean } {
  if (rec.countedErrors.includes(key)) return { record: rec, counted: false };
  const last = rec.lastCodecError === undefined || timeMs >= rec.lastCodecError.timeMs ? { timeMs, description } : rec.lastCodecError;
  return { record: { ...rec, codecErrors: rec.codecErrors + 1, lastCodecError: last, countedErrors: [...rec.countedErrors, key].slice(-REMEMBERED_ERRORS) }, counted: true };
}

/** When a device last seen at `lastSeenMs` goes offline. */
export const offlineAt = (lastSeenMs: number, intervalSeconds: number, missed: number): number => lastSeenMs + missed * intervalSeconds * 1000;

/** Online: seen, and not more than `missed` expected intervals ago. A device never seen is not online. */
export function isOnline(rec: HealthRecord, intervalSeconds: number, missed: number, nowMs: number): boolean {
  return rec.lastSeenMs !== undefined && nowMs <= offlineAt(rec.lastSeenMs, intervalSeconds, missed);
}

export const isSilenced = (rec: HealthRecord, nowMs: number): boolean => rec.silencedUntilMs !== undefined && nowMs < rec.silencedUntilMs;

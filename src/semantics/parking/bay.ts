/**
 * One parking bay as a pure state machine: occupancy from the newest uplink, arrivals and departures from its
 * changes, and staleness from time. An uplink not newer than the last applied one (a duplicate or a late,
 * out-of-order delivery) never changes the state.
 */

/** A bay is unknown once it has not reported for this many expected uplink intervals. */
export const STALE_INTERVALS = 2.5;

export interface BayCore {
  /** Last known occupancy; undefined until the sensor reported it. */
  readonly occupied: boolean | undefined;
  /** When the last known occupancy began (the arrival time while occupied). */
  readonly sinceMs: number | undefined;
  /** Time of the newest applied uplink (its own event time). */
  readonly lastSeenMs: number | undefined;
}

export type Occupancy = 'free' | 'occupied' | 'unknown';

export interface OccupancyEvent {
  readonly event: 'arrival' | 'departure';
  readonly timeMs: number;
  /** How long the departed car stood (from its arrival, or from the first report of the bay as occupied). */
  readonly durationS?: number;
}

export interface BayUpdate {
  readonly bay: BayCore;
  readonly applied: boolean;
  readonly event?: OccupancyEvent;
}

export const EMPTY_BAY: BayCore = { occupied: undefined, sinceMs: undefined, lastSeenMs: undefined };

/**
 * Applies one uplink (`occupied` undefined: a heartbeat or battery report without occupancy). The first report
 * of a bay sets its state without an event: the change itself was not observed.
 */
export function applyUplink(bay: BayCore, timeMs: number, occupied: boolean | undefined): BayUpdate {
  if (bay.lastSeenMs !== undefined && timeMs <= bay.lastSeenMs) return { bay, applied: false };
  const seen: BayCore = { ...bay, lastSeenMs: timeMs };
  if (occupied === undefined || occupied === bay.occupied) return { bay: seen, applied: true };
  const next: BayCore = { occupied, sinceMs: timeMs, lastSeenMs: timeMs };
  if (bay.occupied === undefined) return { bay: next, applied: true };
  if (occupied) return { bay: next, applied: true, event: { event: 'arrival', timeMs } };
  const durationS = bay.sinceMs === undefined ? undefined : Math.round((timeMs - bay.sinceMs) / 1000);
  return { bay: next, applied: true, event: { event: 'departure', timeMs, ...(durationS !== undefined ? { durationS } : {}) } };
}

/** Stale: never seen, or silent for longer than STALE_INTERVALS × the expected uplink interval. */
export function isStale(lastSeenMs: number | undefined, intervalSeconds: number, nowMs: number): boolean {
  return lastSeenMs === undefined || nowMs - lastSeenMs > STALE_INTERVALS * intervalSeconds * 1000;
}

/** When a bay (last seen at `lastSeenMs`) turns stale. */
export const staleAt = (lastSeenMs: number, intervalSeconds: number): number => lastSeenMs + STALE_INTERVALS * intervalSeconds * 1000;

export function occupancy(bay: BayCore, stale: boolean): Occupancy {
  if (stale || bay.occupied === undefined) return 'unknown';
  return bay.occupied ? 'occupied' : 'free';
}

import type { RouteDef } from '../../api/routes.js';
import type { FieldValue, Point } from '../../domain/point.js';
import type { BayState, ZoneState } from '../../live/events.js';
import type { ProcessedUplink } from '../../pipeline/pipeline.js';
import type { DeviceModel } from '../../registry/catalog.js';
import type { SemanticsContext, SemanticsModule } from '../module.js';
import { EMPTY_BAY, applyUplink, isStale, occupancy, staleAt, type OccupancyEvent } from './bay.js';
import { parkingRoutes } from './routes.js';
import { overstay, type Overstay, type ZoneRule } from './rules.js';
import { ParkingStore, type StoredBay, type StoredRule } from './store.js';
import { occupancyRate, sameCounts, sameZone, zoneState } from './zone.js';

/** The zone of a bay without a site. */
export const UNASSIGNED_ZONE = 'unassigned';
/** How often time itself is looked at (stale bays, overstays). */
export const PARKING_TICK_MS = 30_000;

/** A parking bay: a device of a `parking` model that reports `occupied` (vehicle counters are not bays). */
export const isBayModel = (m: DeviceModel | undefined): m is DeviceModel => m?.category === 'parking' && m.readings.some((r) => r.spec.name === 'occupied');

interface Bay {
  readonly devEui: string;
  readonly model: DeviceModel;
  readonly name: string;
  readonly zone: string;
  readonly lat?: number;
  readonly lon?: number;
  readonly intervalSeconds: number;
  readonly stored: StoredBay;
}

export interface OverstayEntry {
  readonly devEui: string;
  readonly name: string;
  readonly zone: string;
  readonly lat?: number;
  readonly lon?: number;
  /** Arrival time (ISO). */
  readonly since: string;
  /** Whole minutes since arrival. */
  readonly parkedMinutes: number;
  readonly limitMinutes: number;
  readonly overMinutes: number;
}

const ns = (ms: number): string => `${Math.trunc(ms)}000000`;
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const int = (value: number): FieldValue => ({ type: 'integer', value });

/**
 * Parking: bay occupancy (free / occupied / unknown when stale), arrivals and departures (`parking_event`), zone
 * counts over time (`parking_zone`) and overstays against each zone's rule. Event-driven from the pipeline;
 * `tick()` (every PARKING_TICK_MS) handles what time alone changes: bays turning stale and cars starting to overstay.
 */
export class ParkingModule implements SemanticsModule {
  readonly name = 'parking';
  private readonly store: ParkingStore;
  private readonly bays = new Map<string, StoredBay>();
  private readonly rules = new Map<string, StoredRule>();
  /** The zone counts as last written and emitted. */
  private readonly zones = new Map<string, ZoneState>();
  /** Bays reported as overstaying at the last evaluation. */
  private readonly overstaying = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: SemanticsContext,
    private readonly tickMs = PARKING_TICK_MS,
  ) {
    this.store = new ParkingStore(ctx.db);
  }

  start(): void {
    this.store.migrate();
    for (const b of this.store.bays()) this.bays.set(b.devEui, b);
    for (const r of this.store.rules()) this.rules.set(r.zone, r);
    for (const z of this.zoneSnapshot()) this.zones.set(z.zone, z);
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  routes(): RouteDef[] {
    return parkingRoutes(this);
  }

  onUplink(u: ProcessedUplink): readonly Point[] | void {
    const device = u.device;
    if (!device || !isBayModel(device.model)) return;
    const now = this.ctx.now();
    const devEui = device.devEui;
    const intervalSeconds = device.registered?.uplinkIntervalSeconds ?? device.model.uplinkIntervalSeconds;
    const prev = this.bays.get(devEui) ?? { ...EMPTY_BAY, devEui, model: device.model.id, stale: true };
    const occupied = typeof u.readings.occupied === 'boolean' ? u.readings.occupied : undefined;
    const update = applyUplink(prev, u.event.time.ms, occupied);
    if (!update.applied) return;
    const next: StoredBay = {
      ...update.bay,
      devEui,
      model: device.model.id,
      ...(device.name !== undefined ? { name: device.name } : {}),
      ...(device.site !== undefined ? { zone: device.site } : {}),
      stale: isStale(update.bay.lastSeenMs, intervalSeconds, now),
    };
    this.bays.set(devEui, next);
    this.store.saveBay(next);

    const points: Point[] = [];
    if (update.event) points.push(eventPoint(update.event, u.event.time.ns, devEui, device.model.id, device.site));
    const bay = this.bay(devEui);
    // Zone counts change only with a bay's state; anything else (a bay registered meanwhile) waits for the tick.
    if (bay && this.evaluate(bay, next.stale, now, occupancy(prev, prev.stale))) points.push(...this.refreshZones(u.event.time.ns));
    return points;
  }

  /** What time alone changes: bays turning stale, cars starting (or ceasing) to overstay. Returns the points written. */
  tick(): Point[] {
    const now = this.ctx.now();
    for (const bay of this.allBays()) {
      const stale = isStale(bay.stored.lastSeenMs, bay.intervalSeconds, now);
      const before = occupancy(bay.stored, bay.stored.stale);
      if (stale !== bay.stored.stale && this.bays.has(bay.devEui)) {
        const stored = { ...bay.stored, stale };
        this.bays.set(bay.devEui, stored);
        this.store.saveBay(stored);
      }
      this.evaluate(bay, stale, now, before);
    }
    const points = this.refreshZones(ns(now));
    if (points.length > 0) void this.ctx.write(points).catch((err: Error) => this.ctx.log.warn({ err: err.message }, 'parking: writing zone points failed'));
    return points;
  }

  // --- queries (HTTP) ---

  bayStates(zone?: string): BayState[] {
    const now = this.ctx.now();
    return this.allBays()
      .filter((b) => zone === undefined || b.zone === zone)
      .map((b) => this.bayState(b, now));
  }

  zoneStates(): ZoneState[] {
    const now = this.ctx.now();
    const byZone = new Map<string, { state: BayState['state']; overstay: boolean }[]>();
    for (const b of this.allBays()) {
      const s = this.bayState(b, now);
      let list = byZone.get(b.zone);
      if (!list) byZone.set(b.zone, (list = []));
      list.push({ state: s.state, overstay: s.overstay !== undefined });
    }
    return [...byZone.keys()].sort().map((zone) => zoneState(zone, byZone.get(zone)!));
  }

  overstays(): OverstayEntry[] {
    const now = this.ctx.now();
    const out: OverstayEntry[] = [];
    for (const b of this.allBays()) {
      const o = this.overstayOf(b, isStale(b.stored.lastSeenMs, b.intervalSeconds, now), now);
      if (!o || b.stored.sinceMs === undefined) continue;
      out.push({
        devEui: b.devEui,
        name: b.name,
        zone: b.zone,
        ...(b.lat !== undefined ? { lat: b.lat } : {}),
        ...(b.lon !== undefined ? { lon: b.lon } : {}),
        since: new Date(b.stored.sinceMs).toISOString(),
        parkedMinutes: Math.floor((now - b.stored.sinceMs) / 60_000),
        limitMinutes: o.limitMinutes,
        overMinutes: o.overMinutes,
      });
    }
    return out.sort((a, b) => b.overMinutes - a.overMinutes || a.devEui.localeCompare(b.devEui));
  }

  listRules(): StoredRule[] {
    return [...this.rules.values()].sort((a, b) => a.zone.localeCompare(b.zone));
  }

  /** Takes effect at once for the queries and at the next tick for live events. */
  setRule(zone: string, rule: ZoneRule, by: string): StoredRule {
    const stored: StoredRule = { zone, rule, updatedBy: by, updatedAt: new Date(this.ctx.now()).toISOString() };
    this.store.saveRule(stored);
    this.rules.set(zone, stored);
    return stored;
  }

  deleteRule(zone: string): boolean {
    this.rules.delete(zone);
    return this.store.deleteRule(zone);
  }

  // --- internals ---

  /** Emits the bay's live event when its state or overstay changed since `before`; returns whether it did. */
  private evaluate(bay: Bay, stale: boolean, now: number, before: BayState['state']): boolean {
    const wasOver = this.overstaying.has(bay.devEui);
    const over = this.overstayOf(bay, stale, now) !== undefined;
    if (over) this.overstaying.add(bay.devEui);
    else this.overstaying.delete(bay.devEui);
    const changed = before !== occupancy(bay.stored, stale) || wasOver !== over;
    if (changed) this.ctx.live.emit('parking.bay', this.bayState({ ...bay, stored: this.bays.get(bay.devEui) ?? bay.stored }, now));
    return changed;
  }

  /** Zone counts from the last evaluation of every bay; changed counts become `parking_zone` points. */
  private refreshZones(timeNs: string): Point[] {
    const points: Point[] = [];
    for (const z of this.zoneSnapshot()) {
      const prev = this.zones.get(z.zone);
      if (!sameCounts(prev, z)) points.push(zonePoint(z, timeNs));
      if (!sameZone(prev, z)) this.ctx.live.emit('parking.zone', z);
      this.zones.set(z.zone, z);
    }
    return points;
  }

  private zoneSnapshot(): ZoneState[] {
    const byZone = new Map<string, { state: BayState['state']; overstay: boolean }[]>();
    for (const b of this.allBays()) {
      let list = byZone.get(b.zone);
      if (!list) byZone.set(b.zone, (list = []));
      list.push({ state: occupancy(b.stored, b.stored.stale), overstay: this.overstaying.has(b.devEui) });
    }
    return [...byZone.keys()].sort().map((zone) => zoneState(zone, byZone.get(zone)!));
  }

  private overstayOf(bay: Bay, stale: boolean, now: number): Overstay | undefined {
    const rule = this.rules.get(bay.zone)?.rule;
    if (!rule || stale || bay.stored.occupied !== true || bay.stored.sinceMs === undefined) return undefined;
    return overstay(rule, bay.stored.sinceMs, now, this.ctx.timeZone);
  }

  private bayState(b: Bay, now: number): BayState {
    const stale = isStale(b.stored.lastSeenMs, b.intervalSeconds, now);
    const state = occupancy(b.stored, stale);
    const o = this.overstayOf(b, stale, now);
    const since = state !== 'unknown' ? b.stored.sinceMs : stale && b.stored.lastSeenMs !== undefined ? staleAt(b.stored.lastSeenMs, b.intervalSeconds) : undefined;
    return {
      devEui: b.devEui,
      name: b.name,
      zone: b.zone,
      ...(b.lat !== undefined ? { lat: b.lat } : {}),
      ...(b.lon !== undefined ? { lon: b.lon } : {}),
      state,
      since: iso(since),
      lastSeen: iso(b.stored.lastSeenMs),
      ...(o ? { overstay: o } : {}),
    };
  }

  private bay(devEui: string): Bay | undefined {
    const d = this.ctx.fleet.get(devEui);
    const stored = this.bays.get(devEui);
    if (d) {
      const model = this.ctx.catalog.get(d.model);
      if (!isBayModel(model)) return undefined;
      return {
        devEui,
        model,
        name: d.name,
        zone: d.site ?? stored?.zone ?? UNASSIGNED_ZONE,
        ...(d.lat !== undefined ? { lat: d.lat } : {}),
        ...(d.lon !== undefined ? { lon: d.lon } : {}),
        intervalSeconds: d.uplinkIntervalSeconds ?? model.uplinkIntervalSeconds,
        stored: stored ?? { ...EMPTY_BAY, devEui, model: model.id, stale: true },
      };
    }
    if (!stored) return undefined;
    const model = this.ctx.catalog.get(stored.model);
    if (!isBayModel(model)) return undefined;
    return { devEui, model, name: stored.name ?? devEui, zone: stored.zone ?? UNASSIGNED_ZONE, intervalSeconds: model.uplinkIntervalSeconds, stored };
  }

  /** Registered bays (reported or not) and bays known only from their uplinks (ChirpStack tags), by DevEUI. */
  private allBays(): Bay[] {
    const ids = new Set([...this.ctx.fleet.list().map((d) => d.devEui), ...this.bays.keys()]);
    const out: Bay[] = [];
    for (const id of [...ids].sort()) {
      const b = this.bay(id);
      if (b) out.push(b);
    }
    return out;
  }
}

function eventPoint(e: OccupancyEvent, timeNs: string, devEui: string, model: string, site: string | undefined): Point {
  const fields: Record<string, FieldValue> = { event: { type: 'string', value: e.event } };
  if (e.durationS !== undefined) fields.duration_s = int(e.durationS);
  return { measurement: 'parking_event', tags: { dev_eui: devEui, model, ...(site !== undefined ? { site } : {}) }, fields, timeNs };
}

function zonePoint(z: ZoneState, timeNs: string): Point {
  const fields: Record<string, FieldValue> = { occupied: int(z.occupied), free: int(z.free), stale: int(z.stale), total: int(z.total) };
  const rate = occupancyRate(z);
  if (rate !== undefined) fields.rate = { type: 'float', value: rate };
  return { measurement: 'parking_zone', tags: { zone: z.zone }, fields, timeNs };
}

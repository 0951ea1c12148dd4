/**
 * Energy and utility meters: consumption per interval from cumulative counters, materialized per UTC hour and per
 * local day and month, written as `consumption` points and served over the HTTP API (routes.ts).
 */
import type { FieldValue, Point } from '../../domain/point.js';
import { READING_KINDS, isReadingName, type ReadingName } from '../../domain/readings.js';
import { RateLimitedLog } from '../../observability/log.js';
import type { ProcessedUplink } from '../../pipeline/pipeline.js';
import type { DeviceModel } from '../../registry/catalog.js';
import type { RouteDef } from '../../api/routes.js';
import type { SemanticsContext, SemanticsModule } from '../module.js';
import { TownCalendar } from './calendar.js';
import { HOUR_MS, fromUnits, toUnits } from './engine.js';
import { Ledger, type Bucket } from './ledger.js';
import { energyRoutes } from './routes.js';

/** Readings further in the future than this, or before 2000, are clock skew and rejected. */
export const MAX_AHEAD_MS = 24 * HOUR_MS;
export const EARLIEST_MS = Date.UTC(2000, 0, 1);

/** The consumption-bearing counters of a model, in catalog order (parking's vehicle counter is not consumption). */
export function counterReadings(model: DeviceModel): ReadingName[] {
  const names: ReadingName[] = [];
  for (const { spec } of model.readings) {
    const kind = READING_KINDS[spec.name];
    if (kind.counter && kind.measurement !== 'parking' && !names.includes(spec.name)) names.push(spec.name);
  }
  return names;
}

/** The counter width of the catalog line that produced a reading (several lines may feed one reading). */
function rolloverOf(model: DeviceModel, name: ReadingName, decoded: Record<string, unknown> | undefined): number | undefined {
  const at = (path: readonly string[]) => path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), decoded);
  for (const r of model.readings) {
    if (r.spec.name !== name || (r.spec.when && r.whenPath && at(r.whenPath) !== r.spec.when.equals)) continue;
    if (at(r.path) === undefined || at(r.path) === null) continue;
    return r.spec.counter?.rollover;
  }
  return undefined;
}

export interface Meter {
  readonly devEui: string;
  readonly model: DeviceModel;
  readonly site?: string;
  readonly readings: readonly ReadingName[];
}

export class EnergyModule implements SemanticsModule {
  readonly name = 'energy';
  readonly calendar: TownCalendar;
  private ledgerInstance: Ledger | undefined;
  private readonly warn: RateLimitedLog;
  private readonly noted = new Map<string, string>();

  constructor(readonly ctx: SemanticsContext) {
    this.calendar = new TownCalendar(ctx.timeZone);
    this.warn = new RateLimitedLog(ctx.log.child({ module: 'energy' }));
  }

  get ledger(): Ledger {
    if (!this.ledgerInstance) throw new Error('energy module not started');
    return this.ledgerInstance;
  }

  start(): void {
    this.ledgerInstance = new Ledger(this.ctx.db, this.calendar);
  }

  stop(): void {}

  routes(): RouteDef[] {
    return energyRoutes(this);
  }

  onUplink(u: ProcessedUplink): readonly Point[] {
    if (!u.device) return [];
    const { devEui, model, site } = u.device;
    const t = u.event.time.ms;
    const points: Point[] = [];
    for (const reading of counterReadings(model)) {
      const value = u.readings[reading];
      if (typeof value !== 'number') continue;
      if (!Number.isFinite(value) || value < 0) {
        this.warn.warn('energy:invalid', { devEui, reading, value }, 'meter reading ignored: not a non-negative number');
        continue;
      }
      const skew = this.skew(t);
      if (skew) {
        this.warn.warn('energy:clock_skew', { devEui, reading, time: new Date(t).toISOString(), value }, `meter reading rejected: clock skew (${skew})`);
        continue;
      }
      this.noteMeter(devEui, model.id, site);
      const rollover = rolloverOf(model, reading, u.decoded);
      const result = this.ledger.addReading(devEui, reading, t, toUnits(value, reading), rollover === undefined ? undefined : toUnits(rollover, reading));
      if (result.status === 'conflict') {
        this.warn.warn('energy:conflict', { devEui, reading, time: new Date(t).toISOString(), value }, 'meter reading ignored: another value at the same time is stored');
      }
      points.push(...this.points(result.buckets, site));
    }
    return points;
  }

  /** Why a time cannot be a meter reading's, or undefined when it can. */
  skew(t: number): string | undefined {
    if (t < EARLIEST_MS) return 'before 2000';
    if (t > this.ctx.now() + MAX_AHEAD_MS) return 'more than 1 day in the future';
    return undefined;
  }

  /** A registered device (fleet) or one seen with a model tag; `readings` is empty when it is no meter. */
  meter(devEui: string, seen = this.seenMeters()): Meter | undefined {
    const registered = this.ctx.fleet.get(devEui);
    const model = this.ctx.catalog.get(registered?.model ?? seen.get(devEui)?.model ?? '');
    if (!model) return undefined;
    const site = registered ? registered.site : seen.get(devEui)?.site;
    return { devEui, model, readings: counterReadings(model), ...(site !== undefined ? { site } : {}) };
  }

  /** The meters of a building (site): registered ones by their fleet site, others by their last site tag. */
  metersOf(site: string): Meter[] {
    const seen = this.seenMeters();
    const devEuis = new Set([...this.ctx.fleet.list().map((d) => d.devEui), ...seen.keys()]);
    return [...devEuis]
      .sort()
      .map((devEui) => this.meter(devEui, seen))
      .filter((m): m is Meter => m !== undefined && m.readings.length > 0 && m.site === site);
  }

  private seenMeters(): Map<string, { model: string; site?: string }> {
    return new Map(this.ledger.meters().map((m) => [m.devEui, m]));
  }

  /** `consumption` points for buckets: tags dev_eui, reading, resolution, site; field amount in the canonical unit. */
  points(buckets: readonly Bucket[], site: string | undefined): Point[] {
    return buckets.map((b) => {
      const tags: Record<string, string> = { dev_eui: b.devEui, reading: b.reading, resolution: b.resolution };
      if (site) tags.site = site;
      const amount: FieldValue = { type: 'float', value: isReadingName(b.reading) ? fromUnits(b.amount, b.reading) : b.amount };
      return { measurement: 'consumption', tags, fields: { amount }, timeNs: `${b.start}000000` };
    });
  }

  private noteMeter(devEui: string, model: string, site: string | undefined): void {
    const key = `${model}\u0000${site ?? ''}`;
    if (this.noted.get(devEui) === key) return;
    this.ledger.noteMeter(devEui, model, site);
    this.noted.set(devEui, key);
  }
}

export function createEnergy(ctx: SemanticsContext): EnergyModule {
  return new EnergyModule(ctx);
}

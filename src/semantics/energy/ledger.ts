/**
 * Meter readings, exchanges and the materialized consumption buckets in SQLite (the fleet database under
 * DATA_DIR). Every change recomputes only the hours between the changed mark's neighbours, then the local days
 * and months containing those hours. Amounts are integer units (see engine.ts).
 */
import type Database from 'better-sqlite3';
import type { Resolution, TownCalendar } from './calendar.js';
import { HOUR_MS, byTimeline, floorHour, hourlyAmounts, intervals, type Mark } from './engine.js';

/** One materialized bucket of one meter's reading. */
export interface Bucket {
  readonly devEui: string;
  readonly reading: string;
  readonly resolution: Resolution;
  readonly start: number;
  readonly amount: number;
}

export interface Exchange {
  readonly devEui: string;
  readonly reading: string;
  readonly t: number;
  readonly oldFinal: number;
  readonly newStart: number;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

/** `duplicate`: same time and value (ignored); `conflict`: same time, another value (ignored, the first stays). */
export type AddResult = { readonly status: 'inserted' | 'duplicate' | 'conflict'; readonly buckets: readonly Bucket[] };

interface ReadingRow { t: number; units: number; rollover: number | null }
interface ExchangeRow { dev_eui: string; reading: string; t: number; old_final: number; new_start: number; recorded_by: string; recorded_at: string }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS energy_readings (dev_eui TEXT NOT NULL, reading TEXT NOT NULL, t INTEGER NOT NULL, units INTEGER NOT NULL,
  rollover INTEGER, PRIMARY KEY (dev_eui, reading, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS energy_exchanges (dev_eui TEXT NOT NULL, reading TEXT NOT NULL, t INTEGER NOT NULL, old_final INTEGER NOT NULL,
  new_start INTEGER NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (dev_eui, reading, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS energy_buckets (dev_eui TEXT NOT NULL, reading TEXT NOT NULL, resolution TEXT NOT NULL, start INTEGER NOT NULL,
  amount INTEGER NOT NULL, PRIMARY KEY (dev_eui, reading, resolution, start)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS energy_meters (dev_eui TEXT PRIMARY KEY, model TEXT NOT NULL, site TEXT) WITHOUT ROWID;`;

/** The statements of the ledger, prepared once (the schema is created first). */
function prepare(db: Database.Database) {
  db.exec(SCHEMA);
  const rd = 'SELECT t, units, rollover FROM energy_readings WHERE dev_eui = ? AND reading = ?';
  const ex = 'SELECT * FROM energy_exchanges WHERE dev_eui = ? AND reading = ?';
  return {
    insertReading: db.prepare('INSERT OR IGNORE INTO energy_readings (dev_eui, reading, t, units, rollover) VALUES (?, ?, ?, ?, ?)'),
    readingAt: db.prepare(`${rd} AND t = ?`),
    readingsIn: db.prepare(`${rd} AND t >= ? AND t < ? ORDER BY t`),
    readingBefore: db.prepare(`${rd} AND t < ? ORDER BY t DESC LIMIT 1`),
    readingFrom: db.prepare(`${rd} AND t >= ? ORDER BY t LIMIT 1`),
    upsertExchange: db.prepare(`INSERT INTO energy_exchanges (dev_eui, reading, t, old_final, new_start, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (dev_eui, reading, t) DO UPDATE SET old_final = excluded.old_final, new_start = excluded.new_start,
      recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`),
    exchangesIn: db.prepare(`${ex} AND t >= ? AND t < ? ORDER BY t`),
    exchangeBefore: db.prepare(`${ex} AND t < ? ORDER BY t DESC LIMIT 1`),
    exchangeFrom: db.prepare(`${ex} AND t >= ? ORDER BY t LIMIT 1`),
    exchangesOf: db.prepare('SELECT * FROM energy_exchanges WHERE dev_eui = ? ORDER BY t, reading'),
    upsertBucket: db.prepare(`INSERT INTO energy_buckets (dev_eui, reading, resolution, start, amount) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (dev_eui, reading, resolution, start) DO UPDATE SET amount = excluded.amount`),
    sumBuckets: db.prepare('SELECT COALESCE(SUM(amount), 0) AS s FROM energy_buckets WHERE dev_eui = ? AND reading = ? AND resolution = ? AND start >= ? AND start < ?'),
    upsertMeter: db.prepare('INSERT INTO energy_meters (dev_eui, model, site) VALUES (?, ?, ?) ON CONFLICT (dev_eui) DO UPDATE SET model = excluded.model, site = excluded.site'),
    meters: db.prepare('SELECT dev_eui, model, site FROM energy_meters ORDER BY dev_eui'),
  };
}

export class Ledger {
  private readonly q: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database.Database,
    private readonly calendar: TownCalendar,
  ) {
    this.q = prepare(db);
  }

  /** Adds a reading; a second one at the same time is ignored, but the buckets around it are re-emitted (redelivery). */
  addReading(devEui: string, reading: string, t: number, units: number, rollover?: number): AddResult {
    return this.db.transaction((): AddResult => {
      const inserted = this.q.insertReading.run(devEui, reading, t, units, rollover ?? null).changes > 0;
      const status = inserted ? 'inserted' : (this.q.readingAt.get(devEui, reading, t) as ReadingRow).units === units ? 'duplicate' : 'conflict';
      return { status, buckets: this.recomputeAround(devEui, reading, { t, before: units, after: units, exchange: false }) };
    })();
  }

  /** Records (or corrects: same time) a meter exchange and recomputes the consumption across it. */
  recordExchange(e: Exchange): Bucket[] {
    return this.db.transaction(() => {
      this.q.upsertExchange.run(e.devEui, e.reading, e.t, e.oldFinal, e.newStart, e.recordedBy, e.recordedAt);
      return this.recomputeAround(e.devEui, e.reading, { t: e.t, before: e.oldFinal, after: e.newStart, exchange: true });
    })();
  }

  /** The last mark before and the first after a (new) mark, in timeline order. */
  neighbours(devEui: string, reading: string, mark: Mark): { prev?: Mark; next?: Mark } {
    const around = this.marks(devEui, reading, mark.t, mark.t + 1).filter((m) => !(m.t === mark.t && m.exchange === mark.exchange));
    return { prev: around.filter((m) => byTimeline(m, mark) < 0).at(-1), next: around.find((m) => byTimeline(m, mark) > 0) };
  }

  exchanges(devEui: string): Exchange[] {
    return (this.q.exchangesOf.all(devEui) as ExchangeRow[]).map(exchangeOf);
  }

  noteMeter(devEui: string, model: string, site: string | undefined): void {
    this.q.upsertMeter.run(devEui, model, site ?? null);
  }

  meters(): { devEui: string; model: string; site?: string }[] {
    return (this.q.meters.all() as { dev_eui: string; model: string; site: string | null }[]).map((r) => ({ devEui: r.dev_eui, model: r.model, ...(r.site !== null ? { site: r.site } : {}) }));
  }

  /** Buckets whose start lies in [from, to), summed over the given meters, in time order. */
  buckets(devEuis: readonly string[], reading: string, resolution: Resolution, from: number, to: number): { start: number; amount: number }[] {
    if (devEuis.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT start, SUM(amount) AS amount FROM energy_buckets WHERE reading = ? AND resolution = ? AND start >= ? AND start < ?
        AND dev_eui IN (${devEuis.map(() => '?').join(',')}) GROUP BY start ORDER BY start`)
      .all(reading, resolution, from, to, ...devEuis) as { start: number; amount: number }[];
    return rows;
  }

  /** The readings and exchanges that bound [from, to): all inside, plus the last before and the first at or after `to`. */
  private marks(devEui: string, reading: string, from: number, to: number): Mark[] {
    const k = [devEui, reading] as const;
    const inside = [
      ...(this.q.readingsIn.all(...k, from, to) as ReadingRow[]).map(readingMark),
      ...(this.q.exchangesIn.all(...k, from, to) as ExchangeRow[]).map(exchangeMark),
    ];
    const r0 = this.q.readingBefore.get(...k, from) as ReadingRow | undefined;
    const e0 = this.q.exchangeBefore.get(...k, from) as ExchangeRow | undefined;
    const r1 = this.q.readingFrom.get(...k, to) as ReadingRow | undefined;
    const e1 = this.q.exchangeFrom.get(...k, to) as ExchangeRow | undefined;
    const later = (a?: Mark, b?: Mark) => (a && b ? (byTimeline(a, b) > 0 ? a : b) : (a ?? b));
    const earlier = (a?: Mark, b?: Mark) => (a && b ? (byTimeline(a, b) < 0 ? a : b) : (a ?? b));
    const last = later(r0 && readingMark(r0), e0 && exchangeMark(e0));
    const first = earlier(r1 && readingMark(r1), e1 && exchangeMark(e1));
    return [...(last ? [last] : []), ...inside, ...(first ? [first] : [])].sort(byTimeline);
  }

  /** Recomputes the hours between a mark's neighbours (the intervals it changed), then their days and months. */
  private recomputeAround(devEui: string, reading: string, mark: Mark): Bucket[] {
    const { prev, next } = this.neighbours(devEui, reading, mark);
    return this.recompute(devEui, reading, prev?.t ?? mark.t, next?.t ?? mark.t);
  }

  private recompute(devEui: string, reading: string, a: number, b: number): Bucket[] {
    const from = floorHour(a);
    const to = floorHour(b) + HOUR_MS;
    const ivs = intervals(this.marks(devEui, reading, from, to));
    const all = hourlyAmounts(ivs, from, to);
    // Only the hours that the intervals between a and b touch changed; their amounts include every interval.
    const changed = hourlyAmounts(ivs.filter((iv) => iv.t0 >= a && iv.t1 <= b), from, to);
    const hours = [...changed.keys()].map((h) => [h, all.get(h)!] as const);
    const out: Bucket[] = [];
    const write = (resolution: Resolution, start: number, amount: number) => {
      this.q.upsertBucket.run(devEui, reading, resolution, start, amount);
      out.push({ devEui, reading, resolution, start, amount });
    };
    const days = new Set<number>();
    for (const [start, amount] of hours.sort(([x], [y]) => x - y)) {
      write('hour', start, amount);
      days.add(this.calendar.dayStart(start));
    }
    const months = new Set<number>();
    for (const day of days) {
      write('day', day, this.sum(devEui, reading, 'hour', day, this.calendar.bucketEnd('day', day)));
      months.add(this.calendar.monthStart(day));
    }
    for (const month of months) write('month', month, this.sum(devEui, reading, 'day', month, this.calendar.bucketEnd('month', month)));
    return out;
  }

  private sum(devEui: string, reading: string, resolution: Resolution, from: number, to: number): number {
    return (this.q.sumBuckets.get(devEui, reading, resolution, from, to) as { s: number }).s;
  }
}

const readingMark = (r: ReadingRow): Mark => ({ t: r.t, before: r.units, after: r.units, exchange: false, ...(r.rollover !== null ? { rollover: r.rollover } : {}) });
const exchangeMark = (r: ExchangeRow): Mark => ({ t: r.t, before: r.old_final, after: r.new_start, exchange: true });
const exchangeOf = (r: ExchangeRow): Exchange => ({
  devEui: r.dev_eui,
  reading: r.reading,
  t: r.t,
  oldFinal: r.old_final,
  newStart: r.new_start,
  recordedBy: r.recorded_by,
  recordedAt: r.recorded_at,
});

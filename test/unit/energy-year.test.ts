/**
 * A synthetic year of one electricity meter in Europe/Berlin, through the pure engine and the ledger on an
 * in-memory SQLite: 15-minute readings with both DST switches, a counter rollover, a device reset, a meter exchange,
 * gaps, late, out-of-order and duplicate deliveries. The expected figures are summed here, independently, from the
 * generated consumption of every 15-minute slot; the engine's must match them to the unit (1 mWh).
 */
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { TownCalendar } from '../../src/semantics/energy/calendar.js';
import { HOUR_MS, toUnits } from '../../src/semantics/energy/engine.js';
import { Ledger } from '../../src/semantics/energy/ledger.js';

const TZ = 'Europe/Berlin';
const DEV = '0004a30b001c0001';
const READING = 'energy_import';
const R = 4294967296; // the EMU counter's rollover, Wh
const R10 = R * 10; // in tenths of Wh, the generator's unit
const SLOT = 15 * 60_000;
const START = Date.parse('2024-12-31T23:00:00Z'); // 2025-01-01 00:00 local
const END = Date.parse('2025-12-31T23:00:00Z'); // 2026-01-01 00:00 local
const at = (iso: string) => Date.parse(iso);

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaps: no readings strictly inside; `uniform` gives every slot in it the same consumption (tenths of Wh). */
const GAPS = [
  { from: at('2025-02-10T05:00:00Z'), to: at('2025-02-13T05:00:00Z'), uniform: 1800 }, // 3 days across midnights
  { from: at('2025-06-10T06:00:00Z'), to: at('2025-06-10T15:00:00Z') }, // 9 h within a day, random load
  { from: at('2025-09-30T18:00:00Z'), to: at('2025-10-01T02:00:00Z'), uniform: 2500 }, // across midnight and a month
  { from: at('2025-10-25T23:30:00Z'), to: at('2025-10-26T04:00:00Z') }, // across the repeated hour, within the 25-h day
];
const RESET_AT = at('2025-05-10T10:00:00Z'); // the device restarts its counter at 0 right after this reading
const EXCHANGE = { t: at('2025-08-14T08:07:30Z'), newStartTenths: 123 }; // 10:07:30 local, new meter starts at 12.3 Wh

interface Generated {
  readonly slots: { start: number; tenths: number }[];
  readonly readings: { t: number; value: number }[];
  readonly exchange: { t: number; oldFinal: number; newStart: number };
}

function generate(): Generated {
  const rnd = prng(20250330);
  const slots: { start: number; tenths: number }[] = [];
  const readings: { t: number; value: number }[] = [];
  let counter = (R - 30_000) * 10; // rolls over in the first days of January
  const report = (t: number) => readings.push({ t, value: (counter % R10) / 10 });
  let oldFinal = 0;
  report(START);
  for (let s = START; s < END; s += SLOT) {
    const gap = GAPS.find((g) => s >= g.from && s < g.to);
    const tenths = gap?.uniform ?? 1000 + Math.floor(rnd() * 6000);
    slots.push({ start: s, tenths });
    if (EXCHANGE.t > s && EXCHANGE.t < s + SLOT) {
      const before = Math.floor(tenths / 3);
      oldFinal = ((counter + before) % R10) / 10;
      counter = EXCHANGE.newStartTenths + (tenths - before);
    } else {
      counter += tenths;
    }
    const t = s + SLOT;
    if (!GAPS.some((g) => t > g.from && t < g.to)) report(t);
    if (t === RESET_AT) counter = 0;
  }
  return { slots, readings, exchange: { t: EXCHANGE.t, oldFinal, newStart: EXCHANGE.newStartTenths / 10 } };
}

describe('energy engine: a synthetic year in Europe/Berlin', () => {
  const cal = new TownCalendar(TZ);
  const gen = generate();
  const ledger = new Ledger(new Database(':memory:'), cal);
  const statuses = { inserted: 0, duplicate: 0, conflict: 0 };
  /** Expected amounts in engine units (mWh = tenths × 100), keyed by local day / month start. */
  const expectDay = new Map<number, number>();
  const expectMonth = new Map<number, number>();
  let expectYear = 0;
  for (const { start, tenths } of gen.slots) {
    const units = tenths * 100;
    const day = cal.dayStart(start);
    const month = cal.monthStart(start);
    expectDay.set(day, (expectDay.get(day) ?? 0) + units);
    expectMonth.set(month, (expectMonth.get(month) ?? 0) + units);
    expectYear += units;
  }

  beforeAll(() => {
    // Delivery: July 5-7, the last reading before the exchange and the readings that open two gaps arrive at the
    // very end (each splits an interval of many hours); every 97th reading 10 positions late; every 50th twice;
    // the exchange is recorded when 70 % has arrived.
    const late = new Set([at('2025-08-14T08:00:00Z'), GAPS[0]!.from, GAPS[2]!.from]);
    const held = gen.readings.filter((r) => (r.t >= at('2025-07-05T00:00:00Z') && r.t < at('2025-07-08T00:00:00Z')) || late.has(r.t));
    const order = gen.readings.filter((r) => !held.includes(r));
    for (let i = 97; i < order.length - 11; i += 97) order.splice(i + 10, 0, ...order.splice(i, 1));
    const delivery: { t: number; value: number }[] = [];
    order.forEach((r, i) => {
      delivery.push(r);
      if (i % 50 === 0) delivery.splice(Math.max(0, delivery.length - 3), 0, r);
    });
    delivery.push(...held.reverse());
    const rollover = toUnits(R, READING);
    delivery.forEach((r, i) => {
      if (i === Math.floor(delivery.length * 0.7)) {
        ledger.recordExchange({
          devEui: DEV,
          reading: READING,
          t: gen.exchange.t,
          oldFinal: toUnits(gen.exchange.oldFinal, READING),
          newStart: toUnits(gen.exchange.newStart, READING),
          recordedBy: 'technician',
          recordedAt: new Date(0).toISOString(),
        });
      }
      statuses[ledger.addReading(DEV, READING, r.t, toUnits(r.value, READING), rollover).status]++;
    });
  }, 120_000);

  const buckets = (resolution: 'hour' | 'day' | 'month', from: number, to: number) => ledger.buckets([DEV], READING, resolution, from, to);

  it('the scenario has what it claims: a rollover, a reset, gaps, duplicates and late readings', () => {
    const values = gen.readings.map((r) => r.value);
    expect(values[0]).toBeGreaterThan(R - 30_000 - 1);
    expect(values.some((v, i) => i > 0 && v < values[i - 1]! && values[i - 1]! > R / 2)).toBe(true); // rollover
    const reset = gen.readings.findIndex((r) => r.t === RESET_AT);
    expect(gen.readings[reset + 1]!.value).toBeLessThan(gen.readings[reset]!.value); // reset drop
    expect(gen.readings.length).toBeLessThan(gen.slots.length + 1); // gaps
    expect(statuses.duplicate).toBeGreaterThan(600);
    expect(statuses.conflict).toBe(0);
    expect(statuses.inserted).toBe(gen.readings.length);
  });

  it('the yearly total is exact', () => {
    const months = buckets('month', START, END);
    expect(months).toHaveLength(12);
    expect(months.reduce((s, m) => s + m.amount, 0)).toBe(expectYear);
    expect(buckets('hour', START, END).reduce((s, h) => s + h.amount, 0)).toBe(expectYear);
  });

  it('every monthly total is exact', () => {
    const months = buckets('month', START, END);
    expect(months.map((m) => cal.iso(m.start).slice(0, 10))).toEqual(Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}-01`));
    for (const m of months) expect(m.amount, cal.iso(m.start)).toBe(expectMonth.get(m.start));
  });

  it('the DST days have 23 and 25 hours and exact totals; every other day is exact too', () => {
    const spring = cal.startOfDate(2025, 3, 30);
    const autumn = cal.startOfDate(2025, 10, 26);
    expect(cal.bucketEnd('day', spring) - spring).toBe(23 * HOUR_MS);
    expect(cal.bucketEnd('day', autumn) - autumn).toBe(25 * HOUR_MS);
    for (const day of [spring, autumn]) {
      const [row] = buckets('day', day, day + 1);
      expect(row!.amount, cal.iso(day)).toBe(expectDay.get(day));
      const hours = buckets('hour', day, cal.bucketEnd('day', day));
      expect(hours).toHaveLength((cal.bucketEnd('day', day) - day) / HOUR_MS);
      expect(hours.reduce((s, h) => s + h.amount, 0)).toBe(expectDay.get(day));
    }
    const days = buckets('day', START, END);
    expect(days).toHaveLength(365);
    for (const d of days) expect(d.amount, cal.iso(d.start)).toBe(expectDay.get(d.start));
  });

  it('counts across the meter exchange: (oldFinal - last before) + (first after - newStart)', () => {
    const hour = at('2025-08-14T08:00:00Z');
    const [row] = buckets('hour', hour, hour + 1);
    const expected = gen.slots.filter((s) => s.start >= hour && s.start < hour + HOUR_MS).reduce((sum, s) => sum + s.tenths * 100, 0);
    expect(row!.amount).toBe(expected);
    expect(ledger.exchanges(DEV)).toHaveLength(1);
  });
});

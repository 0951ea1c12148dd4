/**
 * The pure arithmetic of consumption: counter differences (rollover, reset), meter exchanges, and the linear
 * spreading of each difference over the hours it spans. Amounts are integers in the reading's smallest unit
 * (`toUnits`), so sums are exact; no I/O here.
 */
import type { ReadingName } from '../../domain/readings.js';
import { READING_KINDS } from '../../domain/readings.js';

export const HOUR_MS = 3_600_000;

/** Integer units per canonical unit: Wh in mWh, m³ in cm³ (ml), pulses as they are. */
const SCALE: Readonly<Record<string, number>> = { Wh: 1000, 'm³': 1_000_000, '': 1 };

export function scaleOf(reading: ReadingName): number {
  return SCALE[READING_KINDS[reading].unit] ?? 1000;
}

/** A canonical value (e.g. 1234.5 Wh) as exact integer units (1234500 mWh); float noise is rounded away. */
export function toUnits(value: number, reading: ReadingName): number {
  return Math.round(value * scaleOf(reading));
}

export function fromUnits(units: number, reading: ReadingName): number {
  return units / scaleOf(reading);
}

export type DeltaKind = 'increase' | 'rollover' | 'reset';

/**
 * The consumption between two counter values. A drop is a rollover when going forward around the counter's
 * circle is the shorter way (`rollover - prev + next < rollover / 2`, i.e. prev in the top half of the range
 * and next close above zero); otherwise it is a reset, and the new value is what was consumed since the reset.
 * Never negative.
 */
export function counterDelta(prev: number, next: number, rollover?: number): { amount: number; kind: DeltaKind } {
  if (next >= prev) return { amount: next - prev, kind: 'increase' };
  if (rollover !== undefined && prev < rollover && next < rollover) {
    const wrapped = rollover - prev + next;
    if (2 * wrapped < rollover) return { amount: wrapped, kind: 'rollover' };
  }
  return { amount: next, kind: 'reset' };
}

/**
 * A point on a meter's timeline: a reading (`before === after`), or a meter exchange, where the old meter ends
 * at `before` (its final reading) and the new one starts at `after`.
 */
export interface Mark {
  readonly t: number;
  readonly before: number;
  readonly after: number;
  readonly exchange: boolean;
  /** Counter width of the reading, in units (undefined: no rollover known, every drop is a reset). */
  readonly rollover?: number;
}

/** Timeline order: by time; at the same time an exchange comes first (a reading at T is the new meter's). */
export const byTimeline = (a: Mark, b: Mark): number => a.t - b.t || Number(b.exchange) - Number(a.exchange);

/** Consumption `amount` over [t0, t1], assumed linear in time (t0 === t1: all at that instant). */
export interface Interval {
  readonly t0: number;
  readonly t1: number;
  readonly amount: number;
  readonly kind: DeltaKind;
}

/** The intervals between consecutive marks (sorted with `byTimeline`). */
export function intervals(marks: readonly Mark[]): Interval[] {
  const out: Interval[] = [];
  for (let i = 1; i < marks.length; i++) {
    const a = marks[i - 1]!;
    const b = marks[i]!;
    const { amount, kind } = counterDelta(a.after, b.before, b.rollover ?? a.rollover);
    out.push({ t0: a.t, t1: b.t, amount, kind });
  }
  return out;
}

/**
 * The part of an interval's amount consumed before instant x, rounded down to a unit. A bucket [s, e) gets
 * `consumedBefore(e) - consumedBefore(s)`: the shares of adjacent buckets telescope, so they always add up to
 * the interval's amount exactly, however the range is cut (hours, days, months).
 */
export function consumedBefore(iv: Interval, x: number): number {
  if (x <= iv.t0) return 0;
  if (x >= iv.t1) return iv.amount;
  return Number((BigInt(iv.amount) * BigInt(x - iv.t0)) / BigInt(iv.t1 - iv.t0));
}

export const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * Hourly (UTC) amounts of the intervals within [from, to) (hour-aligned). Every hour an interval touches gets an
 * entry, zero included, so a recomputed hour is always rewritten.
 */
export function hourlyAmounts(ivs: readonly Interval[], from: number, to: number): Map<number, number> {
  const hours = new Map<number, number>();
  for (const iv of ivs) {
    const first = Math.max(from, floorHour(iv.t0));
    const last = Math.min(to - HOUR_MS, iv.t1 > iv.t0 ? floorHour(iv.t1 - 1) : floorHour(iv.t0));
    for (let h = first; h <= last; h += HOUR_MS) {
      const share = consumedBefore(iv, h + HOUR_MS) - consumedBefore(iv, h);
      hours.set(h, (hours.get(h) ?? 0) + share);
    }
  }
  return hours;
}

/**
 * The town's calendar (Intl only): where local days and months begin, DST-correct — in Europe/Berlin the day of
 * the spring switch has 23 hours and the autumn one 25.
 */
import { HOUR_MS, floorHour } from './engine.js';

export type Resolution = 'hour' | 'day' | 'month';
export const RESOLUTIONS = ['hour', 'day', 'month'] as const satisfies readonly Resolution[];

interface Fields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const STEP_MS = 15 * 60_000; // every time zone's offset and transition is a multiple of 15 minutes

export class TownCalendar {
  private readonly format: Intl.DateTimeFormat;
  private readonly dateStarts = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Local wall-clock fields of an instant. */
  fields(ms: number): Fields {
    const f: Record<string, number> = {};
    for (const p of this.format.formatToParts(ms)) if (p.type !== 'literal') f[p.type] = Number(p.value);
    return { year: f.year!, month: f.month!, day: f.day!, hour: f.hour!, minute: f.minute!, second: f.second! };
  }

  /** Local time minus UTC at an instant, in ms. */
  offset(ms: number): number {
    const f = this.fields(ms);
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ms / 1000) * 1000;
  }

  /** The first instant of a local date; out-of-range days and months roll over (day 32, month 13). */
  startOfDate(year: number, month: number, day: number): number {
    const wall = Date.UTC(year, month - 1, day);
    const cached = this.dateStarts.get(wall);
    if (cached !== undefined) return cached;
    let t = wall - this.offset(wall);
    t = wall - this.offset(t);
    if (this.localDate(t) !== wall || this.localDate(t - 1) === wall) {
      // Midnight skipped by a DST switch, or a guess on the wrong side of one: walk to the date's first instant.
      t -= 3 * HOUR_MS;
      while (this.localDate(t) < wall) t += STEP_MS;
    }
    this.dateStarts.set(wall, t);
    return t;
  }

  /** The local date of an instant as the UTC midnight of the same calendar date (comparable numbers). */
  private localDate(ms: number): number {
    const f = this.fields(ms);
    return Date.UTC(f.year, f.month - 1, f.day);
  }

  dayStart(ms: number): number {
    const f = this.fields(ms);
    return this.startOfDate(f.year, f.month, f.day);
  }

  monthStart(ms: number): number {
    const f = this.fields(ms);
    return this.startOfDate(f.year, f.month, 1);
  }

  /** Start of the bucket of the given resolution that contains `ms`. */
  bucketStart(resolution: Resolution, ms: number): number {
    switch (resolution) {
      case 'hour':
        return floorHour(ms);
      case 'day':
        return this.dayStart(ms);
      case 'month':
        return this.monthStart(ms);
    }
  }

  /** End (exclusive) of the bucket that starts at `start`. */
  bucketEnd(resolution: Resolution, start: number): number {
    const f = this.fields(start);
    switch (resolution) {
      case 'hour':
        return start + HOUR_MS;
      case 'day':
        return this.startOfDate(f.year, f.month, f.day + 1);
      case 'month':
        return this.startOfDate(f.year, f.month + 1, 1);
    }
  }

  /** ISO 8601 with the town's offset, e.g. `2025-03-30T00:00:00+01:00`. */
  iso(ms: number): string {
    const f = this.fields(ms);
    const off = Math.round(this.offset(ms) / 60_000);
    const two = (n: number) => String(n).padStart(2, '0');
    const sign = off < 0 ? '-' : '+';
    const date = `${String(f.year).padStart(4, '0')}-${two(f.month)}-${two(f.day)}T${two(f.hour)}:${two(f.minute)}:${two(f.second)}`;
    return `${date}${sign}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
  }
}

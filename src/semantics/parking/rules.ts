import { z } from 'zod';
import { localParts, localToInstant } from './zoned-time.js';

/**
 * A zone's parking rule: at most `maxMinutes` of parking while the rule applies — on the listed weekdays between
 * `from` and `to`, local time in the town's time zone (e.g. Mo–Sa 08:00–18:00). Like a parking disc, the clock of
 * a car that arrived before the rule hours began starts when they begin; outside the rule hours nobody overstays.
 */
export const WEEKDAYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;

export const zoneRuleSchema = z
  .object({
    maxMinutes: z.number().int().min(1).max(7 * 24 * 60),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
    from: z.string().regex(hhmm, 'local time HH:MM'),
    to: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'local time HH:MM (24:00 = midnight at the end of the day)'),
  })
  .refine((r) => minuteOfDay(r.from) < minuteOfDay(r.to), { message: '`from` must be before `to` (windows across midnight are not supported)', path: ['to'] });

export type ZoneRule = z.output<typeof zoneRuleSchema>;

export function minuteOfDay(hhmmText: string): number {
  const [h, m] = hhmmText.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The start of the rule window containing `nowMs`, or undefined while the rule does not apply. */
export function windowStart(rule: ZoneRule, nowMs: number, timeZone: string): number | undefined {
  const p = localParts(nowMs, timeZone);
  if (!rule.days.includes(WEEKDAYS[p.weekday - 1]!)) return undefined;
  const start = localToInstant(p.year, p.month, p.day, minuteOfDay(rule.from), timeZone);
  const end = localToInstant(p.year, p.month, p.day, minuteOfDay(rule.to), timeZone);
  return nowMs >= start && nowMs < end ? start : undefined;
}

export interface Overstay {
  readonly limitMinutes: number;
  /** Whole minutes beyond the limit (0 during the first minute over). */
  readonly overMinutes: number;
}

/** Whether a car parked since `sinceMs` overstays at `nowMs`: only inside the rule hours, counted from their start. */
export function overstay(rule: ZoneRule, sinceMs: number, nowMs: number, timeZone: string): Overstay | undefined {
  const start = windowStart(rule, nowMs, timeZone);
  if (start === undefined) return undefined;
  const counted = nowMs - Math.max(sinceMs, start);
  const limit = rule.maxMinutes * 60_000;
  if (counted <= limit) return undefined;
  return { limitMinutes: rule.maxMinutes, overMinutes: Math.floor((counted - limit) / 60_000) };
}

import { z } from 'zod';

/**
 * Per-gauge thresholds and the alarm state machine normal → warning → alarm. `above`: rising water is the danger
 * (rivers); `below`: falling (cisterns, tanks). A state is entered when the level reaches its threshold and left
 * only once the level is back beyond the threshold by the hysteresis, so a sensor flapping around a threshold
 * does not toggle. Escalation may skip a step (normal → alarm) and so may the way back (alarm → normal).
 */
export const DEFAULT_HYSTERESIS_MM = 50;

export const thresholdsSchema = z
  .object({
    direction: z.enum(['above', 'below']),
    warning: z.number().finite().optional(),
    alarm: z.number().finite().optional(),
    hysteresisMm: z.number().finite().min(0).max(100_000).default(DEFAULT_HYSTERESIS_MM),
  })
  .superRefine((t, ctx) => {
    if (t.warning === undefined && t.alarm === undefined) ctx.addIssue({ code: 'custom', message: 'set `warning`, `alarm` or both', path: ['warning'] });
    if (t.warning !== undefined && t.alarm !== undefined) {
      if (t.direction === 'above' && t.alarm <= t.warning) ctx.addIssue({ code: 'custom', message: 'with direction "above" the alarm threshold must be above the warning threshold', path: ['alarm'] });
      if (t.direction === 'below' && t.alarm >= t.warning) ctx.addIssue({ code: 'custom', message: 'with direction "below" the alarm threshold must be below the warning threshold', path: ['alarm'] });
    }
  });

export type Thresholds = z.output<typeof thresholdsSchema>;
export type Severity = 'normal' | 'warning' | 'alarm';

const RANK: Readonly<Record<Severity, number>> = { normal: 0, warning: 1, alarm: 2 };
const BY_RANK: readonly Severity[] = ['normal', 'warning', 'alarm'];

export function thresholdOf(t: Thresholds, severity: Exclude<Severity, 'normal'>): number | undefined {
  return severity === 'warning' ? t.warning : t.alarm;
}

const reached = (t: Thresholds, threshold: number, value: number) => (t.direction === 'above' ? value >= threshold : value <= threshold);
const left = (t: Thresholds, threshold: number, value: number) =>
  t.direction === 'above' ? value < threshold - t.hysteresisMm : value > threshold + t.hysteresisMm;

/** The next severity for a new value; no thresholds: normal. */
export function nextSeverity(current: Severity, value: number, t: Thresholds | undefined): Severity {
  if (!t) return 'normal';
  let entered = 0;
  let held = 0;
  for (const s of ['warning', 'alarm'] as const) {
    const threshold = thresholdOf(t, s);
    if (threshold === undefined) continue;
    if (reached(t, threshold, value)) entered = Math.max(entered, RANK[s]);
    if (RANK[s] <= RANK[current] && !left(t, threshold, value)) held = Math.max(held, RANK[s]);
  }
  return BY_RANK[Math.max(entered, held)]!;
}

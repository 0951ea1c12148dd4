export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

export const fmt = (s: Summary, digits = 0) =>
  `median ${s.median.toFixed(digits)}  min ${s.min.toFixed(digits)}  max ${s.max.toFixed(digits)}`;

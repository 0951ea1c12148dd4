/** A time-series point, independent of the store that keeps it. */
export type FieldValue =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string };

export interface Point {
  readonly measurement: string;
  /** Small, bounded tag set; keys sorted by the mapper. */
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Nanoseconds since the epoch, decimal digits. */
  readonly timeNs: string;
}

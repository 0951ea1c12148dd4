/**
 * The web app's colours, declared once: main.ts turns them into CSS custom properties (`--c-<name>`), and
 * test/ui/contrast.test.ts checks every pair below against WCAG 2.1 (4.5:1 for text, 3:1 for graphics such as
 * map markers and the focus ring). No DOM here: the unit test imports this file under Node.
 */
export const PALETTE = {
  text: '#1b2430',
  muted: '#4b5563',
  bg: '#ffffff',
  surface: '#f3f5f7',
  border: '#7b8594',
  brand: '#0b4a6f',
  onBrand: '#ffffff',
  link: '#0a58a8',
  focus: '#0a58a8',
  focusOnBrand: '#ffd166',
  free: '#15803d',
  occupied: '#b91c1c',
  stale: '#5b6472',
  warning: '#8a4b00',
  warningBg: '#fff4d6',
  alarm: '#b42318',
  alarmBg: '#fde8e7',
  ok: '#166534',
  okBg: '#e7f6ec',
  mapBg: '#e6ebe4',
  chart: '#0b4a6f',
  error: '#b42318',
} as const;

export type ColorName = keyof typeof PALETTE;

/** A colour pair that must reach `min` contrast, and why. */
export interface ContrastPair {
  readonly fg: ColorName;
  readonly bg: ColorName;
  readonly min: 3 | 4.5;
  readonly use: string;
}

export const CONTRAST_PAIRS: readonly ContrastPair[] = [
  { fg: 'text', bg: 'bg', min: 4.5, use: 'body text' },
  { fg: 'text', bg: 'surface', min: 4.5, use: 'text on panels and table headers' },
  { fg: 'muted', bg: 'bg', min: 4.5, use: 'secondary text' },
  { fg: 'muted', bg: 'surface', min: 4.5, use: 'secondary text on panels' },
  { fg: 'link', bg: 'bg', min: 4.5, use: 'links' },
  { fg: 'link', bg: 'surface', min: 4.5, use: 'links on panels' },
  { fg: 'onBrand', bg: 'brand', min: 4.5, use: 'header text and primary buttons' },
  { fg: 'onBrand', bg: 'free', min: 4.5, use: 'badge "frei"' },
  { fg: 'onBrand', bg: 'occupied', min: 4.5, use: 'badge "belegt"' },
  { fg: 'onBrand', bg: 'stale', min: 4.5, use: 'badge "unbekannt"' },
  { fg: 'onBrand', bg: 'alarm', min: 4.5, use: 'badge "Alarm"' },
  { fg: 'warning', bg: 'warningBg', min: 4.5, use: 'badge "Warnung"' },
  { fg: 'alarm', bg: 'alarmBg', min: 4.5, use: 'alarm notices' },
  { fg: 'ok', bg: 'okBg', min: 4.5, use: 'badge "normal" / "online"' },
  { fg: 'error', bg: 'bg', min: 4.5, use: 'form errors' },
  { fg: 'free', bg: 'mapBg', min: 3, use: 'free bay marker on the plain map background' },
  { fg: 'occupied', bg: 'mapBg', min: 3, use: 'occupied bay marker on the plain map background' },
  { fg: 'stale', bg: 'mapBg', min: 3, use: 'unknown bay marker on the plain map background' },
  { fg: 'focus', bg: 'bg', min: 3, use: 'focus ring' },
  { fg: 'focus', bg: 'surface', min: 3, use: 'focus ring on panels' },
  { fg: 'focusOnBrand', bg: 'brand', min: 3, use: 'focus ring in the header' },
  { fg: 'border', bg: 'bg', min: 3, use: 'form field borders' },
  { fg: 'chart', bg: 'bg', min: 3, use: 'chart bars and lines' },
];

/** WCAG 2.1 relative luminance of `#rrggbb`. */
export function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
}

/** WCAG 2.1 contrast ratio of two `#rrggbb` colours (1 … 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

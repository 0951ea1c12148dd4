/** Numbers, amounts and dates for the current language (Intl), dates in the town's time zone. */
import { appConfig } from './config.js';
import { locale, t } from './i18n/index.js';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(key: string, make: () => T): T {
  const k = `${locale()}|${appConfig().timeZone}|${key}`;
  let f = cache.get(k) as T | undefined;
  if (!f) cache.set(k, (f = make()));
  return f;
}

export function num(value: number, minDigits = 0, maxDigits = minDigits): string {
  return cached(`n${minDigits}.${maxDigits}`, () => new Intl.NumberFormat(locale(), { minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits })).format(value);
}

/** Wh → "1.234,5 kWh" (de) / "1,234.5 kWh" (en). */
export const kwh = (wh: number): string => `${num(wh / 1000, 1)} kWh`;
/** W → "850 W" or "7,3 kW". */
export const power = (w: number): string => (Math.abs(w) >= 1000 ? `${num(w / 1000, 1)} kW` : `${num(w, 0)} W`);
export const m3 = (v: number): string => `${num(v, 3)} m³`;
/** Levels in centimetres, as river gauges are read. */
export const cm = (mm: number): string => `${num(mm / 10, 0)} cm`;
export const percent = (p: number): string => `${num(p, 0)} %`;

/** An amount in a reading's canonical unit (Wh, m³, pulses), in the unit people read it in. */
export function amount(value: number, unit: string): string {
  if (unit === 'Wh') return kwh(value);
  if (unit === 'm³') return m3(value);
  return unit ? `${num(value, 0, 3)} ${unit}` : num(value, 0);
}

/** The display unit of `amount` (for axis labels). */
export const amountUnit = (unit: string): string => (unit === 'Wh' ? 'kWh' : unit);
/** The number `amount` shows, without the unit (for charts). */
export const amountValue = (value: number, unit: string): number => (unit === 'Wh' ? value / 1000 : value);

/** A reading's current value with its unit. */
export function reading(value: number | boolean | string, unit: string): string {
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'string') return value;
  if (unit === 'Wh') return kwh(value);
  if (unit === 'W') return power(value);
  const digits = Number.isInteger(value) ? 0 : Math.abs(value) < 10 ? 3 : 1;
  return unit ? `${num(value, 0, digits)} ${unit}` : num(value, 0, digits);
}

const date = (iso: string | number | undefined): Date | undefined => (iso === undefined ? undefined : new Date(iso));

export function dateTime(iso: string | number | undefined): string {
  const d = date(iso);
  return d ? cached('dt', () => new Intl.DateTimeFormat(locale(), { timeZone: appConfig().timeZone, dateStyle: 'medium', timeStyle: 'short' })).format(d) : '–';
}

export function time(iso: string | number | undefined): string {
  const d = date(iso);
  return d ? cached('t', () => new Intl.DateTimeFormat(locale(), { timeZone: appConfig().timeZone, hour: '2-digit', minute: '2-digit' })).format(d) : '–';
}

/** The label of a consumption bucket: hour "14:00", day "Mo., 03.11.", month "Nov. 2025". */
export function bucket(iso: string | number, resolution: 'hour' | 'day' | 'month'): string {
  const tz = appConfig().timeZone;
  const d = new Date(iso);
  if (resolution === 'hour') return cached('bh', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' })).format(d);
  if (resolution === 'day') return cached('bd', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, weekday: 'short', day: '2-digit', month: '2-digit' })).format(d);
  return cached('bm', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, month: 'short', year: 'numeric' })).format(d);
}

/** A short axis tick label for a bucket start. */
export function tick(ms: number, resolution: 'hour' | 'day' | 'month'): string {
  const tz = appConfig().timeZone;
  const d = new Date(ms);
  if (resolution === 'hour') return cached('th', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, hour: '2-digit', minute: '2-digit' })).format(d);
  if (resolution === 'day') return cached('td', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, day: '2-digit', month: '2-digit' })).format(d);
  return cached('tm', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, month: 'short' })).format(d);
}

/** A time-axis tick: seconds when ticks are less than a minute apart, the date when they are days apart. */
export function axisTime(ms: number, stepSeconds: number): string {
  const tz = appConfig().timeZone;
  if (stepSeconds < 60) return cached('ats', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit' })).format(new Date(ms));
  if (stepSeconds < 86_400) return time(ms);
  return cached('atd', () => new Intl.DateTimeFormat(locale(), { timeZone: tz, day: '2-digit', month: '2-digit' })).format(new Date(ms));
}

/** "vor 5 Minuten" / "5 minutes ago". */
export function relative(iso: string | number | undefined, now = Date.now()): string {
  const d = date(iso);
  if (!d) return t('common.never');
  const s = Math.round((d.getTime() - now) / 1000);
  const rtf = cached('rel', () => new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' }));
  const abs = Math.abs(s);
  if (abs < 60) return rtf.format(s, 'second');
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86_400), 'day');
}

/** Whole minutes as "2 h 05 min" / "45 min". */
export function duration(minutes: number): string {
  const m = Math.max(0, Math.floor(minutes));
  const hours = Math.floor(m / 60);
  return hours > 0 ? t('unit.hoursMinutes', { h: num(hours, 0), m: String(m % 60).padStart(2, '0') }) : t('unit.minutes', { m });
}

/** The local calendar date (YYYY-MM-DD) of an instant in the town's time zone. */
export function localDate(ms: number): string {
  return cached('iso', () => new Intl.DateTimeFormat('en-CA', { timeZone: appConfig().timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })).format(new Date(ms));
}

/** A site id as a name: "grundschule-nord" → "Grundschule Nord". */
export function siteLabel(id: string | undefined): string {
  if (!id) return '–';
  return id
    .split(/[-_.]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

import { MEASUREMENTS, READING_KINDS, type Measurement, type ReadingKind, type ReadingName } from '../domain/readings.js';
import type { Catalog, DeviceModel } from '../registry/catalog.js';

/**
 * What the dashboards know beyond the reading vocabulary: which dashboard shows a measurement, German names of
 * measurements, Grafana units and alarm thresholds. Typed over `Measurement`, so a new measurement does not
 * compile until it is placed on a dashboard; a new reading of an existing measurement needs nothing here.
 */

export type DashboardKey = 'energie' | 'parken' | 'pegel' | 'geraete';

export const MEASUREMENT_INFO = {
  parking: { de: 'Parken', dashboard: 'parken' },
  electricity: { de: 'Strom', dashboard: 'energie' },
  heat: { de: 'Wärme', dashboard: 'energie' },
  water: { de: 'Wasser', dashboard: 'energie' },
  gas: { de: 'Gas', dashboard: 'energie' },
  pulse: { de: 'Impulszähler', dashboard: 'energie' },
  level: { de: 'Pegel', dashboard: 'pegel' },
  environment: { de: 'Umgebung', dashboard: 'geraete' },
  battery: { de: 'Batterie', dashboard: 'geraete' },
} as const satisfies Record<Measurement, { de: string; dashboard: DashboardKey }>;

/** Grafana unit ids for the vocabulary's units; anything else is shown with its own symbol as suffix. */
const GRAFANA_UNITS: Readonly<Record<string, string>> = {
  '': 'none',
  Wh: 'watth',
  W: 'watt',
  'm³': 'm3',
  '°C': 'celsius',
  '%': 'percent',
  mm: 'lengthmm',
  bar: 'pressurebar',
  V: 'volt',
  dBm: 'dBm',
  dB: 'dB',
};

export function grafanaUnit(unit: string): string {
  return GRAFANA_UNITS[unit] ?? `suffix:${unit}`;
}

/** "Wirkleistung (W)"; unitless readings have no parentheses. */
export function withUnit(title: string, unit: string): string {
  return unit === '' ? title : `${title} (${unit})`;
}

export interface ThresholdStep {
  readonly value: number | null;
  readonly color: string;
}

/**
 * Alarm thresholds drawn into the panels (Grafana steps: the colour applies from `value` upwards). These are
 * defaults for a typical river gauge and cistern; tune them per town here and run `npm run dashboards`.
 */
export const THRESHOLDS: Partial<Record<ReadingName, readonly ThresholdStep[]>> = {
  // Ultrasonic distance to the surface: a small distance means high water.
  distance: [
    { value: null, color: 'red' },
    { value: 500, color: 'orange' },
    { value: 1000, color: 'green' },
  ],
  level: [
    { value: null, color: 'green' },
    { value: 1500, color: 'orange' },
    { value: 2500, color: 'red' },
  ],
  fill: [
    { value: null, color: 'green' },
    { value: 80, color: 'orange' },
    { value: 95, color: 'red' },
  ],
  battery: [
    { value: null, color: 'red' },
    { value: 20, color: 'orange' },
    { value: 40, color: 'green' },
  ],
};

export interface CatalogReading {
  readonly name: ReadingName;
  readonly kind: ReadingKind;
}

/** The readings of a measurement that at least one catalog model produces, in vocabulary order. */
export function catalogReadings(catalog: Catalog, measurement: Measurement): CatalogReading[] {
  const produced = new Set<string>();
  for (const model of catalog.all()) for (const r of model.readings) produced.add(r.spec.name);
  return (Object.keys(READING_KINDS) as ReadingName[])
    .filter((name) => READING_KINDS[name].measurement === measurement && produced.has(name))
    .map((name) => ({ name, kind: READING_KINDS[name] }));
}

/** The measurements of a dashboard that the catalog produces, in vocabulary order. */
export function dashboardMeasurements(catalog: Catalog, dashboard: DashboardKey): Measurement[] {
  return MEASUREMENTS.filter(
    (m) => MEASUREMENT_INFO[m].dashboard === dashboard && catalogReadings(catalog, m).length > 0,
  );
}

/** Catalog models sorted by id (stable output). */
export function modelsSorted(catalog: Catalog): DeviceModel[] {
  return catalog.all().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** "15 min", "1 h", "24 h": an uplink interval for people. */
export function humanInterval(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

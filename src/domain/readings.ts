/**
 * The canonical reading vocabulary. Catalog entries map vendor decoder fields onto these names, so
 * nothing downstream (InfluxDB schema, dashboards, alarms, the web app) depends on vendor field names.
 * Each reading belongs to exactly one InfluxDB measurement (its category).
 */
export const MEASUREMENTS = [
  'parking',
  'electricity',
  'heat',
  'water',
  'gas',
  'pulse',
  'level',
  'environment',
  'battery',
] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

export type ReadingType = 'float' | 'integer' | 'boolean' | 'string';

export interface ReadingKind {
  readonly measurement: Measurement;
  readonly type: ReadingType;
  /** Canonical unit; '' for unitless values (booleans, counts). */
  readonly unit: string;
  /** Cumulative counter (energy, volume, pulses): consumption is derived from differences. */
  readonly counter: boolean;
  readonly label: { readonly de: string; readonly en: string };
}

const k = (
  measurement: Measurement,
  type: ReadingType,
  unit: string,
  de: string,
  en: string,
  counter = false,
): ReadingKind => Object.freeze({ measurement, type, unit, counter, label: Object.freeze({ de, en }) });

export const READING_KINDS = Object.freeze({
  occupied: k('parking', 'boolean', '', 'Stellplatz belegt', 'Bay occupied'),
  vehicle_count: k('parking', 'integer', '', 'Fahrzeugzähler', 'Vehicle counter', true),

  energy_import: k('electricity', 'float', 'Wh', 'Wirkenergie Bezug', 'Active energy import', true),
  energy_export: k('electricity', 'float', 'Wh', 'Wirkenergie Lieferung', 'Active energy export', true),
  power: k('electricity', 'float', 'W', 'Wirkleistung', 'Active power'),

  heat_energy: k('heat', 'float', 'Wh', 'Wärmemenge', 'Heat energy', true),
  heat_power: k('heat', 'float', 'W', 'Wärmeleistung', 'Heat power'),
  heat_volume: k('heat', 'float', 'm³', 'Heizwasser-Volumen', 'Heating water volume', true),
  heat_flow: k('heat', 'float', 'm³/h', 'Durchfluss Heizwasser', 'Heating water flow'),
  flow_temperature: k('heat', 'float', '°C', 'Vorlauftemperatur', 'Flow temperature'),
  return_temperature: k('heat', 'float', '°C', 'Rücklauftemperatur', 'Return temperature'),

  water_volume: k('water', 'float', 'm³', 'Wasserzählerstand', 'Water meter reading', true),
  water_flow: k('water', 'float', 'm³/h', 'Wasserdurchfluss', 'Water flow'),
  gas_volume: k('gas', 'float', 'm³', 'Gaszählerstand', 'Gas meter reading', true),
  pulse_count: k('pulse', 'integer', '', 'Impulszähler', 'Pulse counter', true),

  distance: k('level', 'float', 'mm', 'Abstand zur Oberfläche', 'Distance to surface'),
  level: k('level', 'float', 'mm', 'Pegel', 'Level'),
  fill: k('level', 'float', '%', 'Füllstand', 'Fill level'),
  pressure: k('level', 'float', 'bar', 'Druck', 'Pressure'),
  liquid_alarm: k('level', 'boolean', '', 'Füllstandsalarm', 'Liquid level alarm'),

  temperature: k('environment', 'float', '°C', 'Temperatur', 'Temperature'),
  humidity: k('environment', 'float', '%', 'Luftfeuchte', 'Humidity'),

  battery: k('battery', 'float', '%', 'Batterieladung', 'Battery charge'),
  battery_voltage: k('battery', 'float', 'V', 'Batteriespannung', 'Battery voltage'),
} satisfies Record<string, ReadingKind>);

export type ReadingName = keyof typeof READING_KINDS;

export function isReadingName(name: string): name is ReadingName {
  return Object.hasOwn(READING_KINDS, name);
}

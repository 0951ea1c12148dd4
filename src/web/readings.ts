/** The canonical reading vocabulary (shared with the server) in the user's language. */
import { READING_KINDS, isReadingName } from '../domain/readings.js';
import { getLang } from './i18n/index.js';

export const readingLabel = (name: string): string => (isReadingName(name) ? READING_KINDS[name].label[getLang()] : name);
export const readingUnit = (name: string): string => (isReadingName(name) ? READING_KINDS[name].unit : '');
/** Counters whose differences are consumption (parking's vehicle counter is not). */
export const isConsumption = (name: string): boolean => isReadingName(name) && READING_KINDS[name].counter && READING_KINDS[name].measurement !== 'parking';

/** A model as GET /api/models returns it. */
export interface ModelInfo {
  readonly id: string;
  readonly vendor: string;
  readonly model: string;
  readonly category: string;
  readonly uplinkIntervalSeconds: number;
  readonly readings: readonly { readonly name: string; readonly unit: string; readonly type: string; readonly label: { readonly de: string; readonly en: string } }[];
}

/** The primary consumption reading to chart for a set of readings: electricity first, then heat, water, gas, pulses. */
export const CONSUMPTION_ORDER = ['energy_import', 'heat_energy', 'water_volume', 'gas_volume', 'heat_volume', 'energy_export', 'pulse_count'] as const;

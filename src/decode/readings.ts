import type { ReadingType } from '../domain/readings.js';
import type { CompiledReading, DeviceModel } from '../registry/catalog.js';

export type ReadingValue = number | boolean | string;
export type Readings = Record<string, ReadingValue>;

function at(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Brings a decoded value into the reading's type, or undefined when it cannot be (the reading is skipped). */
function coerce(value: unknown, type: ReadingType, scale: number | undefined): ReadingValue | undefined {
  switch (type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1; // many vendor codecs report occupancy as 0/1
      return undefined;
    case 'string':
      return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
    case 'float':
    case 'integer': {
      // Vendor codecs often return numbers as text with a unit ("2000 mm", "21.50"): parseFloat takes the number.
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : NaN;
      if (!Number.isFinite(n)) return undefined;
      const scaled = scale === undefined ? n : n * scale;
      return type === 'integer' ? Math.round(scaled) : scaled;
    }
  }
}

function extractOne(r: CompiledReading, data: Record<string, unknown>): ReadingValue | undefined {
  const spec = r.spec;
  if (spec.when && r.whenPath && at(data, r.whenPath) !== spec.when.equals) return undefined;
  let value = at(data, r.path);
  if (value === undefined || value === null) return undefined;
  if (spec.map) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    const key = String(value);
    if (!Object.hasOwn(spec.map, key)) return undefined;
    value = spec.map[key];
  }
  return coerce(value, spec.type, spec.scale);
}

/**
 * Maps a decoder's `data` onto canonical readings using the catalog entry. Several catalog lines may feed one
 * reading (a device reporting either cm or mm); the first one present wins. Missing or mistyped values are
 * skipped, never fatal: the rest of the uplink is still stored.
 */
export function extractReadings(model: DeviceModel, data: Record<string, unknown>): Readings {
  const out: Readings = {};
  for (const r of model.readings) {
    if (Object.hasOwn(out, r.spec.name)) continue;
    const value = extractOne(r, data);
    if (value !== undefined) out[r.spec.name] = value;
  }
  return out;
}

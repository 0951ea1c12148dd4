import type { Readings } from '../../decode/readings.js';
import type { FleetDevice } from '../../registry/fleet.js';

/**
 * A gauge's geometry, from its fleet record: `mounting.heightMm` (sensor to the gauge's zero point),
 * `mounting.zeroOffsetMm` (subtracted from every level; default 0) and the optional fleet tag `fullScaleMm`
 * (the level that counts as 100 % — a tank's or cistern's capacity; rivers have none).
 */
export interface GaugeSetup {
  readonly heightMm?: number;
  readonly zeroOffsetMm: number;
  readonly fullScaleMm?: number;
}

export interface DerivedLevel {
  readonly levelMm: number;
  readonly fillPct?: number;
}

export function gaugeSetup(registered: FleetDevice | undefined): GaugeSetup {
  const fullScale = Number(registered?.tags.fullScaleMm);
  return {
    ...(registered?.mounting?.heightMm !== undefined ? { heightMm: registered.mounting.heightMm } : {}),
    zeroOffsetMm: registered?.mounting?.zeroOffsetMm ?? 0,
    ...(Number.isFinite(fullScale) && fullScale > 0 ? { fullScaleMm: fullScale } : {}),
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Level in mm: the model's own `level` reading when it reports one (pressure probes), else
 * heightMm − distance − zeroOffsetMm for distance sensors (ultrasonic, radar); undefined when neither is possible.
 * Fill %: level / fullScaleMm × 100 (clamped to 0–100) when the device has a full scale, else the model's own
 * `fill` reading, else none.
 */
export function deriveLevel(readings: Readings, setup: GaugeSetup): DerivedLevel | undefined {
  const reported = num(readings.level);
  const distance = num(readings.distance);
  let levelMm: number;
  if (reported !== undefined) levelMm = reported - setup.zeroOffsetMm;
  else if (distance !== undefined && setup.heightMm !== undefined) levelMm = setup.heightMm - distance - setup.zeroOffsetMm;
  else return undefined;
  const fillPct = setup.fullScaleMm !== undefined ? Math.min(100, Math.max(0, (levelMm / setup.fullScaleMm) * 100)) : num(readings.fill);
  return { levelMm, ...(fillPct !== undefined ? { fillPct } : {}) };
}

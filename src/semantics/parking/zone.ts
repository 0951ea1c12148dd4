import type { ZoneState } from '../../live/events.js';
import type { Occupancy } from './bay.js';

/** A zone's counts from its bays' occupancy; `stale` counts the unknown bays (silent too long, or never reported). */
export function zoneState(zone: string, bays: readonly { readonly state: Occupancy; readonly overstay: boolean }[]): ZoneState {
  let occupied = 0;
  let free = 0;
  let stale = 0;
  let overstays = 0;
  for (const b of bays) {
    if (b.state === 'occupied') occupied++;
    else if (b.state === 'free') free++;
    else stale++;
    if (b.overstay) overstays++;
  }
  return { zone, total: bays.length, occupied, free, stale, overstays };
}

/** Occupancy rate of the bays with a known state (0–1); undefined when no bay's state is known. */
export function occupancyRate(z: ZoneState): number | undefined {
  const known = z.occupied + z.free;
  return known === 0 ? undefined : z.occupied / known;
}

export const sameCounts = (a: ZoneState | undefined, b: ZoneState): boolean =>
  a !== undefined && a.total === b.total && a.occupied === b.occupied && a.free === b.free && a.stale === b.stale;

export const sameZone = (a: ZoneState | undefined, b: ZoneState): boolean => sameCounts(a, b) && a!.overstays === b.overstays;

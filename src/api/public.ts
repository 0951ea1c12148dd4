/**
 * Deliberately public, read-only routes for the web app's public page and its start-up: aggregate figures only —
 * free spaces per parking zone and the consumption of public buildings today and this month — never DevEUIs,
 * device names or positions. Answers are computed from in-memory state or cached briefly, so anonymous traffic
 * cannot turn into database load.
 */
import { READING_KINDS, isReadingName } from '../domain/readings.js';
import type { PublicBuilding, PublicBuildings, PublicConfig, PublicZone } from '../live/protocol.js';
import { publicZone } from '../live/protocol.js';
import type { Catalog } from '../registry/catalog.js';
import type { Fleet } from '../registry/fleet.js';
import { fromUnits } from '../semantics/energy/engine.js';
import { EnergyModule, counterReadings } from '../semantics/energy/module.js';
import type { SemanticsModule } from '../semantics/module.js';
import { ParkingModule } from '../semantics/parking/module.js';
import type { RouteDef } from './routes.js';

export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
export const DEFAULT_TILE_ATTRIBUTION = '© OpenStreetMap-Mitwirkende';
/** What the public sees of a building: electricity drawn, heat, water and gas — not export, volumes of the heating circuit or raw pulses. */
export const PUBLIC_READINGS = ['energy_import', 'heat_energy', 'water_volume', 'gas_volume'] as const;
/** How long the building figures are reused (they change with meter uplinks, every 15 minutes or so). */
export const BUILDINGS_CACHE_MS = 30_000;

/** The web app's map settings. */
export interface WebSettings {
  /** Leaflet tile URL template with {z}, {x}, {y} (optionally {s}); null: no background tiles. */
  readonly tileUrl: string | null;
  readonly tileAttribution: string;
}

/**
 * WEB_TILE_URL (default OpenStreetMap's tile server; `none` for no tiles, e.g. on a machine without internet)
 * and WEB_TILE_ATTRIBUTION. Throws on a template that is not an http(s) URL with {z}, {x} and {y}.
 */
export function webSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): WebSettings {
  const raw = env.WEB_TILE_URL?.trim();
  const attribution = env.WEB_TILE_ATTRIBUTION?.trim() || DEFAULT_TILE_ATTRIBUTION;
  if (!raw) return { tileUrl: DEFAULT_TILE_URL, tileAttribution: attribution };
  if (raw.toLowerCase() === 'none') return { tileUrl: null, tileAttribution: attribution };
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(raw.replace(/\{[a-z]\}/g, '0')).protocol) && ['{z}', '{x}', '{y}'].every((p) => raw.includes(p));
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`WEB_TILE_URL: must be an http(s) URL template with {z}, {x} and {y} (e.g. ${DEFAULT_TILE_URL}) or "none"`);
  return { tileUrl: raw, tileAttribution: attribution };
}

/** The origin of a tile URL template, for the Content-Security-Policy's img-src (undefined: none needed). */
export function tileOrigin(settings: WebSettings): string | undefined {
  if (!settings.tileUrl) return undefined;
  const u = new URL(settings.tileUrl.replace(/\{[a-z]\}/g, 'x'));
  // {s} subdomains: allow the parent domain's subdomains.
  return settings.tileUrl.includes('{s}.') ? `${u.protocol}//*.${u.host.split('.').slice(1).join('.')}` : u.origin;
}

export interface PublicDeps {
  readonly semantics: readonly SemanticsModule[];
  readonly fleet: Fleet;
  readonly catalog: Catalog;
  readonly timeZone: string;
  readonly web: WebSettings;
  /** Demo users exist. */
  readonly demo: boolean;
  readonly now: () => number;
}

/** Zones and buildings in their public, aggregate form. */
export class PublicData {
  private readonly parking: ParkingModule | undefined;
  private readonly energy: EnergyModule | undefined;
  private cached: { at: number; value: PublicBuildings } | undefined;

  constructor(private readonly deps: PublicDeps) {
    this.parking = deps.semantics.find((m): m is ParkingModule => m instanceof ParkingModule);
    this.energy = deps.semantics.find((m): m is EnergyModule => m instanceof EnergyModule);
  }

  zones(): PublicZone[] {
    return (this.parking?.zoneStates() ?? []).map(publicZone);
  }

  buildings(): PublicBuildings {
    const now = this.deps.now();
    if (this.cached && now - this.cached.at < BUILDINGS_CACHE_MS && now >= this.cached.at) return this.cached.value;
    const value = this.computeBuildings(now);
    this.cached = { at: now, value };
    return value;
  }

  private computeBuildings(now: number): PublicBuildings {
    const energy = this.energy;
    const out: PublicBuilding[] = [];
    if (energy) {
      const sites = new Set<string>();
      for (const d of this.deps.fleet.list()) {
        const model = this.deps.catalog.get(d.model);
        if (d.site !== undefined && d.siteKind !== 'zone' && d.siteKind !== 'gauge' && model && counterReadings(model).length > 0) sites.add(d.site);
      }
      for (const m of energy.ledger.meters()) if (m.site !== undefined && !this.deps.fleet.get(m.devEui)) sites.add(m.site);
      const cal = energy.calendar;
      const dayStart = cal.bucketStart('day', now);
      const monthStart = cal.bucketStart('month', now);
      for (const site of [...sites].sort()) {
        const meters = energy.metersOf(site);
        if (meters.length === 0) continue;
        const devEuis = meters.map((m) => m.devEui);
        const readings = PUBLIC_READINGS.filter((r) => meters.some((m) => m.readings.includes(r)));
        if (readings.length === 0) continue;
        const consumption = readings.map((reading) => {
          const sum = (resolution: 'day' | 'month', start: number) => energy.ledger.buckets(devEuis, reading, resolution, start, start + 1).reduce((s, b) => s + b.amount, 0);
          return {
            reading,
            unit: isReadingName(reading) ? READING_KINDS[reading].unit : '',
            today: fromUnits(sum('day', dayStart), reading),
            month: fromUnits(sum('month', monthStart), reading),
          };
        });
        out.push({ building: site, consumption });
      }
    }
    return { at: new Date(now).toISOString(), timeZone: this.deps.timeZone, buildings: out };
  }
}

const PUBLIC = 'public' as const;

export function publicRoutes(deps: PublicDeps, data = new PublicData(deps)): RouteDef[] {
  const config: PublicConfig = { tileUrl: deps.web.tileUrl, tileAttribution: deps.web.tileAttribution, timeZone: deps.timeZone, demo: deps.demo };
  return [
    {
      method: 'get',
      path: '/api/public/config',
      access: PUBLIC,
      summary: 'Public: what the web app needs before login (map tile URL, the town\'s time zone, demo mode)',
      handler: (_req, res) => {
        res.setHeader('cache-control', 'no-cache');
        res.json(config);
      },
    },
    {
      method: 'get',
      path: '/api/public/zones',
      access: PUBLIC,
      summary: 'Public: free, occupied and unknown parking bays per zone (counts only; no devices)',
      handler: (_req, res) => {
        res.setHeader('cache-control', 'no-cache');
        res.json(data.zones());
      },
    },
    {
      method: 'get',
      path: '/api/public/buildings',
      access: PUBLIC,
      summary: 'Public: consumption of public buildings today and this month, per counter reading (totals only; no devices)',
      handler: (_req, res) => {
        res.setHeader('cache-control', 'no-cache');
        res.json(data.buildings());
      },
    },
  ];
}

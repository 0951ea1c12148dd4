import type { FleetDevice } from '../registry/fleet.js';

/**
 * "Musterstadt": the demo town the simulator runs — parking bays in three zones, meters in five public
 * buildings and gauges on a river and two cisterns. Registered in the fleet like real devices.
 */
interface Group {
  readonly model: string;
  readonly prefix: string;
  readonly count: number;
  readonly site: string;
  readonly siteKind: FleetDevice['siteKind'];
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
}

const GROUPS: readonly Group[] = [
  { model: 'nwave-nps405', prefix: 'a0', count: 8, site: 'marktplatz', siteKind: 'zone', name: 'Stellplatz Marktplatz', lat: 51.2562, lon: 7.1508 },
  { model: 'netvox-r719a', prefix: 'a1', count: 6, site: 'bahnhof', siteKind: 'zone', name: 'Stellplatz Bahnhof', lat: 51.2545, lon: 7.1496 },
  { model: 'bosch-tps110', prefix: 'a2', count: 4, site: 'rathaus-parkplatz', siteKind: 'zone', name: 'Stellplatz Rathaus', lat: 51.2571, lon: 7.1522 },
  { model: 'emu-prof-ii', prefix: 'b0', count: 5, site: 'building', siteKind: 'building', name: 'Stromzähler', lat: 51.256, lon: 7.15 },
  { model: 'elvaco-cmi4140', prefix: 'b1', count: 2, site: 'building', siteKind: 'building', name: 'Wärmezähler', lat: 51.256, lon: 7.15 },
  { model: 'milesight-em300-di', prefix: 'b2', count: 2, site: 'building', siteKind: 'building', name: 'Wasserzähler', lat: 51.256, lon: 7.15 },
  { model: 'dragino-ldds75', prefix: 'c0', count: 2, site: 'wupper', siteKind: 'gauge', name: 'Pegel Wupper', lat: 51.2589, lon: 7.1455 },
  { model: 'decentlab-dl-mbx', prefix: 'c1', count: 2, site: 'zisterne', siteKind: 'gauge', name: 'Zisterne', lat: 51.2532, lon: 7.1577 },
];

const BUILDINGS = ['rathaus', 'grundschule-nord', 'gymnasium-mitte', 'stadtbibliothek', 'feuerwache'];

export function demoDevices(): FleetDevice[] {
  const out: FleetDevice[] = [];
  for (const g of GROUPS) {
    for (let i = 0; i < g.count; i++) {
      const site = g.site === 'building' ? BUILDINGS[i % BUILDINGS.length]! : g.site;
      out.push({
        devEui: `70b3d5e75e${g.prefix}${String(i + 1).padStart(4, '0')}`,
        model: g.model,
        name: `${g.name} ${g.site === 'building' ? site : i + 1}`,
        site,
        siteKind: g.siteKind,
        lat: g.lat + (i % 4) * 0.00012,
        lon: g.lon + Math.floor(i / 4) * 0.00018,
        tags: { demo: 'true' },
        ...(g.siteKind === 'gauge' ? { mounting: { heightMm: 4000, zeroOffsetMm: 0 } } : {}),
      });
    }
  }
  return out;
}

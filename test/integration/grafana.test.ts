import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instant, StatusEvent, UplinkEvent } from '../../src/domain/events.js';
import type { Point } from '../../src/domain/point.js';
import { READING_KINDS } from '../../src/domain/readings.js';
import { buildDashboards, type GeneratedDashboard } from '../../src/grafana/dashboards.js';
import { renderFiles } from '../../src/grafana/render.js';
import { Catalog, type DeviceModel } from '../../src/registry/catalog.js';
import { toLineProtocol } from '../../src/store/line-protocol.js';
import { eventPoint, joinPoint, linkPoint, logPoint, readingPoints, statusPoint, type SeriesTags } from '../../src/store/mapping.js';
import { Influxd } from '../helpers/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DB = 'stadtpuls';

// One simulated day, 2025-01-14 20:00Z … 2025-01-15 20:00Z: it crosses midnight in Berlin (23:00Z, UTC+1 in
// January), so the daily panels have two calendar days and one difference.
const FROM = Date.UTC(2025, 0, 14, 20, 0, 0);
const TO = FROM + 24 * 3600_000;
const HOUR = 3600_000;
const BERLIN_OFFSET = HOUR; // CET, no DST switch in January
const SITES = { parking: ['marktplatz', 'bahnhof'], meter: ['rathaus', 'grundschule-nord'], level: ['wupper', 'zisterne'] } as const;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const instant = (ms: number): Instant => ({ ms, ns: (BigInt(ms) * 1_000_000n).toString() });

interface SimDevice {
  readonly devEui: string;
  readonly model: DeviceModel;
  readonly site: string;
  /** Every uplink: time and readings. */
  readonly uplinks: { ms: number; readings: Record<string, number | boolean> }[];
  decoderErrors: number;
}

const FLOAT_RANGES: Record<string, [number, number]> = {
  W: [200, 3000],
  '°C': [5, 25],
  '%': [10, 95],
  mm: [300, 3000],
  bar: [0.1, 1],
  V: [3, 3.6],
  'm³/h': [0, 2],
};
const COUNTER_STEP: Record<string, [number, number]> = { Wh: [50, 400], 'm³': [0.01, 0.2], '': [0, 5] };

/** A day of uplinks for two devices of every catalog model, with readings from the model's own reading list. */
function simulate(catalog: Catalog): { devices: SimDevice[]; points: Point[] } {
  const random = rng(8);
  const between = (lo: number, hi: number) => lo + (hi - lo) * random();
  const devices: SimDevice[] = [];
  const points: Point[] = [];
  const models = catalog.all().sort((a, b) => a.id.localeCompare(b.id));
  models.forEach((model, mi) => {
    const names = [...new Set(model.readings.map((r) => r.spec.name))].filter((n) => READING_KINDS[n].type !== 'string');
    for (let i = 0; i < 2; i++) {
      const devEui = `70b3d5e75e${mi.toString(16).padStart(2, '0')}${String(i + 1).padStart(4, '0')}`;
      const site = SITES[model.category][i]!;
      const series: SeriesTags = { devEui, model: model.id, site };
      const dev: SimDevice = { devEui, model, site, uplinks: [], decoderErrors: 0 };
      devices.push(dev);
      // Parking sensors report on change (every 20 min to 3 h); the others every 15 minutes, a little offset.
      const times: number[] = [];
      // One parking model starts late: its bay has no state (null, not another bay's) before its first report.
      const late = model.category === 'parking' && mi % 3 === 0 ? 3 * HOUR : 0;
      if (model.category === 'parking') for (let t = FROM + late + 60_000 * (7 + mi + i); t < TO; t += Math.round(between(20, 180)) * 60_000) times.push(t);
      else for (let t = FROM + 1000 * (11 + 3 * mi + 29 * i); t < TO; t += 15 * 60_000) times.push(t);
      const state: Record<string, number | boolean> = {};
      for (const name of names) {
        const kind = READING_KINDS[name];
        if (kind.counter) state[name] = kind.type === 'integer' ? 10_000 : 100_000;
        else if (kind.type === 'boolean') state[name] = random() < 0.5;
      }
      times.forEach((ms, k) => {
        const readings: Record<string, number | boolean> = {};
        for (const name of names) {
          const kind = READING_KINDS[name];
          if (kind.counter) {
            const [lo, hi] = COUNTER_STEP[kind.unit] ?? [0, 10];
            const step = kind.type === 'integer' ? Math.round(between(lo, hi)) : Math.round(between(lo, hi) * 1000) / 1000;
            state[name] = Math.round(((state[name] as number) + step) * 1000) / 1000;
            readings[name] = state[name];
          } else if (kind.type === 'boolean') {
            if (name === 'occupied') state[name] = !state[name];
            else if (k % 16 === 0) state[name] = !state[name];
            readings[name] = state[name] as boolean;
          } else {
            const [lo, hi] = FLOAT_RANGES[kind.unit] ?? [0, 100];
            readings[name] = kind.type === 'integer' ? Math.round(between(lo, hi)) : Math.round(between(lo, hi) * 100) / 100;
          }
        }
        dev.uplinks.push({ ms, readings });
        const up: UplinkEvent = {
          kind: 'up',
          source: 'chirpstack_v4_json',
          time: instant(ms),
          device: { devEui, tags: { model: model.id, site } },
          id: `${devEui}-${k}`,
          fCnt: k + 1,
          fPort: 2,
          bytes: new Uint8Array(8),
          confirmed: false,
          radio: {
            gateways: 1 + Math.floor(random() * 3),
            rssi: Math.round(between(-120, -60)),
            snr: Math.round(between(-10, 10) * 4) / 4,
            dr: 5,
            frequency: 868_100_000,
            spreadingFactor: 7,
          },
        };
        points.push(linkPoint(up, series), ...readingPoints(readings, up.time.ns, series));
      });
      // Network-server status every 6 h, a join at the start, a log line and a decoder error every 8 h.
      for (let t = FROM + 5 * 60_000; t < TO; t += 6 * HOUR) {
        const status: StatusEvent = {
          kind: 'status',
          source: 'chirpstack_v4_json',
          time: instant(t + i * 1000),
          device: { devEui, tags: {} },
          id: `${devEui}-s-${t}`,
          margin: Math.round(between(0, 20)),
          externalPowerSource: false,
          batteryLevelUnavailable: false,
          batteryLevel: Math.round(between(20, 100)),
        };
        points.push(statusPoint(status, series));
      }
      points.push(
        joinPoint({ kind: 'join', source: 'chirpstack_v4_json', time: instant(FROM + 1000), device: { devEui, tags: {} }, id: `${devEui}-j`, devAddr: '01020304' }, series),
        logPoint(
          { kind: 'log', source: 'chirpstack_v4_json', time: instant(FROM + 2 * HOUR), device: { devEui, tags: {} }, level: 'WARNING', code: 'UPLINK_F_CNT_RETRANSMISSION', description: 'retransmission', context: {} },
          series,
        ),
      );
      for (let t = FROM + 90_000; t < TO; t += 8 * HOUR) {
        points.push(eventPoint(series, instant(t + i).ns, 'decoder_error', { reason: 'decoder_error', description: 'decoder returned errors: unknown fPort' }));
        dev.decoderErrors++;
      }
    }
  });
  return { devices, points };
}

// ---- the dashboards' queries --------------------------------------------------------------------------

interface Target {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly query: string;
}

function panelsOf(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of d.panels ?? []) {
    if (p.type === 'row') out.push(...((p as RowPanel).panels ?? []));
    else out.push(p);
  }
  return out;
}

function targetsOf(g: GeneratedDashboard): Target[] {
  const out: Target[] = [];
  for (const p of panelsOf(g.dashboard)) {
    for (const t of (p.targets ?? []) as unknown as { refId: string; query?: string; datasource?: { type?: string } }[]) {
      if (t.datasource?.type === '__expr__') continue; // Grafana-side math over A and B
      expect(t.datasource?.type, `${g.file} / ${p.title}`).toBe('influxdb');
      out.push({ dashboard: g.file, panel: p.title ?? '', refId: t.refId, query: t.query ?? '' });
    }
  }
  return out;
}

const TIME_FILTER = `time >= ${FROM}ms and time <= ${TO}ms`;

/** Grafana's macro and variable substitution, for one value per variable (a regex alternation for multi). */
function substitute(query: string, vars: Readonly<Record<string, string>>): string {
  return query
    .replaceAll('$timeFilter', TIME_FILTER)
    .replaceAll('$__interval', '1h')
    .replace(/\$(\w+)/g, (whole, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`unknown variable ${whole} in ${query}`);
      return value;
    });
}

interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

let influx: Influxd;
let catalog: Catalog;
let sim: ReturnType<typeof simulate>;
let dashboards: GeneratedDashboard[];

async function query(q: string): Promise<InfluxSeries[]> {
  const res = await fetch(`${influx.url}/query?db=${DB}&epoch=ms&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { error?: string; results?: { error?: string; series?: InfluxSeries[] }[] };
  const error = body.error ?? body.results?.[0]?.error;
  if (error) throw new Error(`${error}\n  in: ${q}`);
  return body.results?.[0]?.series ?? [];
}

const hasValue = (series: InfluxSeries[]) => series.some((s) => s.values.some((row) => row.some((v, i) => s.columns[i] !== 'time' && v !== null)));

function findTarget(file: string, predicate: (q: string) => boolean): Target {
  const found = dashboards.filter((d) => d.file === file).flatMap(targetsOf).filter((t) => predicate(t.query));
  expect(found.length, `a query in ${file}`).toBeGreaterThan(0);
  return found[0]!;
}

const seriesOf = (series: InfluxSeries[], devEui: string) => series.find((s) => s.tags?.dev_eui === devEui);
const valuesByTime = (s: InfluxSeries | undefined, column: string) => {
  const i = s?.columns.indexOf(column) ?? -1;
  return new Map((s?.values ?? []).map((row) => [row[0] as number, row[i]]));
};

/** What `non_negative_difference(last(x)) GROUP BY time(bucket)` means, computed from the simulated uplinks. */
function expectedDifferences(dev: SimDevice, field: string, bucketOf: (ms: number) => number): Map<number, number> {
  const last = new Map<number, number>();
  for (const u of dev.uplinks) if (typeof u.readings[field] === 'number') last.set(bucketOf(u.ms), u.readings[field]);
  const buckets = [...last.keys()].sort((a, b) => a - b);
  const out = new Map<number, number>();
  for (let i = 1; i < buckets.length; i++) {
    const d = last.get(buckets[i]!)! - last.get(buckets[i - 1]!)!;
    if (d >= 0) out.set(buckets[i]!, d);
  }
  return out;
}

const hourOf = (ms: number) => Math.floor(ms / HOUR) * HOUR;
const berlinDayOf = (ms: number) => Math.floor((ms + BERLIN_OFFSET) / (24 * HOUR)) * 24 * HOUR - BERLIN_OFFSET;

beforeAll(async () => {
  catalog = await Catalog.load(path.join(ROOT, 'devices'), path.join(ROOT, 'decoders'));
  dashboards = buildDashboards(catalog);
  sim = simulate(catalog);
  influx = await Influxd.create();
  await influx.start();
  await influx.createDatabase(DB);
  const res = await fetch(`${influx.url}/write?db=${DB}&precision=ns`, { method: 'POST', body: toLineProtocol(sim.points) });
  expect(res.status, await res.text()).toBe(204);
});

afterAll(async () => {
  await influx?.cleanup();
});

describe('generated dashboards', () => {
  it('the committed files in dashboards/ are what the generator writes', async () => {
    const files = renderFiles(catalog);
    for (const [file, content] of files) {
      const committed = await readFile(path.join(ROOT, 'dashboards', file), 'utf8').catch(() => '(missing)');
      expect(committed, `dashboards/${file} is stale: run \`npm run dashboards\` and commit the result`).toBe(content);
    }
    const stray = (await readdir(path.join(ROOT, 'dashboards'))).filter((f) => f.endsWith('.json') && !files.has(f));
    expect(stray, 'dashboards/ holds dashboards the generator no longer writes: run `npm run dashboards`').toEqual([]);
  });

  it('has stable uids and unique panel ids, and every reading of the catalog in some panel query', () => {
    expect(dashboards.map((d) => d.dashboard.uid)).toEqual(['stadtpuls-energie', 'stadtpuls-parken', 'stadtpuls-pegel', 'stadtpuls-geraete']);
    for (const d of dashboards) {
      const ids = (d.dashboard.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size, d.file).toBe(ids.length);
      for (const p of d.dashboard.panels ?? []) expect(p.gridPos!.x + p.gridPos!.w, `${d.file} ${p.title}`).toBeLessThanOrEqual(24);
    }
    const queries = dashboards.flatMap(targetsOf).map((t) => t.query);
    for (const model of catalog.all()) {
      for (const r of model.readings) {
        if (READING_KINDS[r.spec.name].type === 'string') continue;
        const field = `"${r.spec.name}"`;
        const from = `FROM "${READING_KINDS[r.spec.name].measurement}"`;
        expect(
          queries.some((q) => q.includes(field) && q.includes(from)),
          `${model.id}: reading ${r.spec.name} has no panel`,
        ).toBe(true);
      }
    }
  });
});

describe('every panel query against a real influxd with a simulated day', () => {
  // One real value per variable: a building, a zone and a gauge that hold one device of every model of their
  // category; on the device dashboard every model and every site, as Grafana formats a multi-value selection.
  const vars = (): Record<string, Record<string, string>> => {
    const models = [...new Set(sim.devices.map((d) => d.model.id))].sort();
    const sites = [...new Set(sim.devices.map((d) => d.site))].sort();
    return {
      'energie.json': { site: 'rathaus' },
      'parken.json': { zone: 'marktplatz' },
      'pegel.json': { gauge: 'wupper' },
      'geraete.json': { model: `(${models.join('|')})`, site: `(${sites.join('|')})` },
    };
  };

  it('template variable queries list the values used below', async () => {
    const v = vars();
    for (const d of dashboards) {
      for (const variable of d.dashboard.templating?.list ?? []) {
        expect(typeof variable.query, `${d.file} $${variable.name}`).toBe('string');
        const series = await query(variable.query as string);
        const values = series.flatMap((s) => s.values.map((row) => row[1] as string));
        const used = v[d.file]![variable.name]!;
        const expected = used.startsWith('(') ? used.slice(1, -1).split('|') : [used];
        for (const value of expected) expect(values, `${d.file} $${variable.name}`).toContain(value);
      }
    }
  });

  it('every panel query runs and returns at least one value', async () => {
    const v = vars();
    const targets = dashboards.flatMap(targetsOf);
    expect(targets.length).toBeGreaterThan(40);
    const empty: string[] = [];
    for (const t of targets) {
      const q = substitute(t.query, v[t.dashboard]!);
      if (!hasValue(await query(q))) empty.push(`${t.dashboard} / ${t.panel} / ${t.refId}: ${q}`);
    }
    expect(empty, 'queries without a value').toEqual([]);
  });

  it('Energie: hourly and daily consumption are the counter differences that were written', async () => {
    const v = vars()['energie.json']!;
    const meter = sim.devices.find((d) => d.site === 'rathaus' && d.uplinks[0]?.readings.energy_import !== undefined)!;
    const hourly = findTarget('energie.json', (q) => q.includes('last("energy_import")') && q.includes('time(1h)') && !q.startsWith('SELECT sum'));
    const gotHourly = valuesByTime(seriesOf(await query(substitute(hourly.query, v)), meter.devEui), 'energy_import');
    const wantHourly = expectedDifferences(meter, 'energy_import', hourOf);
    expect(wantHourly.size).toBe(23);
    expect(gotHourly.size).toBe(wantHourly.size);
    for (const [t, d] of wantHourly) expect(gotHourly.get(t) as number, new Date(t).toISOString()).toBeCloseTo(d, 6);

    const daily = findTarget('energie.json', (q) => q.includes('last("energy_import")') && q.includes('time(1d)'));
    const gotDaily = valuesByTime(seriesOf(await query(substitute(daily.query, v)), meter.devEui), 'energy_import');
    const wantDaily = expectedDifferences(meter, 'energy_import', berlinDayOf);
    expect([...gotDaily.keys()]).toEqual([...wantDaily.keys()]);
    expect(gotDaily.get(Date.UTC(2025, 0, 14, 23)) as number).toBeCloseTo(wantDaily.get(Date.UTC(2025, 0, 14, 23))!, 6);

    const total = findTarget('energie.json', (q) => q.startsWith('SELECT sum("energy_import")'));
    const gotTotal = seriesOf(await query(substitute(total.query, v)), meter.devEui)!.values[0]![1] as number;
    expect(gotTotal).toBeCloseTo([...wantHourly.values()].reduce((a, b) => a + b, 0), 6);

    const meters = findTarget('energie.json', (q) => q.includes('FROM "uplink"'));
    const listed = await query(substitute(meters.query, v));
    const rathaus = sim.devices.filter((d) => d.site === 'rathaus').map((d) => d.devEui).sort();
    expect(listed.map((s) => s.tags!.dev_eui).sort()).toEqual(rathaus);
  });

  it('Parken: each bay’s state per interval is carried through silent hours, and the zone counts and “now” follow', async () => {
    const v = vars()['parken.json']!;
    const bays = sim.devices.filter((d) => d.site === 'marktplatz' && d.uplinks.some((u) => typeof u.readings.occupied === 'boolean'));
    expect(bays.length).toBeGreaterThanOrEqual(3);
    const stateAt = (bay: SimDevice, bucketEnd: number) => {
      let s: boolean | undefined;
      for (const u of bay.uplinks) if (u.ms < bucketEnd) s = u.readings.occupied as boolean;
      return s;
    };
    // The per-bay states behind the state timeline and the zone count (Grafana sums them per Time and zone).
    const states = findTarget('parken.json', (q) => q.startsWith('SELECT last("occupied")') && q.includes('fill(previous)'));
    const series = await query(substitute(states.query, v));
    let silentHours = 0;
    for (let t = FROM; t < TO; t += HOUR) {
      let occupied = 0;
      for (const bay of bays) {
        const want = stateAt(bay, t + HOUR);
        const got = valuesByTime(seriesOf(series, bay.devEui), 'occupied').get(t);
        expect(got ?? undefined, `${bay.devEui} ${new Date(t).toISOString()}`).toBe(want);
        if (!bay.uplinks.some((u) => u.ms >= t && u.ms < t + HOUR) && want !== undefined) silentHours++;
      }
      const summed = series.filter((s) => s.tags?.site === 'marktplatz').reduce((n, s) => n + (valuesByTime(s, 'occupied').get(t) === true ? 1 : 0), 0);
      for (const bay of bays) if (stateAt(bay, t + HOUR) === true) occupied++;
      expect(summed, new Date(t).toISOString()).toBe(occupied);
    }
    expect(silentHours, 'hours in which a bay did not report but has a state').toBeGreaterThan(10);
    expect(bays.some((b) => b.uplinks[0]!.ms > FROM + HOUR), 'a bay whose first report comes late (null before it)').toBe(true);

    const now = findTarget('parken.json', (q) => q.includes('"occupied" = true GROUP BY "site"'));
    const nowSeries = (await query(substitute(now.query, v))).find((s) => s.tags?.site === 'marktplatz');
    const occupiedNow = bays.filter((b) => b.uplinks.at(-1)!.readings.occupied === true).length;
    const count = (series: InfluxSeries | undefined) => (series?.values[0]?.[1] as number | undefined) ?? 0;
    expect(count(nowSeries)).toBe(occupiedNow);
    const free = findTarget('parken.json', (q) => q.includes('"occupied" = false GROUP BY "site"'));
    const freeSeries = (await query(substitute(free.query, v))).find((s) => s.tags?.site === 'marktplatz');
    expect(count(freeSeries) + count(nowSeries)).toBe(bays.length);
  });

  it('Pegel and Geräte: latest values, last-seen times and decoder-error counts match the simulation', async () => {
    const gauge = sim.devices.find((d) => d.site === 'wupper' && d.uplinks[0]?.readings.fill !== undefined)!;
    const fill = findTarget('pegel.json', (q) => q.startsWith('SELECT last("fill") AS "fill"'));
    const fillSeries = seriesOf(await query(substitute(fill.query, vars()['pegel.json']!)), gauge.devEui)!;
    expect(fillSeries.values[0]![1]).toBe(gauge.uplinks.at(-1)!.readings.fill);
    expect(fillSeries.values[0]![0]).toBe(gauge.uplinks.at(-1)!.ms);

    const v = vars()['geraete.json']!;
    const lastSeen = findTarget('geraete.json', (q) => q.includes('FROM "uplink"') && q.includes('last("f_cnt")'));
    const seen = await query(substitute(lastSeen.query, v));
    expect(seen.length).toBe(sim.devices.length);
    for (const d of sim.devices) {
      const s = seriesOf(seen, d.devEui)!;
      expect(s.values[0]![0], d.devEui).toBe(d.uplinks.at(-1)!.ms);
      expect(s.values[0]![1], d.devEui).toBe(d.uplinks.length);
    }

    const errors = findTarget('geraete.json', (q) => q.includes(`"event" = 'decoder_error'`));
    const perModel = await query(substitute(errors.query, v));
    for (const model of new Set(sim.devices.map((d) => d.model.id))) {
      const want = sim.devices.filter((d) => d.model.id === model).reduce((n, d) => n + d.decoderErrors, 0);
      const got = perModel.find((s) => s.tags?.model === model)?.values.reduce((n, row) => n + (row[1] as number), 0);
      expect(got, model).toBe(want);
    }
  });
});


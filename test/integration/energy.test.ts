/**
 * Consumption through the real App: EMU Professional II uplinks (built from the catalog's simulate template)
 * published to the embedded broker, consumption read over the HTTP API per meter and per building, a meter
 * exchange recorded by a technician, roles and validation.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { uplinkJson, uplinkTopic } from '../../src/sim/events.js';
import { fillTemplate } from '../../src/sim/template.js';
import type { EmbeddedSink } from '../../src/store/embedded.js';
import { testApp, until } from '../helpers/app.js';

const A = '70b3d5e75e0e0001'; // Rathaus, main meter (exchanged during the test)
const B = '70b3d5e75e0e0002'; // Rathaus, sub-meter whose counter rolls over
const C = '70b3d5e75e0e0003'; // Schule: not part of the Rathaus
const H = 3_600_000;
const M15 = 15 * 60_000;

interface Series {
  reading: string;
  unit: string;
  total: Record<string, number>;
  buckets: { start: string; end: string; wh?: number }[];
}

describe('energy: consumption over the HTTP API from uplinks through the real App', () => {
  let app: App;
  let pub: MqttClient;
  let base = '';
  const tokens: Record<string, string> = {};
  /** A whole UTC hour two days ago: every reading is in the past, days and months are the town's. */
  const t0 = Math.floor((Date.now() - 50 * H) / H) * H;
  let fCnt = 0;

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const hourly = (devEui: string, token = tokens.facility) => call('GET', `/api/meters/${devEui}/consumption?resolution=hour&from=${new Date(t0).toISOString()}&to=${new Date(t0 + 4 * H).toISOString()}`, token);
  const whs = (series: Series) => Object.fromEntries(series.buckets.map((b) => [new Date(b.start).toISOString(), b.wh]));
  const iso = (ms: number) => new Date(ms).toISOString();

  const send = async (devEui: string, time: number, energyImport: number) => {
    const template = app.catalog.get('emu-prof-ii')!.simulate!;
    const bytes = fillTemplate(template.hex, { energy_import: energyImport, energy_export: 0 });
    await new Promise<void>((resolve, reject) =>
      pub.publish(uplinkTopic({ devEui }), uplinkJson({ devEui, fPort: template.fPort, bytes, fCnt: ++fCnt, time: new Date(time) }), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
  };

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { demoUsers: true } });
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    app.fleet.upsert({ devEui: A, model: 'emu-prof-ii', name: 'Rathaus Hauptzähler', site: 'rathaus', siteKind: 'building' });
    app.fleet.upsert({ devEui: B, model: 'emu-prof-ii', name: 'Rathaus Ratssaal', site: 'rathaus', siteKind: 'building' });
    app.fleet.upsert({ devEui: C, model: 'emu-prof-ii', name: 'Schule', site: 'schule', siteKind: 'building' });
    for (const role of ['facility', 'viewer', 'technician', 'enforcement']) {
      tokens[role] = (await call('POST', '/api/auth/login', undefined, { username: role, password: DEMO_PASSWORD })).json.token as string;
    }
    pub = mqtt.connect(app.mqttUrl, { clientId: 'energy-it-publisher' });
    await new Promise<void>((resolve, reject) => pub.once('connect', () => resolve()).once('error', reject));
    // A: 250 Wh every 15 minutes for two hours, one uplink delivered twice and one late.
    const aTimes = Array.from({ length: 9 }, (_, k) => k);
    for (const k of [0, 1, 2, 4, 5, 6, 7, 8, 3, 5]) await send(A, t0 + aTimes[k]! * M15, 100_000 + k * 250);
    // B: 200 Wh every 30 minutes, its 32-bit Wh counter wrapping after the second reading.
    for (const [k, v] of [4294967000, 4294967200, 104, 304, 504].entries()) await send(B, t0 + k * 30 * 60_000, v);
    await send(C, t0, 0);
    await send(C, t0 + H, 99_999);
    await until(async () => {
      const res = await hourly(B);
      const series = (res.json.series as Series[] | undefined)?.[0];
      return series?.total.wh === 800 && ((await hourly(A)).json.series as Series[])[0]!.total.wh === 2000;
    }, 'consumption of A and B');
  }, 60_000);

  afterAll(async () => {
    pub?.end(true);
    await app?.stop();
  });

  it('per meter and hour: exact Wh, across a duplicate, a late uplink and a counter rollover', async () => {
    const a = await hourly(A);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ devEui: A, model: 'emu-prof-ii', site: 'rathaus', resolution: 'hour', timeZone: 'Europe/Berlin' });
    const [series] = a.json.series as Series[];
    expect(series).toMatchObject({ reading: 'energy_import', unit: 'Wh', total: { wh: 2000 } });
    expect(whs(series!)).toEqual({ [iso(t0)]: 1000, [iso(t0 + H)]: 1000 });
    expect(Date.parse(series!.buckets[0]!.end) - Date.parse(series!.buckets[0]!.start)).toBe(H);
    const b = ((await hourly(B)).json.series as Series[])[0]!;
    expect(whs(b)).toEqual({ [iso(t0)]: 400, [iso(t0 + H)]: 400 });
    const exported = await call('GET', `/api/meters/${A}/consumption?resolution=hour&reading=energy_export&from=${iso(t0)}&to=${iso(t0 + 4 * H)}`, tokens.viewer);
    expect((exported.json.series as Series[]).map((s) => [s.reading, s.total.wh])).toEqual([['energy_export', 0]]);
  });

  it('per building (site): the sum over its meters, for viewers and facility managers alike', async () => {
    const res = await call('GET', `/api/buildings/rathaus/consumption?resolution=hour&from=${iso(t0)}&to=${iso(t0 + 4 * H)}&reading=energy_import`, tokens.viewer);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ building: 'rathaus', meters: [A, B] });
    const [series] = res.json.series as Series[];
    expect(whs(series!)).toEqual({ [iso(t0)]: 1400, [iso(t0 + H)]: 1400 });
    const days = await call('GET', `/api/buildings/rathaus/consumption?resolution=day&from=${iso(t0 - 24 * H)}&to=${iso(t0 + 24 * H)}`, tokens.facility);
    const imported = (days.json.series as Series[]).find((s) => s.reading === 'energy_import')!;
    expect(imported.total.wh).toBe(2800);
    expect(imported.buckets.reduce((s, x) => s + x.wh!, 0)).toBe(2800);
  });

  it('writes the same numbers as consumption points to the store', () => {
    const points = (app.sink as EmbeddedSink).query('consumption', A).filter((p) => p.tags.resolution === 'hour' && p.tags.reading === 'energy_import');
    expect(points.map((p) => [p.timeNs, p.fields.amount, p.tags.site])).toEqual(
      expect.arrayContaining([
        [`${t0}000000`, 1000, 'rathaus'],
        [`${t0 + H}000000`, 1000, 'rathaus'],
      ]),
    );
  });

  it('a technician records a meter exchange; consumption across it is (oldFinal - last before) + (first after - newStart)', async () => {
    const T = t0 + 2 * H + 5 * 60_000; // last reading of the old meter: 102000 Wh at t0 + 2 h
    const forbidden = await call('POST', `/api/meters/${A}/exchanges`, tokens.facility, { time: iso(T), oldFinal: 102_100, newStart: 5 });
    expect(forbidden.status).toBe(403);
    const implausible = await call('POST', `/api/meters/${A}/exchanges`, tokens.technician, { time: iso(T), oldFinal: 101_000, newStart: 5 });
    expect(implausible.status).toBe(422);
    expect(implausible.json.message).toMatch(/oldFinal 101000 Wh is below the reading before the exchange \(102000 Wh at /);
    const recorded = await call('POST', `/api/meters/${A}/exchanges`, tokens.technician, { time: iso(T), oldFinal: 102_100, newStart: 5 });
    expect(recorded.status).toBe(201);
    expect(recorded.json).toMatchObject({ devEui: A, reading: 'energy_import', oldFinal: 102_100, newStart: 5, unit: 'Wh', recordedBy: 'technician' });
    await send(A, t0 + 2 * H + M15, 155);
    await until(async () => ((await hourly(A)).json.series as Series[])[0]!.total.wh === 2250, 'consumption across the exchange');
    expect(whs(((await hourly(A)).json.series as Series[])[0]!)).toEqual({ [iso(t0)]: 1000, [iso(t0 + H)]: 1000, [iso(t0 + 2 * H)]: 100 + 150 });
    const list = await call('GET', `/api/meters/${A}/exchanges`, tokens.technician);
    expect(list.json.exchanges).toEqual([expect.objectContaining({ reading: 'energy_import', oldFinal: 102_100, newStart: 5 })]);
    expect((await call('GET', `/api/meters/${A}/exchanges`, tokens.viewer)).status).toBe(403);
  });

  it('roles: enforcement may not read consumption', async () => {
    expect((await hourly(A, tokens.enforcement)).status).toBe(403);
    expect((await call('GET', `/api/buildings/rathaus/consumption`, tokens.enforcement)).status).toBe(403);
    expect((await call('GET', `/api/buildings/rathaus/consumption`)).status).toBe(401);
  });

  it('validates the query with precise messages', async () => {
    const get = async (path: string) => {
      const res = await call('GET', path, tokens.facility);
      return [res.status, res.json.message];
    };
    expect(await get(`/api/meters/${A}/consumption?resolution=week`)).toEqual([400, 'resolution: resolution must be one of hour, day, month']);
    expect(await get(`/api/meters/${A}/consumption?from=2025-03-02&to=2025-03-01`)).toEqual([400, 'from (2025-03-02T00:00:00+01:00) must be before to (2025-03-01T00:00:00+01:00)']);
    expect(await get(`/api/meters/${A}/consumption?resolution=hour&from=2025-01-01&to=2025-03-01`)).toEqual([
      400,
      'range too large for resolution=hour: at most 31 days (asked for 59 days); use resolution=day',
    ]);
    expect(await get(`/api/meters/${A}/consumption?from=yesterday`)).toEqual([400, expect.stringMatching(/^from: expected an ISO 8601 time with offset/)]);
    expect(await get(`/api/meters/${A}/consumption?reading=water_volume`)).toEqual([400, expect.stringMatching(/^reading: water_volume is not a counter reading of device/)]);
    expect(await get('/api/meters/ffffffffffffffff/consumption')).toEqual([404, 'unknown device ffffffffffffffff']);
    expect(await get('/api/meters/xyz/consumption')).toEqual([400, 'devEui: DevEUI must be 16 hex digits']);
    expect(await get('/api/buildings/nowhere/consumption')).toEqual([404, 'unknown building nowhere: no meter has site nowhere']);
  });
});

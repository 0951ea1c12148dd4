import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { ROLES, type Role } from '../../src/auth/roles.js';
import { testApp } from '../helpers/app.js';

const KEY_1 = '2B7E151628AED2A6ABF7158809CF4F3C';
const KEY_2 = '000102030405060708090A0B0C0D0E0F';
const KEY_3 = 'F0E1D2C3B4A5968778695A4B3C2D1E0F';

/** Parsed JSON bodies, read loosely in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

describe('devices API, CSV import, audit log and API docs (no ChirpStack)', () => {
  let app: App;
  const logs: string[] = [];
  const tokens = new Map<Role, string>();
  let base = '';

  const call = async (method: string, path: string, role?: Role, body?: unknown, headers: Record<string, string> = {}): Promise<Res> => {
    const res = await fetch(`${base}${path}`, {
      method: method.toUpperCase(),
      headers: { ...(role ? { authorization: `Bearer ${tokens.get(role)}` } : {}), ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  const importCsv = (csv: string, query = '', accept = 'application/json') => call('post', `/api/devices/import${query}`, 'technician', csv, { 'content-type': 'text/csv', accept });

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { demoUsers: true } }, logs);
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    for (const role of ROLES) {
      const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: role, password: DEMO_PASSWORD }) });
      tokens.set(role, ((await res.json()) as { token: string }).token);
    }
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  const device = {
    devEui: '70B3D57ED0001234',
    joinEui: '70B3D57ED0000000',
    appKey: KEY_1,
    model: 'dragino-ldds75',
    name: 'Pegel Wupper Brücke',
    site: 'wupper',
    siteKind: 'gauge',
    lat: 51.2589,
    lon: 7.1455,
    uplinkIntervalSeconds: 1200,
    mounting: { heightMm: 4000, zeroOffsetMm: -120 },
    tags: { owner: 'tiefbau' },
  };

  it('technician creates a device; the AppKey is stored but never returned', async () => {
    const created = await call('post', '/api/devices', 'technician', device);
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ ...device, devEui: '70b3d57ed0001234', joinEui: '70b3d57ed0000000', appKey: undefined, appKeySet: true });
    expect('appKey' in created.json).toBe(false);
    expect(created.text.toLowerCase()).not.toContain(KEY_1.toLowerCase());
    expect(app.fleet.appKey('70b3d57ed0001234')).toBe(KEY_1.toLowerCase());
    // No provisioning status without ChirpStack.
    expect(created.json.provisioning).toBeUndefined();
  });

  it('every read role gets the device (without keys); unknown devices are 404', async () => {
    for (const role of ['viewer', 'enforcement', 'facility', 'technician', 'admin'] as const) {
      const one = await call('get', '/api/devices/70B3D57ED0001234', role);
      expect(one.status, role).toBe(200);
      expect(one.json.devEui).toBe('70b3d57ed0001234');
      expect(one.text.toLowerCase()).not.toContain(KEY_1.toLowerCase());
      const list = await call('get', '/api/devices', role);
      expect(list.json.devices.map((d: { devEui: string }) => d.devEui)).toContain('70b3d57ed0001234');
      expect(list.text.toLowerCase()).not.toContain(KEY_1.toLowerCase());
    }
    expect((await call('get', '/api/devices/0000000000000bad', 'viewer')).status).toBe(404);
  });

  it('only technicians and admins write', async () => {
    for (const role of ['viewer', 'enforcement', 'facility'] as const) {
      expect((await call('post', '/api/devices', role, { ...device, devEui: '70b3d57ed0009999' })).status).toBe(403);
      expect((await call('put', '/api/devices/70b3d57ed0001234', role, device)).status).toBe(403);
      expect((await call('delete', '/api/devices/70b3d57ed0001234', role)).status).toBe(403);
      expect((await call('post', '/api/devices/import', role, 'DevEUI\n', { 'content-type': 'text/csv' })).status).toBe(403);
      expect((await call('get', '/api/audit', role)).status).toBe(403);
    }
    expect((await call('get', '/api/audit', 'technician')).status).toBe(403);
    expect((await call('get', '/api/devices')).status).toBe(401);
  });

  it('creating an existing DevEUI is 409, in any spelling', async () => {
    const dup = await call('post', '/api/devices', 'technician', { ...device, devEui: '70-b3-d5-7e-d0-00-12-34', appKey: KEY_2 });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ error: 'conflict', message: 'a device with DevEUI 70b3d57ed0001234 exists already (PUT /api/devices/70b3d57ed0001234 changes it)' });
    expect(app.fleet.appKey('70b3d57ed0001234')).toBe(KEY_1.toLowerCase());
  });

  it('validation errors over HTTP: 400 with every problem as `path: message`', async () => {
    const bad = await call('post', '/api/devices', 'technician', { devEui: '70B3D57ED000123', joinEui: 'xyz', appKey: KEY_1.slice(2), model: 'acme-9000', name: 'x', lat: 91, lon: 200 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_request');
    expect(bad.json.problems).toEqual([
      'devEui: DevEUI must be 16 hex digits, got "70B3D57ED000123" (it has 15)',
      'joinEui: JoinEUI must be 16 hex digits, got "xyz" (it contains characters other than 0-9 and a-f)',
      'appKey: AppKey must be 32 hex digits (it has 30)',
      'lat: latitude must be between -90 and 90',
      'lon: longitude must be between -180 and 180',
    ]);
    expect(bad.text).not.toContain(KEY_1.slice(2));
    const model = await call('post', '/api/devices', 'technician', { ...device, devEui: '70b3d57ed0005555', model: 'acme-9000' });
    expect(model.status).toBe(400);
    expect(model.json.problems).toEqual(['model: unknown model "acme-9000" (GET /api/models lists the catalog)']);
    const path = await call('get', '/api/devices/not-an-eui', 'viewer');
    expect(path.status).toBe(400);
    expect(path.json.problems).toEqual(['devEui: DevEUI must be 16 hex digits, got "not-an-eui" (it contains characters other than 0-9 and a-f)']);
  });

  it('PUT replaces the description, keeps the AppKey unless a new one is given; the body cannot rename the DevEUI', async () => {
    const { appKey: _k, ...rest } = device;
    const upd = await call('put', '/api/devices/70b3d57ed0001234', 'technician', { ...rest, name: 'Pegel Wupper Brücke Nord', mounting: undefined, tags: {} });
    expect(upd.status).toBe(200);
    expect(upd.json).toMatchObject({ name: 'Pegel Wupper Brücke Nord', tags: {}, appKeySet: true });
    expect(upd.json.mounting).toBeUndefined();
    expect(app.fleet.appKey('70b3d57ed0001234')).toBe(KEY_1.toLowerCase());
    const key = await call('put', '/api/devices/70b3d57ed0001234', 'technician', { ...rest, appKey: KEY_2 });
    expect(key.status).toBe(200);
    expect(app.fleet.appKey('70b3d57ed0001234')).toBe(KEY_2.toLowerCase());
    const rename = await call('put', '/api/devices/70b3d57ed0001234', 'technician', { ...rest, devEui: '70b3d57ed0009999' });
    expect(rename.status).toBe(400);
    expect(rename.json.problems).toEqual(['devEui: the body names 70b3d57ed0009999, the path 70b3d57ed0001234 (a DevEUI cannot be changed: delete and create)']);
    const { devEui: _e, ...noEui } = rest;
    expect((await call('put', '/api/devices/70b3d57ed0009999', 'technician', noEui)).status).toBe(404);
  });

  it('POST /api/devices/{devEui}/provision without ChirpStack says it is not configured', async () => {
    const res = await call('post', '/api/devices/70b3d57ed0001234/provision', 'technician', {});
    expect(res.status).toBe(409);
    expect(res.json.message).toMatch(/not configured/);
  });

  it('DELETE removes the device and its AppKey', async () => {
    await call('post', '/api/devices', 'technician', { ...device, devEui: '70b3d57ed000dead', appKey: KEY_3 });
    const del = await call('delete', '/api/devices/70b3d57ed000dead', 'technician');
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ devEui: '70b3d57ed000dead', deleted: true, chirpstack: 'not configured' });
    expect(app.fleet.get('70b3d57ed000dead')).toBeUndefined();
    expect(app.fleet.appKey('70b3d57ed000dead')).toBeUndefined();
    expect((await call('delete', '/api/devices/70b3d57ed000dead', 'technician')).status).toBe(404);
  });

  const VENDOR_CSV =
    '\uFEFF"Dev EUI";AppEUI;App Key;Model;Name;Zone;Latitude;Longitude;Interval;tag:owner\r\n' +
    `70B3D57ED0010001;0000000000000000;${KEY_1};nwave-nps405;"Stellplatz 1; Markt";marktplatz;51,2562;7,1508;10m;ordnungsamt\r\n` +
    `70B3D57ED0010002;0000000000000000;${KEY_2};nwave-nps405;"Stellplatz ""2""\r\n(Ecke)";marktplatz;51,2563;7,1509;10m;ordnungsamt\r\n` +
    `70B3D57ED001000;0000000000000000;${KEY_3};nwave-nps405;Kaputt;marktplatz;51,2564;7,1510;10m;ordnungsamt\r\n` +
    `70B3D57ED0010001;0000000000000000;${KEY_3};nwave-nps405;Doppelt;marktplatz;51,2565;7,1511;10m;ordnungsamt\r\n` +
    `70B3D57ED0010004;0000000000000000;${KEY_3};nwave-nps405;Stellplatz 4;marktplatz;51,2566;7,1512;10m;ordnungsamt\r\n`;

  it('CSV import dry run: a result per row, nothing saved', async () => {
    const res = await importCsv(VENDOR_CSV, '?dryRun=true');
    expect(res.status).toBe(200);
    expect(res.json.summary).toEqual({ rows: 5, create: 3, update: 0, unchanged: 0, error: 2 });
    expect(res.json.rows).toEqual([
      { row: 2, devEui: '70b3d57ed0010001', action: 'create' },
      { row: 3, devEui: '70b3d57ed0010002', action: 'create' },
      { row: 4, devEui: null, action: 'error', message: 'devEui: DevEUI must be 16 hex digits, got "70B3D57ED001000" (it has 15)' },
      { row: 5, devEui: '70b3d57ed0010001', action: 'error', message: 'devEui: duplicate DevEUI 70b3d57ed0010001: already in row 2 of this file' },
      { row: 6, devEui: '70b3d57ed0010004', action: 'create' },
    ]);
    expect(res.json.delimiter).toBe(';');
    expect(res.json.columns).toMatchObject({ devEui: 'Dev EUI', joinEui: 'AppEUI', appKey: 'App Key', zone: 'Zone' });
    expect(app.fleet.get('70b3d57ed0010001')).toBeUndefined();
    for (const k of [KEY_1, KEY_2, KEY_3]) expect(res.text.toLowerCase()).not.toContain(k.toLowerCase());
  });

  it('CSV import streams NDJSON progress and the result; a re-import reports every row unchanged', async () => {
    const res = await importCsv(VENDOR_CSV, '?dryRun=false', 'application/x-ndjson');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; phase?: string; done?: number; total?: number; summary?: unknown });
    expect(lines[0]).toEqual({ type: 'progress', phase: 'validate', done: 0, total: 5 });
    expect(lines).toContainEqual({ type: 'progress', phase: 'save', done: 3, total: 3 });
    const result = lines.at(-1)!;
    expect(result.type).toBe('result');
    expect(result.summary).toEqual({ rows: 5, create: 3, update: 0, unchanged: 0, error: 2 });
    expect(app.fleet.get('70b3d57ed0010002')).toEqual({
      devEui: '70b3d57ed0010002',
      joinEui: '0000000000000000',
      model: 'nwave-nps405',
      name: 'Stellplatz "2"\r\n(Ecke)',
      site: 'marktplatz',
      siteKind: 'zone',
      lat: 51.2563,
      lon: 7.1509,
      uplinkIntervalSeconds: 600,
      tags: { owner: 'ordnungsamt' },
    });
    expect(app.fleet.appKey('70b3d57ed0010002')).toBe(KEY_2.toLowerCase());

    const again = await importCsv(VENDOR_CSV);
    expect(again.json.summary).toEqual({ rows: 5, create: 0, update: 0, unchanged: 3, error: 2 });

    // A changed cell updates just that device; a changed AppKey alone is an update too.
    const changed = VENDOR_CSV.replace('Stellplatz 4;', 'Stellplatz 4 (neu);').replace(`70B3D57ED0010001;0000000000000000;${KEY_1}`, `70B3D57ED0010001;0000000000000000;${KEY_3}`);
    const upd = await importCsv(changed);
    expect(upd.json.rows.filter((r: { action: string }) => r.action === 'update').map((r: { devEui: string }) => r.devEui)).toEqual(['70b3d57ed0010001', '70b3d57ed0010004']);
    expect(app.fleet.get('70b3d57ed0010004')!.name).toBe('Stellplatz 4 (neu)');
    expect(app.fleet.appKey('70b3d57ed0010001')).toBe(KEY_3.toLowerCase());
  });

  it('CSV import: a default model parameter, wrong content type, unreadable files, unknown default model', async () => {
    const res = await importCsv('DevEUI,Name\n70b3d57ed0020001,Zähler Rathaus\n', '?dryRun=true&model=emu-prof-ii');
    expect(res.json.rows).toEqual([{ row: 2, devEui: '70b3d57ed0020001', action: 'create' }]);
    const json = await call('post', '/api/devices/import', 'technician', { csv: 'DevEUI' });
    expect(json.status).toBe(415);
    expect(json.json.message).toBe('send the CSV file as the request body with Content-Type: text/csv (got application/json)');
    const noEui = await importCsv('Name;Model\nx;y\n');
    expect(noEui.status).toBe(400);
    expect(noEui.json).toMatchObject({ error: 'invalid_csv', message: expect.stringMatching(/^no DevEUI column/) });
    const quote = await importCsv('DevEUI,Name\n70b3d57ed0020001,"open\n');
    expect(quote.status).toBe(400);
    expect(quote.json.message).toMatch(/^not a readable CSV file: Quote Not Closed/);
    const model = await importCsv('DevEUI\n70b3d57ed0020001\n', '?model=acme', 'application/x-ndjson');
    expect(model.status).toBe(400);
    expect(model.json.problems).toEqual(['model: unknown model "acme" (GET /api/models lists the catalog)']);
    const flag = await importCsv('DevEUI\n', '?dryRun=maybe');
    expect(flag.json.problems).toEqual(['dryRun: must be true or false']);
  });

  it('CSV import: files over 20 MB are refused with 413', async () => {
    const big = `DevEUI,Name\n${'70b3d57ed0020001,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'.repeat(400_000)}`;
    expect(big.length).toBeGreaterThan(20 * 1024 * 1024);
    const res = await importCsv(big, '?dryRun=true');
    expect(res.status).toBe(413);
    expect(res.json.message).toBe('the CSV file is larger than 20 MB');
  });

  it('10,000 rows: dry run, import and idempotent re-import (times reported)', async () => {
    const header = 'DevEUI;JoinEUI;AppKey;Model;Name;Zone;Lat;Lon;Interval\n';
    const rows: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const eui = `a1b2c3d4${i.toString(16).padStart(8, '0')}`;
      const key = `${i.toString(16).padStart(8, '0')}`.repeat(4);
      rows.push(`${eui};0000000000000001;${key};nwave-nps405;Stellplatz ${i};zone-${i % 20};51,${2500 + (i % 100)};7,${1400 + (i % 100)};600`);
    }
    const csv = header + rows.join('\n') + '\n';
    const time = async (label: string, query: string, accept = 'application/x-ndjson') => {
      const t0 = performance.now();
      const res = await importCsv(csv, query, accept);
      const ms = performance.now() - t0;
      const last = JSON.parse(res.text.trim().split('\n').at(-1)!) as { summary: Record<string, number> };
      console.log(`[onboarding] 10,000-row CSV (${(csv.length / 1024 / 1024).toFixed(2)} MB) ${label}: ${ms.toFixed(0)} ms`, last.summary);
      return { res, last, lines: res.text.trim().split('\n') };
    };
    const dry = await time('dry run', '?dryRun=true');
    expect(dry.last.summary).toEqual({ rows: 10_000, create: 10_000, update: 0, unchanged: 0, error: 0 });
    expect(dry.lines.filter((l) => l.includes('"phase":"validate"')).length).toBeGreaterThanOrEqual(11);
    const real = await time('import', '?dryRun=false');
    expect(real.last.summary).toEqual({ rows: 10_000, create: 10_000, update: 0, unchanged: 0, error: 0 });
    expect(app.fleet.get('a1b2c3d400002710'.replace('2710', '270f'))?.name).toBe('Stellplatz 9999');
    const again = await time('re-import', '?dryRun=false');
    expect(again.last.summary).toEqual({ rows: 10_000, create: 0, update: 0, unchanged: 10_000, error: 0 });
  }, 120_000);

  it('audit log: who, when, what for every change; admin only; paging; never keys', async () => {
    const page = await call('get', '/api/audit?limit=5', 'admin');
    expect(page.status).toBe(200);
    expect(page.json.entries).toHaveLength(5);
    expect(page.json.total).toBeGreaterThan(10_000);
    const forDevice = await call('get', '/api/audit?target=70b3d57ed0001234&limit=100', 'admin');
    expect(forDevice.json.entries.map((e: { action: string }) => e.action)).toEqual(['device.update', 'device.update', 'device.create']);
    const [keyChange, rename, create] = forDevice.json.entries;
    expect(create).toMatchObject({ actor: 'technician', target: '70b3d57ed0001234', details: { appKeySet: true, device: { model: 'dragino-ldds75' } } });
    expect(Date.parse(create.at)).toBeGreaterThan(Date.now() - 120_000);
    expect(rename.details.changes).toEqual({ name: { from: 'Pegel Wupper Brücke', to: 'Pegel Wupper Brücke Nord' }, mounting: { from: { heightMm: 4000, zeroOffsetMm: -120 }, to: null }, tags: { from: { owner: 'tiefbau' }, to: {} } });
    expect(keyChange.details).toMatchObject({ appKeyChanged: true, changes: { name: { from: 'Pegel Wupper Brücke Nord', to: 'Pegel Wupper Brücke' } } });
    expect(keyChange.details).not.toHaveProperty('appKey');
    const deleted = await call('get', '/api/audit?action=device.delete', 'admin');
    expect(deleted.json.entries[0]).toMatchObject({ actor: 'technician', target: '70b3d57ed000dead' });
    const imports = await call('get', '/api/audit?action=devices.import&limit=1', 'admin');
    expect(imports.json.entries[0].details).toMatchObject({ rows: 10_000, unchanged: 10_000 });
    const second = await call('get', '/api/audit?limit=5&offset=5', 'admin');
    expect(second.json.entries[0].id).toBe(page.json.entries[4].id - 1);
    const all = await call('get', '/api/audit?limit=1000', 'admin');
    for (const k of [KEY_1, KEY_2, KEY_3]) expect(all.text.toLowerCase()).not.toContain(k.toLowerCase());
    expect((await call('get', '/api/audit?limit=0', 'admin')).json.problems).toEqual(['limit: limit must be between 1 and 1000']);
  });

  it('OpenAPI document and docs page: public, generated from the whole route table', async () => {
    const doc = await call('get', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    const ops = Object.values(doc.json.paths as Record<string, Record<string, unknown>>).reduce((n, p) => n + Object.keys(p).length, 0);
    expect(ops).toBe(app.routes.length);
    expect(doc.json.paths['/api/devices/{devEui}'].put['x-roles']).toEqual(['technician', 'admin']);
    expect(doc.json.paths['/api/devices/{devEui}'].get['x-roles']).toEqual(['viewer', 'enforcement', 'facility', 'technician', 'admin']);
    expect(doc.json.paths['/api/users'].get['x-roles']).toEqual(['admin']);
    expect(doc.json.paths['/api/devices'].post.requestBody.content['application/json'].schema.properties.appKey.writeOnly).toBe(true);
    expect(doc.json.paths['/api/devices/import'].post.requestBody.content).toHaveProperty('text/csv');
    const html = await call('get', '/api/docs');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.text).toContain('<code>/api/devices/{devEui}/provision</code>');
    expect(html.text).not.toMatch(/<script|src="http|href="http/i);
  });

  it('route order: /api/devices/:devEui comes after every other /api/devices/... route (e.g. /api/devices/health)', async () => {
    const paths = app.routes.map((r) => r.path);
    if (paths.includes('/api/devices/health')) {
      // The device-health module's fixed path is answered by that module, not taken for a DevEUI.
      const health = await call('get', '/api/devices/health', 'technician');
      expect(health.status).toBe(200);
      expect(health.text).not.toContain('DevEUI must be 16 hex digits');
    }
    const mine = paths.indexOf('/api/devices/:devEui');
    const others = paths.filter((p, i) => p.startsWith('/api/devices/') && !p.includes(':devEui') && i > mine && p !== '/api/devices/import' && p !== '/api/devices/provision');
    expect(others).toEqual([]);
    expect(paths.slice(mine - 2, mine)).toEqual(['/api/devices/import', '/api/devices/provision']);
  });

  it('AppKeys never appear in the log', () => {
    const text = logs.join('').toLowerCase();
    expect(text).toContain('device created');
    for (const k of [KEY_1, KEY_2, KEY_3]) expect(text).not.toContain(k.toLowerCase());
    // Nor any key of the 10,000-row import.
    expect(text).not.toContain('00000001'.repeat(4));
    expect(text).not.toContain('0000270f'.repeat(4));
  });
});

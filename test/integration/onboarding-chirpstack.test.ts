import deviceGrpc from '@chirpstack/chirpstack-api/api/device_grpc_pb.js';
import profileGrpc from '@chirpstack/chirpstack-api/api/device_profile_grpc_pb.js';
import profilePb from '@chirpstack/chirpstack-api/api/device_profile_pb.js';
import * as grpc from '@grpc/grpc-js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { ChirpStackClient, ChirpStackError } from '../../src/onboarding/chirpstack.js';
import { testApp } from '../helpers/app.js';

const TOKEN = 'chirpstack-api-key-for-tests';
const APPLICATION_ID = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const TENANT_ID = '9a8b7c6d-5e4f-4a3b-9c1d-0e1f2a3b4c5d';
const NWAVE_PROFILE = '11111111-2222-4333-8444-555555555555';
const LDDS75_PROFILE = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const KEY_1 = '2B7E151628AED2A6ABF7158809CF4F3C';
const KEY_2 = '000102030405060708090A0B0C0D0E0F';

interface Call {
  readonly method: string;
  readonly request: Record<string, Json>;
  readonly auth: string[];
}
type Failure = { code: grpc.status; details: string };
/** Parsed messages and JSON bodies, read loosely in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const isFailure = (x: unknown): x is Failure => typeof x === 'object' && x !== null && 'code' in x && 'details' in x;

/**
 * A ChirpStack stand-in: DeviceService and DeviceProfileService from the package's own service definitions,
 * with ChirpStack's behaviour for the calls Stadtpuls makes (ALREADY_EXISTS, NOT_FOUND, UNAUTHENTICATED), every
 * request recorded with its authorization metadata, and failures injectable per method or per device.
 */
class FakeChirpStack {
  readonly server = new grpc.Server();
  calls: Call[] = [];
  readonly devices = new Map<string, Record<string, Json>>();
  readonly keys = new Map<string, Record<string, Json>>();
  profiles = [
    { id: LDDS75_PROFILE, name: 'dragino-ldds75' },
    { id: '00000000-0000-4000-8000-000000000001', name: 'dragino-ldds75 (old firmware)' },
  ];
  /** method → failures for its next calls. */
  readonly failNext = new Map<string, Failure[]>();
  /** A failure for matching requests, every time. */
  failWhen: ((method: string, request: Record<string, Json>) => Failure | undefined) | undefined;
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  port = 0;

  private handle<Req extends { toObject(): Json }, Res>(method: string, respond: (req: Record<string, Json>) => Failure | Res) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      const request = call.request.toObject() as Record<string, Json>;
      const auth = call.metadata.get('authorization').map(String);
      this.calls.push({ method, request, auth });
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      setTimeout(() => {
        this.inFlight--;
        if (auth[0] !== `Bearer ${TOKEN}`) return callback({ code: grpc.status.UNAUTHENTICATED, details: "authorization metadata must be in format 'Bearer <TOKEN>'" });
        const injected = this.failNext.get(method)?.shift() ?? this.failWhen?.(method, request);
        if (injected) return callback(injected);
        const out = respond(request);
        if (isFailure(out)) return callback(out);
        callback(null, out);
      }, this.delayMs);
    };
  }

  async start(): Promise<void> {
    const empty = () => new emptyPb.Empty();
    const notFound = (what: string): Failure => ({ code: grpc.status.NOT_FOUND, details: `Object does not exist (id: ${what})` });
    this.server.addService(deviceGrpc.DeviceServiceService, {
      create: this.handle('Create', (r) => {
        const d = r.device;
        if (this.devices.has(d.devEui)) return { code: grpc.status.ALREADY_EXISTS, details: `Object already exists (id: ${d.devEui})` };
        this.devices.set(d.devEui, d);
        return empty();
      }),
      update: this.handle('Update', (r) => {
        if (!this.devices.has(r.device.devEui)) return notFound(r.device.devEui);
        this.devices.set(r.device.devEui, r.device);
        return empty();
      }),
      delete: this.handle('Delete', (r) => {
        if (!this.devices.delete(r.devEui)) return notFound(r.devEui);
        this.keys.delete(r.devEui);
        return empty();
      }),
      createKeys: this.handle('CreateKeys', (r) => {
        const k = r.deviceKeys;
        if (!this.devices.has(k.devEui)) return notFound(k.devEui);
        if (this.keys.has(k.devEui)) return { code: grpc.status.ALREADY_EXISTS, details: `Object already exists (id: ${k.devEui})` };
        this.keys.set(k.devEui, k);
        return empty();
      }),
      updateKeys: this.handle('UpdateKeys', (r) => {
        const k = r.deviceKeys;
        if (!this.keys.has(k.devEui)) return notFound(k.devEui);
        this.keys.set(k.devEui, k);
        return empty();
      }),
    });
    this.server.addService(profileGrpc.DeviceProfileServiceService, {
      list: this.handle('DeviceProfileService.List', (r) => {
        const res = new profilePb.ListDeviceProfilesResponse();
        const found = this.profiles.filter((p) => p.name.includes(r.search));
        res.setTotalCount(found.length);
        res.setResultList(
          found.map((p) => {
            const item = new profilePb.DeviceProfileListItem();
            item.setId(p.id);
            item.setName(p.name);
            return item;
          }),
        );
        return res;
      }),
    });
    this.port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

const sortTags = (c: Call) => ({ ...c.request, device: { ...c.request.device, tagsMap: [...c.request.device.tagsMap].sort() } });

describe('ChirpStack provisioning over gRPC', () => {
  const cs = new FakeChirpStack();
  let app: App;
  const logs: string[] = [];
  let base = '';
  let tech = '';
  let admin = '';

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: method.toUpperCase(),
      headers: { authorization: `Bearer ${tech}`, ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined; // NDJSON
    }
    return { status: res.status, text, json };
  };
  const login = async (u: string) =>
    ((await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: DEMO_PASSWORD }) })).json()) as { token: string }).token;

  beforeAll(async () => {
    await cs.start();
    app = testApp(
      {
        embedded: { mqttPort: 0, simulator: false },
        auth: { demoUsers: true },
        chirpstack: { apiUrl: `http://127.0.0.1:${cs.port}`, apiToken: TOKEN, applicationId: APPLICATION_ID, tenantId: TENANT_ID, deviceProfiles: [`nwave-nps405=${NWAVE_PROFILE}`], timeoutMs: 3000 },
      },
      logs,
    );
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    tech = await login('technician');
    admin = await login('admin');
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await cs.stop();
  });

  beforeEach(() => {
    cs.calls = [];
    cs.failNext.clear();
    cs.failWhen = undefined;
    cs.delayMs = 0;
  });

  const parking = { devEui: '70B3D57ED0030001', joinEui: '70B3D57ED0000000', appKey: KEY_1, model: 'nwave-nps405', name: 'Stellplatz Markt 1', site: 'marktplatz', siteKind: 'zone', lat: 51.2562, lon: 7.1508, tags: { owner: 'ordnungsamt' } };

  it('create: DeviceService.Create with the configured profile, then CreateKeys (AppKey as nwk_key), with the API key', async () => {
    const res = await call('post', '/api/devices', parking);
    expect(res.status).toBe(201);
    expect(res.json.provisioning).toMatchObject({ status: 'provisioned', inChirpStack: true, keys: 'set', error: null, attempts: 1 });
    expect(cs.methods()).toEqual(['Create', 'CreateKeys']);
    expect(cs.calls.every((c) => c.auth.length === 1 && c.auth[0] === `Bearer ${TOKEN}`)).toBe(true);
    expect(sortTags(cs.calls[0]!)).toEqual({
      device: {
        devEui: '70b3d57ed0030001',
        name: 'Stellplatz Markt 1',
        description: 'Registered by Stadtpuls',
        applicationId: APPLICATION_ID,
        deviceProfileId: NWAVE_PROFILE,
        skipFcntCheck: false,
        isDisabled: false,
        variablesMap: [],
        tagsMap: [
          ['model', 'nwave-nps405'],
          ['owner', 'ordnungsamt'],
          ['site', 'marktplatz'],
        ],
        joinEui: '70b3d57ed0000000',
      },
    });
    expect(cs.calls[1]!.request).toEqual({ deviceKeys: { devEui: '70b3d57ed0030001', nwkKey: KEY_1.toLowerCase(), appKey: '', genAppKey: '' } });
    // The response never carries the key.
    expect(res.text.toLowerCase()).not.toContain(KEY_1.toLowerCase());
  });

  it('a model without a configured profile: DeviceProfileService.List (search = model id, tenant), exact name match', async () => {
    const res = await call('post', '/api/devices', { ...parking, devEui: '70B3D57ED0030002', model: 'dragino-ldds75', site: 'wupper', siteKind: 'gauge', tags: {} });
    expect(res.json.provisioning.status).toBe('provisioned');
    expect(cs.methods()).toEqual(['DeviceProfileService.List', 'Create', 'CreateKeys']);
    expect(cs.calls[0]!.request).toEqual({ limit: 100, offset: 0, search: 'dragino-ldds75', tenantId: TENANT_ID, deviceId: '', globalOnly: false, tenantOnly: false });
    expect(cs.calls[1]!.request.device.deviceProfileId).toBe(LDDS75_PROFILE);
    // Cached: the next device of the model does not look again.
    cs.calls = [];
    await call('post', '/api/devices', { ...parking, devEui: '70B3D57ED0030003', model: 'dragino-ldds75', site: 'wupper', siteKind: 'gauge', tags: {} });
    expect(cs.methods()).toEqual(['Create', 'CreateKeys']);
  });

  it('no profile named like the model: failed, nothing created, the error says what to do', async () => {
    const res = await call('post', '/api/devices', { ...parking, devEui: '70B3D57ED0030004', model: 'bosch-tps110' });
    expect(res.status).toBe(201);
    expect(res.json.provisioning).toMatchObject({
      status: 'failed',
      inChirpStack: false,
      keys: 'missing',
      error: 'device profile: no ChirpStack device profile is named "bosch-tps110": create one with that name or map the model in CHIRPSTACK_DEVICE_PROFILES',
    });
    expect(cs.methods()).toEqual(['DeviceProfileService.List']);
    // After the profile is created in ChirpStack, a retry goes through.
    cs.profiles.push({ id: '77777777-7777-4777-8777-777777777777', name: 'bosch-tps110' });
    const retry = await call('post', '/api/devices/70b3d57ed0030004/provision');
    expect(retry.json.provisioning).toMatchObject({ status: 'provisioned', attempts: 2 });
    expect(cs.methods()).toEqual(['DeviceProfileService.List', 'DeviceProfileService.List', 'Create', 'CreateKeys']);
  });

  it('UNAVAILABLE on Create: failed with the gRPC status; POST …/provision retries from the start', async () => {
    cs.failNext.set('Create', [{ code: grpc.status.UNAVAILABLE, details: 'connection refused' }]);
    const res = await call('post', '/api/devices', { ...parking, devEui: '70B3D57ED0030005' });
    expect(res.json.provisioning).toMatchObject({ status: 'failed', inChirpStack: false, keys: 'missing', error: 'DeviceService.Create: UNAVAILABLE: connection refused' });
    const get = await call('get', '/api/devices/70b3d57ed0030005');
    expect(get.json.provisioning.status).toBe('failed');
    const listed = await call('get', '/api/devices?provisioning=failed');
    expect(listed.json.devices.map((d: { devEui: string }) => d.devEui)).toContain('70b3d57ed0030005');
    cs.calls = [];
    const retry = await call('post', '/api/devices/70b3d57ed0030005/provision');
    expect(retry.status).toBe(200);
    expect(retry.json.provisioning).toMatchObject({ status: 'provisioned', inChirpStack: true, keys: 'set', error: null, attempts: 2 });
    expect(cs.methods()).toEqual(['Create', 'CreateKeys']);
  });

  it('ALREADY_EXISTS on Create is treated as an update (and existing keys are replaced)', async () => {
    cs.devices.set('70b3d57ed0030006', { devEui: '70b3d57ed0030006', name: 'registered by hand' });
    cs.keys.set('70b3d57ed0030006', { devEui: '70b3d57ed0030006', nwkKey: 'ff'.repeat(16) });
    const res = await call('post', '/api/devices', { ...parking, devEui: '70B3D57ED0030006', appKey: KEY_2 });
    expect(res.json.provisioning).toMatchObject({ status: 'provisioned', inChirpStack: true, keys: 'set' });
    expect(cs.methods()).toEqual(['Create', 'Update', 'CreateKeys', 'UpdateKeys']);
    expect(cs.calls[1]!.request.device).toMatchObject({ devEui: '70b3d57ed0030006', name: 'Stellplatz Markt 1', deviceProfileId: NWAVE_PROFILE, applicationId: APPLICATION_ID });
    expect(cs.calls[3]!.request).toEqual({ deviceKeys: { devEui: '70b3d57ed0030006', nwkKey: KEY_2.toLowerCase(), appKey: '', genAppKey: '' } });
  });

  it('a failing CreateKeys: the status says the device is in ChirpStack without keys; a retry only sends the keys', async () => {
    cs.failNext.set('CreateKeys', [{ code: grpc.status.INTERNAL, details: 'database error' }]);
    const res = await call('post', '/api/devices', { ...parking, devEui: '70B3D57ED0030007' });
    expect(res.json.provisioning).toMatchObject({
      status: 'failed',
      inChirpStack: true,
      keys: 'missing',
      error: 'DeviceService.CreateKeys: INTERNAL: database error — the device exists in ChirpStack without OTAA keys',
    });
    expect(cs.devices.has('70b3d57ed0030007')).toBe(true);
    expect(cs.keys.has('70b3d57ed0030007')).toBe(false);
    cs.calls = [];
    const retry = await call('post', '/api/devices/70b3d57ed0030007/provision');
    expect(retry.json.provisioning).toMatchObject({ status: 'provisioned', keys: 'set', error: null });
    expect(cs.methods()).toEqual(['Update', 'CreateKeys']);
    expect(cs.keys.get('70b3d57ed0030007')).toMatchObject({ nwkKey: KEY_1.toLowerCase() });
  });

  it('update: DeviceService.Update with the new description; UpdateKeys only when the AppKey changes', async () => {
    const { appKey: _k, devEui: _e, ...rest } = parking;
    const renamed = await call('put', '/api/devices/70b3d57ed0030001', { ...rest, name: 'Stellplatz Markt 1 (Behindertenparkplatz)', tags: { owner: 'ordnungsamt', accessible: 'true' } });
    expect(renamed.json.provisioning).toMatchObject({ status: 'provisioned', keys: 'set' });
    expect(cs.methods()).toEqual(['Update']);
    expect(sortTags(cs.calls[0]!).device).toMatchObject({
      devEui: '70b3d57ed0030001',
      name: 'Stellplatz Markt 1 (Behindertenparkplatz)',
      tagsMap: [
        ['accessible', 'true'],
        ['model', 'nwave-nps405'],
        ['owner', 'ordnungsamt'],
        ['site', 'marktplatz'],
      ],
    });
    cs.calls = [];
    const rekeyed = await call('put', '/api/devices/70b3d57ed0030001', { ...rest, appKey: KEY_2 });
    expect(rekeyed.json.provisioning).toMatchObject({ status: 'provisioned', keys: 'set' });
    expect(cs.methods()).toEqual(['Update', 'UpdateKeys']);
    expect(cs.calls[1]!.request).toEqual({ deviceKeys: { devEui: '70b3d57ed0030001', nwkKey: KEY_2.toLowerCase(), appKey: '', genAppKey: '' } });
    // An unchanged PUT sends nothing.
    cs.calls = [];
    await call('put', '/api/devices/70b3d57ed0030001', { ...rest, appKey: KEY_2 });
    expect(cs.methods()).toEqual([]);
  });

  it('a failed key update stays "stale" and is retried with UpdateKeys', async () => {
    const { appKey: _k, devEui: _e, ...rest } = parking;
    cs.failNext.set('UpdateKeys', [{ code: grpc.status.UNAVAILABLE, details: 'try again' }]);
    const res = await call('put', '/api/devices/70b3d57ed0030001', { ...rest, appKey: KEY_1 });
    expect(res.json.provisioning).toMatchObject({ status: 'failed', keys: 'stale', error: 'DeviceService.UpdateKeys: UNAVAILABLE: try again — the device exists in ChirpStack without OTAA keys' });
    cs.calls = [];
    const retry = await call('post', '/api/devices/70b3d57ed0030001/provision');
    expect(retry.json.provisioning).toMatchObject({ status: 'provisioned', keys: 'set' });
    expect(cs.methods()).toEqual(['Update', 'UpdateKeys']);
    expect(cs.keys.get('70b3d57ed0030001')).toMatchObject({ nwkKey: KEY_1.toLowerCase() });
  });

  it('delete: DeviceService.Delete first; a failure keeps the device (502) unless forced', async () => {
    cs.failNext.set('Delete', [{ code: grpc.status.UNAVAILABLE, details: 'down' }]);
    const refused = await call('delete', '/api/devices/70b3d57ed0030002');
    expect(refused.status).toBe(502);
    expect(refused.json.message).toBe('DeviceService.Delete: UNAVAILABLE: down; the device was not deleted (retry, or add ?force=true to delete it in Stadtpuls only and leave it in ChirpStack)');
    expect(app.fleet.get('70b3d57ed0030002')).toBeDefined();
    const ok = await call('delete', '/api/devices/70b3d57ed0030002');
    expect(ok.json).toEqual({ devEui: '70b3d57ed0030002', deleted: true, chirpstack: 'deleted' });
    expect(cs.devices.has('70b3d57ed0030002')).toBe(false);
    expect(cs.calls.filter((c) => c.method === 'Delete').map((c) => c.request)).toEqual([{ devEui: '70b3d57ed0030002' }, { devEui: '70b3d57ed0030002' }]);
    cs.failNext.set('Delete', [{ code: grpc.status.UNAVAILABLE, details: 'down' }]);
    const forced = await call('delete', '/api/devices/70b3d57ed0030003?force=true');
    expect(forced.json).toEqual({ devEui: '70b3d57ed0030003', deleted: true, chirpstack: 'failed', error: 'DeviceService.Delete: UNAVAILABLE: down' });
    expect(app.fleet.get('70b3d57ed0030003')).toBeUndefined();
    // A device ChirpStack does not know (NOT_FOUND) counts as deleted there.
    cs.devices.delete('70b3d57ed0030004');
    expect((await call('delete', '/api/devices/70b3d57ed0030004')).json.chirpstack).toBe('deleted');
  });

  it('CSV import: provisioning with at most 8 calls in flight, a result per device, partial failures retried by a re-import', async () => {
    cs.delayMs = 15;
    const bad = new Set(['70b3d57ed0040007', '70b3d57ed0040033']);
    cs.failWhen = (method, r) => (method === 'Create' && bad.has(r.device.devEui) ? { code: grpc.status.UNAVAILABLE, details: 'overloaded' } : undefined);
    const rows = Array.from({ length: 60 }, (_, i) => `70b3d57ed00400${i.toString(16).padStart(2, '0')};${i.toString(16).padStart(2, '0').repeat(16)};Bay ${i};marktplatz`);
    const csv = `DevEUI;AppKey;Name;Zone\n${rows.join('\n')}\n`;
    const imp = await call('post', '/api/devices/import?model=nwave-nps405', csv, { 'content-type': 'text/csv' });
    const lines = imp.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, Json>);
    const result = lines.at(-1)!;
    expect(result.summary).toEqual({ rows: 60, create: 60, update: 0, unchanged: 0, error: 0, provisioned: 58, provisioningFailed: 2 });
    expect(lines.filter((l) => l.phase === 'provision').at(-1)).toEqual({ type: 'progress', phase: 'provision', done: 60, total: 60 });
    expect(cs.maxInFlight).toBeLessThanOrEqual(8);
    expect(cs.maxInFlight).toBeGreaterThan(1);
    const failed = result.rows.filter((r: { provisioning: { status: string } }) => r.provisioning.status === 'failed');
    expect(failed).toEqual([
      { row: 9, devEui: '70b3d57ed0040007', action: 'create', provisioning: { status: 'failed', error: 'DeviceService.Create: UNAVAILABLE: overloaded' } },
      { row: 53, devEui: '70b3d57ed0040033', action: 'create', provisioning: { status: 'failed', error: 'DeviceService.Create: UNAVAILABLE: overloaded' } },
    ]);
    expect(result.rows[0]).toEqual({ row: 2, devEui: '70b3d57ed0040000', action: 'create', provisioning: { status: 'provisioned', error: null } });
    expect(cs.keys.get('70b3d57ed004003b')).toMatchObject({ nwkKey: '3b'.repeat(16) });

    // Re-import: every row unchanged; only the two failed devices are sent again.
    cs.failWhen = undefined;
    cs.calls = [];
    const again = await call('post', '/api/devices/import?model=nwave-nps405', csv, { 'content-type': 'text/csv', accept: 'application/json' });
    expect(again.json.summary).toEqual({ rows: 60, create: 0, update: 0, unchanged: 60, error: 0, provisioned: 2, provisioningFailed: 0 });
    expect(again.json.rows.filter((r: { message?: string }) => r.message).map((r: { devEui: string; message: string }) => [r.devEui, r.message])).toEqual([
      ['70b3d57ed0040007', 'unchanged; provisioning in ChirpStack completed'],
      ['70b3d57ed0040033', 'unchanged; provisioning in ChirpStack completed'],
    ]);
    expect(cs.methods().sort()).toEqual(['Create', 'Create', 'CreateKeys', 'CreateKeys']);
  });

  it('POST /api/devices/provision retries every pending or failed device', async () => {
    cs.failNext.set('Create', [{ code: grpc.status.UNAVAILABLE, details: 'down' }]);
    await call('post', '/api/devices', { ...parking, devEui: '70B3D57ED0030008' });
    cs.calls = [];
    const res = await call('post', '/api/devices/provision');
    expect(res.json).toEqual({ provisioned: 1, failed: 0, devices: [{ devEui: '70b3d57ed0030008', status: 'provisioned', error: null }] });
    expect(cs.methods()).toEqual(['Create', 'CreateKeys']);
  });

  it('the audit log records provisioning retries; no AppKey in the log, the audit log or any response', async () => {
    const audit = await fetch(`${base}/api/audit?action=device.provision&limit=100`, { headers: { authorization: `Bearer ${admin}` } });
    const body = (await audit.json()) as { entries: { actor: string; target: string; details: { status: string } }[] };
    expect(body.entries.map((e) => [e.target, e.details.status])).toContainEqual(['70b3d57ed0030005', 'provisioned']);
    const all = await (await fetch(`${base}/api/audit?limit=1000`, { headers: { authorization: `Bearer ${admin}` } })).text();
    const text = logs.join('').toLowerCase();
    expect(text).toContain('chirpstack provisioning failed');
    for (const k of [KEY_1, KEY_2, '3b'.repeat(16)]) {
      expect(text).not.toContain(k.toLowerCase());
      expect(all.toLowerCase()).not.toContain(k.toLowerCase());
    }
    expect(text).not.toContain(TOKEN);
  });
});

describe('ChirpStackClient', () => {
  it('an unreachable ChirpStack is UNAVAILABLE', async () => {
    const client = new ChirpStackClient({ url: 'http://127.0.0.1:1', token: TOKEN, timeoutMs: 3000 });
    const err = await client.deleteDevice('70b3d57ed0030001').catch((e: unknown) => e);
    client.close();
    expect(err).toBeInstanceOf(ChirpStackError);
    expect((err as ChirpStackError).codeName).toBe('UNAVAILABLE');
  });

  it('without the right API key ChirpStack answers UNAUTHENTICATED', async () => {
    const cs = new FakeChirpStack();
    await cs.start();
    const client = new ChirpStackClient({ url: `http://127.0.0.1:${cs.port}`, token: 'wrong', timeoutMs: 3000 });
    const err = await client.listDeviceProfiles('x', undefined).catch((e: unknown) => e);
    client.close();
    await cs.stop();
    expect((err as ChirpStackError).codeName).toBe('UNAUTHENTICATED');
    expect(cs.calls[0]!.auth).toEqual(['Bearer wrong']);
  });
});

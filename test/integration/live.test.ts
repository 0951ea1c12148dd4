/**
 * socket.io live updates against the real App: uplinks published to the embedded broker, clients connected with
 * socket.io-client. Snapshot then batched deltas, role filtering (LIVE_ACCESS), authentication on connect (bearer
 * token in `auth.token` or the session cookie), the public namespace, and a fresh snapshot after a reconnect.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TILE_URL, tileOrigin, webSettingsFromEnv } from '../../src/api/public.js';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { ROLES, type Role } from '../../src/auth/roles.js';
import type { AlarmState, BayState, DeviceHealth, ZoneState } from '../../src/live/events.js';
import type { ClientToServerEvents, GaugeUpdate, PublicServerToClientEvents, PublicZone, ServerToClientEvents, Snapshot, StreamName } from '../../src/live/protocol.js';
import { uplinkJson, uplinkTopic } from '../../src/sim/events.js';
import { fillTemplate } from '../../src/sim/template.js';
import { testApp, until } from '../helpers/app.js';

const BAY = '70b3d5e75ea10001';
const GAUGE = '70b3d5e75ec10001';
const METER = '70b3d5e75eb10001';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A client that records every event it receives, in order. */
interface Recorder {
  readonly socket: Client;
  readonly events: { name: string; payload: unknown }[];
  snapshots(): Snapshot[];
  batches<K extends StreamName>(name: K): Parameters<ServerToClientEvents[K]>[0][];
}

describe('live updates over socket.io through the real App', () => {
  let app: App;
  let pub: MqttClient;
  let base = '';
  const tokens = new Map<Role, string>();
  const clients: Socket[] = [];
  let fCnt = 0;

  const publish = (devEui: string, model: string, values: Record<string, number | boolean>, time = new Date()) => {
    const sim = app.catalog.get(model)!.simulate!;
    const spec = { devEui, fPort: sim.fPort, bytes: fillTemplate(sim.hex, values), fCnt: ++fCnt, time };
    return new Promise<void>((resolve, reject) => pub.publish(uplinkTopic(spec), uplinkJson(spec), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  };
  const login = async (username: string) => {
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
    return ((await res.json()) as { token: string }).token;
  };

  const record = (socket: Client): Recorder => {
    const events: { name: string; payload: unknown }[] = [];
    socket.onAny((name: string, payload: unknown) => events.push({ name, payload }));
    return {
      socket,
      events,
      snapshots: () => events.filter((e) => e.name === 'snapshot').map((e) => e.payload as Snapshot),
      batches: (name) => events.filter((e) => e.name === name).map((e) => e.payload as never),
    };
  };

  /** Connects with a bearer token (or the given options) and resolves once the first snapshot is in. */
  const connect = async (role: Role | undefined, options: Parameters<typeof io>[1] = {}): Promise<Recorder> => {
    const socket: Client = io(base, { transports: ['websocket'], forceNew: true, reconnection: false, ...(role ? { auth: { token: tokens.get(role)! } } : {}), ...options });
    clients.push(socket);
    const rec = record(socket);
    await until(() => rec.snapshots().length > 0, `the first snapshot (${role ?? 'options'})`);
    return rec;
  };

  /** Resolves with the connect error's message (the connection must be refused). */
  const refused = (options: Parameters<typeof io>[1], path = '') =>
    new Promise<string>((resolve, reject) => {
      const socket = io(`${base}${path}`, { transports: ['websocket'], forceNew: true, reconnection: false, ...options });
      clients.push(socket);
      socket.on('connect', () => reject(new Error('connected, but should have been refused')));
      socket.on('connect_error', (err) => resolve(err.message));
    });

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { demoUsers: true } });
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    app.fleet.upsert({ devEui: BAY, model: 'nwave-nps405', name: 'Stellplatz Markt 1', site: 'marktplatz', siteKind: 'zone', lat: 51.2562, lon: 7.1508 });
    app.fleet.upsert({ devEui: GAUGE, model: 'dragino-ldds75', name: 'Pegel Wupper', site: 'wupper', siteKind: 'gauge', mounting: { heightMm: 3000 } });
    app.fleet.upsert({ devEui: METER, model: 'emu-prof-ii', name: 'Rathaus Hauptzähler', site: 'rathaus', siteKind: 'building' });
    for (const role of ROLES) tokens.set(role, await login(role));
    pub = mqtt.connect(app.mqttUrl, { clientId: 'it-live' });
    await new Promise((resolve) => pub.once('connect', resolve));
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    pub?.end(true);
    await app?.stop();
  });

  it('unauthenticated sockets are refused on the default namespace; a forged token and a foreign origin too', async () => {
    expect(await refused({})).toBe('unauthenticated');
    expect(await refused({ auth: { token: 'sps_forged' } })).toBe('unauthenticated');
    expect(await refused({ extraHeaders: { cookie: 'sp_session=sps_forged' } })).toBe('unauthenticated');
    expect(await refused({ auth: { token: tokens.get('admin')! }, extraHeaders: { origin: 'http://evil.example' } })).toMatch(/websocket error/i);
    // A namespace that does not exist is refused as well.
    expect(await refused({ auth: { token: tokens.get('admin')! } }, '/admin')).toBe('Invalid namespace');
  });

  it('enforcement: a snapshot of bays and zones, then the bay turning occupied as a delta; nothing it may not see', async () => {
    const enforcement = await connect('enforcement');
    const [snap] = enforcement.snapshots();
    expect(snap!.user).toEqual({ username: 'enforcement', roles: ['enforcement'] });
    expect(snap!.bays).toEqual([{ devEui: BAY, name: 'Stellplatz Markt 1', zone: 'marktplatz', lat: 51.2562, lon: 7.1508, state: 'unknown', since: undefined, lastSeen: undefined }]);
    expect(snap!.zones).toEqual([{ zone: 'marktplatz', total: 1, occupied: 0, free: 0, stale: 1, overstays: 0 }]);
    for (const part of ['alarms', 'health', 'readings', 'gauges', 'trends'] as const) expect(snap, part).not.toHaveProperty(part);

    const technician = await connect('technician');
    const started = Date.now();
    await publish(BAY, 'nwave-nps405', { occupied: true });
    await until(() => enforcement.batches('parking.bay').flat().some((b) => b.state === 'occupied'), 'the parking.bay delta');
    expect(Date.now() - started).toBeLessThan(2000);
    const bay = enforcement.batches('parking.bay').flat().at(-1) as BayState;
    expect(bay).toMatchObject({ devEui: BAY, state: 'occupied', zone: 'marktplatz' });
    await until(() => enforcement.batches('parking.zone').flat().some((z) => z.occupied === 1), 'the parking.zone delta');
    // The technician sees the same uplink's device health; enforcement must not.
    await until(() => technician.batches('device.health').flat().some((h) => h.devEui === BAY), 'device.health for the technician');
    await until(() => technician.batches('reading').flat().some((r) => r.devEui === BAY), 'the reading for the technician');
    await new Promise((r) => setTimeout(r, 100));
    const names = new Set(enforcement.events.map((e) => e.name));
    expect([...names].sort()).toEqual(['parking.bay', 'parking.zone', 'snapshot']);
  });

  it('viewer: zones and readings, but no parking.bay, no alarms, no health', async () => {
    const viewer = await connect('viewer');
    const [snap] = viewer.snapshots();
    expect(Object.keys(snap!).sort()).toEqual(['at', 'readings', 'user', 'zones']);
    expect(snap!.readings!.map((r) => r.devEui)).toContain(BAY);
    const technician = await connect('technician');
    await publish(BAY, 'nwave-nps405', { occupied: false });
    await publish(METER, 'emu-prof-ii', { energy_import: 1_000_000, energy_export: 0 });
    await until(() => technician.batches('parking.bay').flat().some((b) => b.state === 'free'), 'the bay turning free (technician)');
    await until(() => viewer.batches('reading').flat().some((r) => r.devEui === METER && r.readings.energy_import === 1_000_000), 'the meter reading (viewer)');
    await until(() => viewer.batches('parking.zone').flat().some((z: ZoneState) => z.free === 1), 'the zone delta (viewer)');
    await new Promise((r) => setTimeout(r, 100));
    expect(viewer.batches('parking.bay')).toEqual([]);
    expect(viewer.batches('device.health')).toEqual([]);
    expect(viewer.batches('alarm')).toEqual([]);
  });

  it('facility: level gauges and alarms live (with the trend); enforcement gets none of it; admin gets everything', async () => {
    const facility = await connect('facility');
    const enforcement = await connect('enforcement');
    const admin = await connect('admin');
    expect(Object.keys(admin.snapshots()[0]!).sort()).toEqual(['alarms', 'at', 'bays', 'gauges', 'health', 'readings', 'trends', 'user', 'zones']);
    expect(facility.snapshots()[0]!.gauges).toEqual([expect.objectContaining({ devEui: GAUGE, severity: 'normal' })]);
    const put = await fetch(`${base}/api/gauges/${GAUGE}/thresholds`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.get('technician')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ direction: 'above', warning: 2000, alarm: 2500 }),
    });
    expect(put.status).toBe(200);
    await publish(GAUGE, 'dragino-ldds75', { distance: 2000, battery_voltage: 3.3 }); // level 1000 mm
    await publish(GAUGE, 'dragino-ldds75', { distance: 400, battery_voltage: 3.3 }, new Date(Date.now() + 1000)); // level 2600 mm
    await until(() => facility.batches('alarm').flat().some((a: AlarmState) => a.state === 'active' && a.severity === 'alarm'), 'the alarm (facility)');
    await until(() => facility.batches('level.gauge').flat().some((g: GaugeUpdate) => g.levelMm === 2600 && g.severity === 'alarm'), 'the gauge update');
    await until(() => admin.batches('alarm').length > 0 && admin.batches('device.health').length > 0, 'admin sees alarms and health');
    await new Promise((r) => setTimeout(r, 100));
    expect(enforcement.batches('alarm')).toEqual([]);
    expect(enforcement.batches('level.gauge')).toEqual([]);
    expect(enforcement.batches('reading')).toEqual([]);

    // A new client's snapshot holds the open alarm and the trend of both levels.
    const later = await connect('facility');
    const snap = later.snapshots()[0]!;
    expect(snap.alarms).toEqual([expect.objectContaining({ devEui: GAUGE, state: 'active', value: 2600 })]);
    expect(snap.trends![GAUGE]!.map((p) => p.levelMm)).toEqual([1000, 2600]);
    const ack = await fetch(`${base}/api/alarms/${snap.alarms![0]!.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${tokens.get('facility')}` } });
    expect(ack.status).toBe(200);
    await until(() => later.batches('alarm').flat().some((a) => a.state === 'acknowledged' && a.acknowledgedBy === 'facility'), 'the acknowledgement');
  });

  it('authenticates browsers by the session cookie; logging out ends the live connection at the next check', async () => {
    const token = await login('technician');
    const rec = await connect(undefined, { extraHeaders: { cookie: `other=1; sp_session=${encodeURIComponent(token)}` } });
    expect(rec.snapshots()[0]!.user.username).toBe('technician');
    expect(rec.snapshots()[0]!.health!.map((h: DeviceHealth) => h.devEui)).toEqual(expect.arrayContaining([BAY, GAUGE, METER]));
    const disconnected = new Promise<string>((resolve) => rec.socket.on('disconnect', (reason) => resolve(reason)));
    await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie: `sp_session=${token}` } });
    app.liveSocket!.revalidate();
    expect(await disconnected).toBe('io server disconnect');
  });

  it('after a reconnect the client gets a fresh snapshot with what changed while it was away', async () => {
    const socket: Client = io(base, { transports: ['websocket'], forceNew: true, auth: { token: tokens.get('enforcement')! }, reconnectionDelay: 1500, randomizationFactor: 0 });
    clients.push(socket);
    const rec = record(socket);
    await until(() => rec.snapshots().length === 1, 'the first snapshot');
    expect(rec.snapshots()[0]!.bays![0]!.state).toBe('free');
    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    // The server drops the transport (as a restart or a network break would): the client reconnects by itself.
    for (const s of app.liveSocket!.io.of('/').sockets.values()) if (s.id === socket.id) s.conn.close();
    expect(await gone).toBe('transport close');
    let changed = false;
    const off = app.live.on('parking.bay', (b) => (changed ||= b.devEui === BAY && b.state === 'occupied'));
    await publish(BAY, 'nwave-nps405', { occupied: true });
    await until(() => changed, 'the bay change while the client is away');
    off();
    expect(socket.connected).toBe(false);
    await until(() => rec.snapshots().length === 2, 'the snapshot after the reconnect');
    expect(socket.connected).toBe(true);
    expect(rec.snapshots()[1]!.bays![0]).toMatchObject({ devEui: BAY, state: 'occupied' });
    // The change reached it through the snapshot, not as a delta (it was disconnected then).
    expect(rec.batches('parking.bay').flat().filter((b) => b.state === 'occupied')).toEqual([]);
  });

  it('the public namespace needs no login: zone totals only, live', async () => {
    const socket: Socket<PublicServerToClientEvents> = io(`${base}/public`, { transports: ['websocket'], forceNew: true, reconnection: false });
    clients.push(socket);
    const snapshots: { zones: readonly PublicZone[] }[] = [];
    const deltas: PublicZone[] = [];
    socket.on('snapshot', (s) => snapshots.push(s));
    socket.on('zones', (z) => deltas.push(...z));
    await until(() => snapshots.length === 1, 'the public snapshot');
    expect(snapshots[0]!.zones).toEqual([{ zone: 'marktplatz', total: 1, free: 0, occupied: 1, stale: 0 }]);
    await publish(BAY, 'nwave-nps405', { occupied: false });
    await until(() => deltas.some((z) => z.free === 1), 'the public zone delta');
    expect(JSON.stringify([snapshots, deltas])).not.toMatch(new RegExp(`${BAY}|Stellplatz`));

    const zones = await (await fetch(`${base}/api/public/zones`)).json();
    expect(zones).toEqual([{ zone: 'marktplatz', total: 1, free: 1, occupied: 0, stale: 0 }]);
    const buildings = (await (await fetch(`${base}/api/public/buildings`)).json()) as { buildings: unknown[] };
    expect(buildings.buildings).toEqual([{ building: 'rathaus', consumption: expect.arrayContaining([expect.objectContaining({ reading: 'energy_import', unit: 'Wh' })]) }]);
    expect(JSON.stringify(buildings)).not.toMatch(new RegExp(`${METER}|Hauptzähler`));
    const config = await (await fetch(`${base}/api/public/config`)).json();
    expect(config).toMatchObject({ timeZone: 'Europe/Berlin', demo: true, tileUrl: expect.stringMatching(/^https:\/\//) });
  });
});

describe('web app map settings (WEB_TILE_URL, WEB_TILE_ATTRIBUTION)', () => {
  it('defaults to OpenStreetMap, "none" switches tiles off, anything but an http(s) template is refused', () => {
    expect(webSettingsFromEnv({})).toEqual({ tileUrl: DEFAULT_TILE_URL, tileAttribution: '© OpenStreetMap-Mitwirkende' });
    expect(webSettingsFromEnv({ WEB_TILE_URL: 'none' }).tileUrl).toBeNull();
    const own = webSettingsFromEnv({ WEB_TILE_URL: 'http://tiles.rathaus.local:8081/{z}/{x}/{y}.png', WEB_TILE_ATTRIBUTION: '© Stadt' });
    expect(own).toEqual({ tileUrl: 'http://tiles.rathaus.local:8081/{z}/{x}/{y}.png', tileAttribution: '© Stadt' });
    expect(tileOrigin(own)).toBe('http://tiles.rathaus.local:8081');
    expect(tileOrigin(webSettingsFromEnv({ WEB_TILE_URL: 'https://{s}.tile.example.org/{z}/{x}/{y}.png' }))).toBe('https://*.tile.example.org');
    expect(tileOrigin({ tileUrl: null, tileAttribution: '' })).toBeUndefined();
    for (const bad of ['ftp://tiles/{z}/{x}/{y}.png', 'https://tiles/{x}/{y}.png', 'not a url {z}{x}{y}']) expect(() => webSettingsFromEnv({ WEB_TILE_URL: bad }), bad).toThrow(/WEB_TILE_URL/);
  });
});

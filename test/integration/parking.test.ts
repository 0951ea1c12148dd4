import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { ROLES, type Role } from '../../src/auth/roles.js';
import { uplinkJson, uplinkTopic } from '../../src/sim/events.js';
import { fillTemplate } from '../../src/sim/template.js';
import type { EmbeddedSink } from '../../src/store/embedded.js';
import { testApp, until } from '../helpers/app.js';

const A = '70b3d5e75ea00001';
const B = '70b3d5e75ea00002';
const HOUR = 3600_000;

/**
 * A fixed-offset zone in which it is about noon now: the test's all-day rule window (00:00–24:00) then began
 * about twelve hours ago whenever the test runs, so the expected minutes are exact.
 */
function noonZone(): string {
  const k = 12 - new Date().getUTCHours(); // local = UTC + k, k in −11…12
  return k === 0 ? 'Etc/GMT' : `Etc/GMT${k > 0 ? '-' : '+'}${Math.abs(k)}`;
}

describe('parking through the real app: MQTT uplinks → bays, zones, overstays, points; roles', () => {
  let app: App;
  let pub: MqttClient;
  let base = '';
  const tokens = new Map<Role, string>();

  const call = async (method: string, path: string, role?: Role, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(role ? { authorization: `Bearer ${tokens.get(role)}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  };
  let fCnt = 0;
  const occupancy = (devEui: string, occupied: boolean, time: Date) => {
    const sim = app.catalog.get('nwave-nps405')!.simulate!;
    const spec = { devEui, fPort: sim.fPort, bytes: fillTemplate(sim.hex, { occupied }), fCnt: ++fCnt, time };
    return new Promise<void>((resolve, reject) => pub.publish(uplinkTopic(spec), uplinkJson(spec), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  };

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { demoUsers: true }, town: { timeZone: noonZone() } });
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    for (const devEui of [A, B]) app.fleet.upsert({ devEui, model: 'nwave-nps405', name: `Stellplatz ${devEui.slice(-1)}`, site: 'markt', siteKind: 'zone', lat: 51.2562, lon: 7.1508 });
    for (const role of ROLES) {
      const res = await call('POST', '/api/auth/login', undefined, { username: role, password: DEMO_PASSWORD });
      tokens.set(role, (res.json as { token: string }).token);
    }
    pub = mqtt.connect(app.mqttUrl, { clientId: 'it-parking' });
    await new Promise((resolve) => pub.once('connect', resolve));
  }, 60_000);

  afterAll(async () => {
    pub?.end(true);
    await app?.stop();
  });

  it('rules: technicians set them, enforcement may not; invalid rules are refused', async () => {
    const rule = { maxMinutes: 60, days: ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'], from: '00:00', to: '24:00' };
    expect((await call('PUT', '/api/parking/zones/markt/rule', 'enforcement', rule)).status).toBe(403);
    expect((await call('PUT', '/api/parking/zones/markt/rule', undefined, rule)).status).toBe(401);
    const bad = await call('PUT', '/api/parking/zones/markt/rule', 'technician', { ...rule, from: '18:00', to: '08:00' });
    expect(bad).toMatchObject({ status: 400, json: { problems: ['to: `from` must be before `to` (windows across midnight are not supported)'] } });
    expect(await call('PUT', '/api/parking/zones/markt/rule', 'technician', rule)).toMatchObject({ status: 200, json: { zone: 'markt', rule, updatedBy: 'technician' } });
    expect((await call('GET', '/api/parking/rules', 'enforcement')).json).toEqual([expect.objectContaining({ zone: 'markt', rule })]);
  });

  it('occupancy uplinks become bay states, zone counts, arrivals, departures and overstays', async () => {
    const now = Date.now();
    await occupancy(A, false, new Date(now - 4 * HOUR));
    await occupancy(A, true, new Date(now - 3 * HOUR));
    await occupancy(B, true, new Date(now - 2 * HOUR));
    await occupancy(B, false, new Date(now - HOUR));
    await occupancy(B, true, new Date(now - 2.5 * HOUR)); // late: must not overwrite
    const sink = app.sink as EmbeddedSink;
    await until(() => sink.count('parking_event') === 2 && sink.count('uplink') === 5, 'parking points');

    const bays = await call('GET', '/api/parking/bays?zone=markt', 'enforcement');
    expect(bays.status).toBe(200);
    expect(bays.json).toEqual([
      {
        devEui: A,
        name: 'Stellplatz 1',
        zone: 'markt',
        lat: 51.2562,
        lon: 7.1508,
        state: 'occupied',
        since: new Date(now - 3 * HOUR).toISOString(),
        lastSeen: new Date(now - 3 * HOUR).toISOString(),
        overstay: { limitMinutes: 60, overMinutes: 120 },
      },
      { devEui: B, name: 'Stellplatz 2', zone: 'markt', lat: 51.2562, lon: 7.1508, state: 'free', since: new Date(now - HOUR).toISOString(), lastSeen: new Date(now - HOUR).toISOString() },
    ]);
    expect((await call('GET', '/api/parking/zones', 'viewer')).json).toEqual([{ zone: 'markt', total: 2, occupied: 1, free: 1, stale: 0, overstays: 1 }]);
    expect((await call('GET', '/api/parking/overstays', 'enforcement')).json).toEqual([
      { devEui: A, name: 'Stellplatz 1', zone: 'markt', lat: 51.2562, lon: 7.1508, since: new Date(now - 3 * HOUR).toISOString(), parkedMinutes: 180, limitMinutes: 60, overMinutes: 120 },
    ]);

    const events = sink.query('parking_event').map((p) => ({ dev: p.tags.dev_eui, site: p.tags.site, ...p.fields }));
    expect(events).toEqual([
      { dev: B, site: 'markt', event: 'departure', duration_s: 3600 },
      { dev: A, site: 'markt', event: 'arrival' },
    ]);
    const zones = sink.query('parking_zone').reverse().map((p) => p.fields);
    expect(zones).toEqual([
      { occupied: 0, free: 1, stale: 1, total: 2, rate: 0 },
      { occupied: 1, free: 0, stale: 1, total: 2, rate: 1 },
      { occupied: 2, free: 0, stale: 0, total: 2, rate: 1 },
      { occupied: 1, free: 1, stale: 0, total: 2, rate: 0.5 },
    ]);
  });

  it('roles: viewers see zones only, facility nothing of parking, anonymous nobody', async () => {
    expect((await call('GET', '/api/parking/zones', 'enforcement')).status).toBe(200);
    expect((await call('GET', '/api/parking/zones', 'technician')).status).toBe(200);
    expect((await call('GET', '/api/parking/zones', 'facility')).status).toBe(403);
    expect((await call('GET', '/api/parking/bays', 'viewer')).status).toBe(403);
    expect((await call('GET', '/api/parking/overstays', 'viewer')).status).toBe(403);
    expect((await call('GET', '/api/parking/zones')).status).toBe(401);
    expect((await call('GET', '/api/parking/bays?zone=no%20such', 'enforcement')).status).toBe(400);
    expect((await call('DELETE', '/api/parking/zones/markt/rule', 'technician')).status).toBe(204);
    expect((await call('GET', '/api/parking/overstays', 'admin')).json).toEqual([]);
  });
});

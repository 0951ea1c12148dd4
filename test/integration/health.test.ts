import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { ROLES, type Role } from '../../src/auth/roles.js';
import type { DeviceHealth } from '../../src/live/events.js';
import type { HealthModule } from '../../src/semantics/health/module.js';
import { uplinkJson, uplinkTopic } from '../../src/sim/events.js';
import { fillTemplate } from '../../src/sim/template.js';
import type { EmbeddedSink } from '../../src/store/embedded.js';
import { testApp, until } from '../helpers/app.js';

const DEV = '70b3d5e75ec00002';
const GATEWAY = '0016c001f153a14c'; // the gateway of src/sim/events.ts

describe('device health through the real app: radio, battery, codec errors, offline, ack, silence; roles', () => {
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
  const health = async () => (await call('GET', `/api/devices/${DEV}/health`, 'technician')).json as DeviceHealth;
  const publish = (topic: string, payload: Buffer) => new Promise<void>((resolve, reject) => pub.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  let fCnt = 0;
  const uplink = (time: Date, fPort?: number) => {
    const sim = app.catalog.get('dragino-ldds75')!.simulate!;
    const spec = { devEui: DEV, fPort: fPort ?? sim.fPort, bytes: fillTemplate(sim.hex, { distance: 1500, battery_voltage: 3.3 }), fCnt: ++fCnt, time, rssi: -97, snr: 5.5 };
    return publish(uplinkTopic(spec), uplinkJson(spec));
  };
  /** A ChirpStack v4 `log` event as the network server sends it when its device-profile codec fails. */
  const codecLog = (time: Date) =>
    publish(
      uplinkTopic({ devEui: DEV }, 'log'),
      Buffer.from(
        JSON.stringify({
          time: time.toISOString(),
          deviceInfo: { tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242', tenantName: 'Musterstadt', applicationId: '4f7a2b1c-0d3e-4a5b-8c6d-7e8f9a0b1c2d', applicationName: 'stadtpuls-demo', deviceProfileName: 'demo', deviceName: 'Pegel', devEui: DEV, tags: {} },
          level: 'ERROR',
          code: 'UPLINK_CODEC',
          description: 'decodeUplink returned errors: unknown frame type 0x07',
          context: { deduplication_id: '2c7e0b91-8d4f-4a36-b5e2-7f1a9c3d6e08' },
        }),
      ),
    );

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { demoUsers: true } });
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    // Expected every second: offline three seconds after the last uplink.
    app.fleet.upsert({ devEui: DEV, model: 'dragino-ldds75', name: 'Pegel Zisterne', site: 'rathaus', uplinkIntervalSeconds: 1, mounting: { heightMm: 3000 } });
    for (const role of ROLES) {
      const res = await call('POST', '/api/auth/login', undefined, { username: role, password: DEMO_PASSWORD });
      tokens.set(role, (res.json as { token: string }).token);
    }
    pub = mqtt.connect(app.mqttUrl, { clientId: 'it-health' });
    await new Promise((resolve) => pub.once('connect', resolve));
  }, 60_000);

  afterAll(async () => {
    pub?.end(true);
    await app?.stop();
  });

  it('roles: technicians (and admins) only', async () => {
    expect((await call('GET', '/api/devices/health', 'viewer')).status).toBe(403);
    expect((await call('GET', `/api/devices/${DEV}/health`, 'facility')).status).toBe(403);
    expect((await call('POST', `/api/devices/${DEV}/health/silence`, 'enforcement', { until: new Date(Date.now() + 3600_000).toISOString() })).status).toBe(403);
    expect((await call('POST', `/api/devices/${DEV}/health/ack`, 'facility')).status).toBe(403);
    expect((await call('GET', '/api/devices/health', 'admin')).status).toBe(200);
    expect((await call('GET', '/api/devices/70b3d5e75ec0ffff/health', 'technician')).status).toBe(404);
  });

  it('an uplink gives last seen, radio per gateway and battery; our decoder failures and ChirpStack codec logs are counted', async () => {
    const t1 = new Date();
    await uplink(t1);
    await until(async () => (await health()).online, 'the first uplink');
    expect(await health()).toEqual({
      devEui: DEV,
      name: 'Pegel Zisterne',
      model: 'dragino-ldds75',
      lastSeen: t1.toISOString(),
      batteryVoltage: 3.3,
      rssi: -97,
      snr: 5.5,
      gateways: { [GATEWAY]: { rssi: -97, snr: 5.5, lastSeen: t1.toISOString() } },
      expectedIntervalSeconds: 1,
      online: true,
      codecErrors: 0,
    });

    await uplink(new Date(), 100); // the LDDS75 decoder rejects fPort 100
    await until(async () => (await health()).codecErrors === 1, 'the decoder error');
    expect((await health()).lastCodecError?.description).toBe('decoder_error: decoder dragino-ldds75 returned errors: unknown FPort');
    await codecLog(new Date());
    await until(async () => (await health()).codecErrors === 2, 'the codec log event');
    expect((await health()).lastCodecError?.description).toBe('decodeUplink returned errors: unknown frame type 0x07');
  });

  it('offline after three missed intervals: offline alarm, acknowledged by a technician; silence; back online clears it', async () => {
    const module = app.semantics.find((m) => m.name === 'health') as HealthModule;
    const lastSeen = Date.parse((await health()).lastSeen!);
    await new Promise((r) => setTimeout(r, Math.max(0, lastSeen + 3100 - Date.now())));
    module.tick(); // what the app's timer does every 60 s
    const sink = app.sink as EmbeddedSink;
    await until(() => sink.count('alarm') === 1, 'the offline alarm point');
    expect(sink.query('alarm').map((p) => [p.tags.kind, p.fields.state, p.timeNs])).toEqual([['offline', 'active', `${lastSeen + 3000}000000`]]);
    expect(await health()).toMatchObject({ online: false, offlineSince: new Date(lastSeen + 3000).toISOString() });
    const alarms = (await call('GET', '/api/alarms?state=active&kind=offline', 'technician')).json as { id: string }[];
    expect(alarms).toEqual([expect.objectContaining({ devEui: DEV, kind: 'offline', severity: 'alarm', state: 'active' })]);

    expect(await call('POST', `/api/devices/${DEV}/health/ack`, 'technician')).toMatchObject({ status: 200, json: { id: alarms[0]!.id, state: 'acknowledged', acknowledgedBy: 'technician' } });
    expect((await call('POST', `/api/devices/${DEV}/health/ack`, 'technician')).status).toBe(409);

    expect((await call('POST', `/api/devices/${DEV}/health/silence`, 'technician', { until: new Date(Date.now() - 1000).toISOString() })).status).toBe(400);
    const until1 = new Date(Date.now() + 3600_000).toISOString();
    expect(await call('POST', `/api/devices/${DEV}/health/silence`, 'technician', { until: until1 })).toMatchObject({ status: 200, json: { silencedUntil: until1 } });
    expect(((await call('POST', `/api/devices/${DEV}/health/silence`, 'technician', { until: null })).json as DeviceHealth).silencedUntil).toBeUndefined();

    await uplink(new Date());
    await until(async () => (await health()).online, 'back online');
    expect((await call('GET', `/api/alarms?kind=offline&devEui=${DEV}`, 'technician')).json).toEqual([expect.objectContaining({ id: alarms[0]!.id, state: 'cleared', acknowledgedBy: 'technician' })]);
    await until(() => sink.count('alarm') === 3, 'alarm points');
    expect(sink.query('alarm').map((p) => p.fields.state).sort()).toEqual(['acknowledged', 'active', 'cleared']);
  });
});

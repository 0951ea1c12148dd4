import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { ROLES, type Role } from '../../src/auth/roles.js';
import type { AlarmState } from '../../src/live/events.js';
import { uplinkJson, uplinkTopic } from '../../src/sim/events.js';
import { fillTemplate } from '../../src/sim/template.js';
import type { EmbeddedSink } from '../../src/store/embedded.js';
import { testApp, until } from '../helpers/app.js';

const GAUGE = '70b3d5e75ec00001';

describe('level gauges through the real app: MQTT uplinks → level, thresholds, alarms, acknowledgement; roles', () => {
  let app: App;
  let pub: MqttClient;
  let base = '';
  const tokens = new Map<Role, string>();
  const live: AlarmState[] = [];

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
  const distance = (mm: number, time: Date) => {
    const sim = app.catalog.get('dragino-ldds75')!.simulate!;
    const spec = { devEui: GAUGE, fPort: sim.fPort, bytes: fillTemplate(sim.hex, { distance: mm, battery_voltage: 3.3 }), fCnt: ++fCnt, time };
    return new Promise<void>((resolve, reject) => pub.publish(uplinkTopic(spec), uplinkJson(spec), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  };

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { demoUsers: true } });
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    app.fleet.upsert({ devEui: GAUGE, model: 'dragino-ldds75', name: 'Pegel Wupper', site: 'wupper', siteKind: 'gauge', mounting: { heightMm: 4000, zeroOffsetMm: 0 } });
    app.live.on('alarm', (a) => live.push(a));
    for (const role of ROLES) {
      const res = await call('POST', '/api/auth/login', undefined, { username: role, password: DEMO_PASSWORD });
      tokens.set(role, (res.json as { token: string }).token);
    }
    pub = mqtt.connect(app.mqttUrl, { clientId: 'it-level' });
    await new Promise((resolve) => pub.once('connect', resolve));
  }, 60_000);

  afterAll(async () => {
    pub?.end(true);
    await app?.stop();
  });

  it('thresholds: technicians set them, facility reads them, others may not; unknown gauges are 404', async () => {
    const t = { direction: 'above', warning: 2000, alarm: 2500 };
    expect((await call('PUT', `/api/gauges/${GAUGE}/thresholds`, 'facility', t)).status).toBe(403);
    expect((await call('PUT', '/api/gauges/70b3d5e75ec0ffff/thresholds', 'technician', t)).status).toBe(404);
    expect((await call('PUT', `/api/gauges/${GAUGE}/thresholds`, 'technician', { ...t, alarm: 1500 })).status).toBe(400);
    expect(await call('PUT', `/api/gauges/${GAUGE}/thresholds`, 'technician', t)).toMatchObject({ status: 200, json: { devEui: GAUGE, thresholds: { ...t, hysteresisMm: 50 }, updatedBy: 'technician' } });
    expect((await call('GET', `/api/gauges/${GAUGE}/thresholds`, 'facility')).status).toBe(200);
    expect((await call('GET', '/api/gauges', 'viewer')).status).toBe(403);
  });

  it('a level beyond the alarm threshold raises an alarm; facility acknowledges it; back below the hysteresis it clears', async () => {
    const t1 = new Date(Date.now() - 60_000);
    await distance(1400, t1); // level 2600 mm
    await until(() => live.length === 1, 'the alarm');
    const active = await call('GET', '/api/alarms?state=active', 'facility');
    expect(active.json).toEqual([
      { id: '1', devEui: GAUGE, kind: 'level', severity: 'alarm', state: 'active', since: t1.toISOString(), value: 2600, threshold: 2500, message: 'Pegel Wupper: level 2600 mm at or above the alarm threshold 2500 mm' },
    ]);
    expect((await call('GET', '/api/alarms?state=active', 'viewer')).status).toBe(403);
    expect((await call('GET', '/api/gauges', 'technician')).json).toEqual([
      { devEui: GAUGE, name: 'Pegel Wupper', model: 'dragino-ldds75', site: 'wupper', time: t1.toISOString(), levelMm: 2600, severity: 'alarm', alarmId: '1', thresholds: { direction: 'above', warning: 2000, alarm: 2500, hysteresisMm: 50 } },
    ]);

    expect((await call('POST', '/api/alarms/1/ack', 'enforcement')).status).toBe(403);
    const ack = await call('POST', '/api/alarms/1/ack', 'facility');
    expect(ack).toMatchObject({ status: 200, json: { id: '1', state: 'acknowledged', acknowledgedBy: 'facility', acknowledgedAt: expect.any(String) } });
    expect((await call('POST', '/api/alarms/1/ack', 'technician')).status).toBe(409);
    expect((await call('POST', '/api/alarms/2/ack', 'technician')).status).toBe(404);
    expect((await call('GET', '/api/alarms?state=active', 'technician')).json).toEqual([]);

    await distance(2060, new Date()); // level 1940 mm: below 2000 − 50
    await until(() => live.length === 3, 'the cleared alarm');
    expect((await call('GET', '/api/alarms?state=cleared', 'technician')).json).toEqual([expect.objectContaining({ id: '1', state: 'cleared', value: 1940, acknowledgedBy: 'facility' })]);

    const sink = app.sink as EmbeddedSink;
    await until(() => sink.count('alarm') === 3 && sink.count('level_derived') === 2, 'level and alarm points');
    expect(sink.query('level_derived').map((p) => p.fields)).toEqual([{ level_mm: 1940 }, { level_mm: 2600 }]);
    expect(sink.query('alarm').map((p) => [p.fields.state, p.fields.severity, p.fields.acknowledged_by ?? null, p.tags.kind])).toEqual(
      expect.arrayContaining([
        ['active', 'alarm', null, 'level'],
        ['acknowledged', 'alarm', 'facility', 'level'],
        ['cleared', 'alarm', 'facility', 'level'],
      ]),
    );
  });
});

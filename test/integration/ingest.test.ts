import { existsSync, readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { uplinkJson, uplinkProtobuf, uplinkTopic } from '../../src/sim/events.js';
import { metric, testApp, testCatalogDir, until } from '../helpers/app.js';
import { Influxd, Mosquitto } from '../helpers/processes.js';

const FIXTURES = new URL('../../../shared/fixtures/chirpstack/v4/', import.meta.url);
const haveFixtures = existsSync(FIXTURES);
const DB = 'stadtpuls';

const PARKING = '70b3d5e75e00a1b2'; // the fixtures' invented parking sensor, decoded by ChirpStack
const NWAVE = 'a81758fffe000001';
const EMU = 'a81758fffe000002';
const LDDS = 'a81758fffe000003';

describe.skipIf(!haveFixtures)('ingest: real mosquitto and influxd', () => {
  let broker: Mosquitto;
  let influx: Influxd;
  let app: App;
  let pub: MqttClient;
  const logs: string[] = [];

  const publish = (topic: string, payload: Buffer | string) =>
    new Promise<void>((resolve, reject) => pub.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  const rows = async (q: string) => (await influx.query(DB, q))[0]?.values ?? [];
  const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));

  beforeAll(async () => {
    broker = await Mosquitto.create();
    influx = await Influxd.create();
    await Promise.all([broker.start(), influx.start()]);
    app = testApp({ mqtt: { url: broker.url, clientId: 'stadtpuls-it', topics: ['application/#', 'v3/+/devices/+/up'] }, influx: { url: influx.url, database: DB }, catalogDir: testCatalogDir() }, logs);
    await app.start();
    app.fleet.upsert({ devEui: PARKING, model: 'acme-parking', name: 'Bay 17', site: 'marktplatz' });
    app.fleet.upsert({ devEui: NWAVE, model: 'nwave-nps405', name: 'Bay 1', site: 'bahnhof' });
    app.fleet.upsert({ devEui: EMU, model: 'emu-prof-ii', name: 'Rathaus Strom', site: 'rathaus' });
    app.fleet.upsert({ devEui: LDDS, model: 'dragino-ldds75', name: 'Pegel Wupper', site: 'wupper' });
    pub = mqtt.connect(broker.url, { clientId: 'it-publisher' });
    await new Promise((r) => pub.once('connect', r));
    await until(() => app.health().then((h) => h.mqtt.connected), 'subscription');
  });

  afterAll(async () => {
    pub?.end(true);
    await app?.stop();
    await Promise.all([broker?.cleanup(), influx?.cleanup()]);
  });

  it('stores every v4 fixture, JSON and protobuf, with the event time as timestamp', async () => {
    const topic = (body: Buffer, event: string) => {
      const j = JSON.parse(readFileSync(new URL(`${event}.json`, FIXTURES), 'utf8')) as { deviceInfo: { applicationId: string; devEui: string } };
      void body;
      return `application/${j.deviceInfo.applicationId}/device/${j.deviceInfo.devEui}/event/${event.replace('-object', '').replace('log-codec-error', 'log')}`;
    };
    for (const name of ['up', 'up-object', 'status', 'join', 'log', 'log-codec-error', 'ack', 'txack', 'location']) {
      for (const ext of ['json', 'pb']) await publish(topic(fixture(`${name}.${ext}`), name), fixture(`${name}.${ext}`));
    }
    await until(async () => (await rows('SELECT count(f_cnt) FROM uplink')).length > 0 && (await rows(`SELECT * FROM device_event`)).length >= 3, 'fixture points');

    // up.json: unknown device -> readings rejected, the link point still written.
    expect(await rows(`SELECT f_cnt, f_port, rssi, snr, gateways, frequency, sf, dr, payload_bytes FROM uplink WHERE dev_eui = '0101010101010101'`)).toEqual([
      [1658136855775023242, 0, 1, -36, 10.5, 1, 867100000, 11, 1, 1],
    ].map(([t, ...v]) => [t, ...v.slice(0, 2), v[2], v[3], v[4], v[5], v[6], v[7], v[8]]));
    // up-object: ChirpStack's object mapped through the catalog; best gateway of two.
    const time = 1715671303512034000;
    expect(await rows(`SELECT rssi, snr, gateways, f_cnt FROM uplink WHERE dev_eui = '${PARKING}'`)).toEqual([[time, -97, 7.25, 2, 1287]]);
    expect(await rows(`SELECT occupied FROM parking WHERE dev_eui = '${PARKING}' AND site = 'marktplatz' AND model = 'acme-parking'`)).toEqual([[time, true]]);
    expect(await rows(`SELECT temperature FROM environment WHERE dev_eui = '${PARKING}'`)).toEqual([[time, 12.5]]);
    expect(await rows(`SELECT battery, battery_voltage FROM battery WHERE dev_eui = '${PARKING}'`)).toEqual([[time, 87, 3.6]]);
    // status: JSON and protobuf of the same event land on the same point.
    const status = await rows(`SELECT margin, battery_level, external_power FROM device_status`);
    expect(status).toHaveLength(1);
    expect(status[0]![1]).toBe(10);
    expect([88.3, Math.fround(88.3)]).toContain(status[0]![2]);
    // join and both log events.
    const events = await rows(`SELECT event, code, dev_addr FROM device_event ORDER BY time`);
    expect(events.map((e) => [e[1], e[2] ?? e[3]])).toEqual([
      ['join', '00189440'],
      ['log', 'UPLINK_MIC'],
      ['log', 'UPLINK_CODEC'],
    ]);
    expect(await metric(app, 'stadtpuls_ignored_events_total', 'event="ack"')).toBe(2);
    expect(await metric(app, 'stadtpuls_ignored_events_total', 'event="txack"')).toBe(2);
    expect(await metric(app, 'stadtpuls_ignored_events_total', 'event="location"')).toBe(2);
    // up.pb repeats up.json's deduplicationId (likewise up-object): dropped as duplicates.
    expect(await metric(app, 'stadtpuls_rejections_total', 'reason="unknown_device"')).toBe(1);
    expect(await metric(app, 'stadtpuls_duplicates_total')).toBe(2);
  });

  it('decodes parking, energy and level vectors end to end with our sandboxed decoders', async () => {
    const t0 = Date.parse('2026-03-01T10:00:00.000Z');
    const uplinks = [
      { devEui: NWAVE, fPort: 1, bytes: '95', proto: false }, // parking status: occupied
      { devEui: EMU, fPort: 1, bytes: 'b4d77b6101b4d77b6103120700000480000000057d0400000682450000074807000008280a000009520100000abd250000e4', proto: true },
      { devEui: LDDS, fPort: 2, bytes: '0ce404d20000d701', proto: false },
    ];
    for (const [i, u] of uplinks.entries()) {
      const spec = { devEui: u.devEui, fPort: u.fPort, bytes: Buffer.from(u.bytes, 'hex'), fCnt: 10 + i, time: new Date(t0 + i * 1000) };
      await publish(uplinkTopic(spec), u.proto ? uplinkProtobuf(spec) : uplinkJson(spec));
    }
    await until(async () => (await rows(`SELECT distance FROM level WHERE dev_eui = '${LDDS}'`)).length === 1, 'level point');
    const ns = (i: number) => (t0 + i * 1000) * 1e6;
    expect(await rows(`SELECT occupied FROM parking WHERE dev_eui = '${NWAVE}' AND model = 'nwave-nps405' AND site = 'bahnhof'`)).toEqual([[ns(0), true]]);
    expect(await rows(`SELECT energy_import, energy_export FROM electricity WHERE dev_eui = '${EMU}'`)).toEqual([[ns(1), 1810, 1149]]);
    expect(await rows(`SELECT distance FROM level WHERE dev_eui = '${LDDS}'`)).toEqual([[ns(2), 1234]]);
    expect(await rows(`SELECT battery_voltage FROM battery WHERE dev_eui = '${LDDS}'`)).toEqual([[ns(2), 3.3]]);
  });

  it('rejects bad input with named reasons and keeps the good messages around it', async () => {
    const before = (await rows(`SELECT count(f_cnt) FROM uplink WHERE dev_eui = '${NWAVE}'`))[0]?.[1] ?? 0;
    const good = (i: number) => {
      const spec = { devEui: NWAVE, fPort: 1, bytes: Buffer.from('15', 'hex'), fCnt: 100 + i, time: new Date(Date.parse('2026-03-02T00:00:00Z') + i * 1000) };
      return publish(uplinkTopic(spec), i % 2 ? uplinkProtobuf(spec) : uplinkJson(spec));
    };
    const badJson = uplinkJson({ devEui: NWAVE, fPort: 1, bytes: Buffer.from('95', 'hex'), fCnt: 1 }).toString().replace(/"data":"[^"]*"/, '"data":"q!=="');
    const bad: [string, Buffer | string][] = [
      [uplinkTopic({ devEui: NWAVE }), '{"deduplicationId": '],
      [uplinkTopic({ devEui: NWAVE }), badJson],
      [uplinkTopic({ devEui: NWAVE }), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x01])],
      [uplinkTopic({ devEui: NWAVE }), Buffer.alloc(300 * 1024, 0x7b)],
      ['application/x/device/0101010101010101/command/down', '{}'],
      [uplinkTopic({ devEui: 'ffffffffffffffff' }), uplinkJson({ devEui: 'ffffffffffffffff', fPort: 1, bytes: Buffer.from('01', 'hex'), fCnt: 1 })],
      [uplinkTopic({ devEui: NWAVE }), uplinkJson({ devEui: NWAVE, fPort: 77, bytes: Buffer.from('0102', 'hex'), fCnt: 2, time: new Date('2026-03-02T01:00:00Z') })],
    ];
    for (let i = 0; i < bad.length; i++) {
      await good(i);
      await publish(bad[i]![0], bad[i]![1]);
    }
    await good(bad.length);
    await until(async () => ((await rows(`SELECT count(f_cnt) FROM uplink WHERE dev_eui = '${NWAVE}'`))[0]?.[1] as number) === (before as number) + bad.length + 2, 'good uplinks');
    for (const reason of ['malformed_json', 'bad_base64', 'malformed_protobuf', 'oversized', 'unexpected_topic']) {
      expect(await metric(app, 'stadtpuls_rejections_total', `reason="${reason}"`), reason).toBe(1);
    }
    expect(await metric(app, 'stadtpuls_rejections_total', 'reason="decoder_error"')).toBe(1);
    expect(await metric(app, 'stadtpuls_rejections_total', 'reason="unknown_device"')).toBe(2);
    // The decoder failure left its trace on the device.
    expect((await rows(`SELECT event, reason FROM device_event WHERE dev_eui = '${NWAVE}'`)).map((r) => r.slice(1))).toEqual([['decoder_error', 'decoder_error']]);
    const rejectLogs = logs.filter((l) => l.includes('message rejected'));
    expect(rejectLogs.some((l) => l.includes('"reason":"bad_base64"'))).toBe(true);
  });

  it('drops a redelivered uplink with the same deduplicationId', async () => {
    const spec = { devEui: LDDS, fPort: 2, bytes: Buffer.from('0ce404d20000d701', 'hex'), fCnt: 500, time: new Date('2026-03-03T00:00:00Z'), deduplicationId: '11111111-2222-4333-8444-555555555555' };
    const before = await metric(app, 'stadtpuls_duplicates_total');
    await publish(uplinkTopic(spec), uplinkJson(spec));
    await publish(uplinkTopic(spec), uplinkProtobuf(spec));
    await until(async () => (await metric(app, 'stadtpuls_duplicates_total')) === before + 1, 'duplicate counted');
    expect(await rows(`SELECT f_cnt FROM uplink WHERE dev_eui = '${LDDS}' AND f_cnt = 500`)).toHaveLength(1);
  });

  it('spools to disk while InfluxDB is down and drains exactly once when it returns', async () => {
    const N = 300;
    const received = await metric(app, 'stadtpuls_mqtt_messages_total');
    const t0 = Date.parse('2026-04-01T00:00:00Z');
    await influx.stop();
    for (let i = 0; i < N; i++) {
      const spec = { devEui: EMU, fPort: 1, bytes: Buffer.from('b4d77b6101b4d77b61031207000039', 'hex'), fCnt: 1000 + i, time: new Date(t0 + i * 1000) };
      await publish(uplinkTopic(spec), i % 3 ? uplinkJson(spec) : uplinkProtobuf(spec));
    }
    // Every message is acknowledged only once it sits in the spool.
    await until(async () => {
      const h = await app.health();
      return h.spool.batches > 0 && h.mqtt.unacked === 0 && (await metric(app, 'stadtpuls_mqtt_messages_total')) >= received + N;
    }, 'spooled');
    expect((await app.health()).status).toBe('degraded');
    await influx.start();
    await until(async () => (await app.health()).spool.batches === 0, 'spool drained', 30_000);
    const stored = await rows(`SELECT count(f_cnt) FROM uplink WHERE dev_eui = '${EMU}' AND time >= '2026-04-01T00:00:00Z'`);
    expect(stored[0]?.[1]).toBe(N);
    const energy = await rows(`SELECT count(energy_import) FROM electricity WHERE dev_eui = '${EMU}' AND time >= '2026-04-01T00:00:00Z'`);
    expect(energy[0]?.[1]).toBe(N);
    expect(await metric(app, 'stadtpuls_spool_peak_bytes')).toBeGreaterThan(0);
  });

  it('stores tag values carrying line-protocol and InfluxQL specials verbatim', async () => {
    const site = `Rathaus, "Nord" = 'A' \\ <script>alert(1)</script>`;
    const spec = { devEui: 'a81758fffe00beef', fPort: 2, bytes: Buffer.from('0ce404d20000d701', 'hex'), fCnt: 9, time: new Date('2026-03-04T00:00:00Z'), tags: { model: 'dragino-ldds75', site } };
    await publish(uplinkTopic(spec), uplinkJson(spec));
    await until(async () => (await rows(`SELECT distance FROM level WHERE dev_eui = 'a81758fffe00beef'`)).length === 1, 'injection point');
    const series = await influx.query(DB, `SELECT distance, site FROM level WHERE dev_eui = 'a81758fffe00beef'`);
    expect(series[0]?.values[0]?.[2]).toBe(site);
    // And the stored value can be selected again with InfluxQL quoting.
    const quoted = site.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    expect(await rows(`SELECT distance FROM level WHERE site = '${quoted}'`)).toHaveLength(1);
  });

  it('reports MQTT and store connectivity on /healthz and counters on /metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${app.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', mqtt: { connected: true }, store: { name: 'influxdb-1', reachable: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${app.httpPort}/metrics`)).text();
    expect(metrics).toContain('stadtpuls_rejections_total{reason="oversized"}');
    expect(metrics).toContain('stadtpuls_points_written_total{sink="influxdb-1"}');
  });
});

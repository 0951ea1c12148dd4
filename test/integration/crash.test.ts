import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uplinkJson, uplinkProtobuf, uplinkTopic } from '../../src/sim/events.js';
import { until } from '../helpers/app.js';
import { Influxd, Mosquitto, tempDir } from '../helpers/processes.js';
import { StadtpulsProcess } from '../helpers/stadtpuls-process.js';

/**
 * The delivery guarantee end to end, with real processes: uplinks keep coming while Stadtpuls is killed with
 * SIGKILL (nothing flushed) or stopped with SIGTERM, and restarted. Every uplink must end up in InfluxDB once.
 */
describe('no uplink lost when Stadtpuls is killed or stopped mid-stream', () => {
  let broker: Mosquitto;
  let influx: Influxd;
  let pub: MqttClient;

  beforeAll(async () => {
    broker = await Mosquitto.create();
    influx = await Influxd.create();
    await Promise.all([broker.start(), influx.start()]);
    pub = mqtt.connect(broker.url, { clientId: 'crash-publisher' });
    await new Promise((r) => pub.once('connect', r));
  });

  afterAll(async () => {
    pub?.end(true);
    await Promise.all([broker?.cleanup(), influx?.cleanup()]);
  });

  it.each([['SIGKILL'], ['SIGTERM']] as const)('%s mid-stream, then restart: exactly N points', async (signal) => {
    const db = `crash_${signal.toLowerCase()}`;
    const env = { MQTT_URL: broker.url, MQTT_CLIENT_ID: `stadtpuls-${db}`, INFLUX_URL: influx.url, INFLUX_DATABASE: db, DATA_DIR: tempDir(db) };
    const N = 3000;
    const t0 = Date.parse('2026-05-01T00:00:00Z');
    const publish = (i: number) => {
      const spec = { devEui: `a81758fffe${String(i % 50).padStart(6, '0')}`, fPort: 2, bytes: Buffer.from('0ce404d20000d701', 'hex'), fCnt: i, time: new Date(t0 + i), tags: { model: 'dragino-ldds75' } };
      return new Promise<void>((resolve, reject) =>
        pub.publish(uplinkTopic(spec), i % 2 ? uplinkProtobuf(spec) : uplinkJson(spec), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
      );
    };
    let app = await StadtpulsProcess.create(env);
    await app.start();
    for (let i = 0; i < N; i++) {
      if (i === Math.floor(N / 3)) {
        await app.stop(signal);
      }
      if (i === Math.floor((2 * N) / 3)) {
        app = await StadtpulsProcess.create(env); // same client id and DATA_DIR: the persistent session resumes
        await app.start();
      }
      await publish(i);
    }
    const count = async () => ((await influx.query(db, 'SELECT count(f_cnt) FROM uplink'))[0]?.values[0]?.[1] as number | undefined) ?? 0;
    await until(async () => (await count()) >= N, `${N} uplink points`, 60_000);
    await new Promise((r) => setTimeout(r, 500)); // anything beyond N would be a duplicate point
    expect(await count()).toBe(N);
    const readings = (await influx.query(db, 'SELECT count(distance) FROM level'))[0]?.values[0]?.[1];
    expect(readings).toBe(N);
    await app.stop('SIGTERM');
  }, 120_000);
});

import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uplinkJson, uplinkProtobuf, uplinkTopic } from '../../src/sim/events.js';
import { until } from '../helpers/app.js';
import { Influxd, Mosquitto, tempDir } from '../helpers/processes.js';
import { StadtpulsProcess } from '../helpers/stadtpuls-process.js';

const FULL = process.env.STADTPULS_FAULTS === 'full';
const N = Number(process.env.FAULT_UPLINKS ?? (FULL ? 100_000 : 20_000));
const RATE = Number(process.env.FAULT_RATE ?? (FULL ? 1000 : 500)); // uplinks per second, steady
const OUTAGE_S = Number(process.env.FAULT_OUTAGE_S ?? (FULL ? 45 : 30));

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * Breaks things on purpose while N uplinks arrive at a steady rate, and counts what survives:
 * (a) influxd stopped for OUTAGE_S seconds and restarted, (b) mosquitto restarted, (c) Stadtpuls killed with
 * SIGKILL and started again. Exactly N distinct points must be in InfluxDB afterwards.
 */
describe(`fault injection: ${N} uplinks at ${RATE}/s`, () => {
  let broker: Mosquitto;
  let influx: Influxd;

  beforeAll(async () => {
    broker = await Mosquitto.create();
    influx = await Influxd.create();
    await Promise.all([broker.start(), influx.start()]);
  });

  afterAll(async () => {
    await Promise.all([broker?.cleanup(), influx?.cleanup()]);
  });

  it('loses nothing and duplicates nothing', async () => {
    const env = { MQTT_URL: broker.url, MQTT_CLIENT_ID: 'stadtpuls-faults', INFLUX_URL: influx.url, INFLUX_DATABASE: 'faults', DATA_DIR: tempDir('faults'), INFLUX_TIMEOUT_MS: '2000', LOG_LEVEL: process.env.FAULT_LOG ?? 'warn' };
    let app = await StadtpulsProcess.create(env);
    await app.start();
    // The publisher keeps its own persistent session, so QoS 1 publishes in flight during a broker restart are resent.
    const pub = mqtt.connect(broker.url, { clientId: 'faults-publisher', clean: false, reconnectPeriod: 200 });
    await new Promise((r) => pub.once('connect', r));
    const t0 = Date.parse('2026-07-01T00:00:00Z');
    const devices = 200;
    const report: Record<string, number | string> = {};
    let spoolPeak = 0;
    let influxBackAt = 0;
    let acked = 0;

    const enabled = new Set((process.env.FAULTS ?? 'influx,broker,kill').split(','));
    const events = new Map<number, () => Promise<void>>([
      [Math.floor(N * 0.05), async () => void (enabled.has('influx') && (await influx.stop()))],
      [
        Math.floor(N * 0.05) + OUTAGE_S * RATE,
        async () => {
          if (!enabled.has('influx')) return;
          spoolPeak = Math.max(spoolPeak, await metric(app.httpPort, 'stadtpuls_spool_peak_bytes'));
          await influx.start();
          influxBackAt = Date.now();
        },
      ],
      [
        Math.floor(N * 0.85),
        async () => {
          if (!enabled.has('broker')) return;
          spoolPeak = Math.max(spoolPeak, await metric(app.httpPort, 'stadtpuls_spool_peak_bytes'));
          await broker.stop();
          await broker.start();
        },
      ],
      [
        Math.floor(N * 0.9),
        async () => {
          if (!enabled.has('kill')) return;
          if (process.env.FAULT_LOG) console.log(`before SIGKILL: ${app.output.slice(-3000)}`);
          await app.stop('SIGKILL');
        },
      ],
      [
        Math.floor(N * 0.95),
        async () => {
          if (!enabled.has('kill')) return;
          app = await StadtpulsProcess.create(env);
          await app.start();
        },
      ],
    ]);

    // The faults happen one after the other: the outage must end before the broker restart and the kill.
    expect([...events.keys()]).toEqual([...events.keys()].sort((a, b) => a - b));
    expect(events.size).toBe(5);
    expect(Math.floor(N * 0.05) + OUTAGE_S * RATE).toBeLessThan(Math.floor(N * 0.85));
    const started = Date.now();
    for (let i = 0; i < N; i++) {
      const event = events.get(i);
      if (event) await event();
      const spec = { devEui: `c0ffee${String(i % devices).padStart(10, '0')}`, fPort: 2, bytes: Buffer.from('0ce404d20000d701', 'hex'), fCnt: i, time: new Date(t0 + i * 10), tags: { model: 'dragino-ldds75' } };
      pub.publish(uplinkTopic(spec), i % 2 ? uplinkProtobuf(spec) : uplinkJson(spec), { qos: 1 }, (err) => {
        if (!err) acked++;
      });
      const due = started + ((i + 1) * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await until(() => acked >= N, 'publisher acknowledgements', 120_000);
    const count = async () => ((await influx.query('faults', 'SELECT count(f_cnt) FROM uplink'))[0]?.values[0]?.[1] as number | undefined) ?? 0;
    await until(async () => (await count()) >= N, `${N} points in InfluxDB`, 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await count()} stored, ${acked} acknowledged to the publisher`);
    });
    const recovered = await (async () => {
      // Recovery: from influxd's return until its spool was empty again (measured on the restarted process too).
      return influxBackAt ? (Date.now() - influxBackAt) / 1000 : 0;
    })();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await count()).toBe(N);
    const distinct = (await influx.query('faults', 'SELECT count(distance) FROM level'))[0]?.values[0]?.[1];
    expect(distinct).toBe(N);
    report.uplinks = N;
    report.rate = RATE;
    report.outageSeconds = OUTAGE_S;
    report.spoolPeakBytes = spoolPeak;
    report.secondsFromInfluxRestartToAllStored = recovered.toFixed(1);
    report.totalSeconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`fault-injection report: ${JSON.stringify(report)}`);
    if (enabled.has('influx')) expect(spoolPeak).toBeGreaterThan(0);
    pub.end(true);
    await app.stop('SIGTERM');
  }, 900_000);
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Point } from '../src/domain/point.js';
import { Catalog } from '../src/registry/catalog.js';
import { uplinkJson, uplinkProtobuf, uplinkTopic } from '../src/sim/events.js';
import { toLineProtocol } from '../src/store/line-protocol.js';
import { Influxd, Managed, Mosquitto, tempDir } from '../test/helpers/processes.js';
import { StadtpulsProcess } from '../test/helpers/stadtpuls-process.js';
import { fmt, summarize, type Summary } from './stats.js';

const N = Number(process.env.BENCH_UPLINKS ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Message {
  readonly topic: string;
  readonly payload: Buffer;
}

function procStats(pid: number): { cpuSeconds: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0 };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '', // a busy process may reset the connection: ask again on the next poll
  );
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes as fast as the broker acknowledges, with at most `window` QoS 1 messages in flight. */
async function publishAll(pub: MqttClient, messages: readonly Message[], window = 2000): Promise<void> {
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    const pump = () => {
      while (inFlight < window && next < messages.length) {
        const m = messages[next++]!;
        inFlight++;
        pub.publish(m.topic, m.payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          inFlight--;
          if (next >= messages.length && inFlight === 0) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

/**
 * End to end with real processes, and the machine's limits measured in the same run: mosquitto to a bare
 * subscriber, raw line-protocol writes into influxd, a minimal hand-written pipeline, then Stadtpuls.
 */
export async function benchIngest(): Promise<void> {
  const catalog = await Catalog.load('devices', 'decoders');
  const samples = catalog
    .all()
    .flatMap((m) => m.examples.filter((e) => e.expected.data !== undefined).slice(0, 2).map((e) => ({ model: m.id, fPort: e.fPort, bytes: Buffer.from(e.bytes, 'hex') })));
  const makeMessages = (run: number, tag: string): Message[] => {
    const t0 = Date.parse('2026-06-01T00:00:00Z') + run * 86_400_000;
    return Array.from({ length: N }, (_, i) => {
      const s = samples[i % samples.length]!;
      const spec = { devEui: `b0${tag}${String(run).padStart(2, '0')}${String(i % 5000).padStart(10, '0')}`, fPort: s.fPort, bytes: s.bytes, fCnt: i, time: new Date(t0 + i), tags: { model: s.model } };
      return { topic: uplinkTopic(spec), payload: i % 2 ? uplinkProtobuf(spec) : uplinkJson(spec) };
    });
  };
  const window = (run: number) => `time >= ${Date.parse('2026-06-01T00:00:00Z') + run * 86_400_000}000000 AND time < ${Date.parse('2026-06-01T00:00:00Z') + run * 86_400_000 + N}000000`;

  const broker = await Mosquitto.create();
  const influx = await Influxd.create();
  await Promise.all([broker.start(), influx.start()]);
  const pub = mqtt.connect(broker.url, { clientId: 'bench-publisher' });
  await new Promise((r) => pub.once('connect', r));
  const countIn = async (db: string, run: number) => ((await influx.query(db, `SELECT count(f_cnt) FROM uplink WHERE ${window(run)}`))[0]?.values[0]?.[1] as number | undefined) ?? 0;
  const results: Record<string, Summary> = {};

  // 1. Broker to a bare subscriber.
  {
    const sub: Managed = new Managed(process.execPath, ['--import', 'tsx', path.resolve('bench/baseline-subscriber.ts'), broker.url], async (): Promise<boolean> => sub.output.includes('ready'), 'bare subscriber');
    await sub.start();
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const messages = makeMessages(run, '10');
      const target = (run + 1) * N;
      const started = performance.now();
      await publishAll(pub, messages);
      while (!sub.output.includes(`count ${target}\n`)) await sleep(5);
      rates.push(N / ((performance.now() - started) / 1000));
    }
    await sub.stop();
    results.broker = summarize(rates);
  }

  // 2. Raw line-protocol writes: the points Stadtpuls writes for N uplinks (link + 2 readings each), 5,000 per request.
  {
    await influx.createDatabase('raw');
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const t0 = Date.parse('2026-06-01T00:00:00Z') + run * 86_400_000;
      const points: Point[] = [];
      for (let i = 0; i < N; i++) {
        const tags = { dev_eui: `b020${String(i % 5000).padStart(12, '0')}`, model: 'dragino-ldds75' };
        const timeNs = `${t0 + i}000000`;
        points.push({ measurement: 'uplink', tags, fields: { f_cnt: { type: 'integer', value: i }, rssi: { type: 'integer', value: -90 }, snr: { type: 'float', value: 7.5 } }, timeNs });
        points.push({ measurement: 'level', tags, fields: { distance: { type: 'float', value: 1234 } }, timeNs });
        points.push({ measurement: 'battery', tags, fields: { battery_voltage: { type: 'float', value: 3.3 } }, timeNs });
      }
      const bodies: string[] = [];
      for (let i = 0; i < points.length; i += 5000) bodies.push(toLineProtocol(points.slice(i, i + 5000)));
      const started = performance.now();
      for (const body of bodies) await (await fetch(`${influx.url}/write?db=raw&precision=ns`, { method: 'POST', body })).arrayBuffer();
      rates.push(N / ((performance.now() - started) / 1000));
    }
    results.influx = summarize(rates);
  }

  // 3. The minimal hand-written pipeline (no guarantee, no sandbox).
  {
    await influx.createDatabase('baseline');
    const base = new Managed(process.execPath, ['--import', 'tsx', path.resolve('bench/baseline-pipeline.ts'), broker.url, influx.url, 'baseline'], async () => true, 'minimal pipeline');
    await base.start();
    await sleep(1500);
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const messages = makeMessages(run, '30');
      const started = performance.now();
      await publishAll(pub, messages);
      while ((await countIn('baseline', run)) < N) await sleep(20);
      rates.push(N / ((performance.now() - started) / 1000));
    }
    await base.stop();
    results.minimal = summarize(rates);
  }

  // 4. Stadtpuls, sandboxed decoding and the delivery guarantee on.
  const app = await StadtpulsProcess.create({ MQTT_URL: broker.url, MQTT_CLIENT_ID: 'stadtpuls-bench', INFLUX_URL: influx.url, INFLUX_DATABASE: 'bench', DATA_DIR: tempDir('bench') });
  await app.start();
  const pid = app.proc!.pid!;
  const rates: number[] = [];
  const cpuPer1000: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const messages = makeMessages(run, '40');
    const cpuBefore = procStats(pid).cpuSeconds;
    const started = performance.now();
    const publishing = publishAll(pub, messages);
    while ((await countIn('bench', run)) < N) await sleep(20);
    await publishing;
    rates.push(N / ((performance.now() - started) / 1000));
    cpuPer1000.push(((procStats(pid).cpuSeconds - cpuBefore) / N) * 1000);
  }
  results.stadtpuls = summarize(rates);

  // 5. Latency at low load: 500 uplinks/s for 10 s; every 10th uplink is polled in InfluxDB until it is queryable.
  const latencies: number[] = [];
  {
    const t0 = Date.parse('2026-09-01T00:00:00Z');
    const polls: Promise<void>[] = [];
    const started = Date.now();
    for (let i = 0; i < 5000; i++) {
      const s = samples[i % samples.length]!;
      const devEui = `b0500000${String(i).padStart(8, '0')}`;
      const spec = { devEui, fPort: s.fPort, bytes: s.bytes, fCnt: i, time: new Date(t0 + i), tags: { model: s.model } };
      const sent = performance.now();
      pub.publish(uplinkTopic(spec), i % 2 ? uplinkProtobuf(spec) : uplinkJson(spec), { qos: 1 });
      if (i % 10 === 0) {
        polls.push(
          (async () => {
            const q = `SELECT f_cnt FROM uplink WHERE dev_eui = '${devEui}'`;
            while ((await influx.query('bench', q)).length === 0) await sleep(1);
            latencies.push(performance.now() - sent);
          })(),
        );
      }
      const wait = started + ((i + 1) * 1000) / 500 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(polls);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

  const rejected = await (async () => {
    const bad = [Buffer.from('{"deduplicationId": '), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]), Buffer.from('{"deviceInfo":{"devEui":"nope"}}')];
    const before = await metric(app.httpPort, 'stadtpuls_mqtt_messages_total');
    const messages = Array.from({ length: N }, (_, i) => ({ topic: uplinkTopic({ devEui: 'b0ffffffffffffff' }), payload: bad[i % bad.length]! }));
    const started = performance.now();
    await publishAll(pub, messages);
    while ((await metric(app.httpPort, 'stadtpuls_mqtt_messages_total')) < before + N) await sleep(20);
    return N / ((performance.now() - started) / 1000);
  })();
  const { peakRssMb } = procStats(pid);

  console.log(`\nEnd to end: mosquitto → … → influxd 1.x (${N} uplinks per run, ${RUNS} runs; uplinks/s until counted in InfluxDB)`);
  console.log(`  broker → bare subscriber:            ${fmt(results.broker)}`);
  console.log(`  raw line protocol → influxd:         ${fmt(results.influx)}   (3 points per uplink, 5,000 per request)`);
  console.log(`  minimal hand-written pipeline:       ${fmt(results.minimal)}`);
  console.log(`  Stadtpuls (sandbox, guarantee on):   ${fmt(results.stadtpuls)}`);
  const r = (a: Summary, b: Summary) => (a.median / b.median).toFixed(2);
  console.log(`  Stadtpuls / minimal pipeline ${r(results.stadtpuls, results.minimal)}, / broker ${r(results.stadtpuls, results.broker)}, / influxd ${r(results.stadtpuls, results.influx)}`);
  console.log(`  Stadtpuls CPU seconds per 1,000 uplinks: ${fmt(summarize(cpuPer1000), 3)}`);
  console.log(`  latency publish → queryable in InfluxDB at 500 uplinks/s (${latencies.length} samples): p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`);
  console.log(`  bad messages rejected per second: ${rejected.toFixed(0)}`);
  console.log(`  Stadtpuls peak RSS: ${peakRssMb.toFixed(0)} MB`);

  pub.end(true);
  await app.stop('SIGTERM');
  await Promise.all([broker.cleanup(), influx.cleanup()]);
}

import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { Catalog } from '../src/registry/catalog.js';
import { uplinkJson, uplinkProtobuf, uplinkTopic } from '../src/sim/events.js';
import { Influxd, Mosquitto, tempDir } from '../test/helpers/processes.js';
import { StadtpulsProcess } from '../test/helpers/stadtpuls-process.js';
import { fmt, summarize } from './stats.js';

const N = Number(process.env.BENCH_UPLINKS ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function procStats(pid: number): { cpuSeconds: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0 };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

/**
 * End to end with real processes: publish N ChirpStack v4 uplinks (built-in models, half JSON, half protobuf)
 * to mosquitto as fast as the publisher can, and time until all N link points are counted in influxd.
 */
export async function benchIngest(): Promise<void> {
  const catalog = await Catalog.load('devices', 'decoders');
  const samples = catalog
    .all()
    .flatMap((m) => m.examples.filter((e) => e.expected.data !== undefined).slice(0, 2).map((e) => ({ model: m.id, fPort: e.fPort, bytes: Buffer.from(e.bytes, 'hex') })));
  const broker = await Mosquitto.create();
  const influx = await Influxd.create();
  await Promise.all([broker.start(), influx.start()]);
  const app = await StadtpulsProcess.create({ MQTT_URL: broker.url, MQTT_CLIENT_ID: 'stadtpuls-bench', INFLUX_URL: influx.url, INFLUX_DATABASE: 'bench', DATA_DIR: tempDir('bench') });
  await app.start();
  const pid = app.proc!.pid!;
  const pub = mqtt.connect(broker.url, { clientId: 'bench-publisher' });
  await new Promise((r) => pub.once('connect', r));

  const publishAll = async (messages: { topic: string; payload: Buffer }[]) => {
    let next = 0;
    await new Promise<void>((resolve, reject) => {
      let inFlight = 0;
      const pump = () => {
        while (inFlight < 2000 && next < messages.length) {
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
  };

  const rates: number[] = [];
  const cpuPer1000: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = Date.parse('2026-06-01T00:00:00Z') + run * 86_400_000;
    const messages = Array.from({ length: N }, (_, i) => {
      const s = samples[i % samples.length]!;
      const spec = { devEui: `b0${String(run).padStart(2, '0')}${String(i % 5000).padStart(12, '0')}`, fPort: s.fPort, bytes: s.bytes, fCnt: i, time: new Date(t0 + i), tags: { model: s.model } };
      return { topic: uplinkTopic(spec), payload: i % 2 ? uplinkProtobuf(spec) : uplinkJson(spec) };
    });
    const cpuBefore = procStats(pid).cpuSeconds;
    const started = performance.now();
    const publishing = publishAll(messages);
    const q = `SELECT count(f_cnt) FROM uplink WHERE time >= ${t0}000000 AND time < ${t0 + N}000000`;
    for (;;) {
      const n = ((await influx.query('bench', q))[0]?.values[0]?.[1] as number | undefined) ?? 0;
      if (n >= N) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await publishing;
    const seconds = (performance.now() - started) / 1000;
    rates.push(N / seconds);
    cpuPer1000.push(((procStats(pid).cpuSeconds - cpuBefore) / N) * 1000);
  }

  // Rejections: half the messages are bad (malformed JSON, bad base64, unknown topic shape, garbage protobuf).
  const bad = [Buffer.from('{"deduplicationId": '), Buffer.from(uplinkJson({ devEui: 'b0ffffffffffffff', fPort: 1, bytes: Buffer.from('01', 'hex'), fCnt: 1 }).toString().replace(/"data":"[^"]*"/, '"data":"q!=="')), Buffer.from([0x0a, 0xff, 0xff, 0xff])];
  const rejectRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const before = await metric(app.httpPort, 'stadtpuls_mqtt_messages_total');
    const messages = Array.from({ length: N }, (_, i) => ({ topic: uplinkTopic({ devEui: 'b0ffffffffffffff' }), payload: bad[i % bad.length]! }));
    const started = performance.now();
    await publishAll(messages);
    while ((await metric(app.httpPort, 'stadtpuls_mqtt_messages_total')) < before + N) await new Promise((r) => setTimeout(r, 20));
    rejectRates.push(N / ((performance.now() - started) / 1000));
  }
  const rejected = await metric(app.httpPort, 'stadtpuls_rejections_total');
  const { peakRssMb } = procStats(pid);

  console.log(`\nEnd-to-end ingest: mosquitto → Stadtpuls → influxd 1.x, ${N} uplinks per run, ${RUNS} runs`);
  console.log(`  uplinks/s until counted in InfluxDB: ${fmt(summarize(rates))}`);
  console.log(`  Stadtpuls CPU seconds per 1,000 uplinks: ${fmt(summarize(cpuPer1000), 3)}`);
  console.log(`  bad messages rejected per second: ${fmt(summarize(rejectRates))} (${rejected} rejections counted)`);
  console.log(`  Stadtpuls peak RSS: ${peakRssMb.toFixed(0)} MB`);

  pub.end(true);
  await app.stop('SIGTERM');
  await Promise.all([broker.cleanup(), influx.cleanup()]);
}

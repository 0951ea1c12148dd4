import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uplinkJson, uplinkProtobuf, uplinkTopic } from '../../src/sim/events.js';
import { until } from '../helpers/app.js';
import { Influxd, Mosquitto, tempDir } from '../helpers/processes.js';
import { StadtpulsProcess } from '../helpers/stadtpuls-process.js';

const FULL = process.env.STADTPULS_FAULTS === 'full';
const M = Number(process.env.FUZZ_MESSAGES ?? (FULL ? 100_000 : 10_000));

/** Small seeded PRNG (mulberry32): the same seed gives the same fuzz corpus, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind =
  | 'valid'
  | 'malformed_json'
  | 'malformed_protobuf'
  | 'invalid_event'
  | 'bad_base64'
  | 'unknown_device'
  | 'oversized'
  | 'unexpected_topic'
  | 'unsupported_format'
  | 'decoder_throws'
  | 'decoder_loops'
  | 'decoder_allocates';

// Weights per thousand. Endless and allocating decoders cost up to 2 × 100 ms each, so they stay rare.
const MIX: [Kind, number][] = [
  ['valid', 400],
  ['malformed_json', 80],
  ['malformed_protobuf', 80],
  ['invalid_event', 80],
  ['bad_base64', 80],
  ['unknown_device', 80],
  ['oversized', 3],
  ['unexpected_topic', 60],
  ['unsupported_format', 60],
  ['decoder_throws', 75],
  ['decoder_loops', 1],
  ['decoder_allocates', 1],
];

const EXPECTED_REASON: Partial<Record<Kind, string>> = {
  malformed_json: 'malformed_json',
  malformed_protobuf: 'malformed_protobuf',
  invalid_event: 'invalid_event',
  bad_base64: 'bad_base64',
  unknown_device: 'unknown_device',
  oversized: 'oversized',
  unexpected_topic: 'unexpected_topic',
  unsupported_format: 'unsupported_format',
  decoder_throws: 'decoder_error',
  decoder_loops: 'decoder_timeout',
  // An allocating codec ends at its heap limit (decoder_error) or, when garbage collection eats the time first,
  // at its time limit (decoder_timeout): both are counted below.
};

const PAYLOAD = Buffer.from('0ce404d20000d701', 'hex'); // dragino-ldds75: 1234 mm, 3.3 V
const TRIGGER = Buffer.from('ee04d20000d70100', 'hex'); // makes the hostile technician codecs misbehave
const HOSTILE = {
  decoder_throws: { eui: 'dead000000000001', source: 'function decodeUplink(i){ if (i.bytes[0] === 0xee) throw new Error("boom " + i.bytes.length); return { data: { Distance: 1 } }; }' },
  decoder_loops: { eui: 'dead000000000002', source: 'function decodeUplink(i){ while (i.bytes[0] === 0xee) {} return { data: { Distance: 1 } }; }' },
  decoder_allocates: { eui: 'dead000000000003', source: 'function decodeUplink(i){ var a = []; while (i.bytes[0] === 0xee) a.push(new Array(1e5).fill(a.length)); return { data: { Distance: 1 } }; }' },
} as const;

describe(`fuzz: ${M} generated MQTT messages`, () => {
  let broker: Mosquitto;
  let influx: Influxd;
  let app: StadtpulsProcess;

  beforeAll(async () => {
    broker = await Mosquitto.create();
    influx = await Influxd.create();
    await Promise.all([broker.start(), influx.start()]);
    app = await StadtpulsProcess.create({
      MQTT_URL: broker.url,
      MQTT_CLIENT_ID: 'stadtpuls-fuzz',
      MQTT_TOPICS: 'application/#,v3/#',
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: 'fuzz',
      DATA_DIR: tempDir('fuzz'),
      STADTPULS_ADMIN_USER: 'fuzzadmin',
      STADTPULS_ADMIN_PASSWORD: 'fuzz-admin-password',
      LOG_LEVEL: process.env.FUZZ_LOG ?? 'warn',
    });
    await app.start();
  });

  afterAll(async () => {
    if (app?.proc?.exitCode !== null) console.log(`Stadtpuls exited (${app?.proc?.exitCode}); output:\n${app?.output.slice(-3000)}`);
    await app?.stop();
    await Promise.all([broker?.cleanup(), influx?.cleanup()]);
  }, 180_000);

  it('stays up, bounds memory, counts every rejection by reason and stores every valid message', async () => {
    const base = `http://127.0.0.1:${app.httpPort}`;
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'fuzzadmin', password: 'fuzz-admin-password' }) });
    const { token } = (await login.json()) as { token: string };
    for (const h of Object.values(HOSTILE)) {
      const res = await fetch(`${base}/api/codecs/device/${h.eui}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ source: h.source, comment: 'hostile fuzz codec', samples: [{ fPort: 2, payload: '00' }] }),
      });
      expect(res.status).toBe(201);
    }

    const random = prng(20261122);
    const pick = (): Kind => {
      let r = random() * 1000;
      for (const [kind, w] of MIX) if ((r -= w) < 0) return kind;
      return 'valid';
    };
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const t0 = Date.parse('2026-08-01T00:00:00Z');
    const expected = new Map<string, number>();
    let valid = 0;
    const messages: { topic: string; payload: Buffer }[] = [];
    for (let i = 0; i < M; i++) {
      const kind = pick();
      const reason = EXPECTED_REASON[kind];
      if (reason) expected.set(reason, (expected.get(reason) ?? 0) + 1);
      const spec = { devEui: `f0${String(i % 500).padStart(14, '0')}`, fPort: 2, bytes: PAYLOAD, fCnt: i, time: new Date(t0 + i * 10), tags: { model: 'dragino-ldds75' } };
      const json = () => uplinkJson(spec).toString();
      switch (kind) {
        case 'valid':
          valid++;
          messages.push({ topic: uplinkTopic(spec), payload: i % 2 ? uplinkProtobuf(spec) : uplinkJson(spec) });
          break;
        case 'malformed_json':
          messages.push({ topic: uplinkTopic(spec), payload: Buffer.from(json().slice(0, Math.floor(random() * 300) + 1)) });
          break;
        case 'malformed_protobuf':
          messages.push({ topic: uplinkTopic(spec), payload: Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), bytes(Math.floor(random() * 64))]) });
          break;
        case 'invalid_event': {
          const variants = [json().replace('"fCnt":', '"fCnt":"x",  "was":'), json().replace(/"devEui":"[0-9a-f]+"/, '"devEui":"not-an-eui"'), json().replace(/"time":"[^"]*"/, '"time":"yesterday"'), json().replace(/"rxInfo":\[/, '"rxInfo":{"a":[').replace(/\],"txInfo"/, ']},"txInfo"')];
          messages.push({ topic: uplinkTopic(spec), payload: Buffer.from(variants[Math.floor(random() * variants.length)]!) });
          break;
        }
        case 'bad_base64':
          messages.push({ topic: uplinkTopic(spec), payload: Buffer.from(json().replace(/"data":"[^"]*"/, `"data":"${['q!==', 'abcde', '%%%%', 'a b c d'][Math.floor(random() * 4)]}"`)) });
          break;
        case 'unknown_device': {
          const u = { ...spec, devEui: `e0${String(i).padStart(14, '0')}`, tags: {} };
          messages.push({ topic: uplinkTopic(u), payload: uplinkJson(u) });
          break;
        }
        case 'oversized':
          messages.push({ topic: uplinkTopic(spec), payload: Buffer.alloc(300 * 1024, 0x20) });
          break;
        case 'unexpected_topic':
          messages.push({ topic: random() < 0.5 ? `application/x/weird/${i}` : `v3/app@ttn/gateways/${i}/status`, payload: uplinkJson(spec) });
          break;
        case 'unsupported_format':
          messages.push({ topic: uplinkTopic(spec), payload: Buffer.from(random() < 0.5 ? '{"hello":"world"}' : '["an","array"]') });
          break;
        case 'decoder_throws':
        case 'decoder_loops':
        case 'decoder_allocates': {
          const h = { ...spec, devEui: HOSTILE[kind].eui, bytes: TRIGGER };
          messages.push({ topic: uplinkTopic(h), payload: uplinkJson(h) });
          break;
        }
      }
    }

    const pub = mqtt.connect(broker.url, { clientId: 'fuzz-publisher' });
    await new Promise((r) => pub.once('connect', r));
    let next = 0;
    let rssPeakMb = 0;
    const rss = () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${app.proc!.pid}/status`, 'utf8'));
      rssPeakMb = m ? Number(m[1]) / 1024 : 0;
    };
    await new Promise<void>((resolve, reject) => {
      let inFlight = 0;
      const pump = () => {
        while (inFlight < 1000 && next < messages.length) {
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
    pub.end(true);
    const published = Date.now();

    const metrics = async () => (await (await fetch(`${base}/metrics`)).text()).split('\n');
    const value = (lines: string[], name: string) => lines.filter((l) => l.startsWith(name)).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    await until(async () => value(await metrics(), 'stadtpuls_mqtt_messages_total') >= M, `${M} messages received`, 300_000);
    const stored = async () => ((await influx.query('fuzz', `SELECT count(distance) FROM level WHERE dev_eui =~ /^f0/`))[0]?.values[0]?.[1] as number | undefined) ?? 0;
    await until(async () => (await stored()) >= valid, `${valid} valid readings stored`, 120_000);
    rss();
    const processedSeconds = (Date.now() - published) / 1000;

    // Still up and healthy.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await stored()).toBe(valid);
    const lines = await metrics();
    const counted = Object.fromEntries([...expected.keys()].map((reason) => [reason, value(lines, `stadtpuls_rejections_total{reason="${reason}"}`)]));
    const allocating = messages.filter((m) => m.topic.includes(HOSTILE.decoder_allocates.eui)).length;
    const overLimit = counted.decoder_error! + counted.decoder_timeout! - (expected.get('decoder_error') ?? 0) - (expected.get('decoder_timeout') ?? 0);
    expect(overLimit).toBe(allocating);
    expect(counted.decoder_error).toBeGreaterThanOrEqual(expected.get('decoder_error') ?? 0);
    expect(counted.decoder_timeout).toBeGreaterThanOrEqual(expected.get('decoder_timeout') ?? 0);
    expected.set('decoder_error', counted.decoder_error!);
    expected.set('decoder_timeout', counted.decoder_timeout!);
    if (process.env.FUZZ_LOG) console.log(app.output.split('\n').filter((l) => l.includes('"module":"mqtt"') || l.includes('"module":"store"')).join('\n').slice(-6000));
    expect(counted).toEqual(Object.fromEntries(expected));
    console.log(`fuzz report: ${JSON.stringify({ messages: M, valid, rejections: counted, peakRssMb: Math.round(rssPeakMb), secondsAfterLastPublish: processedSeconds })}`);
    expect(rssPeakMb).toBeLessThan(600);
  }, 900_000);
});

/**
 * The "minimal hand-written pipeline" the benchmark compares Stadtpuls against: subscribe → parse → decode
 * (plain V8, no sandbox, no validation) → line protocol in 1,000-point batches → InfluxDB. No delivery guarantee,
 * no spool, no deduplication. Run as its own process: `tsx bench/baseline-pipeline.ts <mqttUrl> <influxUrl> <db>`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import vm from 'node:vm';
import integrationPb from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import mqtt from 'mqtt';

const [mqttUrl, influxUrl, db] = process.argv.slice(2) as [string, string, string];
const decoders = new Map<string, (i: unknown) => { data?: Record<string, unknown> }>();
for (const f of readdirSync('decoders')) {
  decoders.set(f.replace(/\.js$/, ''), vm.runInNewContext(`${readFileSync(`decoders/${f}`, 'utf8')}\n;decodeUplink`) as (i: unknown) => { data?: Record<string, unknown> });
}

let lines: string[] = [];
let writing = Promise.resolve();
const flush = () => {
  if (lines.length === 0) return;
  const body = lines.join('\n');
  lines = [];
  writing = writing.then(() => fetch(`${influxUrl}/write?db=${db}&precision=ms`, { method: 'POST', body }).then((r) => r.arrayBuffer())).then(() => undefined, () => undefined);
};
setInterval(flush, 100);

const client = mqtt.connect(mqttUrl, { clientId: 'baseline-pipeline' });
client.on('connect', () => client.subscribe('application/+/device/+/event/up', { qos: 1 }));
client.on('message', (_topic, payload) => {
  let devEui: string, time: number, fPort: number, fCnt: number, bytes: Uint8Array, model: string | undefined;
  if (payload[0] === 0x7b) {
    const j = JSON.parse(payload.toString()) as { deviceInfo: { devEui: string; tags: Record<string, string> }; time: string; fPort: number; fCnt: number; data: string };
    devEui = j.deviceInfo.devEui;
    model = j.deviceInfo.tags.model;
    time = Date.parse(j.time.replace(/(\.\d{3})\d*/, '$1'));
    fPort = j.fPort;
    fCnt = j.fCnt;
    bytes = Buffer.from(j.data, 'base64');
  } else {
    const m = integrationPb.UplinkEvent.deserializeBinary(payload);
    const info = m.getDeviceInfo()!;
    devEui = info.getDevEui();
    model = info.getTagsMap().get('model');
    time = m.getTime()!.getSeconds() * 1000 + Math.floor(m.getTime()!.getNanos() / 1e6);
    fPort = m.getFPort();
    fCnt = m.getFCnt();
    bytes = m.getData_asU8();
  }
  lines.push(`uplink,dev_eui=${devEui} f_cnt=${fCnt}i,f_port=${fPort}i ${time}`);
  const decode = model ? decoders.get(model) : undefined;
  const data = decode?.({ bytes: Array.from(bytes), fPort })?.data;
  if (data) {
    const fields = Object.entries(data)
      .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
      .map(([k, v]) => `${k.replace(/[ ,=]/g, '_')}=${v as number}`)
      .join(',');
    if (fields) lines.push(`decoded,dev_eui=${devEui} ${fields} ${time}`);
  }
  if (lines.length >= 1000) flush();
});
process.on('SIGTERM', () => process.exit(0));

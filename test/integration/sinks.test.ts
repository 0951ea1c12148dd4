import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point } from '../../src/domain/point.js';
import { EmbeddedSink } from '../../src/store/embedded.js';
import { InfluxV1Sink } from '../../src/store/influx-v1.js';
import { InfluxV2Sink } from '../../src/store/influx-v2.js';
import { toLineProtocol } from '../../src/store/line-protocol.js';
import { SinkError, type PointSink } from '../../src/store/sink.js';
import { Influxd, freePort, tempDir } from '../helpers/processes.js';

const points: Point[] = [
  { measurement: 'uplink', tags: { dev_eui: 'a81758fffe000001', model: 'nwave-nps405', site: 'markt platz,1' }, fields: { f_cnt: { type: 'integer', value: 7 }, snr: { type: 'float', value: -3.25 } }, timeNs: '1715671303512034123' },
  { measurement: 'parking', tags: { dev_eui: 'a81758fffe000001', model: 'nwave-nps405', site: 'markt platz,1' }, fields: { occupied: { type: 'boolean', value: true } }, timeNs: '1715671303512034123' },
  { measurement: 'device_event', tags: { dev_eui: 'a81758fffe000001' }, fields: { event: { type: 'string', value: 'log' }, description: { type: 'string', value: 'say "hi"\nnext line \\ done' } }, timeNs: '1715671303512034999' },
];

/** A local endpoint that checks InfluxDB 2.x's write protocol and records what it accepted. */
class V2Endpoint {
  server: Server | undefined;
  received: { url: string; auth: string | undefined; body: string }[] = [];
  status = 204;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/health') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
          return;
        }
        const ok = req.method === 'POST' && url.pathname === '/api/v2/write' && url.searchParams.get('org') === 'musterstadt' && url.searchParams.get('bucket') === 'telemetry' && url.searchParams.get('precision') === 'ns';
        if (!ok) {
          res.writeHead(404).end('{"code":"not found"}');
          return;
        }
        if (req.headers.authorization !== 'Token s3cret-token') {
          res.writeHead(401).end('{"code":"unauthorized"}');
          return;
        }
        this.received.push({ url: url.pathname + url.search, auth: req.headers.authorization, body });
        res.writeHead(this.status, { 'content-type': 'application/json' }).end(this.status === 204 ? undefined : '{"code":"invalid","message":"partial write: field type conflict"}');
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

interface Harness {
  sink: PointSink;
  /** What the store now holds, as line protocol, sorted. */
  stored(): Promise<string[]>;
}

const influx = await Influxd.create();
const v2 = new V2Endpoint();
beforeAll(async () => {
  await Promise.all([influx.start(), v2.start()]);
});
afterAll(async () => {
  await Promise.all([influx.cleanup(), v2.stop()]);
});

const harnesses: [string, () => Promise<Harness>][] = [
  [
    'InfluxDB 1.x (real influxd)',
    async () => {
      const sink = new InfluxV1Sink({ url: influx.url, database: 'contract', timeoutMs: 5000 });
      return {
        sink,
        stored: async () => {
          const out: string[] = [];
          for (const m of ['uplink', 'parking', 'device_event']) {
            for (const s of await influx.query('contract', `SELECT * FROM "${m}"`)) for (const v of s.values) out.push(`${m} ${JSON.stringify(v)}`);
          }
          return out.sort();
        },
      };
    },
  ],
  [
    'InfluxDB 2.x (local endpoint checking the v2 write protocol)',
    async () => {
      v2.received = [];
      const sink = new InfluxV2Sink({ url: `http://127.0.0.1:${v2.port}`, token: 's3cret-token', org: 'musterstadt', bucket: 'telemetry', timeoutMs: 5000 });
      return { sink, stored: async () => v2.received.flatMap((r) => r.body.trim().split(/\n(?=[a-z_]+,)/)).sort() };
    },
  ],
  [
    'embedded SQLite',
    async () => {
      const sink = new EmbeddedSink(path.join(tempDir('embedded'), 'history.db'));
      return {
        sink,
        stored: async () =>
          ['uplink', 'parking', 'device_event']
            .flatMap((m) => sink.query(m).map((r) => `${m} ${r.timeNs} ${JSON.stringify(r.fields)}`))
            .sort(),
      };
    },
  ],
];

describe.each(harnesses)('sink contract: %s', (_name, make) => {
  it('stores a batch, and a replayed batch overwrites instead of duplicating', async () => {
    const h = await make();
    await h.sink.start();
    await h.sink.write(points);
    const first = await h.stored();
    expect(first.length).toBe(3);
    await h.sink.write(points);
    const second = await h.stored();
    if (h.sink.name === 'influxdb-2') expect(second).toEqual([...first, ...first].sort()); // the endpoint only records requests
    else expect(second).toEqual(first);
    expect(await h.sink.ping()).toBe(true);
    await h.sink.stop();
  });
});

describe('InfluxDB 1.x specifics', () => {
  it('keeps integers, floats, booleans, escaped tags and strings exactly', async () => {
    const sink = new InfluxV1Sink({ url: influx.url, database: 'exact', timeoutMs: 5000 });
    await sink.start();
    await sink.write(points);
    expect(await influx.query('exact', `SELECT f_cnt, snr, site FROM uplink`)).toEqual([{ name: 'uplink', columns: ['time', 'f_cnt', 'snr', 'site'], values: [[1715671303512034123, 7, -3.25, 'markt platz,1']] }]);
    expect((await influx.query('exact', `SELECT description FROM device_event`))[0]?.values).toEqual([[1715671303512034999, 'say "hi"\nnext line \\ done']]);
  });

  it('classifies an unreachable server as retriable', async () => {
    const sink = new InfluxV1Sink({ url: `http://127.0.0.1:${await freePort()}`, database: 'x', timeoutMs: 1000 });
    await expect(sink.write(points)).rejects.toMatchObject({ retriable: true });
    expect(await sink.ping()).toBe(false);
  });
});

describe('InfluxDB 2.x specifics', () => {
  it('posts line protocol to /api/v2/write with org, bucket, ns precision and the token header', async () => {
    v2.received = [];
    v2.status = 204;
    const sink = new InfluxV2Sink({ url: `http://127.0.0.1:${v2.port}`, token: 's3cret-token', org: 'musterstadt', bucket: 'telemetry', timeoutMs: 5000 });
    await sink.write(points);
    expect(v2.received).toHaveLength(1);
    expect(v2.received[0]!.auth).toBe('Token s3cret-token');
    expect(v2.received[0]!.body.trim()).toBe(toLineProtocol(points).trim());
  });

  it('treats HTTP 400 as rejected data and 503 or a wrong token as retriable/not', async () => {
    const sink = new InfluxV2Sink({ url: `http://127.0.0.1:${v2.port}`, token: 's3cret-token', org: 'musterstadt', bucket: 'telemetry', timeoutMs: 5000 });
    v2.status = 400;
    const refused = await sink.write(points).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SinkError);
    expect((refused as SinkError).retriable).toBe(false);
    v2.status = 503;
    const down = await sink.write(points).catch((e: unknown) => e);
    expect((down as SinkError).retriable).toBe(true);
    v2.status = 204;
  });
});

import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Point } from '../../src/domain/point.js';
import { createLogger } from '../../src/observability/log.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { DurableWriter } from '../../src/store/durable-writer.js';
import { SinkError, type PointSink } from '../../src/store/sink.js';
import { Spool } from '../../src/store/spool.js';
import { tempDir } from '../helpers/processes.js';

const point = (i: number): Point => ({ measurement: 'uplink', tags: { dev_eui: '0000000000000001' }, fields: { f_cnt: { type: 'integer', value: i } }, timeNs: String(1e18 + i) });

/** A sink whose availability the test controls, recording every batch it accepted. */
class FakeSink implements PointSink {
  readonly name = 'fake';
  batches: number[][] = [];
  failure: SinkError | undefined;
  delayMs = 0;
  async start(): Promise<void> {}
  async write(points: readonly Point[]): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failure) throw this.failure;
    this.batches.push(points.map((p) => (p.fields.f_cnt as { value: number }).value));
  }
  async ping(): Promise<boolean> {
    return !this.failure;
  }
  async stop(): Promise<void> {}
}

const spools: Spool[] = [];
afterEach(() => spools.splice(0).forEach((s) => s.stop()));

function setup(maxBatchPoints = 1000) {
  const sink = new FakeSink();
  const spool = new Spool(path.join(tempDir('spool'), 'spool.db'), 64 * 1024 * 1024);
  spool.start();
  spools.push(spool);
  const metrics = createMetrics();
  const writer = new DurableWriter({ sink, spool, metrics, log: createLogger('silent'), maxBatchPoints, retryMinMs: 10, retryMaxMs: 40 });
  writer.start();
  return { sink, spool, writer, metrics };
}

describe('DurableWriter', () => {
  it('writes a lone submission at once and groups submissions that arrive during a write', async () => {
    const { sink, writer } = setup();
    sink.delayMs = 20;
    await writer.submit([point(0)]);
    expect(sink.batches).toEqual([[0]]);
    const first = writer.submit([point(1)]);
    await new Promise((r) => setImmediate(r));
    const rest = Array.from({ length: 50 }, (_, i) => writer.submit([point(2 + i)]));
    await Promise.all([first, ...rest]);
    expect(sink.batches[1]).toEqual([1]);
    expect(sink.batches[2]).toEqual(Array.from({ length: 50 }, (_, i) => 2 + i)); // one batch while the first was in flight
  });

  it('never exceeds the batch bound and keeps arrival order', async () => {
    const { sink, writer } = setup(10);
    await Promise.all(Array.from({ length: 35 }, (_, i) => writer.submit([point(i)])));
    expect(Math.max(...sink.batches.map((b) => b.length))).toBeLessThanOrEqual(10);
    expect(sink.batches.flat()).toEqual(Array.from({ length: 35 }, (_, i) => i));
  });

  it('resolves once spooled while the store is down, then drains in order exactly once', async () => {
    const { sink, spool, writer, metrics } = setup();
    sink.failure = new SinkError('connection refused', true);
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer.submit([point(i)])));
    expect(sink.batches).toEqual([]);
    expect(spool.batches).toBeGreaterThan(0);
    await writer.submit([point(20)]); // behind the spool, not around it
    sink.failure = undefined;
    const deadline = Date.now() + 5000;
    while (spool.batches > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sink.batches.flat()).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect((await metrics.spoolPeakBytes.get()).values[0]?.value).toBeGreaterThan(0);
  });

  it('counts points the store refuses as invalid and does not retry them', async () => {
    const { sink, spool, writer, metrics } = setup();
    sink.failure = new SinkError('HTTP 400: field type conflict', false);
    await writer.submit([point(1)]);
    expect(spool.batches).toBe(0);
    expect((await metrics.rejections.get()).values.find((v) => v.labels.reason === 'store_rejected')?.value).toBe(1);
  });

  it('holds submissions (unresolved) while neither store nor spool can take them', async () => {
    const sink = new FakeSink();
    const spool = new Spool(path.join(tempDir('spool'), 'spool.db'), 1024 * 1024);
    spool.start();
    spools.push(spool);
    const writer = new DurableWriter({ sink, spool, metrics: createMetrics(), log: createLogger('silent'), maxBatchPoints: 100_000, retryMinMs: 10, retryMaxMs: 20 });
    sink.failure = new SinkError('down', true);
    const big = Array.from({ length: 20_000 }, (_, i) => point(i)); // > 1 MiB as JSON: the spool refuses it
    let resolved = false;
    const pending = writer.submit(big).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(resolved).toBe(false);
    sink.failure = undefined;
    await pending;
    expect(sink.batches.flat()).toHaveLength(20_000);
    writer.stop();
  });
});

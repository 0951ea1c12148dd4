import { Fifo } from '../domain/fifo.js';
import type { Point } from '../domain/point.js';
import type { Logger } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';
import { SinkError, type PointSink } from './sink.js';
import type { Spool } from './spool.js';

interface Submission {
  readonly points: readonly Point[];
  readonly done: () => void;
}

export interface DurableWriterDeps {
  readonly sink: PointSink;
  readonly spool: Spool;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly maxBatchPoints: number;
  /** Backoff bounds while the store is unreachable (default 0.5 s doubling to 5 s: recovery is noticed quickly). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

/**
 * Group commit in front of the store. A submission resolves only when its points are durable — written to the
 * store, or appended to the on-disk spool when the store is unreachable. Batches adapt to the load: when no write
 * is in flight, what has arrived is written at once (low latency); while one is in flight, submissions
 * accumulate into the next batch (throughput), up to `maxBatchPoints`. While the spool holds anything, new
 * batches go behind it, so the store receives everything in arrival order.
 */
export class DurableWriter {
  private readonly queue = new Fifo<Submission>();
  private queuedPoints = 0;
  private writing = false;
  private draining = false;
  private stopped = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: DurableWriterDeps) {
    this.retryMs = deps.retryMinMs ?? 500;
  }

  start(): void {
    this.deps.metrics.spoolBatches.set(this.deps.spool.batches);
    this.deps.metrics.spoolBytes.set(this.deps.spool.bytes);
    if (this.deps.spool.batches > 0) {
      this.deps.log.info({ batches: this.deps.spool.batches, bytes: this.deps.spool.bytes }, 'spool holds data from an earlier run; draining');
      this.scheduleDrain(0);
    }
  }

  /** Resolves when the points are durable (store or spool). Never rejects: failures are retried. */
  submit(points: readonly Point[]): Promise<void> {
    if (points.length === 0) return Promise.resolve();
    return new Promise<void>((done) => {
      this.queue.push({ points, done });
      this.queuedPoints += points.length;
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Resolves once everything submitted so far is durable (used on shutdown). */
  async idle(): Promise<void> {
    if (this.queue.length === 0 && !this.writing) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  get pendingPoints(): number {
    return this.queuedPoints;
  }

  private take(): Submission[] {
    const batch: Submission[] = [];
    let n = 0;
    while (this.queue.length > 0 && (batch.length === 0 || n + this.queue.peek()!.points.length <= this.deps.maxBatchPoints)) {
      const s = this.queue.shift()!;
      n += s.points.length;
      batch.push(s);
    }
    this.queuedPoints -= n;
    return batch;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.take();
      const points = batch.length === 1 ? batch[0]!.points : batch.flatMap((s) => s.points);
      const durable = await this.persist(points);
      if (!durable) {
        // Neither the store nor the spool took it: hold the batch (its MQTT acks stay pending, so the broker
        // keeps the messages) and try again later.
        this.queue.unshiftAll(batch);
        this.queuedPoints += points.length;
        this.writing = false;
        this.retryTimer = setTimeout(() => {
          if (!this.writing && !this.stopped) {
            this.writing = true;
            void this.flush();
          }
        }, this.retryMs);
        return;
      }
      for (const s of batch) s.done();
    }
    this.writing = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** True when the points are durable. */
  private async persist(points: readonly Point[]): Promise<boolean> {
    const { sink, spool, metrics, log } = this.deps;
    if (spool.batches === 0 && !this.stopped) {
      try {
        await sink.write(points);
        metrics.pointsWritten.inc({ sink: sink.name }, points.length);
        metrics.writeBatches.observe(points.length);
        this.retryMs = this.deps.retryMinMs ?? 500;
        return true;
      } catch (err) {
        if (err instanceof SinkError && !err.retriable) {
          this.rejected(err, points.length);
          return true;
        }
        metrics.writeErrors.inc({ retriable: 'true' });
        log.warn({ err: (err as Error).message, points: points.length }, 'store write failed; spooling to disk');
      }
    }
    try {
      spool.append(points);
      metrics.spoolBatches.set(spool.batches);
      metrics.spoolBytes.set(spool.bytes);
      metrics.spoolPeakBytes.set(spool.peakBytes);
      this.scheduleDrain(this.retryMs);
      return true;
    } catch (err) {
      log.error({ err: (err as Error).message }, 'cannot spool; holding messages unacknowledged');
      return false;
    }
  }

  private rejected(err: SinkError, points: number): void {
    this.deps.metrics.writeErrors.inc({ retriable: 'false' });
    this.deps.metrics.rejections.inc({ reason: 'store_rejected' });
    this.deps.log.error({ reason: 'store_rejected', err: err.message, points }, 'store refused points as invalid; not retried');
  }

  private scheduleDrain(delayMs: number): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    this.retryTimer = setTimeout(() => void this.drain(), delayMs);
  }

  /** Sends the spool to the store, oldest first, with exponential backoff while it is unreachable. */
  private async drain(): Promise<void> {
    const { sink, spool, metrics, log } = this.deps;
    const started = Date.now();
    while (spool.batches > 0 && !this.stopped) {
      const batches = spool.peek(this.deps.maxBatchPoints);
      const points = batches.length === 1 ? batches[0]!.points : batches.flatMap((b) => b.points);
      try {
        await sink.write(points);
        metrics.pointsWritten.inc({ sink: sink.name }, points.length);
        this.retryMs = this.deps.retryMinMs ?? 500;
      } catch (err) {
        if (err instanceof SinkError && !err.retriable) {
          this.rejected(err, points.length);
        } else {
          metrics.writeErrors.inc({ retriable: 'true' });
          this.retryMs = Math.min(this.retryMs * 2, this.deps.retryMaxMs ?? 5_000);
          this.draining = false;
          this.scheduleDrain(this.retryMs);
          return;
        }
      }
      spool.remove(batches);
      metrics.spoolBatches.set(spool.batches);
      metrics.spoolBytes.set(spool.bytes);
    }
    this.draining = false;
    if (spool.batches === 0) log.info({ ms: Date.now() - started }, 'spool drained');
  }
}

import { HttpError, InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { Point } from '../domain/point.js';
import { toLine } from './line-protocol.js';
import { SinkError, httpSinkError, type PointSink } from './sink.js';

// The client logs failed writes to the console itself; ours are logged (structured, rate-limited) by the writer.
setLogger({ error: () => undefined, warn: () => undefined });

export interface InfluxV2Options {
  readonly url: string;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
  readonly timeoutMs: number;
}

/**
 * InfluxDB 2.x through `@influxdata/influxdb-client`. Its own batching and retry buffer are switched off
 * (one flush per batch, no retries): batching, retry and the durable spool are ours, shared with 1.x.
 */
export class InfluxV2Sink implements PointSink {
  readonly name = 'influxdb-2';
  private readonly influx: InfluxDB;

  constructor(private readonly options: InfluxV2Options) {
    this.influx = new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs });
  }

  async start(): Promise<void> {}

  async write(points: readonly Point[]): Promise<void> {
    if (points.length === 0) return;
    const api: WriteApi = this.influx.getWriteApi(this.options.org, this.options.bucket, 'ns', {
      batchSize: points.length + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: points.length + 1,
      gzipThreshold: 64 * 1024,
    });
    api.writeRecords(points.map(toLine));
    try {
      await api.close();
    } catch (err) {
      if (err instanceof HttpError) throw httpSinkError('InfluxDB', err.statusCode, err.body ?? err.message);
      throw new SinkError(`InfluxDB unreachable: ${(err as Error).message}`, true);
    }
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(new URL('/health', this.options.url), { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {}
}

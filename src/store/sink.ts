import type { Point } from '../domain/point.js';

/** Why a write failed: retriable failures go to the spool, rejected points are counted and dropped. */
export class SinkError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'SinkError';
  }
}

/** The one small interface every time-series store implements (InfluxDB 1.x, 2.x, embedded SQLite). */
export interface PointSink {
  readonly name: string;
  start(): Promise<void>;
  /** Resolves when the points are durable in the store; rejects with SinkError. */
  write(points: readonly Point[]): Promise<void>;
  /** Cheap reachability check for /healthz. */
  ping(): Promise<boolean>;
  stop(): Promise<void>;
}

/** HTTP status → SinkError. 4xx other than 408/429 means the data itself was refused: retrying cannot help. */
export function httpSinkError(store: string, status: number, body: string): SinkError {
  const retriable = status >= 500 || status === 408 || status === 429;
  return new SinkError(`${store} answered HTTP ${status}: ${body.slice(0, 300)}`, retriable);
}

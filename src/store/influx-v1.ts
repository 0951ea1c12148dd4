import { InfluxDB } from 'influx';
import type { Point } from '../domain/point.js';
import { toLineProtocol } from './line-protocol.js';
import { SinkError, httpSinkError, type PointSink } from './sink.js';

export interface InfluxV1Options {
  readonly url: string;
  readonly database: string;
  readonly username?: string;
  readonly password?: string;
  readonly retentionPolicy?: string;
  readonly timeoutMs: number;
}

/**
 * InfluxDB 1.x. The `influx` client does pings and database management; points are posted as our own line
 * protocol (exact escaping, integer fields, nanosecond timestamps), which its writePoints cannot express
 * without a per-measurement schema.
 */
export class InfluxV1Sink implements PointSink {
  readonly name = 'influxdb-1';
  private readonly client: InfluxDB;
  private readonly writeUrl: string;
  private readonly auth: string | undefined;

  constructor(private readonly options: InfluxV1Options) {
    const url = new URL(options.url);
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 8086)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      database: options.database,
      ...(options.username ? { username: options.username, password: options.password ?? '' } : {}),
    });
    const write = new URL('write', url.href.endsWith('/') ? url.href : `${url.href}/`);
    write.searchParams.set('db', options.database);
    write.searchParams.set('precision', 'ns');
    if (options.retentionPolicy) write.searchParams.set('rp', options.retentionPolicy);
    this.writeUrl = write.href;
    this.auth = options.username ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
  }

  /** Creates the database if it does not exist; an unreachable server is not fatal (the spool takes over). */
  async start(): Promise<void> {
    try {
      const names = await this.client.getDatabaseNames();
      if (!names.includes(this.options.database)) await this.client.createDatabase(this.options.database);
    } catch {
      // Unreachable at start-up: writes spool until it is back; /healthz reports it.
    }
  }

  async write(points: readonly Point[]): Promise<void> {
    if (points.length === 0) return;
    let res: Response;
    try {
      res = await fetch(this.writeUrl, {
        method: 'POST',
        body: toLineProtocol(points),
        headers: { 'content-type': 'text/plain; charset=utf-8', ...(this.auth ? { authorization: this.auth } : {}) },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new SinkError(`InfluxDB unreachable: ${(err as Error).message}`, true);
    }
    if (res.status === 204 || res.status === 200) return void (await res.arrayBuffer());
    throw httpSinkError('InfluxDB', res.status, await res.text().catch(() => ''));
  }

  async ping(): Promise<boolean> {
    const hosts = await this.client.ping(2000).catch(() => []);
    return hosts.some((h) => h.online);
  }

  async stop(): Promise<void> {}
}

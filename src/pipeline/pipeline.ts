import type { DeviceEvent, UplinkEvent } from '../domain/events.js';
import type { Point } from '../domain/point.js';
import { Rejection, isRejection, type RejectionReason } from '../domain/rejections.js';
import type { CodecRegistry } from '../decode/codecs.js';
import type { CustomCodecs } from '../decode/custom-codecs.js';
import { extractReadings, type Readings } from '../decode/readings.js';
import { CodecError } from '../decode/sandbox.js';
import { normalize } from '../normalize/index.js';
import type { RateLimitedLog } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';
import type { Catalog } from '../registry/catalog.js';
import type { Fleet } from '../registry/fleet.js';
import { resolveDevice, type ResolvedDevice } from '../registry/resolve.js';
import { eventPoint, joinPoint, linkPoint, logPoint, readingPoints, statusPoint, type SeriesTags } from '../store/mapping.js';
import { Dedup } from './dedup.js';

/** What one accepted uplink became; handed to observers (live view, municipal semantics). */
export interface ProcessedUplink {
  readonly event: UplinkEvent;
  readonly device: ResolvedDevice | undefined;
  readonly decoded: Record<string, unknown> | undefined;
  readonly readings: Readings;
  /** Why the uplink was not decoded (unknown device, no decoder, decoder failure); absent when it was. */
  readonly rejection?: { readonly reason: RejectionReason; readonly message: string };
}

/** Observers derive municipal meaning from the flow; the points they return are written with the message's own. */
export interface PipelineObserver {
  readonly name: string;
  onUplink?(uplink: ProcessedUplink): readonly Point[] | void;
  onEvent?(event: DeviceEvent, device: ResolvedDevice | undefined): readonly Point[] | void;
}

export interface PipelineDeps {
  readonly catalog: Catalog;
  readonly fleet: Fleet;
  readonly codecs: CodecRegistry;
  /** Technician codecs, which take precedence over the built-in decoder of a device's model. */
  readonly customCodecs?: CustomCodecs;
  readonly writer: { submit(points: readonly Point[]): Promise<void> };
  readonly metrics: Metrics;
  readonly rejectLog: RateLimitedLog;
  readonly maxMessageBytes: number;
  readonly observers?: readonly PipelineObserver[];
}

/** A rejected or ignored message is acknowledged at once: it must not loop. */
const DONE: Promise<void> = Promise.resolve();

const DECODER_REASON = { error: 'decoder_error', timeout: 'decoder_timeout', invalid_output: 'decoder_invalid_output' } as const;

/**
 * The data flow, one stage per line: admit → normalize → (deduplicate → resolve → decode → map) → write.
 * `handle` resolves when the message may be acknowledged to the broker: its points are durable, or it was
 * rejected (counted and logged) and must not loop.
 */
export class Pipeline {
  private readonly dedup = new Dedup();

  constructor(private readonly deps: PipelineDeps) {}

  handle(topic: string, payload: Buffer): Promise<void> {
    const { metrics } = this.deps;
    metrics.messages.inc();
    if (payload.length > this.deps.maxMessageBytes) {
      this.reject(new Rejection('oversized', `${payload.length} bytes > MQTT_MAX_MESSAGE_BYTES ${this.deps.maxMessageBytes}`), topic);
      return DONE;
    }
    const event = normalize(topic, payload);
    if (isRejection(event)) {
      this.reject(event, topic);
      return DONE;
    }
    if (event.kind === 'ignored') {
      metrics.ignored.inc({ event: event.event });
      return DONE;
    }
    metrics.events.inc({ kind: event.kind, source: event.source });
    switch (event.kind) {
      case 'up': {
        const { duplicate, durable } = this.dedup.run(event.id, () => this.uplink(event, topic));
        if (duplicate) metrics.duplicates.inc();
        return durable;
      }
      case 'status':
      case 'join':
      case 'log':
        return this.deviceEvent(event);
    }
  }

  private uplink(up: UplinkEvent, topic: string): Promise<void> {
    const resolved = resolveDevice(this.deps.catalog, this.deps.fleet, up.device);
    const device = isRejection(resolved) ? undefined : resolved;
    const series: SeriesTags = { devEui: up.device.devEui, model: device?.model.id, site: device?.site };
    const points: Point[] = [linkPoint(up, series)];
    let decoded: Record<string, unknown> | undefined;
    let readings: Readings = {};
    let rejection: Rejection | undefined;
    if (isRejection(resolved)) {
      rejection = resolved;
      this.reject(resolved, topic, up.device.devEui);
    } else {
      const result = this.decode(up, resolved);
      if (isRejection(result)) {
        rejection = result;
        this.reject(result, topic, up.device.devEui);
        if (result.reason.startsWith('decoder_')) points.push(eventPoint(series, up.time.ns, 'decoder_error', { reason: result.reason, description: result.message }));
      } else if (result !== undefined) {
        decoded = result;
        readings = extractReadings(resolved.model, result);
        points.push(...readingPoints(readings, up.time.ns, series));
      }
    }
    const processed: ProcessedUplink = { event: up, device, decoded, readings, ...(rejection ? { rejection: { reason: rejection.reason, message: rejection.message } } : {}) };
    points.push(...this.notify((o) => o.onUplink?.(processed)));
    return this.deps.writer.submit(points);
  }

  /** Decoded `data`, undefined when there is nothing to decode (fPort 0, MAC commands only), or a Rejection. */
  private decode(up: UplinkEvent, device: ResolvedDevice): Record<string, unknown> | undefined | Rejection {
    if (up.fPort === 0) return undefined;
    const codec = this.deps.customCodecs?.forDevice(device.devEui, device.model.id) ?? this.deps.codecs.get(device.model.id);
    if (!codec) {
      if (up.object) return up.object;
      return new Rejection('no_decoder', `model ${device.model.id} has no decoder and the uplink carries no decoded object`);
    }
    const stop = this.deps.metrics.decodeSeconds.startTimer({ model: device.model.id });
    try {
      const out = codec.decodeUplink({ bytes: up.bytes, fPort: up.fPort, recvTime: new Date(up.time.ms).toISOString(), variables: device.registered?.tags ?? {} });
      if (out.errors && out.errors.length > 0) return new Rejection('decoder_error', `decoder ${device.model.id} returned errors: ${out.errors.join(', ')}`);
      return out.data;
    } catch (err) {
      if (err instanceof CodecError) return new Rejection(DECODER_REASON[err.failure], err.message);
      return new Rejection('decoder_error', (err as Error).message);
    } finally {
      stop();
    }
  }

  private deviceEvent(event: Exclude<DeviceEvent, UplinkEvent>): Promise<void> {
    const resolved = resolveDevice(this.deps.catalog, this.deps.fleet, event.device);
    const device = isRejection(resolved) ? undefined : resolved;
    const series: SeriesTags = { devEui: event.device.devEui, model: device?.model.id, site: device?.site };
    const derived = this.notify((o) => o.onEvent?.(event, device));
    switch (event.kind) {
      case 'status':
        return this.deps.writer.submit([statusPoint(event, series), ...derived]);
      case 'join':
        return this.deps.writer.submit([joinPoint(event, series), ...derived]);
      case 'log':
        return this.deps.writer.submit([logPoint(event, series), ...derived]);
    }
  }

  private reject(rejection: Rejection, topic: string, devEui?: string): void {
    this.deps.metrics.rejections.inc({ reason: rejection.reason });
    this.deps.rejectLog.warn(rejection.reason, { reason: rejection.reason, topic: topic.slice(0, 200), devEui, detail: rejection.message }, 'message rejected');
  }

  /** Every observer is isolated: one that throws is logged and the others (and the write) carry on. */
  private notify(call: (o: PipelineObserver) => readonly Point[] | void): Point[] {
    const derived: Point[] = [];
    for (const o of this.deps.observers ?? []) {
      try {
        const points = call(o);
        if (points) derived.push(...points);
      } catch (err) {
        this.deps.rejectLog.warn(`observer:${o.name}`, { observer: o.name, err: (err as Error).message }, 'observer failed');
      }
    }
    return derived;
  }
}

import type { RouteDef } from '../../api/routes.js';
import type { DeviceEvent } from '../../domain/events.js';
import type { Point } from '../../domain/point.js';
import type { AlarmState, DeviceHealth } from '../../live/events.js';
import type { ProcessedUplink } from '../../pipeline/pipeline.js';
import type { ResolvedDevice } from '../../registry/resolve.js';
import { AlarmStore, type AckResult } from '../level/alarms.js';
import type { SemanticsContext, SemanticsModule } from '../module.js';
import {
  DEFAULT_MISSED_INTERVALS,
  isOnline,
  isSilenced,
  newRecord,
  offlineAt,
  recordBattery,
  recordCodecError,
  recordSeen,
  recordUplink,
  type HealthRecord,
} from './health.js';
import { healthRoutes } from './routes.js';
import { HealthStore } from './store.js';

/** How often time itself is looked at (devices going offline, silences running out). */
export const HEALTH_TICK_MS = 60_000;
/** The ChirpStack log code of a failing device-profile codec. */
export const CODEC_LOG_CODE = 'UPLINK_CODEC';

export interface HealthOptions {
  /** Missed expected uplinks before a device counts as offline (default 3). */
  readonly missedIntervals?: number;
  readonly tickMs?: number;
}

const ns = (ms: number): string => `${Math.trunc(ms)}000000`;
const iso = (ms: number): string => new Date(ms).toISOString();
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Device health for every device: last seen, battery, radio per gateway, codec errors (ours and ChirpStack's
 * UPLINK_CODEC), online/offline after N missed expected uplinks with an `offline` alarm, acknowledgement and
 * silence. Event-driven; `tick()` (every HEALTH_TICK_MS) detects devices going offline.
 */
export class HealthModule implements SemanticsModule {
  readonly name = 'health';
  private readonly store: HealthStore;
  private readonly alarms: AlarmStore;
  private readonly records = new Map<string, HealthRecord>();
  private readonly missed: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: SemanticsContext,
    private readonly options: HealthOptions = {},
  ) {
    this.store = new HealthStore(ctx.db);
    this.alarms = new AlarmStore(ctx.db);
    this.missed = options.missedIntervals ?? DEFAULT_MISSED_INTERVALS;
  }

  start(): void {
    this.store.migrate();
    this.alarms.migrate();
    for (const r of this.store.all()) this.records.set(r.devEui, r);
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? HEALTH_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  routes(): RouteDef[] {
    return healthRoutes(this);
  }

  onUplink(u: ProcessedUplink): readonly Point[] | void {
    const device = u.device;
    if (!device) return; // not ours (unknown device): counted as a rejection instead
    const { radio, time } = u.event;
    let rec = recordUplink(this.recordOf(device), {
      timeMs: time.ms,
      ...(radio.rssi !== undefined ? { rssi: radio.rssi } : {}),
      ...(radio.snr !== undefined ? { snr: radio.snr } : {}),
      ...(radio.gatewayId !== undefined ? { gatewayId: radio.gatewayId } : {}),
      ...(num(u.readings.battery) !== undefined ? { battery: num(u.readings.battery) } : {}),
      ...(num(u.readings.battery_voltage) !== undefined ? { batteryVoltage: num(u.readings.battery_voltage) } : {}),
    });
    let changed = false;
    if (u.rejection?.reason.startsWith('decoder_')) {
      const r = recordCodecError(rec, `up:${u.event.id}`, time.ms, `${u.rejection.reason}: ${u.rejection.message}`);
      rec = r.record;
      changed = r.counted;
    }
    return this.commit(rec, time.ns, changed);
  }

  onEvent(event: DeviceEvent, device: ResolvedDevice | undefined): readonly Point[] | void {
    if (!device) return;
    let rec = this.recordOf(device);
    let changed = false;
    switch (event.kind) {
      case 'up':
        return;
      case 'status': {
        const battery = event.externalPowerSource || event.batteryLevelUnavailable ? undefined : event.batteryLevel;
        rec = recordBattery(recordSeen(rec, event.time.ms), event.time.ms, battery, undefined);
        break;
      }
      case 'join':
        rec = recordSeen(rec, event.time.ms);
        break;
      case 'log': {
        // Log events may come from the network server alone (no device traffic): they do not count as seen.
        if (event.code !== CODEC_LOG_CODE) return;
        const r = recordCodecError(rec, `log:${event.time.ns}:${event.code}`, event.time.ms, event.description);
        rec = r.record;
        changed = r.counted;
        break;
      }
    }
    return this.commit(rec, event.time.ns, changed);
  }

  /** What time alone changes: devices going offline, silences running out. Returns the points written. */
  tick(): Point[] {
    const points: Point[] = [];
    for (const rec of [...this.records.values()]) points.push(...this.commit(rec, undefined, false));
    if (points.length > 0) void this.ctx.write(points).catch((err: Error) => this.ctx.log.warn({ err: err.message }, 'health: writing alarm points failed'));
    return points;
  }

  // --- queries and commands (HTTP) ---

  now(): number {
    return this.ctx.now();
  }

  list(): DeviceHealth[] {
    const now = this.ctx.now();
    const ids = new Set([...this.ctx.fleet.list().map((d) => d.devEui), ...this.records.keys()]);
    return [...ids].sort().flatMap((id) => {
      const h = this.view(this.records.get(id) ?? newRecord(id), now);
      return h ? [h] : [];
    });
  }

  health(devEui: string): DeviceHealth | undefined {
    const rec = this.records.get(devEui) ?? (this.ctx.fleet.get(devEui) ? newRecord(devEui) : undefined);
    return rec ? this.view(rec, this.ctx.now()) : undefined;
  }

  /** Silence the device's offline alarms until `untilMs` (undefined: lift the silence). An open alarm stays open. */
  silence(devEui: string, untilMs: number | undefined): DeviceHealth | undefined {
    const rec = this.records.get(devEui) ?? (this.ctx.fleet.get(devEui) ? newRecord(devEui) : undefined);
    if (!rec) return undefined;
    const { silencedUntilMs: _old, ...rest } = rec;
    const next: HealthRecord = untilMs === undefined ? rest : { ...rest, silencedUntilMs: untilMs };
    this.records.set(devEui, next);
    this.store.save(next);
    const view = this.view(next, this.ctx.now());
    if (view) this.ctx.live.emit('device.health', view);
    return view;
  }

  /** Acknowledge the device's open offline alarm. */
  acknowledge(devEui: string, by: string): AckResult {
    const open = this.alarms.current(devEui, 'offline');
    if (!open) return { ok: false, why: 'not_found' };
    const now = this.ctx.now();
    const result = this.alarms.acknowledge(open.id, by, now);
    if (result.ok) this.publishAlarm(result.alarm, ns(now), true);
    return result;
  }

  // --- internals ---

  private recordOf(device: ResolvedDevice): HealthRecord {
    const rec = this.records.get(device.devEui) ?? newRecord(device.devEui);
    return { ...rec, model: device.model.id, ...(device.name !== undefined ? { name: device.name } : {}) };
  }

  private intervalOf(rec: HealthRecord): number | undefined {
    const d = this.ctx.fleet.get(rec.devEui);
    return d?.uplinkIntervalSeconds ?? this.ctx.catalog.get(d?.model ?? rec.model ?? '')?.uplinkIntervalSeconds;
  }

  /**
   * Settles the online state at `now`, keeps the offline alarm in step (opened when a device goes offline unless
   * silenced — or when its silence ends while it is still offline — and cleared when it is back), saves the record
   * and emits 'device.health' on a change. Returns the `alarm` points (at `timeNs` for an uplink's effect).
   */
  private commit(input: HealthRecord, timeNs: string | undefined, changed: boolean): Point[] {
    const now = this.ctx.now();
    const interval = this.intervalOf(input);
    let rec = input;
    const points: Point[] = [];
    if (interval !== undefined) {
      const online = isOnline(rec, interval, this.missed, now);
      if (online && !rec.online) {
        const { offlineSinceMs: _gone, ...rest } = rec;
        rec = { ...rest, online: true };
        changed = true;
        const open = this.alarms.current(rec.devEui, 'offline');
        if (open) {
          const cleared = this.alarms.update(open.id, { state: 'cleared', message: `${rec.name ?? rec.devEui}: back online` }, now);
          points.push(...this.publishAlarm(cleared, timeNs ?? ns(now), false));
        }
      } else if (!online && rec.lastSeenMs !== undefined && (rec.online || rec.offlineSinceMs === undefined)) {
        // Went offline — or was never online: its first uplink was already too old (replayed from the broker).
        rec = { ...rec, online: false, offlineSinceMs: offlineAt(rec.lastSeenMs, interval, this.missed) };
        changed = true;
      }
      if (!online && rec.offlineSinceMs !== undefined && rec.lastSeenMs !== undefined && !isSilenced(rec, now) && !this.alarms.current(rec.devEui, 'offline')) {
        const since = Math.max(rec.offlineSinceMs, rec.silencedUntilMs ?? 0);
        const alarm = this.alarms.open(
          {
            devEui: rec.devEui,
            kind: 'offline',
            severity: 'alarm',
            sinceMs: since,
            message: `${rec.name ?? rec.devEui}: offline, no uplink since ${iso(rec.lastSeenMs)} (expected every ${interval} s, offline after ${this.missed} missed)`,
            ...(rec.model !== undefined ? { model: rec.model } : {}),
            ...(this.ctx.fleet.get(rec.devEui)?.site !== undefined ? { site: this.ctx.fleet.get(rec.devEui)!.site } : {}),
          },
          now,
        );
        points.push(...this.publishAlarm(alarm, ns(since), false));
      }
    }
    if (rec !== this.records.get(rec.devEui)) {
      this.records.set(rec.devEui, rec);
      this.store.save(rec);
    }
    if (changed) {
      const view = this.view(rec, now);
      if (view) this.ctx.live.emit('device.health', view);
    }
    return points;
  }

  /** Live 'alarm' event and the `alarm` point, returned or (`write`) written at once. */
  private publishAlarm(alarm: AlarmState, timeNs: string, write: boolean): Point[] {
    this.ctx.live.emit('alarm', alarm);
    const point = this.alarms.point(alarm.id, timeNs);
    if (!point) return [];
    if (write) void this.ctx.write([point]).catch((err: Error) => this.ctx.log.warn({ err: err.message }, 'health: writing the alarm point failed'));
    return write ? [] : [point];
  }

  private view(rec: HealthRecord, now: number): DeviceHealth | undefined {
    const interval = this.intervalOf(rec);
    if (interval === undefined) return undefined;
    const d = this.ctx.fleet.get(rec.devEui);
    const online = isOnline(rec, interval, this.missed, now);
    const name = d?.name ?? rec.name;
    const model = d?.model ?? rec.model;
    const gateways: Record<string, { rssi: number; snr?: number; lastSeen: string }> = {};
    for (const [id, g] of Object.entries(rec.gateways)) gateways[id] = { rssi: g.rssi, ...(g.snr !== undefined ? { snr: g.snr } : {}), lastSeen: iso(g.lastSeenMs) };
    return {
      devEui: rec.devEui,
      ...(name !== undefined ? { name } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(rec.lastSeenMs !== undefined ? { lastSeen: iso(rec.lastSeenMs) } : {}),
      ...(rec.battery ? { battery: rec.battery.value } : {}),
      ...(rec.batteryVoltage ? { batteryVoltage: rec.batteryVoltage.value } : {}),
      ...(rec.radio?.rssi !== undefined ? { rssi: rec.radio.rssi } : {}),
      ...(rec.radio?.snr !== undefined ? { snr: rec.radio.snr } : {}),
      gateways,
      expectedIntervalSeconds: interval,
      online,
      ...(!online && rec.lastSeenMs !== undefined ? { offlineSince: iso(rec.offlineSinceMs ?? offlineAt(rec.lastSeenMs, interval, this.missed)) } : {}),
      ...(isSilenced(rec, now) ? { silencedUntil: iso(rec.silencedUntilMs!) } : {}),
      codecErrors: rec.codecErrors,
      ...(rec.lastCodecError ? { lastCodecError: { time: iso(rec.lastCodecError.timeMs), description: rec.lastCodecError.description } } : {}),
    };
  }
}

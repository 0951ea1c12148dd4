import type { RouteDef } from '../../api/routes.js';
import type { FieldValue, Point } from '../../domain/point.js';
import type { AlarmState } from '../../live/events.js';
import type { ProcessedUplink } from '../../pipeline/pipeline.js';
import type { SemanticsContext, SemanticsModule } from '../module.js';
import { AlarmStore, type AckResult } from './alarms.js';
import { deriveLevel, gaugeSetup } from './level.js';
import { levelRoutes } from './routes.js';
import { LevelStore, type GaugeState, type StoredThresholds } from './store.js';
import { nextSeverity, thresholdOf, type Severity, type Thresholds } from './thresholds.js';

export interface GaugeView {
  readonly devEui: string;
  readonly name?: string;
  readonly model: string;
  readonly site?: string;
  readonly time?: string;
  readonly levelMm?: number;
  readonly fillPct?: number;
  readonly severity: Severity;
  readonly alarmId?: string;
  readonly thresholds?: Thresholds;
}

const ns = (ms: number): string => `${Math.trunc(ms)}000000`;
const mm = (v: number): string => `${Math.round(v)} mm`;

/**
 * Level gauges: level (and fill) from each uplink (`level_derived`), per-gauge thresholds with hysteresis, and the
 * level alarms (`alarm` points, live 'alarm' events, acknowledgement). Purely event-driven: a level changes only
 * with an uplink, so there is no timer.
 */
export class LevelModule implements SemanticsModule {
  readonly name = 'level';
  readonly alarms: AlarmStore;
  private readonly store: LevelStore;
  private readonly gauges = new Map<string, GaugeState>();
  private readonly thresholds = new Map<string, StoredThresholds>();

  constructor(private readonly ctx: SemanticsContext) {
    this.store = new LevelStore(ctx.db);
    this.alarms = new AlarmStore(ctx.db);
  }

  start(): void {
    this.store.migrate();
    this.alarms.migrate();
    for (const g of this.store.gauges()) this.gauges.set(g.devEui, g);
    for (const t of this.store.thresholds()) this.thresholds.set(t.devEui, t);
  }

  stop(): void {}

  routes(): RouteDef[] {
    return levelRoutes(this);
  }

  onUplink(u: ProcessedUplink): readonly Point[] | void {
    const device = u.device;
    if (!device || device.model.category !== 'level') return;
    const derived = deriveLevel(u.readings, gaugeSetup(device.registered));
    if (!derived) return;
    const tags: Record<string, string> = { dev_eui: device.devEui, model: device.model.id, ...(device.site !== undefined ? { site: device.site } : {}) };
    const fields: Record<string, FieldValue> = { level_mm: { type: 'float', value: derived.levelMm } };
    if (derived.fillPct !== undefined) fields.fill_pct = { type: 'float', value: derived.fillPct };
    const points: Point[] = [{ measurement: 'level_derived', tags, fields, timeNs: u.event.time.ns }];

    const prev = this.gauges.get(device.devEui);
    const timeMs = u.event.time.ms;
    if (prev && timeMs <= prev.lastTimeMs) return points; // duplicate or late: history only, never the state
    const current = prev?.severity ?? 'normal';
    const t = this.thresholds.get(device.devEui)?.thresholds;
    const severity = nextSeverity(current, derived.levelMm, t);
    let alarmId = prev?.alarmId;
    if (severity !== current) {
      const alarm = this.transition({ devEui: device.devEui, model: device.model.id, site: device.site, label: device.name ?? device.devEui }, severity, derived.levelMm, t, timeMs);
      alarmId = severity === 'normal' ? undefined : alarm?.id;
      if (alarm) {
        this.ctx.live.emit('alarm', alarm);
        const point = this.alarms.point(alarm.id, u.event.time.ns);
        if (point) points.push(point);
      }
    }
    const next: GaugeState = {
      devEui: device.devEui,
      model: device.model.id,
      ...(device.name !== undefined ? { name: device.name } : {}),
      ...(device.site !== undefined ? { site: device.site } : {}),
      lastTimeMs: timeMs,
      levelMm: derived.levelMm,
      ...(derived.fillPct !== undefined ? { fillPct: derived.fillPct } : {}),
      severity,
      ...(alarmId !== undefined ? { alarmId } : {}),
    };
    this.gauges.set(device.devEui, next);
    this.store.saveGauge(next);
    return points;
  }

  // --- queries and commands (HTTP) ---

  gaugeViews(): GaugeView[] {
    const ids = new Set([...this.ctx.fleet.list().filter((d) => this.ctx.catalog.get(d.model)?.category === 'level').map((d) => d.devEui), ...this.gauges.keys()]);
    return [...ids].sort().flatMap((id) => {
      const v = this.gaugeView(id);
      return v ? [v] : [];
    });
  }

  gaugeView(devEui: string): GaugeView | undefined {
    const d = this.ctx.fleet.get(devEui);
    const g = this.gauges.get(devEui);
    const model = d?.model ?? g?.model;
    if (model === undefined || (d && this.ctx.catalog.get(d.model)?.category !== 'level')) return undefined;
    const name = d?.name ?? g?.name;
    const site = d?.site ?? g?.site;
    const t = this.thresholds.get(devEui)?.thresholds;
    return {
      devEui,
      ...(name !== undefined ? { name } : {}),
      model,
      ...(site !== undefined ? { site } : {}),
      ...(g ? { time: new Date(g.lastTimeMs).toISOString(), levelMm: g.levelMm } : {}),
      ...(g?.fillPct !== undefined ? { fillPct: g.fillPct } : {}),
      severity: g?.severity ?? 'normal',
      ...(g?.alarmId !== undefined ? { alarmId: g.alarmId } : {}),
      ...(t ? { thresholds: t } : {}),
    };
  }

  getThresholds(devEui: string): StoredThresholds | undefined {
    return this.thresholds.get(devEui);
  }

  /** New thresholds apply from the gauge's next uplink. */
  setThresholds(devEui: string, thresholds: Thresholds, by: string): StoredThresholds {
    const stored: StoredThresholds = { devEui, thresholds, updatedBy: by, updatedAt: new Date(this.ctx.now()).toISOString() };
    this.store.saveThresholds(stored);
    this.thresholds.set(devEui, stored);
    return stored;
  }

  deleteThresholds(devEui: string): boolean {
    this.thresholds.delete(devEui);
    return this.store.deleteThresholds(devEui);
  }

  /** Acknowledge any alarm (level or offline): live 'alarm' event and an `alarm` point at the acknowledgement time. */
  acknowledge(id: string, by: string): AckResult {
    const now = this.ctx.now();
    const result = this.alarms.acknowledge(id, by, now);
    if (result.ok) {
      this.ctx.live.emit('alarm', result.alarm);
      const point = this.alarms.point(id, ns(now));
      if (point) void this.ctx.write([point]).catch((err: Error) => this.ctx.log.warn({ err: err.message }, 'level: writing the alarm point failed'));
    }
    return result;
  }

  listAlarms(filter: Parameters<AlarmStore['list']>[0]): AlarmState[] {
    return this.alarms.list(filter);
  }

  // --- internals ---

  /** Moves the device's level alarm along; undefined when there is nothing to record. */
  private transition(device: { devEui: string; model: string; site: string | undefined; label: string }, next: Severity, value: number, t: Thresholds | undefined, timeMs: number): AlarmState | undefined {
    const now = this.ctx.now();
    const open = this.alarms.current(device.devEui, 'level');
    if (next === 'normal') return open ? this.alarms.update(open.id, { state: 'cleared', value, message: `${device.label}: level ${mm(value)}, back to normal` }, now) : undefined;
    const threshold = t ? thresholdOf(t, next) : undefined;
    const message = `${device.label}: level ${mm(value)} ${t?.direction === 'below' ? 'at or below' : 'at or above'} the ${next} threshold${threshold !== undefined ? ` ${mm(threshold)}` : ''}`;
    const th = threshold !== undefined ? { threshold } : {};
    if (!open) return this.alarms.open({ devEui: device.devEui, kind: 'level', severity: next, sinceMs: timeMs, value, ...th, message, model: device.model, ...(device.site !== undefined ? { site: device.site } : {}) }, now);
    // Escalation calls for attention again: an acknowledged warning becomes an active alarm.
    const escalation = next === 'alarm' && open.severity === 'warning';
    return this.alarms.update(open.id, { severity: next, value, ...th, message, ...(escalation ? { state: 'active', acknowledged: null } : {}) }, now);
  }
}

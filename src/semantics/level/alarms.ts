import type Database from 'better-sqlite3';
import type { FieldValue, Point } from '../../domain/point.js';
import type { AlarmState } from '../../live/events.js';

/**
 * The alarm log shared by level alarms (this folder) and offline alarms (../health): one row per alarm episode,
 * from its start to `cleared`, in SQLite (DATA_DIR/stadtpuls.db). Rows are read from SQLite on every call, so
 * both modules see the same state (e.g. an offline alarm acknowledged through /api/alarms).
 * States: active → acknowledged (someone took it on) → cleared (back to normal); an escalation makes an
 * acknowledged alarm active again.
 */
export type AlarmKind = AlarmState['kind'];
export type AlarmSeverity = AlarmState['severity'];
export type AlarmLifecycle = AlarmState['state'];

export interface NewAlarm {
  readonly devEui: string;
  readonly kind: AlarmKind;
  readonly severity: AlarmSeverity;
  readonly sinceMs: number;
  readonly value?: number;
  readonly threshold?: number;
  readonly message: string;
  /** Tags of the alarm's points. */
  readonly model?: string;
  readonly site?: string;
}

export interface AlarmChange {
  readonly severity?: AlarmSeverity;
  readonly state?: AlarmLifecycle;
  readonly value?: number;
  readonly threshold?: number;
  readonly message?: string;
  /** null: forget a previous acknowledgement (escalation). */
  readonly acknowledged?: { readonly by: string; readonly atMs: number } | null;
}

export interface AlarmFilter {
  readonly state?: AlarmLifecycle;
  readonly kind?: AlarmKind;
  readonly devEui?: string;
}

interface Row {
  id: number;
  dev_eui: string;
  kind: AlarmKind;
  severity: AlarmSeverity;
  state: AlarmLifecycle;
  since_ms: number;
  value: number | null;
  threshold: number | null;
  acknowledged_by: string | null;
  acknowledged_at_ms: number | null;
  message: string;
  model: string | null;
  site: string | null;
  updated_ms: number;
}

export type AckResult = { readonly ok: true; readonly alarm: AlarmState } | { readonly ok: false; readonly why: 'not_found' | 'cleared' | 'acknowledged'; readonly alarm?: AlarmState };

export class AlarmStore {
  constructor(private readonly db: Database.Database) {}

  migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS alarms (
      id INTEGER PRIMARY KEY AUTOINCREMENT, dev_eui TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL,
      since_ms INTEGER NOT NULL, value REAL, threshold REAL, acknowledged_by TEXT, acknowledged_at_ms INTEGER, message TEXT NOT NULL,
      model TEXT, site TEXT, updated_ms INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS alarms_open ON alarms (dev_eui, kind, state)`);
  }

  open(a: NewAlarm, atMs: number): AlarmState {
    const r = this.db
      .prepare(`INSERT INTO alarms (dev_eui, kind, severity, state, since_ms, value, threshold, message, model, site, updated_ms)
        VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)`)
      .run(a.devEui, a.kind, a.severity, a.sinceMs, a.value ?? null, a.threshold ?? null, a.message, a.model ?? null, a.site ?? null, atMs);
    return this.get(String(r.lastInsertRowid))!;
  }

  get(id: string): AlarmState | undefined {
    const row = this.row(id);
    return row ? toState(row) : undefined;
  }

  /** The device's alarm of this kind that is not cleared yet. */
  current(devEui: string, kind: AlarmKind): AlarmState | undefined {
    const row = this.db.prepare(`SELECT * FROM alarms WHERE dev_eui = ? AND kind = ? AND state != 'cleared' ORDER BY id DESC LIMIT 1`).get(devEui, kind) as Row | undefined;
    return row ? toState(row) : undefined;
  }

  update(id: string, change: AlarmChange, atMs: number): AlarmState {
    const row = this.row(id);
    if (!row) throw new Error(`alarm ${id} does not exist`);
    const ack = change.acknowledged === undefined ? { by: row.acknowledged_by, at: row.acknowledged_at_ms } : change.acknowledged === null ? { by: null, at: null } : { by: change.acknowledged.by, at: change.acknowledged.atMs };
    this.db
      .prepare('UPDATE alarms SET severity = ?, state = ?, value = ?, threshold = ?, message = ?, acknowledged_by = ?, acknowledged_at_ms = ?, updated_ms = ? WHERE id = ?')
      .run(change.severity ?? row.severity, change.state ?? row.state, change.value ?? row.value, change.threshold ?? row.threshold, change.message ?? row.message, ack.by, ack.at, atMs, row.id);
    return this.get(id)!;
  }

  /** Only an active alarm can be acknowledged. */
  acknowledge(id: string, by: string, atMs: number): AckResult {
    const alarm = this.get(id);
    if (!alarm) return { ok: false, why: 'not_found' };
    if (alarm.state !== 'active') return { ok: false, why: alarm.state, alarm };
    return { ok: true, alarm: this.update(id, { state: 'acknowledged', acknowledged: { by, atMs } }, atMs) };
  }

  /** Newest first. */
  list(filter: AlarmFilter = {}, limit = 500): AlarmState[] {
    const conditions = { state: filter.state, kind: filter.kind, dev_eui: filter.devEui };
    const used = Object.entries(conditions).filter((e): e is [string, string] => e[1] !== undefined);
    const where = used.map(([column]) => `${column} = ?`);
    const args: (string | number)[] = used.map(([, value]) => value);
    const sql = `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, limit) as Row[]).map(toState);
  }

  /** The `alarm` point of an alarm's current state: tags dev_eui, kind, model, site. */
  point(id: string, timeNs: string): Point | undefined {
    const row = this.row(id);
    if (!row) return undefined;
    const fields: Record<string, FieldValue> = {
      alarm_id: { type: 'string', value: String(row.id) },
      severity: { type: 'string', value: row.severity },
      state: { type: 'string', value: row.state },
    };
    if (row.value !== null) fields.value = { type: 'float', value: row.value };
    if (row.threshold !== null) fields.threshold = { type: 'float', value: row.threshold };
    if (row.acknowledged_by !== null) fields.acknowledged_by = { type: 'string', value: row.acknowledged_by };
    const tags: Record<string, string> = { dev_eui: row.dev_eui, kind: row.kind };
    if (row.model !== null) tags.model = row.model;
    if (row.site !== null) tags.site = row.site;
    return { measurement: 'alarm', tags, fields, timeNs };
  }

  private row(id: string): Row | undefined {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
    return this.db.prepare('SELECT * FROM alarms WHERE id = ?').get(Number(id)) as Row | undefined;
  }
}

function toState(r: Row): AlarmState {
  return {
    id: String(r.id),
    devEui: r.dev_eui,
    kind: r.kind,
    severity: r.severity,
    state: r.state,
    since: new Date(r.since_ms).toISOString(),
    ...(r.value !== null ? { value: r.value } : {}),
    ...(r.threshold !== null ? { threshold: r.threshold } : {}),
    ...(r.acknowledged_by !== null ? { acknowledgedBy: r.acknowledged_by } : {}),
    ...(r.acknowledged_at_ms !== null ? { acknowledgedAt: new Date(r.acknowledged_at_ms).toISOString() } : {}),
    message: r.message,
  };
}

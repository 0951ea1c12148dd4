import type Database from 'better-sqlite3';
import { thresholdsSchema, type Severity, type Thresholds } from './thresholds.js';

/** What is kept per gauge: the newest level and the state machine's state. */
export interface GaugeState {
  readonly devEui: string;
  readonly model: string;
  readonly name?: string;
  readonly site?: string;
  /** Event time of the newest applied uplink; older ones never change the state. */
  readonly lastTimeMs: number;
  readonly levelMm: number;
  readonly fillPct?: number;
  readonly severity: Severity;
  /** The open level alarm, while severity is not normal. */
  readonly alarmId?: string;
}

export interface StoredThresholds {
  readonly devEui: string;
  readonly thresholds: Thresholds;
  readonly updatedBy: string;
  readonly updatedAt: string;
}

/** Level state in SQLite (DATA_DIR/stadtpuls.db): gauges and their thresholds. */
export class LevelStore {
  constructor(private readonly db: Database.Database) {}

  migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS level_gauges (dev_eui TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS level_thresholds (dev_eui TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  }

  gauges(): GaugeState[] {
    return (this.db.prepare('SELECT doc FROM level_gauges').all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as GaugeState);
  }

  saveGauge(g: GaugeState): void {
    this.db.prepare('INSERT INTO level_gauges (dev_eui, doc) VALUES (?, ?) ON CONFLICT(dev_eui) DO UPDATE SET doc = excluded.doc').run(g.devEui, JSON.stringify(g));
  }

  thresholds(): StoredThresholds[] {
    const rows = this.db.prepare('SELECT dev_eui, doc, updated_by, updated_at FROM level_thresholds').all() as { dev_eui: string; doc: string; updated_by: string; updated_at: string }[];
    return rows.map((r) => ({ devEui: r.dev_eui, thresholds: thresholdsSchema.parse(JSON.parse(r.doc)), updatedBy: r.updated_by, updatedAt: r.updated_at }));
  }

  saveThresholds(t: StoredThresholds): void {
    this.db
      .prepare('INSERT INTO level_thresholds (dev_eui, doc, updated_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(dev_eui) DO UPDATE SET doc = excluded.doc, updated_by = excluded.updated_by, updated_at = excluded.updated_at')
      .run(t.devEui, JSON.stringify(t.thresholds), t.updatedBy, t.updatedAt);
  }

  deleteThresholds(devEui: string): boolean {
    return this.db.prepare('DELETE FROM level_thresholds WHERE dev_eui = ?').run(devEui).changes > 0;
  }
}

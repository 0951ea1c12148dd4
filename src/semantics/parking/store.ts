import type Database from 'better-sqlite3';
import type { BayCore } from './bay.js';
import { zoneRuleSchema, type ZoneRule } from './rules.js';

/** What is kept per bay: its state plus what the last uplink said about it (for bays not in the fleet). */
export interface StoredBay extends BayCore {
  readonly devEui: string;
  readonly model: string;
  readonly name?: string;
  readonly zone?: string;
  /** Whether the bay was stale at its last evaluation (so a stale transition during a restart is still noticed). */
  readonly stale: boolean;
}

export interface StoredRule {
  readonly zone: string;
  readonly rule: ZoneRule;
  readonly updatedBy: string;
  readonly updatedAt: string;
}

/** Parking state in SQLite (DATA_DIR/stadtpuls.db): one JSON document per bay, one rule per zone. */
export class ParkingStore {
  constructor(private readonly db: Database.Database) {}

  migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS parking_bays (dev_eui TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS parking_rules (zone TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  }

  bays(): StoredBay[] {
    return (this.db.prepare('SELECT doc FROM parking_bays').all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as StoredBay);
  }

  saveBay(bay: StoredBay): void {
    this.db.prepare('INSERT INTO parking_bays (dev_eui, doc) VALUES (?, ?) ON CONFLICT(dev_eui) DO UPDATE SET doc = excluded.doc').run(bay.devEui, JSON.stringify(bay));
  }

  rules(): StoredRule[] {
    const rows = this.db.prepare('SELECT zone, doc, updated_by, updated_at FROM parking_rules ORDER BY zone').all() as { zone: string; doc: string; updated_by: string; updated_at: string }[];
    return rows.map((r) => ({ zone: r.zone, rule: zoneRuleSchema.parse(JSON.parse(r.doc)), updatedBy: r.updated_by, updatedAt: r.updated_at }));
  }

  saveRule(rule: StoredRule): void {
    this.db
      .prepare('INSERT INTO parking_rules (zone, doc, updated_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(zone) DO UPDATE SET doc = excluded.doc, updated_by = excluded.updated_by, updated_at = excluded.updated_at')
      .run(rule.zone, JSON.stringify(rule.rule), rule.updatedBy, rule.updatedAt);
  }

  deleteRule(zone: string): boolean {
    return this.db.prepare('DELETE FROM parking_rules WHERE zone = ?').run(zone).changes > 0;
  }
}

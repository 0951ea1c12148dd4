import type Database from 'better-sqlite3';
import type { HealthRecord } from './health.js';

/** Device health in SQLite (DATA_DIR/stadtpuls.db): one JSON document per device. */
export class HealthStore {
  constructor(private readonly db: Database.Database) {}

  migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS device_health (dev_eui TEXT PRIMARY KEY, doc TEXT NOT NULL)');
  }

  all(): HealthRecord[] {
    return (this.db.prepare('SELECT doc FROM device_health').all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as HealthRecord);
  }

  save(rec: HealthRecord): void {
    this.db.prepare('INSERT INTO device_health (dev_eui, doc) VALUES (?, ?) ON CONFLICT(dev_eui) DO UPDATE SET doc = excluded.doc').run(rec.devEui, JSON.stringify(rec));
  }
}

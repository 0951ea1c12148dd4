import Database from 'better-sqlite3';
import type { FieldValue, Point } from '../domain/point.js';
import type { PointSink } from './sink.js';

/**
 * The embedded store for `npm start` without InfluxDB: the same points in SQLite under DATA_DIR. Keyed like
 * InfluxDB (measurement, tag set, timestamp), so a replayed point overwrites its fields instead of adding a row.
 */
export class EmbeddedSink implements PointSink {
  readonly name = 'embedded';
  private db: Database.Database | undefined;
  private insert: Database.Statement | undefined;

  constructor(private readonly file: string) {}

  async start(): Promise<void> {
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS points (
      measurement TEXT NOT NULL, dev_eui TEXT NOT NULL, tags TEXT NOT NULL, time_ns TEXT NOT NULL, time_ms INTEGER NOT NULL,
      fields TEXT NOT NULL, PRIMARY KEY (measurement, tags, time_ns)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS points_device_time ON points (dev_eui, measurement, time_ms)`);
    this.insert = db.prepare(`INSERT INTO points (measurement, dev_eui, tags, time_ns, time_ms, fields) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (measurement, tags, time_ns) DO UPDATE SET fields = json_patch(points.fields, excluded.fields)`);
    this.db = db;
  }

  async write(points: readonly Point[]): Promise<void> {
    const insert = this.insert!;
    this.db!.transaction(() => {
      for (const p of points) {
        const tags = JSON.stringify(Object.fromEntries(Object.entries(p.tags).sort(([a], [b]) => a.localeCompare(b))));
        insert.run(p.measurement, p.tags.dev_eui ?? '', tags, p.timeNs, Number(p.timeNs.slice(0, -6) || '0'), JSON.stringify(plainFields(p.fields)));
      }
    })();
  }

  /** Rows of one measurement, newest first (for the API and tests). */
  query(measurement: string, devEui?: string, limit = 1000): { tags: Record<string, string>; timeNs: string; fields: Record<string, unknown> }[] {
    const rows = (
      devEui
        ? this.db!.prepare('SELECT tags, time_ns, fields FROM points WHERE measurement = ? AND dev_eui = ? ORDER BY time_ms DESC LIMIT ?').all(measurement, devEui, limit)
        : this.db!.prepare('SELECT tags, time_ns, fields FROM points WHERE measurement = ? ORDER BY time_ms DESC LIMIT ?').all(measurement, limit)
    ) as { tags: string; time_ns: string; fields: string }[];
    return rows.map((r) => ({ tags: JSON.parse(r.tags), timeNs: r.time_ns, fields: JSON.parse(r.fields) }));
  }

  count(measurement: string): number {
    return (this.db!.prepare('SELECT COUNT(*) AS n FROM points WHERE measurement = ?').get(measurement) as { n: number }).n;
  }

  async ping(): Promise<boolean> {
    return this.db !== undefined && this.db.open;
  }

  async stop(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}

function plainFields(fields: Readonly<Record<string, FieldValue>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) out[k] = f.value;
  return out;
}

import Database from 'better-sqlite3';
import type { Point } from '../domain/point.js';

export class SpoolFullError extends Error {
  constructor(bytes: number, max: number) {
    super(`spool is full (${bytes} of ${max} bytes)`);
    this.name = 'SpoolFullError';
  }
}

export interface SpooledBatch {
  readonly id: number;
  readonly points: Point[];
  readonly bytes: number;
}

/**
 * The on-disk spool: batches the store could not take, kept in SQLite (WAL, synchronous=FULL, so a committed
 * append survives a crash or power loss) and drained in the order they were written. Bounded by `maxBytes`.
 */
export class Spool {
  private db: Database.Database | undefined;
  private count = 0;
  private totalBytes = 0;
  private peak = 0;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
  ) {}

  start(): void {
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, bytes INTEGER NOT NULL)');
    const row = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM batches').get() as { n: number; b: number };
    this.count = row.n;
    this.totalBytes = row.b;
    this.peak = row.b;
    this.db = db;
  }

  get batches(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get peakBytes(): number {
    return this.peak;
  }

  /** Durable when it returns. Throws SpoolFullError past the bound. */
  append(points: readonly Point[]): void {
    const body = JSON.stringify(points);
    const bytes = Buffer.byteLength(body);
    if (this.totalBytes + bytes > this.maxBytes) throw new SpoolFullError(this.totalBytes, this.maxBytes);
    this.db!.prepare('INSERT INTO batches (body, bytes) VALUES (?, ?)').run(body, bytes);
    this.count++;
    this.totalBytes += bytes;
    this.peak = Math.max(this.peak, this.totalBytes);
  }

  /** Oldest batches first, together holding at most `maxPoints` points (at least one batch). */
  peek(maxPoints: number): SpooledBatch[] {
    const out: SpooledBatch[] = [];
    let points = 0;
    for (const row of this.db!.prepare('SELECT id, body, bytes FROM batches ORDER BY id LIMIT 200').iterate() as Iterable<{ id: number; body: string; bytes: number }>) {
      const batch = { id: row.id, points: JSON.parse(row.body) as Point[], bytes: row.bytes };
      if (out.length > 0 && points + batch.points.length > maxPoints) break;
      out.push(batch);
      points += batch.points.length;
    }
    return out;
  }

  remove(batches: readonly SpooledBatch[]): void {
    if (batches.length === 0) return;
    const del = this.db!.prepare('DELETE FROM batches WHERE id = ?');
    this.db!.transaction(() => {
      for (const b of batches) del.run(b.id);
    })();
    this.count -= batches.length;
    this.totalBytes -= batches.reduce((s, b) => s + b.bytes, 0);
  }

  stop(): void {
    this.db?.close();
    this.db = undefined;
  }
}

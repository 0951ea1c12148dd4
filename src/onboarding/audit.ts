import type Database from 'better-sqlite3';

export interface AuditEntry {
  readonly id: number;
  /** ISO 8601 time of the change. */
  readonly at: string;
  /** User name (or `token:<name>`) of whoever made the change. */
  readonly actor: string;
  /** e.g. `device.create`, `device.update`, `device.delete`, `device.provision`, `devices.import`. */
  readonly action: string;
  /** What was changed, e.g. the DevEUI. */
  readonly target: string;
  readonly details: Record<string, unknown>;
}

export interface AuditQuery {
  readonly limit: number;
  readonly offset: number;
  readonly target?: string | undefined;
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
}

const SECRET_KEYS = /^(app_?key|nwk_?key|password|token|api_?token)$/i;

/** Secrets never reach the audit log: a changed key is recorded as `"[changed]"`. */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[changed]' : scrub(v)]));
  }
  return value;
}

/** Who changed what, when: one SQLite row per change, newest first when listed. */
export class AuditLog {
  private insert!: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      details TEXT NOT NULL
    )`);
    this.db.exec('CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, id)');
    this.insert = this.db.prepare('INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)');
  }

  record(actor: string, action: string, target: string, details: Record<string, unknown> = {}): void {
    this.insert.run(new Date(this.now()).toISOString(), actor, action, target, JSON.stringify(scrub(details)));
  }

  list(q: AuditQuery): { total: number; entries: AuditEntry[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const key of ['target', 'actor', 'action'] as const) {
      if (q[key] !== undefined) {
        where.push(`${key} = ?`);
        args.push(q[key]);
      }
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const { total } = this.db.prepare(`SELECT count(*) AS total FROM audit_log ${clause}`).get(...args) as { total: number };
    const rows = this.db.prepare(`SELECT id, at, actor, action, target, details FROM audit_log ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset) as {
      id: number;
      at: string;
      actor: string;
      action: string;
      target: string;
      details: string;
    }[];
    return { total, entries: rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> })) };
  }
}

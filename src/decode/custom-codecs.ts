import type Database from 'better-sqlite3';
import { Codec, type CodecLimits } from './sandbox.js';

export type CodecScope = 'model' | 'device';

export interface CodecVersion {
  readonly scope: CodecScope;
  readonly target: string;
  readonly version: number;
  readonly source: string;
  readonly module: boolean;
  readonly author: string;
  readonly createdAt: string;
  readonly comment: string;
  readonly active: boolean;
}

/**
 * Technician codecs: a custom TS013 codec attached to a model (all its devices) or to a single device, stored
 * under DATA_DIR with every version kept (who, when, why). The active version runs in the same sandbox as the
 * built-in decoders; deactivating falls back to the model's built-in decoder.
 */
export class CustomCodecs {
  private readonly live = new Map<string, Codec>();

  constructor(
    private readonly db: Database.Database,
    private readonly limits: CodecLimits,
  ) {}

  async start(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS codecs (
      scope TEXT NOT NULL, target TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL, module INTEGER NOT NULL,
      author TEXT NOT NULL, created_at TEXT NOT NULL, comment TEXT NOT NULL, active INTEGER NOT NULL, PRIMARY KEY (scope, target, version))`);
    for (const v of this.activeVersions()) {
      try {
        this.live.set(key(v.scope, v.target), await Codec.load(`${v.scope}-${v.target}-v${v.version}`, v.source, this.limits, v.module));
      } catch {
        // A codec that no longer loads (e.g. tighter limits) stays stored; the built-in decoder takes over.
      }
    }
  }

  /** The live custom codec for a device, else for its model, else undefined. */
  forDevice(devEui: string, modelId: string): Codec | undefined {
    return this.live.get(key('device', devEui)) ?? this.live.get(key('model', modelId));
  }

  /** Compiles (throws CodecError when it does not), stores a new active version and puts it live. */
  async publish(scope: CodecScope, target: string, source: string, author: string, comment: string, module?: boolean): Promise<CodecVersion> {
    const codec = await Codec.load(`${scope}-${target}`, source, this.limits, module);
    const version = ((this.db.prepare('SELECT MAX(version) AS v FROM codecs WHERE scope = ? AND target = ?').get(scope, target) as { v: number | null }).v ?? 0) + 1;
    const createdAt = new Date().toISOString();
    this.db.transaction(() => {
      this.db.prepare('UPDATE codecs SET active = 0 WHERE scope = ? AND target = ?').run(scope, target);
      this.db
        .prepare('INSERT INTO codecs (scope, target, version, source, module, author, created_at, comment, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)')
        .run(scope, target, version, source, codec.module ? 1 : 0, author, createdAt, comment);
    })();
    this.live.get(key(scope, target))?.dispose();
    this.live.set(key(scope, target), codec);
    return { scope, target, version, source, module: codec.module, author, createdAt, comment, active: true };
  }

  /** Back to the built-in decoder; the versions stay for the record. */
  deactivate(scope: CodecScope, target: string): boolean {
    const changed = this.db.prepare('UPDATE codecs SET active = 0 WHERE scope = ? AND target = ? AND active = 1').run(scope, target).changes > 0;
    this.live.get(key(scope, target))?.dispose();
    this.live.delete(key(scope, target));
    return changed;
  }

  versions(scope: CodecScope, target: string): CodecVersion[] {
    return (this.db.prepare('SELECT * FROM codecs WHERE scope = ? AND target = ? ORDER BY version DESC').all(scope, target) as Row[]).map(fromRow);
  }

  activeVersions(): CodecVersion[] {
    return (this.db.prepare('SELECT * FROM codecs WHERE active = 1 ORDER BY scope, target').all() as Row[]).map(fromRow);
  }

  dispose(): void {
    for (const c of this.live.values()) c.dispose();
    this.live.clear();
  }
}

interface Row {
  scope: CodecScope;
  target: string;
  version: number;
  source: string;
  module: number;
  author: string;
  created_at: string;
  comment: string;
  active: number;
}

const key = (scope: CodecScope, target: string) => `${scope}:${target}`;

const fromRow = (r: Row): CodecVersion => ({
  scope: r.scope,
  target: r.target,
  version: r.version,
  source: r.source,
  module: r.module === 1,
  author: r.author,
  createdAt: r.created_at,
  comment: r.comment,
  active: r.active === 1,
});

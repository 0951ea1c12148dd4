import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { hashPassword, verifyPassword } from './passwords.js';
import { ROLES, type Principal, type Role } from './roles.js';

const SESSION_TTL_MS = 12 * 3600 * 1000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** Opaque bearer tokens: 32 random bytes. Only their SHA-256 is stored. */
const newToken = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;

export interface UserRecord {
  readonly username: string;
  readonly roles: Role[];
  readonly createdAt: string;
}

/** Users, login sessions and long-lived API tokens, in SQLite under DATA_DIR. */
export class Users {
  constructor(private readonly db: Database.Database) {}

  start(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, password TEXT NOT NULL, roles TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS api_tokens (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL);`);
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(Date.now());
  }

  async upsert(username: string, password: string, roles: readonly Role[]): Promise<void> {
    const hash = await hashPassword(password);
    this.db
      .prepare('INSERT INTO users (username, password, roles, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET password = excluded.password, roles = excluded.roles')
      .run(username, hash, JSON.stringify(roles), new Date().toISOString());
  }

  exists(username: string): boolean {
    return this.db.prepare('SELECT 1 FROM users WHERE username = ?').get(username) !== undefined;
  }

  list(): UserRecord[] {
    return (this.db.prepare('SELECT username, roles, created_at FROM users ORDER BY username').all() as { username: string; roles: string; created_at: string }[]).map((r) => ({
      username: r.username,
      roles: JSON.parse(r.roles) as Role[],
      createdAt: r.created_at,
    }));
  }

  /** A session token for valid credentials, else undefined. Always spends one KDF computation (no user enumeration by timing). */
  async login(username: string, password: string): Promise<{ token: string; expiresAt: number; roles: Role[] } | undefined> {
    const row = this.db.prepare('SELECT password, roles FROM users WHERE username = ?').get(username) as { password: string; roles: string } | undefined;
    const ok = await verifyPassword(password, row?.password ?? DUMMY_HASH);
    if (!row || !ok) return undefined;
    const token = newToken('sps');
    const expiresAt = Date.now() + SESSION_TTL_MS;
    this.db.prepare('INSERT INTO sessions (token_hash, username, expires_at) VALUES (?, ?, ?)').run(sha256(token), username, expiresAt);
    return { token, expiresAt, roles: JSON.parse(row.roles) as Role[] };
  }

  logout(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(sha256(token));
  }

  createApiToken(name: string, roles: readonly Role[], createdBy: string): string {
    const token = newToken('spt');
    this.db.prepare('INSERT INTO api_tokens (token_hash, name, roles, created_by, created_at) VALUES (?, ?, ?, ?, ?)').run(sha256(token), name, JSON.stringify(roles), createdBy, new Date().toISOString());
    return token;
  }

  /** The principal a bearer token or session cookie stands for. */
  authenticate(token: string): Principal | undefined {
    const hash = sha256(token);
    if (token.startsWith('sps_')) {
      const row = this.db.prepare('SELECT s.username, u.roles, s.expires_at FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = ?').get(hash) as
        | { username: string; roles: string; expires_at: number }
        | undefined;
      if (!row || row.expires_at < Date.now()) return undefined;
      return { username: row.username, roles: JSON.parse(row.roles) as Role[], via: 'session' };
    }
    if (token.startsWith('spt_')) {
      const row = this.db.prepare('SELECT name, roles FROM api_tokens WHERE token_hash = ?').get(hash) as { name: string; roles: string } | undefined;
      if (!row) return undefined;
      return { username: `token:${row.name}`, roles: JSON.parse(row.roles) as Role[], via: 'token' };
    }
    return undefined;
  }
}

// A valid scrypt hash of a random password, verified against when the user does not exist.
const DUMMY_HASH = 'scrypt$32768$8$3$c3RhZHRwdWxzLWR1bW15$2q2Ne8yjq4o0l0sF6m9d5cA6Yg3k5h8Jq3n1Jd0y5Qw=';

export const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

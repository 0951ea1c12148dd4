import type { Instant } from '../domain/events.js';
import type { RejectionReason } from '../domain/rejections.js';

/** Thrown inside an adapter when a field is missing or mistyped; the dispatcher turns it into a Rejection. */
export class FieldProblem extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.name = 'FieldProblem';
  }
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function obj(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (!isObject(v)) throw new FieldProblem('invalid_event', `${path}: expected an object`);
  return v;
}

export function optObj(parent: Json, key: string, path: string): Json | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new FieldProblem('invalid_event', `${path}: expected an object`);
  return v;
}

export function str(parent: Json, key: string, path: string): string {
  const v = parent[key];
  if (typeof v !== 'string') throw new FieldProblem('invalid_event', `${path}: expected a string`);
  return v;
}

export function optStr(parent: Json, key: string, path: string): string | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new FieldProblem('invalid_event', `${path}: expected a string`);
  return v;
}

export function num(parent: Json, key: string, path: string, fallback?: number): number {
  const v = parent[key];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FieldProblem('invalid_event', `${path}: expected a number`);
  return v;
}

export function optNum(parent: Json, key: string, path: string): number | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v); // TTS uint64 as string
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FieldProblem('invalid_event', `${path}: expected a number`);
  return v;
}

export function bool(parent: Json, key: string, path: string, fallback = false): boolean {
  const v = parent[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new FieldProblem('invalid_event', `${path}: expected true or false`);
  return v;
}

export function stringMap(parent: Json, key: string, path: string): Record<string, string> {
  const v = parent[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new FieldProblem('invalid_event', `${path}: expected an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  }
  return out;
}

const HEX_EUI = /^[0-9a-fA-F]{16}$/;

export function devEui(value: string, path: string): string {
  if (!HEX_EUI.test(value)) throw new FieldProblem('invalid_event', `${path}: expected 16 hex digits, got "${value.slice(0, 40)}"`);
  return value.toLowerCase();
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Strict base64 (standard or URL-safe, padding optional), unlike Buffer.from which skips bad characters. */
export function base64(value: string, path: string): Uint8Array {
  if (!BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw new FieldProblem('bad_base64', `${path}: not valid base64`);
  }
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 3339 with up to nine fraction digits, `Z` or an offset such as ChirpStack's `+00:00`. */
export function parseTime(value: string, path: string): Instant {
  const m = RFC3339.exec(value);
  const base = m ? Date.parse(`${m[1]}${m[3]!.toUpperCase() === 'Z' ? 'Z' : m[3]}`) : NaN;
  if (!m || Number.isNaN(base)) throw new FieldProblem('invalid_event', `${path}: expected an RFC 3339 time, got "${value.slice(0, 40)}"`);
  const fraction = (m[2] ?? '').padEnd(9, '0');
  return instantFrom(base / 1000, Number(fraction));
}

/** From whole seconds and nanoseconds (protobuf Timestamp). */
export function instantFrom(seconds: number, nanos: number): Instant {
  const ns = seconds === 0 && nanos === 0 ? '0' : `${seconds}${String(nanos).padStart(9, '0')}`;
  return { ms: seconds * 1000 + Math.floor(nanos / 1e6), ns: ns.replace(/^(-?)0+(?=\d)/, '$1') };
}

export function instantFromMs(ms: number): Instant {
  const seconds = Math.floor(ms / 1000);
  return instantFrom(seconds, Math.round((ms - seconds * 1000) * 1e6));
}

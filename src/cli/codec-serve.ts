/**
 * `stadtpuls codec serve`: one JSON request per stdin line, one JSON response per stdout line, in order.
 * Codecs run in the platform's sandbox with the platform's limits; nothing but responses goes to stdout.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Codec, CodecError, type CodecLimits, type UplinkInput, type UplinkResult } from '../decode/sandbox.js';

export interface ServeRequest {
  readonly id: string;
  readonly codec: string;
  readonly fPort: number;
  readonly bytes: readonly number[];
  readonly recvTime?: string;
  readonly variables?: Readonly<Record<string, string>>;
  readonly module?: boolean;
}

export type ServeResponse = { readonly id: string | null; readonly result: UplinkResult } | { readonly id: string | null; readonly error: string };

/** Parses and checks one request line; returns the request or the message of the error response. */
export function parseRequest(line: string): { request: ServeRequest } | { id: string | null; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    return { id: null, error: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { id: null, error: 'the request must be a JSON object' };
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string') return { id: null, error: `"id" must be a string${r.id === undefined ? ' (missing)' : ''}` };
  const id = r.id;
  const fail = (error: string) => ({ id, error });
  if (typeof r.codec !== 'string' || r.codec === '') return fail('"codec" must be the path of a .js codec file');
  if (typeof r.fPort !== 'number' || !Number.isInteger(r.fPort) || r.fPort < 0 || r.fPort > 255) return fail('"fPort" must be an integer 0-255');
  if (!Array.isArray(r.bytes)) return fail('"bytes" must be an array of integers 0-255');
  const bad = r.bytes.findIndex((b) => typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255);
  if (bad >= 0) return fail(`"bytes" must be an array of integers 0-255 (bytes[${bad}] is ${JSON.stringify(r.bytes[bad]) ?? 'undefined'})`);
  if (r.recvTime !== undefined && (typeof r.recvTime !== 'string' || Number.isNaN(Date.parse(r.recvTime)))) {
    return fail('"recvTime" must be an ISO 8601 time string');
  }
  if (r.variables !== undefined) {
    const v = r.variables;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((s) => typeof s === 'string')) {
      return fail('"variables" must be an object of string values');
    }
  }
  if (r.module !== undefined && typeof r.module !== 'boolean') return fail('"module" must be true or false');
  return {
    request: {
      id,
      codec: r.codec,
      fPort: r.fPort,
      bytes: r.bytes,
      ...(r.recvTime !== undefined ? { recvTime: r.recvTime } : {}),
      ...(r.variables !== undefined ? { variables: r.variables as Record<string, string> } : {}),
      ...(r.module !== undefined ? { module: r.module } : {}),
    },
  };
}

interface Loaded {
  readonly file: string;
  readonly module: boolean | undefined;
  /** The compiled codec, or why it did not load (cached too: the same file fails the same way). */
  readonly codec: Codec | undefined;
  readonly error: string | undefined;
}

/**
 * Loaded codecs by (absolute path, mtime, size, module flag), least recently used first. A changed file gets a fresh
 * codec and its old version is disposed; beyond `max` entries the least recently used one is disposed.
 */
export class CodecCache {
  private readonly entries = new Map<string, Loaded>();

  constructor(
    private readonly limits: CodecLimits,
    private readonly max = 32,
  ) {}

  async get(file: string, module: boolean | undefined): Promise<Loaded> {
    const abs = path.resolve(file);
    let version: string;
    try {
      const s = await stat(abs, { bigint: true });
      if (!s.isFile()) return { file: abs, module, codec: undefined, error: `cannot read codec file ${abs}: not a regular file` };
      version = `${s.mtimeNs}:${s.size}`;
    } catch (err) {
      return { file: abs, module, codec: undefined, error: `cannot read codec file ${abs}: ${(err as Error).message}` };
    }
    const key = JSON.stringify([abs, version, module ?? 'auto']);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, hit);
      return hit;
    }
    for (const [k, old] of this.entries) {
      if (old.file === abs && old.module === module) this.drop(k);
    }
    let loaded: Loaded;
    try {
      const source = await readFile(abs, 'utf8');
      const name = path.basename(abs).replace(/\.[cm]?js$/, '');
      loaded = { file: abs, module, codec: await Codec.load(name, source, this.limits, module), error: undefined };
    } catch (err) {
      const message = err instanceof CodecError ? err.message : `cannot read codec file ${abs}: ${(err as Error).message}`;
      loaded = { file: abs, module, codec: undefined, error: err instanceof CodecError ? `${abs}: ${message}` : message };
      // A file that could not be read is not cached: it may appear or become readable with the same mtime.
      if (!(err instanceof CodecError)) return loaded;
    }
    this.entries.set(key, loaded);
    while (this.entries.size > this.max) this.drop(this.entries.keys().next().value!);
    return loaded;
  }

  get size(): number {
    return this.entries.size;
  }

  dispose(): void {
    for (const key of [...this.entries.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    this.entries.get(key)?.codec?.dispose();
    this.entries.delete(key);
  }
}

/** Answers one request line; never throws. */
export async function answer(line: string, cache: CodecCache): Promise<ServeResponse> {
  const parsed = parseRequest(line);
  if (!('request' in parsed)) return parsed;
  const { request } = parsed;
  try {
    const loaded = await cache.get(request.codec, request.module);
    if (loaded.codec === undefined) return { id: request.id, error: loaded.error ?? 'codec did not load' };
    const input: UplinkInput = {
      bytes: request.bytes,
      fPort: request.fPort,
      ...(request.recvTime !== undefined ? { recvTime: request.recvTime } : {}),
      ...(request.variables !== undefined ? { variables: request.variables } : {}),
    };
    return { id: request.id, result: loaded.codec.decodeUplink(input) };
  } catch (err) {
    if (err instanceof CodecError) return { id: request.id, error: `${err.failure === 'timeout' ? 'timeout' : err.failure === 'invalid_output' ? 'invalid output' : 'codec error'}: ${err.message}` };
    return { id: request.id, error: `internal error: ${(err as Error).message}` };
  }
}

/** Writes one line, waiting for the stream to drain when its buffer is full. */
async function writeLine(out: Writable, text: string): Promise<void> {
  if (!out.write(`${text}\n`)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

/** Serves until `input` ends; resolves with the exit code once every response has been written. */
export async function serve(limits: CodecLimits, input: Readable = process.stdin, output: Writable = process.stdout): Promise<number> {
  const cache = new CodecCache(limits);
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue; // blank lines are not requests
      await writeLine(output, JSON.stringify(await answer(line, cache)));
    }
  } finally {
    lines.close();
    cache.dispose();
  }
  return 0;
}

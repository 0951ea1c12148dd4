import { CodecError, type Codec, type UplinkResult } from './sandbox.js';

/** What a vector expects: the format of catalog `examples` and of ../shared/vectors/*.json. */
export interface ExpectedUplink {
  readonly data?: Readonly<Record<string, unknown>>;
  readonly errors?: readonly string[];
  /** Listed by some sources; never compared. */
  readonly warnings?: readonly string[];
}

export interface VectorExample {
  readonly description?: string;
  readonly fPort: number;
  /** FRMPayload as hex. */
  readonly bytes: string;
  readonly expected: ExpectedUplink;
}

/** The outcome of running one example: the decoder's result, or why the call failed (threw, timed out, bad output). */
export type ExampleOutcome =
  | { readonly pass: boolean; readonly got: UplinkResult; readonly problems: readonly string[] }
  | { readonly pass: false; readonly failure: string; readonly problems: readonly string[] };

/**
 * The comparison rule of ../shared/vectors/README.md: `data` deeply equal to `expected.data` (exact values, key
 * order ignored; not checked when nothing is expected), and `errors` non-empty exactly when `expected.errors` is
 * non-empty. `warnings` are not compared. Returns the problems found; empty means the example passes.
 */
export function compareUplink(expected: ExpectedUplink, got: UplinkResult): string[] {
  const problems: string[] = [];
  const wantErrors = (expected.errors?.length ?? 0) > 0;
  const gotErrors = (got.errors?.length ?? 0) > 0;
  if (wantErrors && !gotErrors) problems.push('expected errors, got none');
  if (!wantErrors && gotErrors) problems.push(`expected no errors, got ${JSON.stringify(got.errors)}`);
  if (expected.data !== undefined) {
    const diffs = differences(expected.data, got.data, 'data');
    if (diffs.length > 5) problems.push(...diffs.slice(0, 5), `... and ${diffs.length - 5} more difference(s) in data`);
    else problems.push(...diffs);
  }
  return problems;
}

/** Runs one example through a sandboxed codec and applies the comparison rule; a throw or timeout fails. */
export function runExample(codec: Codec, example: VectorExample): ExampleOutcome {
  let got: UplinkResult;
  try {
    got = codec.decodeUplink({ bytes: [...Buffer.from(example.bytes, 'hex')], fPort: example.fPort });
  } catch (err) {
    const failure = err instanceof CodecError ? `${err.failure}: ${err.message}` : `error: ${(err as Error).message}`;
    return { pass: false, failure, problems: [`the decoder failed (${failure})`] };
  }
  const problems = compareUplink(example.expected, got);
  return { pass: problems.length === 0, got, problems };
}

/** Deep equality of JSON values, object key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return differences(a, b, '').length === 0;
}

/** Paths at which two JSON values differ, as "path: expected X, got Y" (at most 50). */
export function differences(expected: unknown, got: unknown, at: string, out: string[] = []): string[] {
  if (out.length >= 50) return out;
  if (expected === got) return out;
  const where = at === '' ? '(root)' : at;
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(expected) !== kind(got) || typeof expected !== 'object' || expected === null) {
    out.push(`${where}: expected ${show(expected)}, got ${show(got)}`);
    return out;
  }
  if (Array.isArray(expected)) {
    const g = got as unknown[];
    if (expected.length !== g.length) out.push(`${where}: expected ${expected.length} element(s), got ${g.length}`);
    for (let i = 0; i < Math.min(expected.length, g.length); i++) differences(expected[i], g[i], `${at}.${i}`, out);
    return out;
  }
  const e = expected as Record<string, unknown>;
  const g = got as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!Object.hasOwn(g, key)) out.push(`${at}.${key}: expected ${show(e[key])}, missing`);
    else differences(e[key], g[key], `${at}.${key}`, out);
  }
  for (const key of Object.keys(g)) if (!Object.hasOwn(e, key)) out.push(`${at}.${key}: not expected, got ${show(g[key])}`);
  return out;
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

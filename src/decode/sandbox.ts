import ivm from 'isolated-vm';

/** How a codec call failed; maps 1:1 onto the pipeline's decoder_* rejection reasons. */
export type CodecFailure = 'error' | 'timeout' | 'invalid_output';

export class CodecError extends Error {
  constructor(
    readonly failure: CodecFailure,
    message: string,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

export interface CodecLimits {
  /** Wall-clock limit of one call (and of evaluating the script). */
  readonly timeoutMs: number;
  /** Heap limit of this codec's V8 isolate. */
  readonly memoryBytes: number;
}

export interface UplinkInput {
  readonly bytes: ArrayLike<number>;
  readonly fPort: number;
  /** ISO time; the codec sees a `Date`, as in ChirpStack and The Things Stack. */
  readonly recvTime?: string;
  readonly variables?: Readonly<Record<string, string>>;
}

/** TS013 result after the sandbox checked it: `data` is a plain JSON object. */
export interface UplinkResult {
  readonly data?: Record<string, unknown>;
  readonly warnings?: readonly string[];
  readonly errors?: readonly string[];
}

export interface DownlinkResult {
  readonly bytes?: readonly number[];
  readonly fPort?: number;
  readonly warnings?: readonly string[];
  readonly errors?: readonly string[];
}

/**
 * Evaluated in each fresh context *before* the codec, so it keeps the pristine JSON and Date built-ins even if
 * the codec replaces them. It resolves the entry point (TS013 `decodeUplink`, or the legacy ChirpStack v3
 * `Decode(fPort, bytes, variables)` and TTN v2 `Decoder(bytes, fPort)` forms), runs it and serializes the
 * result: `undefined` values become `null` (The Things Stack's rule); NaN, ±Infinity and functions are
 * reported, not silently turned into null.
 */
const BRIDGE = String.raw`(function (g) {
  var parse = JSON.parse, stringify = JSON.stringify, DateCtor = Date, finite = isFinite;
  var problem = null;
  function replacer(key, value) {
    var t = typeof value;
    if (t === 'number' && !finite(value)) { if (problem === null) problem = String(value) + ' at "' + key + '"'; return null; }
    if (t === 'function' || t === 'symbol' || t === 'bigint') { if (problem === null) problem = 'a ' + t + ' at "' + key + '"'; return null; }
    if (t === 'undefined') return null;
    return value;
  }
  function entry(kind, exported) {
    if (typeof exported === 'function') return exported;
    if (typeof g[kind] === 'function') return g[kind];
    if (kind === 'decodeUplink') {
      if (typeof g.Decode === 'function') return function (i) { return { data: g.Decode(i.fPort, i.bytes, i.variables) }; };
      if (typeof g.Decoder === 'function') return function (i) { return { data: g.Decoder(i.bytes, i.fPort) }; };
    }
    if (kind === 'encodeDownlink' && typeof g.Encode === 'function') {
      return function (i) { return { bytes: g.Encode(i.fPort, i.data, i.variables) }; };
    }
    return null;
  }
  return function (kind, exported, json) {
    var fn = entry(kind, exported);
    if (fn === null) return '!E' + kind + ' is not defined';
    var input = parse(json);
    if (typeof input.recvTime === 'string') input.recvTime = new DateCtor(input.recvTime);
    var result = fn(input);
    if (result === null || typeof result !== 'object' || Array.isArray(result)) return '!O' + kind + ' did not return an object';
    problem = null;
    var text = stringify(result, replacer);
    if (problem !== null) return '!O' + kind + ' returned ' + problem;
    return text;
  };
})(globalThis)`;

const MODULE_SYNTAX = /(^|[\n;]|\*\/)\s*(export\s+(function|const|let|var|default|async|class|\{)|import\s+[\w{*'"])/;

/** True when the source is an ES module (`export function decodeUplink`), as in ChirpStack's device-profile catalog. */
export function isModuleSource(source: string): boolean {
  return MODULE_SYNTAX.test(source);
}

const MB = 1024 * 1024;

/**
 * One codec in its own V8 isolate (isolated-vm): no Node APIs, no filesystem, network or process, a heap
 * limit and a wall-clock limit per call. Vendor codecs mutate globals and prototypes, so no two codecs share an
 * isolate. A call that hits a limit discards the isolate; the next call gets a fresh one.
 */
export class Codec {
  private isolate: ivm.Isolate | undefined;
  private bridge: ivm.Reference<(kind: string, fn: unknown, json: string) => string> | undefined;
  private exported = new Map<string, ivm.Reference<unknown>>();

  private constructor(
    readonly name: string,
    private readonly source: string,
    readonly module: boolean,
    private readonly limits: CodecLimits,
  ) {}

  /** Compiles and evaluates the codec; throws CodecError when it does not compile or its top level throws. */
  static async load(name: string, source: string, limits: CodecLimits, module?: boolean): Promise<Codec> {
    const codec = new Codec(name, source, module ?? isModuleSource(source), limits);
    codec.boot();
    return codec;
  }

  decodeUplink(input: UplinkInput): UplinkResult {
    let json = `{"bytes":[${Array.prototype.join.call(input.bytes, ',')}],"fPort":${input.fPort}`;
    if (input.recvTime !== undefined) json += `,"recvTime":${JSON.stringify(input.recvTime)}`;
    json += `,"variables":${JSON.stringify(input.variables ?? {})}}`;
    const out = this.call('decodeUplink', json);
    const data = out.data;
    const errors = stringList(out.errors, 'errors');
    const warnings = stringList(out.warnings, 'warnings');
    if (errors.length > 0) return { errors, warnings, ...(isPlainObject(data) ? { data } : {}) };
    if (!isPlainObject(data)) throw new CodecError('invalid_output', `decodeUplink did not return a 'data' object`);
    return { data, warnings };
  }

  /** `fPort` is not part of TS013's encodeDownlink input; it is passed for legacy `Encode(fPort, obj, variables)` codecs. */
  encodeDownlink(input: { data: unknown; fPort?: number; variables?: Readonly<Record<string, string>> }): DownlinkResult {
    const out = this.call('encodeDownlink', JSON.stringify({ data: input.data, fPort: input.fPort, variables: input.variables ?? {} }));
    const errors = stringList(out.errors, 'errors');
    const warnings = stringList(out.warnings, 'warnings');
    if (errors.length > 0) return { errors, warnings };
    const bytes = out.bytes;
    if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new CodecError('invalid_output', 'encodeDownlink did not return bytes as integers 0-255');
    }
    const fPort = typeof out.fPort === 'number' ? out.fPort : undefined;
    return { bytes: bytes as number[], warnings, ...(fPort !== undefined ? { fPort } : {}) };
  }

  dispose(): void {
    for (const r of this.exported.values()) r.release();
    this.exported.clear();
    this.bridge?.release();
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.bridge = this.isolate = undefined;
  }

  private boot(): void {
    const isolate = new ivm.Isolate({ memoryLimit: Math.max(8, Math.round(this.limits.memoryBytes / MB)) });
    this.isolate = isolate;
    try {
      const context = isolate.createContextSync();
      this.bridge = isolate.compileScriptSync(BRIDGE, { filename: 'bridge.js' }).runSync(context, { reference: true }) as typeof this.bridge;
      const opts = { timeout: this.limits.timeoutMs };
      if (this.module) {
        const mod = isolate.compileModuleSync(this.source, { filename: `${this.name}.js` });
        mod.instantiateSync(context, (specifier) => {
          throw new Error(`imports are not available in the sandbox: ${specifier}`);
        });
        mod.evaluateSync(opts);
        for (const name of ['decodeUplink', 'encodeDownlink']) {
          const ref = mod.namespace.getSync(name, { reference: true }) as ivm.Reference<unknown> | undefined;
          if (ref && ref.typeof === 'function') this.exported.set(name, ref);
          else ref?.release();
        }
      } else {
        isolate.compileScriptSync(this.source, { filename: `${this.name}.js` }).runSync(context, opts);
      }
    } catch (err) {
      const problem = classify(err, this.isolate);
      this.dispose();
      throw new CodecError(problem.timeout ? 'timeout' : 'error', `codec ${this.name} failed to load: ${problem.text}`);
    }
  }

  private call(kind: 'decodeUplink' | 'encodeDownlink', json: string): Record<string, unknown> {
    try {
      return this.parse(this.attempt(kind, json));
    } catch (err) {
      // A wall-clock limit also fires when the host was starved of CPU (ChirpStack users see this as
      // "interrupted" under load): one retry in a fresh isolate tells a busy machine from an endless codec.
      if (!(err instanceof CodecError) || err.failure !== 'timeout') throw err;
      return this.parse(this.attempt(kind, json));
    }
  }

  /** One call; an isolate that hit a limit is discarded, so the next attempt starts fresh. */
  private attempt(kind: 'decodeUplink' | 'encodeDownlink', json: string): string {
    if (!this.isolate || this.isolate.isDisposed) this.boot();
    try {
      return this.apply(kind, json);
    } catch (err) {
      const problem = classify(err, this.isolate);
      if (problem.timeout || problem.memory) this.dispose();
      if (problem.timeout) throw new CodecError('timeout', `${kind} exceeded ${this.limits.timeoutMs} ms`);
      if (problem.memory) throw new CodecError('error', `${kind} exceeded the memory limit of ${Math.round(this.limits.memoryBytes / MB)} MB`);
      throw new CodecError('error', `${kind} threw: ${problem.text}`);
    }
  }

  private apply(kind: string, json: string): string {
    const fn = this.exported.get(kind);
    return this.bridge!.applySync(undefined, [kind, fn ? fn.derefInto() : undefined, json], { timeout: this.limits.timeoutMs });
  }

  /** The bridge reports "!E…" (no entry point: an error) or "!O…" (unusable output); anything else is JSON. */
  private parse(text: string): Record<string, unknown> {
    if (text.startsWith('!')) throw new CodecError(text[1] === 'E' ? 'error' : 'invalid_output', text.slice(2));
    return JSON.parse(text) as Record<string, unknown>;
  }
}

function classify(err: unknown, isolate: ivm.Isolate | undefined): { text: string; timeout: boolean; memory: boolean } {
  const e = err as { name?: string; message?: string };
  const message = String(e?.message ?? err);
  const timeout = /timed out/i.test(message);
  const memory = /memory limit/i.test(message) || (isolate?.isDisposed ?? false);
  return { text: `${e?.name ?? 'Error'}: ${message}`.slice(0, 500), timeout, memory };
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new CodecError('invalid_output', `'${what}' must be an array of strings`);
  return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

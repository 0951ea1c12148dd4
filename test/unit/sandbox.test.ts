import { afterEach, describe, expect, it } from 'vitest';
import { Codec, CodecError, isModuleSource, type CodecFailure, type CodecLimits } from '../../src/decode/sandbox.js';

// Small limits keep the suite fast; the memory test overrides the time limit (see there).
const LIMITS: CodecLimits = { timeoutMs: 100, memoryBytes: 8 << 20 };
const UPLINK = { bytes: [0x01, 0x02, 0xff], fPort: 7 } as const;

const open: Codec[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.dispose();
});

async function load(source: string, limits: CodecLimits = LIMITS, module?: boolean): Promise<Codec> {
  const codec = await Codec.load('test-codec', source, limits, module);
  open.push(codec);
  return codec;
}

/** Runs `fn` and returns the CodecError it must throw. */
function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return err as CodecError;
  }
  throw new Error('expected a CodecError, but the call returned');
}

async function loadError(source: string, limits: CodecLimits = LIMITS, module?: boolean): Promise<CodecError> {
  try {
    const codec = await Codec.load('broken-codec', source, limits, module);
    codec.dispose();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return err as CodecError;
  }
  throw new Error('expected Codec.load to fail');
}

function expectFailure(fn: () => unknown, failure: CodecFailure, message?: RegExp): CodecError {
  const err = codecError(fn);
  expect(err.failure).toBe(failure);
  if (message) expect(err.message).toMatch(message);
  return err;
}

describe('Codec entry points', () => {
  it('runs a TS013 script codec', async () => {
    const codec = await load(`
      function decodeUplink(input) {
        return { data: { first: input.bytes[0], sum: input.bytes.reduce(function (a, b) { return a + b; }, 0), port: input.fPort } };
      }`);
    expect(codec.module).toBe(false);
    expect(codec.decodeUplink(UPLINK)).toEqual({ data: { first: 1, sum: 258, port: 7 }, warnings: [] });
  });

  it('runs an ES-module codec (export function decodeUplink), as in ChirpStack device profiles', async () => {
    const codec = await load(`
      const offset = 10;
      export function decodeUplink(input) { return { data: { value: input.bytes[1] + offset }, warnings: ['w'] }; }`);
    expect(codec.module).toBe(true);
    expect(codec.decodeUplink(UPLINK)).toEqual({ data: { value: 12 }, warnings: ['w'] });
  });

  it('detects the module form from the source', () => {
    expect(isModuleSource('export function decodeUplink(input) {}')).toBe(true);
    expect(isModuleSource('// header\nexport const decodeUplink = (i) => ({ data: {} });')).toBe(true);
    expect(isModuleSource('"use strict";\nexport default function () {}')).toBe(true);
    expect(isModuleSource('export { decodeUplink };')).toBe(true);
    expect(isModuleSource("import { helper } from './lib.js';")).toBe(true);
    expect(isModuleSource('function decodeUplink(input) { return { data: {} }; }')).toBe(false);
    expect(isModuleSource('// export function decodeUplink is not used here\nfunction decodeUplink() {}')).toBe(false);
    expect(isModuleSource('var exported = 1; var important = 2; function Decoder(b, p) { return {}; }')).toBe(false);
  });

  it('lets the caller override the detection', async () => {
    // A block comment before `export` on the same line is still recognised as module syntax.
    const source = '/* vendor header */ export function decodeUplink() { return { data: { strict: this === undefined } }; }';
    expect(isModuleSource(source)).toBe(true);
    const codec = await load(source, LIMITS, true);
    expect(codec.module).toBe(true);
    expect(codec.decodeUplink(UPLINK).data).toEqual({ strict: true });
    // Forced to load as a script, the same source does not compile.
    expect((await loadError(source, LIMITS, false)).message).toMatch(/SyntaxError/);
  });

  it('runs a sloppy-mode script that assigns an undeclared variable', async () => {
    const codec = await load(`
      function decodeUplink(input) {
        total = input.bytes.length;      // implicit global, common in vendor codecs
        return { data: { total: total } };
      }`);
    expect(codec.decodeUplink(UPLINK).data).toEqual({ total: 3 });
  });

  it('supports the legacy ChirpStack v3 form Decode(fPort, bytes, variables)', async () => {
    const codec = await load(`
      function Decode(fPort, bytes, variables) { return { port: fPort, len: bytes.length, unit: variables.unit }; }`);
    expect(codec.decodeUplink({ ...UPLINK, variables: { unit: 'mm' } })).toEqual({ data: { port: 7, len: 3, unit: 'mm' }, warnings: [] });
  });

  it('supports the legacy TTN v2 form Decoder(bytes, port)', async () => {
    const codec = await load('function Decoder(bytes, port) { return { port: port, last: bytes[bytes.length - 1] }; }');
    expect(codec.decodeUplink(UPLINK)).toEqual({ data: { port: 7, last: 255 }, warnings: [] });
  });

  it('prefers decodeUplink over the legacy forms', async () => {
    const codec = await load(`
      function Decoder() { return { from: 'Decoder' }; }
      function decodeUplink() { return { data: { from: 'decodeUplink' } }; }`);
    expect(codec.decodeUplink(UPLINK).data).toEqual({ from: 'decodeUplink' });
  });

  it('reports a codec without any entry point as an error', async () => {
    const codec = await load('var nothing = 1;');
    expectFailure(() => codec.decodeUplink(UPLINK), 'error', /decodeUplink is not defined/);
  });
});

describe('Codec input', () => {
  it('passes recvTime as a Date', async () => {
    const codec = await load(`
      function decodeUplink(input) {
        return { data: { isDate: input.recvTime instanceof Date, iso: input.recvTime.toISOString(), year: input.recvTime.getUTCFullYear() } };
      }`);
    expect(codec.decodeUplink({ ...UPLINK, recvTime: '2024-03-15T13:45:00.000Z' }).data).toEqual({
      isDate: true,
      iso: '2024-03-15T13:45:00.000Z',
      year: 2024,
    });
  });

  it('omits recvTime when the caller has none', async () => {
    const codec = await load('function decodeUplink(input) { return { data: { has: "recvTime" in input } }; }');
    expect(codec.decodeUplink(UPLINK).data).toEqual({ has: false });
  });

  it('passes variables through (empty object when none)', async () => {
    const codec = await load('function decodeUplink(input) { return { data: { vars: input.variables } }; }');
    expect(codec.decodeUplink({ ...UPLINK, variables: { offset: '12', name: 'Pegel Süd' } }).data).toEqual({
      vars: { offset: '12', name: 'Pegel Süd' },
    });
    expect(codec.decodeUplink(UPLINK).data).toEqual({ vars: {} });
  });

  it('accepts bytes as a Uint8Array and hands the codec a plain array', async () => {
    const codec = await load('function decodeUplink(input) { return { data: { isArray: Array.isArray(input.bytes), bytes: input.bytes } }; }');
    expect(codec.decodeUplink({ bytes: Uint8Array.from([0, 128, 255]), fPort: 1 }).data).toEqual({ isArray: true, bytes: [0, 128, 255] });
  });
});

describe('Codec output checks', () => {
  it('serializes undefined values as null', async () => {
    const codec = await load('function decodeUplink() { return { data: { missing: undefined, list: [1, undefined], nested: { x: undefined } } }; }');
    expect(codec.decodeUplink(UPLINK).data).toStrictEqual({ missing: null, list: [1, null], nested: { x: null } });
  });

  it.each([
    ['NaN', 'NaN', /NaN at "value"/],
    ['Infinity', '1 / 0', /Infinity at "value"/],
    ['-Infinity', '-1 / 0', /-Infinity at "value"/],
    ['a function', 'function () {}', /function at "value"/],
    ['a nested NaN', '[1, { deep: NaN }][1]', /NaN/],
  ])('rejects %s in data as invalid_output', async (_what, expr, message) => {
    const codec = await load(`function decodeUplink() { return { data: { ok: 1, value: ${expr} } }; }`);
    expectFailure(() => codec.decodeUplink(UPLINK), 'invalid_output', message);
  });

  it.each([
    ['no data', '{}'],
    ['data: null', '{ data: null }'],
    ['data as an array', '{ data: [1, 2] }'],
    ['data as a number', '{ data: 42 }'],
  ])('rejects a result with %s as invalid_output', async (_what, result) => {
    const codec = await load(`function decodeUplink() { return ${result}; }`);
    expectFailure(() => codec.decodeUplink(UPLINK), 'invalid_output', /data/);
  });

  it.each([
    ['undefined', 'undefined'],
    ['null', 'null'],
    ['a string', '"ok"'],
    ['an array', '[]'],
  ])('rejects a codec returning %s as invalid_output', async (_what, result) => {
    const codec = await load(`function decodeUplink() { return ${result}; }`);
    expectFailure(() => codec.decodeUplink(UPLINK), 'invalid_output', /did not return an object/);
  });

  it('returns a non-empty errors array as errors instead of throwing', async () => {
    const codec = await load("function decodeUplink(input) { return { errors: ['unknown fPort ' + input.fPort], warnings: ['check wiring'] }; }");
    const result = codec.decodeUplink(UPLINK);
    expect(result.errors).toEqual(['unknown fPort 7']);
    expect(result.warnings).toEqual(['check wiring']);
    expect(result.data).toBeUndefined();
  });

  it('keeps partial data next to errors', async () => {
    const codec = await load("function decodeUplink() { return { data: { battery: 3.6 }, errors: ['truncated'] }; }");
    expect(codec.decodeUplink(UPLINK)).toEqual({ data: { battery: 3.6 }, errors: ['truncated'], warnings: [] });
  });

  it('treats an empty errors array as success', async () => {
    const codec = await load('function decodeUplink() { return { data: { a: 1 }, errors: [] }; }');
    expect(codec.decodeUplink(UPLINK)).toEqual({ data: { a: 1 }, warnings: [] });
  });

  it('rejects errors that are not an array as invalid_output', async () => {
    const codec = await load("function decodeUplink() { return { data: {}, errors: 'bad' }; }");
    expectFailure(() => codec.decodeUplink(UPLINK), 'invalid_output', /errors/);
  });
});

describe('Codec failures', () => {
  it('reports a throwing codec as error with its message', async () => {
    const codec = await load("function decodeUplink() { throw new RangeError('byte 3 out of range'); }");
    expectFailure(() => codec.decodeUplink(UPLINK), 'error', /RangeError: byte 3 out of range/);
    // A plain throw does not break the codec.
    expectFailure(() => codec.decodeUplink(UPLINK), 'error', /byte 3 out of range/);
  });

  it('stops an endless loop at the time limit and works again on the next call, in a fresh isolate', async () => {
    const codec = await load(`
      var calls = 0;
      function decodeUplink(input) {
        calls++;
        if (input.fPort === 99) for (;;) {}
        return { data: { calls: calls } };
      }`);
    expect(codec.decodeUplink(UPLINK).data).toEqual({ calls: 1 });
    expect(codec.decodeUplink(UPLINK).data).toEqual({ calls: 2 });

    const started = performance.now();
    expectFailure(() => codec.decodeUplink({ bytes: [], fPort: 99 }), 'timeout', /exceeded 100 ms/);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(LIMITS.timeoutMs * 0.9);
    expect(elapsed).toBeLessThan(LIMITS.timeoutMs + 1000);

    // Global state starts over: the isolate that hit the limit was discarded.
    expect(codec.decodeUplink(UPLINK).data).toEqual({ calls: 1 });
  });

  it('stops an endless loop in the module form too', async () => {
    const codec = await load('export function decodeUplink(input) { while (input.fPort === 99) {} return { data: { ok: true } }; }', { ...LIMITS, timeoutMs: 50 });
    expectFailure(() => codec.decodeUplink({ bytes: [], fPort: 99 }), 'timeout', /exceeded 50 ms/);
    expect(codec.decodeUplink(UPLINK).data).toEqual({ ok: true });
  });

  it('stops unbounded allocation at the memory limit; the process and the codec survive', async () => {
    // Large arrays reach the 8 MB heap limit in well under 100 ms, but GC pressure near the limit makes that
    // time vary; a generous time limit makes sure the memory limit, not the clock, ends the call.
    const codec = await load(
      `function decodeUplink(input) {
        if (input.fPort === 99) { var hoard = []; for (;;) hoard.push(new Array(1e6).fill(1.5)); }
        return { data: { ok: true } };
      }`,
      { timeoutMs: 2000, memoryBytes: 8 << 20 },
    );
    const started = performance.now();
    expectFailure(() => codec.decodeUplink({ bytes: [], fPort: 99 }), 'error', /memory limit of 8 MB/);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(codec.decodeUplink(UPLINK).data).toEqual({ ok: true });
    // The host is unaffected.
    expect(new Array(1e6).fill(1).length).toBe(1e6);
  });

  it('rejects a codec with a syntax error at load', async () => {
    const err = await loadError('function decodeUplink(input) { return { data: { a: 1 }; }');
    expect(err.failure).toBe('error');
    expect(err.message).toMatch(/failed to load: SyntaxError/);
  });

  it('rejects a module codec with a syntax error at load', async () => {
    const err = await loadError('export function decodeUplink(input) { return }}');
    expect(err.failure).toBe('error');
    expect(err.message).toMatch(/SyntaxError/);
  });

  it('rejects a codec whose top level throws', async () => {
    const err = await loadError("throw new Error('init failed'); function decodeUplink() {}");
    expect(err.failure).toBe('error');
    expect(err.message).toMatch(/init failed/);
  });

  it('rejects a codec whose top level loops forever as a timeout at load', async () => {
    const err = await loadError('for (;;) {}', { ...LIMITS, timeoutMs: 50 });
    expect(err.failure).toBe('timeout');
  });

  it('rejects a module codec that imports anything', async () => {
    const err = await loadError("import fs from 'node:fs';\nexport function decodeUplink() { return { data: {} }; }");
    expect(err.failure).toBe('error');
    expect(err.message).toMatch(/imports are not available/);
  });
});

describe('Codec isolation', () => {
  it('exposes no Node or timer APIs', async () => {
    const codec = await load(`
      function decodeUplink() {
        var viaConstructor;
        try { viaConstructor = (function () {}).constructor('return typeof process')(); } catch (e) { viaConstructor = 'threw ' + e.name; }
        return { data: {
          require: typeof require, process: typeof process, fetch: typeof fetch, setTimeout: typeof setTimeout,
          setInterval: typeof setInterval, setImmediate: typeof setImmediate, module: typeof module, Buffer: typeof Buffer,
          XMLHttpRequest: typeof XMLHttpRequest, WebSocket: typeof WebSocket, viaConstructor: viaConstructor
        } };
      }`);
    expect(codec.decodeUplink(UPLINK).data).toEqual({
      require: 'undefined',
      process: 'undefined',
      fetch: 'undefined',
      setTimeout: 'undefined',
      setInterval: 'undefined',
      setImmediate: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      XMLHttpRequest: 'undefined',
      WebSocket: 'undefined',
      viaConstructor: 'undefined',
    });
  });

  it('exposes no Node APIs to module codecs either', async () => {
    const codec = await load(
      'export function decodeUplink() { return { data: { require: typeof require, process: typeof process, fetch: typeof fetch, setTimeout: typeof setTimeout } }; }',
    );
    expect(codec.decodeUplink(UPLINK).data).toEqual({ require: 'undefined', process: 'undefined', fetch: 'undefined', setTimeout: 'undefined' });
  });

  it('keeps one codec mutating prototypes and globals away from another codec and the host', async () => {
    const vandal = await load(`
      Array.prototype.map = function () { return 'hacked'; };
      Object.prototype.polluted = 'yes';
      Math.round = function () { return -1; };
      sharedState = 'from vandal';
      function decodeUplink() { return { data: { mapped: [1, 2].map(function (x) { return x * 2; }), rounded: Math.round(2.6) } }; }`);
    const victim = await load(`
      function decodeUplink() {
        return { data: {
          mapped: [1, 2].map(function (x) { return x * 2; }),
          polluted: typeof ({}).polluted,
          rounded: Math.round(2.6),
          shared: typeof sharedState
        } };
      }`);
    // The vandal sees its own damage (JSON takes own keys only, so the inherited `polluted` does not show).
    expect(vandal.decodeUplink(UPLINK).data).toEqual({ mapped: 'hacked', rounded: -1 });
    expect(victim.decodeUplink(UPLINK).data).toEqual({ mapped: [2, 4], polluted: 'undefined', rounded: 3, shared: 'undefined' });
    // The host realm is untouched.
    expect([1, 2].map((x) => x * 2)).toEqual([2, 4]);
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(Math.round(2.6)).toBe(3);
  });

  it('still serializes correctly when the codec replaces JSON and Date', async () => {
    const codec = await load(`
      JSON.stringify = function () { return '{"data":{"forged":true}}'; };
      JSON.parse = function () { return { bytes: [9], fPort: 9 }; };
      var RealDate = Date;
      Date = function () { return 'not a date'; };
      function decodeUplink(input) { return { data: { port: input.fPort, isDate: input.recvTime instanceof RealDate } }; }`);
    expect(codec.decodeUplink({ ...UPLINK, recvTime: '2024-01-01T00:00:00Z' }).data).toEqual({ port: 7, isDate: true });
  });
});

describe('Codec encodeDownlink', () => {
  it('returns the bytes and fPort of a TS013 encoder', async () => {
    const codec = await load(`
      function encodeDownlink(input) { return { bytes: [0x01, input.data.interval >> 8, input.data.interval & 0xff], fPort: 10 }; }`);
    expect(codec.encodeDownlink({ data: { interval: 1200 } })).toEqual({ bytes: [1, 4, 176], fPort: 10, warnings: [] });
  });

  it('returns the bytes of a module encoder and passes variables', async () => {
    const codec = await load('export function encodeDownlink(input) { return { bytes: [Number(input.variables.code)] }; }');
    expect(codec.encodeDownlink({ data: {}, variables: { code: '42' } })).toEqual({ bytes: [42], warnings: [] });
  });

  it('returns encoder errors instead of throwing', async () => {
    const codec = await load("function encodeDownlink() { return { errors: ['interval out of range'] }; }");
    expect(codec.encodeDownlink({ data: { interval: -1 } })).toEqual({ errors: ['interval out of range'], warnings: [] });
  });

  it.each([
    ['a byte above 255', '[1, 256]'],
    ['a negative byte', '[-1]'],
    ['a fractional byte', '[1.5]'],
    ['a string', '"0102"'],
    ['no bytes', 'undefined'],
    ['a numeric string element', '["1"]'],
  ])('rejects %s as invalid_output', async (_what, bytes) => {
    const codec = await load(`function encodeDownlink() { return { bytes: ${bytes} }; }`);
    expectFailure(() => codec.encodeDownlink({ data: {} }), 'invalid_output', /bytes/);
  });

  it('reports a codec without an encoder as an error', async () => {
    const codec = await load('function decodeUplink() { return { data: {} }; }');
    expectFailure(() => codec.encodeDownlink({ data: {} }), 'error', /encodeDownlink is not defined/);
  });
});

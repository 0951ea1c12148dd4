/**
 * The `stadtpuls` command line as a real process (`node bin/stadtpuls.js …`): `codec serve` over stdin/stdout and
 * `codec test` with its exit codes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'stadtpuls.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with the platform's sandbox settings made explicit, so the caller's environment does not leak in. */
function cli(args: readonly string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DECODER_TIMEOUT_MS: '100', DECODER_MEMORY_MB: '32', ...opts.env };
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stadtpuls-cli-'));
  // ES module (detected from `export`), as in ChirpStack's device-profile repository.
  writeFileSync(file('module.js'), 'export function decodeUplink(input) {\n  return { data: { length: input.bytes.length, port: input.fPort, time: input.recvTime.toISOString(), site: input.variables.site } };\n}\n');
  // Legacy ChirpStack v3 script.
  writeFileSync(file('legacy.js'), 'function Decode(fPort, bytes, variables) {\n  return { sum: bytes.reduce(function (a, b) { return a + b; }, 0), port: fPort };\n}\n');
  // Plain script with state: the counter keeps growing only while the same compiled codec is reused.
  writeFileSync(file('counter.js'), 'var calls = 0;\nfunction decodeUplink(input) { calls++; return { data: { calls: calls } }; }\n');
  writeFileSync(file('throws.js'), "function decodeUplink() { throw new Error('broken payload'); }\n");
  writeFileSync(file('endless.js'), 'function decodeUplink() { for (;;) {} }\n');
  writeFileSync(file('hungry.js'), 'function decodeUplink() { var keep = []; for (;;) keep.push(new Array(100000).fill(1.5)); }\n');
  writeFileSync(
    file('level.js'),
    "function decodeUplink(input) {\n  if (input.fPort !== 2) return { errors: ['unknown FPort'] };\n  if (input.bytes[0] === 0xff) for (;;) {}\n  return { data: { distance: (input.bytes[0] << 8) | input.bytes[1], unit: 'mm' } };\n}\n",
  );
  writeFileSync(
    file('vectors.json'),
    JSON.stringify({
      examples: [
        { description: 'Distance 1234 mm', fPort: 2, bytes: '04d2', expected: { data: { unit: 'mm', distance: 1234 } } },
        { description: 'Wrong distance expected', fPort: 2, bytes: '04d2', expected: { data: { distance: 1000, unit: 'mm' } } },
        { description: 'Errors expected, none returned', fPort: 2, bytes: '0001', expected: { errors: ['too short'] } },
        { description: 'Codec never returns', fPort: 2, bytes: 'ff00', expected: { data: { distance: 0 } } },
        { description: 'Unknown port', fPort: 9, bytes: '04d2', expected: { errors: ['unknown FPort'] } },
      ],
    }),
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('stadtpuls codec serve', () => {
  it('answers every line in order: good, bad and misbehaving codecs in one stream', async () => {
    const req = (id: string, codec: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, codec: file(codec), fPort: 2, bytes: [1, 2, 3], ...extra });
    const lines = [
      req('module', 'module.js', { recvTime: '2026-05-01T12:00:00Z', variables: { site: 'Rathaus' } }),
      '{"id": "broken", "codec": ',
      req('legacy', 'legacy.js'),
      req('missing', 'does-not-exist.js'),
      req('throws', 'throws.js'),
      req('endless', 'endless.js'),
      req('after-endless', 'legacy.js', { bytes: [10, 20] }),
      req('counter-1', 'counter.js'),
      req('counter-2', 'counter.js'),
      req('hungry', 'hungry.js'),
      req('bad-bytes', 'legacy.js', { bytes: [1, 256] }),
      JSON.stringify({ id: 'no-port', codec: file('legacy.js'), bytes: [] }),
      req('forced-script', 'module.js', { module: false }),
      req('counter-3', 'counter.js', { module: false }),
      req('last', 'module.js', { module: true, recvTime: '2026-05-01T12:00:00Z', variables: {} }),
    ];
    const t0 = Date.now();
    const run = await cli(['codec', 'serve'], { input: `${lines.join('\n')}\n`, env: { DECODER_TIMEOUT_MS: '300', DECODER_MEMORY_MB: '16' } });
    expect(run.code, run.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const out = run.stdout.split('\n');
    expect(out.pop()).toBe(''); // every response ends with a newline, nothing after the last
    const responses = out.map((l) => JSON.parse(l) as { id: string | null; result?: { data?: Record<string, unknown>; errors?: string[] }; error?: string });
    expect(responses.map((r) => r.id)).toEqual(['module', null, 'legacy', 'missing', 'throws', 'endless', 'after-endless', 'counter-1', 'counter-2', 'hungry', 'bad-bytes', 'no-port', 'forced-script', 'counter-3', 'last']);
    const byId = (id: string | null, index?: number) => responses[index ?? responses.findIndex((r) => r.id === id)]!;

    expect(byId('module').result?.data).toEqual({ length: 3, port: 2, time: '2026-05-01T12:00:00.000Z', site: 'Rathaus' });
    expect(byId(null, 1).error).toMatch(/^invalid JSON/);
    expect(byId('legacy').result?.data).toEqual({ sum: 6, port: 2 });
    expect(byId('missing').error).toMatch(/cannot read codec file .*does-not-exist\.js.*ENOENT/);
    expect(byId('throws').error).toMatch(/decodeUplink threw: Error: broken payload/);
    // DECODER_TIMEOUT_MS from the environment applies, and the stream goes on after the timeout.
    expect(byId('endless').error).toMatch(/^timeout: decodeUplink exceeded 300 ms/);
    expect(byId('after-endless').result?.data).toEqual({ sum: 30, port: 2 });
    // Cached: the second request reuses the compiled codec (its state survives).
    expect(byId('counter-1').result?.data).toEqual({ calls: 1 });
    expect(byId('counter-2').result?.data).toEqual({ calls: 2 });
    expect(byId('hungry').error).toMatch(/memory limit of 16 MB/);
    expect(byId('bad-bytes').error).toMatch(/"bytes" must be an array of integers 0-255 \(bytes\[1\] is 256\)/);
    expect(byId('no-port').error).toMatch(/"fPort" must be an integer/);
    expect(byId('forced-script').error).toMatch(/failed to load: SyntaxError/);
    expect(byId('counter-3').result?.data).toEqual({ calls: 1 }); // another cache key (module flag given), another codec
    expect(byId('last').result?.data).toEqual({ length: 3, port: 2, time: '2026-05-01T12:00:00.000Z', site: null }); // undefined -> null
  });

  it('exits 0 on empty input and writes nothing', async () => {
    const run = await cli(['codec', 'serve']);
    expect(run).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('stadtpuls codec test', () => {
  it('passes a built-in model (catalog examples, and the shared vectors when present)', async () => {
    const run = await cli(['codec', 'test', 'dragino-ldds75']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Suite: catalog examples \(devices\/dragino-ldds75\.yaml\)/m);
    expect(run.stdout).toMatch(/^PASS #1 Test decode Dragino LDDS75 \(fPort 2, bytes 0d0a07e900000001\)$/m);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.stdout).toMatch(/^[1-9]\d* passed, 0 failed\n$/m);
    expect(run.stdout).toMatch(/^[\x20-\x7e\n]*$/); // plain ASCII ("°C" in descriptions is transliterated)
  });

  it('fails a codec file against a vectors file: FAIL lines, expected vs got, exit 1', async () => {
    const run = await cli(['codec', 'test', file('level.js'), '--vectors', file('vectors.json')]);
    expect(run.code, run.stderr).toBe(1);
    const out = run.stdout;
    expect(out).toMatch(/^PASS #1 Distance 1234 mm \(fPort 2, bytes 04d2\)$/m);
    expect(out).toMatch(/^FAIL #2 Wrong distance expected \(fPort 2, bytes 04d2\)\n\s+data\.distance: expected 1000, got 1234\n\s+expected: \{"data":\{"distance":1000,"unit":"mm"\}\}\n\s+got: +\{"data":\{"distance":1234,"unit":"mm"\}/m);
    expect(out).toMatch(/^FAIL #3 Errors expected, none returned .*\n\s+expected errors, got none/m);
    expect(out).toMatch(/^FAIL #4 Codec never returns .*\n\s+the decoder failed \(timeout: decodeUplink exceeded 100 ms\)/m);
    expect(out).toMatch(/^PASS #5 Unknown port \(fPort 9, bytes 04d2\)$/m);
    expect(out).toMatch(/^2 passed, 3 failed\n$/m);
  });

  it.each([
    [['codec', 'test'], /needs a model id or a codec file/],
    [['codec', 'test', 'decoder.js'], /needs --vectors/],
    [['codec', 'frobnicate'], /unknown codec subcommand/],
    [['codec', 'test', 'dragino-ldds75', '--bogus'], /Unknown option '--bogus'/],
    [[], /no command given/],
  ])('usage error %j: exit 2 with the usage text', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Usage:\n {2}stadtpuls help/);
    expect(run.stdout).toBe('');
  });

  it('unknown model: exit 2 with the known models listed', async () => {
    const run = await cli(['codec', 'test', 'no-such-model']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown model "no-such-model".*\n(.|\n)*dragino-ldds75/);
  });
});

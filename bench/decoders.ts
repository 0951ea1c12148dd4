import { readFile } from 'node:fs/promises';
import vm from 'node:vm';
import { Codec } from '../src/decode/sandbox.js';
import { Catalog } from '../src/registry/catalog.js';
import { fmt, summarize, type Summary } from './stats.js';

const RUNS = 5;
const CALLS = 20_000;

function hexBytes(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

function rate(fn: () => void): number {
  for (let i = 0; i < 500; i++) fn(); // warm-up
  const t = performance.now();
  for (let i = 0; i < CALLS; i++) fn();
  return CALLS / ((performance.now() - t) / 1000);
}

/** Decodes per second per built-in model: in the sandbox, and the same code as a plain function in this isolate. */
export async function benchDecoders(): Promise<{ model: string; sandbox: Summary; plain: Summary }[]> {
  const catalog = await Catalog.load('devices', 'decoders');
  const results = [];
  const limits = { timeoutMs: 1000, memoryBytes: 32 << 20 };
  for (const model of catalog.all()) {
    const example = model.examples.find((e) => e.expected.data !== undefined);
    if (!model.decoderPath || !example) continue;
    const source = await readFile(model.decoderPath, 'utf8');
    const codec = await Codec.load(model.id, source, limits);
    // The same code in a plain node:vm context of this isolate: V8 without the isolate boundary.
    const plainDecode = vm.runInNewContext(`${source}\n;decodeUplink`) as (i: unknown) => unknown;
    const input = { bytes: hexBytes(example.bytes), fPort: example.fPort, recvTime: new Date().toISOString() };
    const sandbox: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      sandbox.push(rate(() => codec.decodeUplink(input)));
      plain.push(rate(() => JSON.stringify(plainDecode({ ...input, recvTime: new Date(input.recvTime) }))));
    }
    codec.dispose();
    results.push({ model: model.id, sandbox: summarize(sandbox), plain: summarize(plain) });
  }
  return results;
}

/** The fixed cost of one sandbox call: a codec that returns a constant. */
export async function benchCallOverhead(): Promise<Summary> {
  const codec = await Codec.load('empty', 'function decodeUplink(){ return { data: {} }; }', { timeoutMs: 1000, memoryBytes: 16 << 20 });
  const input = { bytes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], fPort: 1 };
  const us: number[] = [];
  for (let r = 0; r < RUNS; r++) us.push(1e6 / rate(() => codec.decodeUplink(input)));
  codec.dispose();
  return summarize(us);
}

export function printDecoders(rows: Awaited<ReturnType<typeof benchDecoders>>, overhead: Summary): void {
  console.log(`\nDecoder throughput (${RUNS} runs of ${CALLS} calls, decodes/s)`);
  console.log(`${'model'.padEnd(36)} ${'sandbox median (min–max)'.padEnd(30)} plain V8 median   ratio`);
  for (const r of rows) {
    console.log(
      `${r.model.padEnd(36)} ${`${r.sandbox.median.toFixed(0)} (${r.sandbox.min.toFixed(0)}–${r.sandbox.max.toFixed(0)})`.padEnd(30)} ${r.plain.median.toFixed(0).padEnd(17)} ${(r.sandbox.median / r.plain.median).toFixed(2)}`,
    );
  }
  console.log(`fixed cost of one sandbox call (µs): ${fmt(overhead, 1)}`);
}

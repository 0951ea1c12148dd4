/**
 * Runs every decoder vector through the sandboxed decoder. Generic over the catalog: a new model (catalog entry +
 * decoder) is picked up without touching this file.
 *
 *  (a) the examples in each catalog entry (the project's own vectors);
 *  (b) the external cross-check vectors in ../shared/vectors/<id>.json (present in CI, possibly absent on a clone);
 *  (c) the `simulate` template of each entry, filled with plausible values, must decode into the readings it names.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { READING_KINDS, type ReadingName } from '../../src/domain/readings.js';
import { extractReadings } from '../../src/decode/readings.js';
import { Codec } from '../../src/decode/sandbox.js';
import { Catalog, type DeviceModel } from '../../src/registry/catalog.js';
import { fillTemplate } from '../../src/sim/template.js';

const ROOT = new URL('../../', import.meta.url);
const SHARED_VECTORS = new URL('../../../shared/vectors/', import.meta.url);
const LIMITS = { timeoutMs: 1000, memoryBytes: 32 << 20 } as const;

interface Example {
  readonly description?: string;
  readonly fPort: number;
  readonly bytes: string;
  readonly expected: { readonly data?: Record<string, unknown>; readonly errors?: readonly string[]; readonly warnings?: readonly string[] };
}

const catalog = await Catalog.load(fileURLToPath(new URL('devices', ROOT)), fileURLToPath(new URL('decoders', ROOT)));
const models = catalog.all().sort((a, b) => a.id.localeCompare(b.id));
const sharedDir = fileURLToPath(SHARED_VECTORS);
const sharedPresent = existsSync(sharedDir);

// One sandboxed codec per model, shared by the suites below; loading is lazy so a broken decoder fails its own tests.
const codecs = new Map<string, Promise<Codec>>();
function codecFor(model: DeviceModel): Promise<Codec> {
  let codec = codecs.get(model.id);
  if (!codec) {
    const decoderPath = model.decoderPath;
    if (decoderPath === undefined) throw new Error(`${model.id} has no decoder of ours (decoder: chirpstack)`);
    codec = readFile(decoderPath, 'utf8').then((source) => Codec.load(model.id, source, LIMITS));
    codecs.set(model.id, codec);
  }
  return codec;
}
afterAll(async () => {
  for (const codec of await Promise.allSettled(codecs.values())) if (codec.status === 'fulfilled') codec.value.dispose();
});

const withDecoder = models.filter((m) => m.decoderPath !== undefined);

/** Test cases named "#index description (fPort n, bytes)": unique and greppable. */
function cases(examples: readonly Example[]): [string, Example][] {
  return examples.map((ex, i) => [`#${i + 1} ${ex.description ?? '(no description)'} (fPort ${ex.fPort}, ${ex.bytes || 'empty'})`, ex]);
}

/** The comparison rule of ../shared/vectors/README.md. */
async function expectDecodes(model: DeviceModel, ex: Example): Promise<void> {
  const codec = await codecFor(model);
  const result = codec.decodeUplink({ bytes: [...Buffer.from(ex.bytes, 'hex')], fPort: ex.fPort });
  const wantErrors = (ex.expected.errors?.length ?? 0) > 0;
  const gotErrors = (result.errors?.length ?? 0) > 0;
  expect(
    gotErrors,
    wantErrors
      ? `expected errors ${JSON.stringify(ex.expected.errors)}, got none (data ${JSON.stringify(result.data)})`
      : `expected no errors, got ${JSON.stringify(result.errors)}`,
  ).toBe(wantErrors);
  if (ex.expected.data !== undefined) expect(result.data).toStrictEqual(ex.expected.data);
}

describe('(a) catalog examples', () => {
  describe.each(withDecoder.map((m) => [m.id, m] as const))('%s', (_id, model) => {
    const own = cases(model.examples);
    if (own.length === 0) it.skip('has no examples (catalog.test.ts requires at least 2)', () => {});
    else it.each(own)('%s', (_name, ex) => expectDecodes(model, ex));
  });
});

function readShared(id: string): Example[] | undefined {
  const file = new URL(`${id}.json`, SHARED_VECTORS);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { examples: Example[] }).examples;
}

describe('(b) ../shared/vectors', () => {
  if (!sharedPresent) {
    console.warn(`vectors.test.ts: ${sharedDir} is missing; skipping the ../shared/vectors cross-check (CI always has it).`);
    it.skip(`SKIPPED: ../shared/vectors is missing (${sharedDir}); the external cross-check needs ../shared next to the project`, () => {});
    return;
  }

  it('has a catalog entry for every vector file (every model shipped out of the box)', () => {
    const ids = readdirSync(sharedDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
    expect(ids.filter((id) => catalog.get(id) === undefined)).toEqual([]);
  });

  describe.each(withDecoder.map((m) => [m.id, m] as const))('%s', (id, model) => {
    const shared = readShared(id);
    if (shared === undefined) it.skip(`no ../shared/vectors/${id}.json`, () => {});
    else if (shared.length === 0) it.skip(`../shared/vectors/${id}.json has no examples`, () => {});
    else it.each(cases(shared))('%s', (_name, ex) => expectDecodes(model, ex));
  });
});

// --- (c) simulate templates -------------------------------------------------------------------------------------

/**
 * A plausible value per canonical reading, in the canonical unit. Typed over the whole vocabulary, so adding a
 * reading to src/domain/readings.ts asks for a value here, never a new model. Values are positive (some templates
 * write unsigned bytes) and exactly representable by the usual template factors; a template whose field cannot
 * carry the value gets one that it can (see valueFor).
 */
const PLAUSIBLE: { readonly [K in ReadingName]: number | boolean } = {
  occupied: true,
  vehicle_count: 1234,
  energy_import: 12_345_000,
  energy_export: 2_345_000,
  power: 1500,
  heat_energy: 123_456_000,
  heat_volume: 4567.891,
  heat_power: 12_340,
  heat_flow: 1.234,
  flow_temperature: 70.5,
  return_temperature: 40.2,
  water_volume: 123.456,
  water_flow: 1.25,
  gas_volume: 2345.67,
  pulse_count: 4242,
  distance: 1234,
  level: 1500,
  fill: 42,
  pressure: 1.5,
  liquid_alarm: true,
  temperature: 21,
  humidity: 45.5,
  battery: 87,
  battery_voltage: 3.0,
};

const PLACEHOLDER = /\{([a-z_]+):(u8|u16|u32|u16le|u32le|s16|bool)(?:\*([0-9.]+))?\}/g;
const RANGE = { u8: [0, 0xff], bool: [0, 1], u16: [0, 0xffff], u16le: [0, 0xffff], s16: [-0x8000, 0x7fff], u32: [0, 0xffffffff], u32le: [0, 0xffffffff] } as const;

interface Placeholder {
  readonly reading: ReadingName;
  readonly type: keyof typeof RANGE;
  readonly factor: number;
}

function placeholders(model: DeviceModel, hex: string): Placeholder[] {
  return [...hex.matchAll(PLACEHOLDER)].map(([, name = '', type = 'u8', factor]) => {
    expect(Object.hasOwn(READING_KINDS, name), `${model.id}: simulate names "${name}", not a canonical reading`).toBe(true);
    return { reading: name as ReadingName, type: type as keyof typeof RANGE, factor: factor === undefined ? 1 : Number(factor) };
  });
}

/** The plausible value, or — when the template's field is too narrow for it — three quarters of the field's maximum. */
function valueFor(p: Placeholder): number | boolean {
  const put = PLAUSIBLE[p.reading];
  if (typeof put === 'boolean') return put;
  const [lo, hi] = RANGE[p.type];
  const raw = Math.round(put * p.factor);
  return raw >= lo && raw <= hi ? put : Math.round(hi * 0.75) / p.factor;
}

const withSimulate = withDecoder.filter((m) => m.simulate !== undefined);

describe('(c) simulate templates', () => {
  it('uses plausible values of the reading types', () => {
    for (const [name, kind] of Object.entries(READING_KINDS)) {
      expect(typeof PLAUSIBLE[name as ReadingName], name).toBe(kind.type === 'boolean' ? 'boolean' : 'number');
    }
  });

  if (withSimulate.length === 0) it.skip('no catalog entry has a simulate template', () => {});
  it.each(withSimulate.map((m) => [m.id, m] as const))('%s: a filled template decodes into the readings it names', async (_id, model) => {
    const simulate = model.simulate!;
    const names = placeholders(model, simulate.hex);
    const values: Record<string, number | boolean> = {};
    for (const p of names) values[p.reading] ??= valueFor(p);

    const bytes = fillTemplate(simulate.hex, values);
    const codec = await codecFor(model);
    const result = codec.decodeUplink({ bytes: [...bytes], fPort: simulate.fPort });
    const hex = Buffer.from(bytes).toString('hex');
    expect(result.errors ?? [], `fPort ${simulate.fPort}, ${hex}: decoder errors`).toEqual([]);
    const readings = extractReadings(model, result.data ?? {});
    const context = `template ${simulate.hex} with ${JSON.stringify(values)} → fPort ${simulate.fPort}, ${hex} → data ${JSON.stringify(result.data)} → readings ${JSON.stringify(readings)}`;

    if (names.length === 0) expect(Object.keys(readings).length, `${context}: a fixed template still yields readings`).toBeGreaterThan(0);
    for (const p of names) {
      const put = values[p.reading]!;
      const got = readings[p.reading];
      const field = `{${p.reading}:${p.type}${p.factor === 1 ? '' : `*${p.factor}`}}`;
      if (typeof put === 'boolean') {
        expect(got, `${field} put in ${put}; ${context}`).toBe(put);
        continue;
      }
      // The template carries round(value × factor) / factor; the decoded reading must be within 1% of that.
      const carried = Math.round(put * p.factor) / p.factor;
      expect(typeof got, `${field} put in ${put}, reading not extracted; ${context}`).toBe('number');
      expect(
        Math.abs((got as number) - carried) <= Math.abs(carried) * 0.01,
        `${field} put in ${put} (template carries ${carried}), got ${got}: more than 1% off; ${context}`,
      ).toBe(true);
    }
  });
});

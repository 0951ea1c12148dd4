/**
 * Shared rules over every catalog entry (devices/*.yaml). Generic: a new model is checked without touching this file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { READING_KINDS, isReadingName } from '../../src/domain/readings.js';
import { CATEGORIES, Catalog, CatalogError } from '../../src/registry/catalog.js';

const DEVICES = fileURLToPath(new URL('../../devices/', import.meta.url));
const DECODERS = fileURLToPath(new URL('../../decoders/', import.meta.url));
const SHARED_VECTORS = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));
const sharedPresent = existsSync(SHARED_VECTORS);

const catalog = await Catalog.load(DEVICES, DECODERS);
const models = catalog.all().sort((a, b) => a.id.localeCompare(b.id));
const files = readdirSync(DEVICES).filter((f) => /\.ya?ml$/.test(f)).sort();

/** The raw YAML of an entry: what was declared, before the schema fills in defaults. */
const raw = new Map(
  files.map((f) => [f.replace(/\.ya?ml$/, ''), parseYaml(readFileSync(path.join(DEVICES, f), 'utf8')) as Record<string, unknown>] as const),
);

describe('catalog', () => {
  it('loads every file in devices/ as one model', () => {
    expect(models.map((m) => m.id)).toEqual(files.map((f) => f.replace(/\.ya?ml$/, '')));
  });

  it('has unique ids, each equal to its file name', () => {
    const ids = files.map((f) => raw.get(f.replace(/\.ya?ml$/, ''))?.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of files) expect(raw.get(f.replace(/\.ya?ml$/, ''))?.id, f).toBe(f.replace(/\.ya?ml$/, ''));
  });
});

describe.each(models.map((m) => [m.id, m] as const))('%s', (id, model) => {
  it('has its decoder file', () => {
    expect(model.decoderPath, 'decoder: chirpstack is not used by the shipped catalog').toBeDefined();
    expect(model.decoderPath).toBe(path.resolve(DECODERS, `${id}.js`));
    expect(existsSync(model.decoderPath!), `${model.decoderPath} is missing`).toBe(true);
  });

  it('has a known category and a positive uplink interval', () => {
    expect(CATEGORIES).toContain(model.category);
    expect(Number.isInteger(model.uplinkIntervalSeconds)).toBe(true);
    expect(model.uplinkIntervalSeconds).toBeGreaterThan(0);
  });

  it('declares every reading with a canonical name, its unit and type, and German and English labels', () => {
    expect(model.readings.length).toBeGreaterThan(0);
    const declared = (raw.get(id)?.readings ?? []) as Record<string, unknown>[];
    expect(declared).toHaveLength(model.readings.length);
    model.readings.forEach(({ spec }, i) => {
      const at = `readings.${i} (${spec.name})`;
      expect(isReadingName(spec.name), `${at}: not in src/domain/readings.ts`).toBe(true);
      const kind = READING_KINDS[spec.name];
      // Declared explicitly, not left to the schema's default.
      expect(Object.keys(declared[i] ?? {}), at).toEqual(expect.arrayContaining(['name', 'from', 'type', 'unit', 'label']));
      expect(spec.type, `${at}: type`).toBe(kind.type);
      expect(spec.unit, `${at}: unit`).toBe(kind.unit);
      expect(spec.label.de.trim(), `${at}: German label`).not.toBe('');
      expect(spec.label.en.trim(), `${at}: English label`).not.toBe('');
      if (spec.counter) expect(kind.counter, `${at}: counter on a non-counter reading`).toBe(true);
    });
  });

  it('has at least 2 own examples, at least one of them an error case', () => {
    expect(model.examples.length).toBeGreaterThanOrEqual(2);
    expect(model.examples.some((ex) => (ex.expected.errors?.length ?? 0) > 0), 'no example with expected.errors').toBe(true);
    for (const ex of model.examples) {
      // An example states what it expects: data, errors, or both.
      expect(ex.expected.data !== undefined || (ex.expected.errors?.length ?? 0) > 0, ex.description).toBe(true);
    }
  });

  it('carries an attribution when its license is MIT', () => {
    if (model.license === 'MIT') expect(model.attribution?.trim() ?? '', 'MIT entries need `attribution:`').not.toBe('');
    else expect(model.license, 'the only license an entry may declare is MIT (examples copied from an MIT source)').toBeUndefined();
  });

  const shared = path.join(SHARED_VECTORS, `${id}.json`);
  it.skipIf(!sharedPresent)(
    `copies no example from ../shared/vectors unless both sides are MIT${sharedPresent ? '' : ` (SKIPPED: ../shared/vectors is missing: ${SHARED_VECTORS})`}`,
    () => {
      if (!existsSync(shared)) return;
      const vectors = JSON.parse(readFileSync(shared, 'utf8')) as { license?: string; examples: { fPort: number; bytes: string }[] };
      const key = (e: { fPort: number; bytes: string }) => `${e.fPort}:${e.bytes.toLowerCase()}`;
      const external = new Set(vectors.examples.map(key));
      const copied = model.examples.filter((ex) => external.has(key(ex))).map((ex) => `fPort ${ex.fPort} bytes ${ex.bytes} (${ex.description ?? ''})`);
      if (model.license === 'MIT' && vectors.license === 'MIT') return;
      expect(copied, `examples of ${id} equal to ../shared/vectors/${id}.json (license: ${vectors.license ?? 'none'})`).toEqual([]);
    },
  );
});

describe('Catalog.load with bad entries', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const entry = (id: string, readings: string) => `id: ${id}
vendor: Test
model: Test sensor
category: level
uplinkIntervalSeconds: 600
readings:
${readings}
examples: []
`;
  const distance = (unit: string) => `  - name: distance
    from: Distance
    type: float
    unit: ${unit}
    label: { de: Abstand, en: Distance }`;

  it('reports every problem at once in one CatalogError', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stadtpuls-catalog-'));
    const devices = path.join(dir, 'devices');
    const decoders = path.join(dir, 'decoders');
    await Promise.all([mkdir(devices), mkdir(decoders)]);
    const files: Record<string, string> = {
      'devices/good.yaml': entry('good', distance('mm')),
      'decoders/good.js': 'function decodeUplink() { return { data: {} }; }',
      // The same id twice: good.yaml and good.yml both define "good".
      'devices/good.yml': entry('good', distance('mm')),
      'devices/no-decoder.yaml': entry('no-decoder', distance('mm')),
      'devices/wrong-unit.yaml': entry('wrong-unit', distance('cm')),
      'decoders/wrong-unit.js': 'function decodeUplink() { return { data: {} }; }',
      'devices/unknown-reading.yaml': entry('unknown-reading', distance('mm').replace('name: distance', 'name: wind_speed')),
      'decoders/unknown-reading.js': 'function decodeUplink() { return { data: {} }; }',
      'devices/broken.yaml': 'id: broken\nvendor: [unclosed\n  model: : :\n',
    };
    await Promise.all(Object.entries(files).map(([f, text]) => writeFile(path.join(dir!, f), text)));

    const err = await Catalog.load(devices, decoders).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CatalogError);
    const problems = (err as CatalogError).problems;
    const expected: [string, RegExp][] = [
      ['duplicate id', /good\.yml: duplicate model id "good"/],
      ['missing decoder', /no-decoder\.yaml: decoder .*no-decoder\.js is missing/],
      ['wrong unit', /wrong-unit\.yaml: readings\.0 \(distance\): unit must be "mm"/],
      ['unknown reading name', /unknown-reading\.yaml: readings\.0 \(wind_speed\): not a canonical reading/],
      ['invalid YAML', /broken\.yaml: not valid YAML/],
    ];
    for (const [what, pattern] of expected) {
      expect(
        problems.some((p) => pattern.test(p)),
        `${what}: no problem matches ${pattern}; got:\n${problems.join('\n')}`,
      ).toBe(true);
    }
    expect(problems).toHaveLength(expected.length);
    expect((err as CatalogError).message).toContain(problems.join('\n  '));
  });

  it('loads a valid directory', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stadtpuls-catalog-'));
    const devices = path.join(dir, 'devices');
    const decoders = path.join(dir, 'decoders');
    await Promise.all([mkdir(devices), mkdir(decoders)]);
    await writeFile(path.join(devices, 'good.yaml'), entry('good', distance('mm')));
    await writeFile(path.join(decoders, 'good.js'), 'function decodeUplink() { return { data: {} }; }');
    const loaded = await Catalog.load(devices, decoders);
    expect(loaded.all().map((m) => m.id)).toEqual(['good']);
    expect(loaded.get('good')?.readings[0]?.path).toEqual(['Distance']);
  });
});

/**
 * `stadtpuls codec test <model-id | path/to/codec.js> [--vectors file.json]`: runs example vectors through a codec in
 * the platform's sandbox and prints one PASS/FAIL line per example (plain ASCII) and a summary.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { runExample, type VectorExample } from '../decode/compare.js';
import { Codec, CodecError, type CodecLimits } from '../decode/sandbox.js';
import { Catalog, CatalogError } from '../registry/catalog.js';

/** A problem that prevents the run (unknown model, unreadable file): exit status 2. */
export class TestSetupError extends Error {
  override name = 'TestSetupError';
}

export interface Suite {
  readonly label: string;
  readonly examples: readonly VectorExample[];
}

export interface CodecTestOptions {
  /** A catalog model id, or the path of a .js codec file. */
  readonly target: string;
  readonly vectors?: string;
  readonly limits: CodecLimits;
  /** Project root: devices/, decoders/ and ../shared/vectors are found from here. */
  readonly root: string;
  readonly catalogDir: string;
  readonly decodersDir: string;
  readonly out?: (line: string) => void;
}

const vectorsSchema = z.object({
  examples: z.array(
    z.object({
      description: z.string().optional(),
      fPort: z.number().int().min(0).max(255),
      bytes: z.string().regex(/^([0-9a-fA-F]{2})*$/, 'hex, two digits per byte'),
      expected: z.object({
        data: z.record(z.string(), z.unknown()).optional(),
        errors: z.array(z.string()).optional(),
        warnings: z.array(z.string()).optional(),
      }),
    }),
  ),
});

/** A path (contains a slash or ends in .js) rather than a model id. */
export function isCodecPath(target: string): boolean {
  return /[\\/]/.test(target) || /\.[cm]?js$/i.test(target);
}

export async function readVectors(file: string): Promise<VectorExample[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new TestSetupError(`cannot read vectors file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TestSetupError(`vectors file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = vectorsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TestSetupError(`vectors file ${file} does not have the ../shared/vectors format ({examples: [{fPort, bytes, expected}]}):\n  ${problems.join('\n  ')}`);
  }
  return parsed.data.examples;
}

/** The codec source and the suites to run for a target. */
async function plan(opts: CodecTestOptions): Promise<{ name: string; codecFile: string; suites: Suite[]; notes: string[] }> {
  const suites: Suite[] = [];
  const notes: string[] = [];
  let name: string;
  let codecFile: string;
  if (isCodecPath(opts.target)) {
    if (opts.vectors === undefined) throw new TestSetupError(`a codec path needs --vectors <file.json>`);
    codecFile = path.resolve(opts.target);
    name = path.basename(codecFile).replace(/\.[cm]?js$/i, '');
  } else {
    let catalog: Catalog;
    try {
      catalog = await Catalog.load(opts.catalogDir, opts.decodersDir);
    } catch (err) {
      if (err instanceof CatalogError) throw new TestSetupError(err.message);
      throw err;
    }
    const model = catalog.get(opts.target);
    if (!model) {
      const ids = catalog.all().map((m) => m.id).sort();
      throw new TestSetupError(`unknown model "${opts.target}"; models in ${opts.catalogDir}:\n  ${ids.join('\n  ')}`);
    }
    if (model.decoderPath === undefined) throw new TestSetupError(`model "${model.id}" has no decoder of ours (decoder: chirpstack)`);
    name = model.id;
    codecFile = model.decoderPath;
    suites.push({ label: `catalog examples (${relative(opts.root, path.join(opts.catalogDir, `${model.id}.yaml`))})`, examples: model.examples });
    const shared = path.resolve(opts.root, '..', 'shared', 'vectors', `${model.id}.json`);
    if (existsSync(shared)) suites.push({ label: `shared vendor vectors (../shared/vectors/${model.id}.json)`, examples: await readVectors(shared) });
    else notes.push(`SKIP shared vendor vectors: ${shared} not found`);
  }
  if (opts.vectors !== undefined) suites.push({ label: `vectors file (${opts.vectors})`, examples: await readVectors(opts.vectors) });
  return { name, codecFile, suites, notes };
}

function relative(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/** Runs the suites; resolves with the exit code (0 all passed, 1 any failed). Throws TestSetupError for exit code 2. */
export async function codecTest(opts: CodecTestOptions): Promise<number> {
  const print = opts.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const { name, codecFile, suites, notes } = await plan(opts);
  let source: string;
  try {
    source = await readFile(codecFile, 'utf8');
  } catch (err) {
    throw new TestSetupError(`cannot read codec file ${codecFile}: ${(err as Error).message}`);
  }
  const total = suites.reduce((n, s) => n + s.examples.length, 0);
  const shown = isCodecPath(opts.target) ? opts.target : relative(opts.root, codecFile);
  print(ascii(`Codec ${shown} (timeout ${opts.limits.timeoutMs} ms, memory ${Math.round(opts.limits.memoryBytes / 2 ** 20)} MB)`));
  for (const note of notes) print(ascii(note));

  let codec: Codec;
  try {
    codec = await Codec.load(name, source, opts.limits);
  } catch (err) {
    const message = err instanceof CodecError ? err.message : (err as Error).message;
    print(ascii(`FAIL the codec did not load: ${message}`));
    print(`0 passed, ${total} failed`);
    return 1;
  }

  let passed = 0;
  let failed = 0;
  try {
    for (const suite of suites) {
      print(ascii(`Suite: ${suite.label}, ${suite.examples.length} example(s)`));
      suite.examples.forEach((ex, i) => {
        const outcome = runExample(codec, ex);
        const head = `#${i + 1} ${ex.description ?? '(no description)'} (fPort ${ex.fPort}, bytes ${ex.bytes === '' ? 'empty' : ex.bytes.toLowerCase()})`;
        if (outcome.pass) {
          passed++;
          print(ascii(`PASS ${head}`));
          return;
        }
        failed++;
        print(ascii(`FAIL ${head}`));
        for (const problem of outcome.problems) print(`       ${ascii(problem)}`);
        print(`       expected: ${asciiJson(ex.expected)}`);
        print(`       got:      ${'got' in outcome ? asciiJson(outcome.got) : ascii(outcome.failure)}`);
      });
    }
  } finally {
    codec.dispose();
  }
  print(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

const TRANSLIT: Record<string, string> = {
  '\u00b0': 'deg ',
  '\u00b5': 'u',
  '\u00b2': '2',
  '\u00b3': '3',
  '\u00e4': 'ae',
  '\u00f6': 'oe',
  '\u00fc': 'ue',
  '\u00c4': 'Ae',
  '\u00d6': 'Oe',
  '\u00dc': 'Ue',
  '\u00df': 'ss',
  '\u00a0': ' ',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2192': '->',
  '\u00d7': 'x',
  '\u00b1': '+/-',
  '\u2264': '<=',
  '\u2265': '>=',
};

/** Plain ASCII for the terminal: common symbols and umlauts transliterated, anything else as \uXXXX. */
export function ascii(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[^\u0000-\u007f]/g, (c) => TRANSLIT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/deg (?=[CFK]\b)/g, 'deg');
}

/** JSON with every non-ASCII character escaped (still valid, exact JSON). */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

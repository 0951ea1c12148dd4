import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { READING_KINDS, isReadingName, type ReadingName } from '../domain/readings.js';

const label = z.object({ de: z.string().min(1), en: z.string().min(1) });
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const readingSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'snake_case'),
  from: z.string().min(1),
  type: z.enum(['float', 'integer', 'boolean', 'string']),
  unit: z.string().optional().default(''),
  scale: z.number().finite().optional(),
  when: z.object({ path: z.string().min(1), equals: scalar }).optional(),
  /** Maps decoder values (e.g. "full", "critical liquid level alert") onto reading values. */
  map: z.record(z.string(), scalar).optional(),
  counter: z.object({ rollover: z.number().positive().optional() }).optional(),
  label,
});

const exampleSchema = z.object({
  description: z.string().optional(),
  fPort: z.number().int().min(0).max(255),
  bytes: z.string().regex(/^([0-9a-f]{2})*$/, 'lowercase hex'),
  expected: z.object({ data: z.record(z.string(), z.unknown()).optional(), errors: z.array(z.string()).optional(), warnings: z.array(z.string()).optional() }),
});

export const CATEGORIES = ['parking', 'meter', 'level'] as const;

const entrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and "-"'),
  vendor: z.string().min(1),
  model: z.string().min(1),
  category: z.enum(CATEGORIES),
  deviceIds: z.array(z.string()).default([]),
  uplinkIntervalSeconds: z.number().int().positive(),
  /** `chirpstack`: no decoder of ours; the network server's decoded `object` is mapped instead. */
  decoder: z.string().optional(),
  docs: z.string().optional(),
  license: z.string().optional(),
  attribution: z.string().optional(),
  readings: z.array(readingSchema).default([]),
  examples: z.array(exampleSchema).default([]),
  simulate: z.object({ fPort: z.number().int().min(1).max(223), hex: z.string().min(2) }).optional(),
});

export type CatalogEntry = z.output<typeof entrySchema>;
export type ReadingSpec = z.output<typeof readingSchema> & { readonly name: ReadingName };

export interface DeviceModel extends Omit<CatalogEntry, 'readings'> {
  readonly readings: readonly CompiledReading[];
  /** Absolute path of the decoder, or undefined when ChirpStack decodes (`decoder: chirpstack`). */
  readonly decoderPath: string | undefined;
}

export interface CompiledReading {
  readonly spec: ReadingSpec;
  readonly path: readonly string[];
  readonly whenPath?: readonly string[];
}

export class CatalogError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid device catalog:\n  ${problems.join('\n  ')}`);
    this.name = 'CatalogError';
  }
}

/** A dot path ("Energy_Data.Energy_Counter.0") as segments. Keys with dots are written with a backslash: "a\.b". */
export function splitPath(p: string): string[] {
  return p.split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, '.'));
}

export class Catalog {
  private constructor(private readonly models: ReadonlyMap<string, DeviceModel>) {}

  static async load(catalogDir: string, decodersDir: string): Promise<Catalog> {
    const problems: string[] = [];
    const models = new Map<string, DeviceModel>();
    const files = (await readdir(catalogDir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
    const decoders = new Set(await readdir(decodersDir).catch(() => [] as string[]));
    for (const file of files) {
      const where = path.join(catalogDir, file);
      const base = file.replace(/\.ya?ml$/, '');
      let raw: unknown;
      try {
        raw = parseYaml(await readFile(where, 'utf8'));
      } catch (err) {
        problems.push(`${where}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      const parsed = entrySchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push(`${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
        continue;
      }
      const entry = parsed.data;
      const before = problems.length;
      if (entry.id !== base) problems.push(`${where}: id "${entry.id}" must equal the file name "${base}"`);
      if (models.has(entry.id)) problems.push(`${where}: duplicate model id "${entry.id}"`);
      const decoderFile = entry.decoder === 'chirpstack' ? undefined : (entry.decoder ?? `${entry.id}.js`);
      if (decoderFile !== undefined && !decoders.has(decoderFile)) problems.push(`${where}: decoder ${path.join(decodersDir, decoderFile)} is missing`);
      entry.readings.forEach((r, i) => {
        const at = `${where}: readings.${i} (${r.name})`;
        if (!isReadingName(r.name)) return void problems.push(`${at}: not a canonical reading (see src/domain/readings.ts)`);
        const kind = READING_KINDS[r.name];
        if (r.type !== kind.type) problems.push(`${at}: type must be ${kind.type}`);
        if (r.unit !== kind.unit) problems.push(`${at}: unit must be "${kind.unit}"`);
        if (r.counter && !kind.counter) problems.push(`${at}: not a counter reading`);
      });
      if (problems.length > before) continue;
      models.set(entry.id, {
        ...entry,
        decoderPath: decoderFile === undefined ? undefined : path.resolve(decodersDir, decoderFile),
        readings: entry.readings.map((spec) => ({
          spec: spec as ReadingSpec,
          path: splitPath(spec.from),
          ...(spec.when ? { whenPath: splitPath(spec.when.path) } : {}),
        })),
      });
    }
    if (problems.length > 0) throw new CatalogError(problems);
    return new Catalog(models);
  }

  get(id: string): DeviceModel | undefined {
    return this.models.get(id);
  }

  /** The Things Stack device-repository id ("brand/model") → model. */
  byRepositoryId(id: string): DeviceModel | undefined {
    for (const m of this.models.values()) if (m.deviceIds.includes(id)) return m;
    return undefined;
  }

  all(): DeviceModel[] {
    return [...this.models.values()];
  }
}

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '../registry/catalog.js';
import { renderFiles } from './render.js';

/**
 * `npm run dashboards`: writes the Grafana dashboards and provisioning files to `dashboards/` from the device
 * catalog. Dashboards no longer generated are removed; the result is committed (a test fails when it is stale).
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function generate(outDir = path.join(root, 'dashboards')): Promise<string[]> {
  const catalog = await Catalog.load(path.join(root, 'devices'), path.join(root, 'decoders'));
  const files = renderFiles(catalog);
  await mkdir(outDir, { recursive: true });
  for (const existing of await readdir(outDir)) {
    if (existing.endsWith('.json') && !files.has(existing)) await rm(path.join(outDir, existing));
  }
  for (const [file, content] of files) {
    const target = path.join(outDir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return [...files.keys()];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await generate();
  process.stdout.write(`wrote ${written.map((f) => `dashboards/${f}`).join(', ')}\n`);
}

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/**
 * `stadtpuls devices import <file.csv> [--dry-run] [--model <id>] [--json] [--verbose]`
 *
 * Talks HTTP to a running Stadtpuls (STADTPULS_URL, STADTPULS_TOKEN) rather than writing DATA_DIR directly: the
 * running server holds the fleet in memory for the per-uplink lookup (a direct write would not be seen until a
 * restart), owns the ChirpStack connection and its credentials, enforces roles and writes the audit log under the
 * token's name. The file is validated and saved exactly as an upload through the web app would be.
 */
export const DEVICES_IMPORT_USAGE = `  stadtpuls devices import <file.csv>  Import devices from a CSV file into a running Stadtpuls
                       [--dry-run]     (STADTPULS_URL, default http://localhost:8080; STADTPULS_TOKEN, an
                       [--model <id>]  API token with the technician role). --dry-run only validates;
                       [--json]        --model is the default model for rows without one; --json prints
                       [--verbose]     the result object; --verbose also lists unchanged rows.
                                       Exit status: 0 all rows fine, 1 some rows (or their provisioning)
                                       failed, 2 usage error or the import could not run.
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
};

interface RowResult {
  row: number;
  devEui: string | null;
  action: string;
  message?: string;
  provisioning?: { status: string; error: string | null };
}
interface ResultLine {
  type: 'result';
  dryRun: boolean;
  summary: { rows: number; create: number; update: number; unchanged: number; error: number; provisioned?: number; provisioningFailed?: number };
  rows: RowResult[];
  ignoredColumns?: string[];
}
type Line = { type: 'progress'; phase: string; done: number; total: number } | ResultLine | { type: 'error'; error: string; message: string };

export async function devicesImportCommand(args: string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { 'dry-run': { type: 'boolean' }, model: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.stderr(`stadtpuls devices import: ${(err as Error).message}\n\nUsage:\n${DEVICES_IMPORT_USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout(`Usage:\n${DEVICES_IMPORT_USAGE}`);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr(`stadtpuls devices import: give exactly one CSV file (got ${parsed.positionals.length})\n\nUsage:\n${DEVICES_IMPORT_USAGE}`);
    return 2;
  }
  const file = parsed.positionals[0]!;
  const token = io.env.STADTPULS_TOKEN;
  if (!token) {
    io.stderr('stadtpuls devices import: set STADTPULS_TOKEN to an API token with the technician role (an admin creates one with POST /api/tokens)\n');
    return 2;
  }
  const base = (io.env.STADTPULS_URL || 'http://localhost:8080').replace(/\/+$/, '');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    io.stderr(`stadtpuls devices import: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  const query = new URLSearchParams({ dryRun: parsed.values['dry-run'] ? 'true' : 'false' });
  if (parsed.values.model) query.set('model', parsed.values.model);
  const url = `${base}/api/devices/import?${query}`;
  let res: globalThis.Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', accept: 'application/x-ndjson' }, body: bytes });
  } catch (err) {
    io.stderr(`stadtpuls devices import: cannot reach ${base}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}\n`);
    return 2;
  }
  if (!res.ok) {
    const text = await res.text();
    let message = text;
    try {
      const body = JSON.parse(text) as { message?: string; problems?: string[] };
      message = body.problems && body.problems.length > 1 ? body.problems.join('\n  ') : (body.message ?? text);
    } catch {
      // not JSON: show as is
    }
    const hint = res.status === 401 ? ' (check STADTPULS_TOKEN)' : res.status === 403 ? ' (the token needs the technician role)' : '';
    io.stderr(`stadtpuls devices import: ${file}: HTTP ${res.status}${hint}: ${message}\n`);
    return 2;
  }

  const started = Date.now();
  let result: ResultLine | undefined;
  let failure: string | undefined;
  let lastProgress = '';
  const handle = (text: string) => {
    if (text.trim() === '') return;
    const line = JSON.parse(text) as Line;
    switch (line.type) {
      case 'progress': {
        const p = `${line.phase} ${line.done}/${line.total}`;
        if (p !== lastProgress) io.stderr(`progress: ${p}\n`);
        lastProgress = p;
        break;
      }
      case 'result':
        result = line;
        break;
      case 'error':
        failure = line.message;
        break;
    }
  };
  const decoder = new TextDecoder();
  let pending = '';
  if (res.body) {
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    }
  }
  handle(pending + decoder.decode());
  if (failure !== undefined || !result) {
    io.stderr(`stadtpuls devices import: the import broke off: ${failure ?? 'no result from the server'}\n`);
    return 2;
  }
  const r: ResultLine = result;
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify(r)}\n`);
  } else {
    for (const row of r.rows) {
      if (row.action === 'unchanged' && !parsed.values.verbose && !row.message) continue;
      const prov = row.provisioning ? ` [ChirpStack: ${row.provisioning.status}${row.provisioning.error ? `: ${row.provisioning.error}` : ''}]` : '';
      io.stdout(`row ${row.row}\t${row.devEui ?? '-'}\t${row.action}${row.message ? `\t${row.message}` : ''}${prov}\n`);
    }
    if (r.ignoredColumns && r.ignoredColumns.length > 0) io.stdout(`ignored columns: ${r.ignoredColumns.join(', ')}\n`);
    const s = r.summary;
    const prov = s.provisioned !== undefined ? `; ChirpStack: ${s.provisioned} provisioned, ${s.provisioningFailed ?? 0} failed` : '';
    io.stdout(
      `${s.rows} rows: ${s.create} create, ${s.update} update, ${s.unchanged} unchanged, ${s.error} error${prov}${r.dryRun ? ' (dry run: nothing was changed)' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  return r.summary.error > 0 || (r.summary.provisioningFailed ?? 0) > 0 ? 1 : 0;
}

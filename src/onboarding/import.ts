import type { Catalog } from '../registry/catalog.js';
import type { Fleet, FleetDevice } from '../registry/fleet.js';
import type { CsvRow, ParsedCsv } from './csv.js';
import { canonical, createDeviceBody, hexProblem, modelProblem, normalizeHex, toFleetDevice, MAX_INTERVAL_SECONDS } from './validation.js';

export type ImportAction = 'create' | 'update' | 'unchanged' | 'error';

/** One row's outcome, as the API and CLI report it. */
export interface ImportRowResult {
  readonly row: number;
  devEui: string | null;
  action: ImportAction;
  message?: string;
  /** After provisioning in ChirpStack (not in dry runs). */
  provisioning?: { status: string; error: string | null };
}

/** A row with what would be saved. */
export interface PlannedRow {
  readonly result: ImportRowResult;
  readonly device?: FleetDevice;
  /** Only when the row sets one; never reported. */
  readonly appKey?: string;
  readonly keyChanged?: boolean;
  readonly before?: FleetDevice;
}

export interface PlanOptions {
  readonly catalog: Catalog;
  readonly fleet: Fleet;
  /** Used for rows without a model (or when the file has no model column). */
  readonly defaultModel?: string | undefined;
  /** ChirpStack provisioning is on: new devices need an AppKey. */
  readonly requireAppKey: boolean;
  /** DevEUI → first row, carried across calls when a file is planned in slices. */
  readonly seen?: Map<string, number>;
}

/** "51,2562" (decimal comma, as in German spreadsheets) or "51.2562". */
export function parseNumber(text: string): number | undefined {
  const t = text.trim().replace(/\s/g, '');
  const normal = /^[+-]?\d+,\d+$/.test(t) ? t.replace(',', '.') : t;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(normal)) return undefined;
  return Number(normal);
}

/** "600", "600s", "10m", "10 min", "1h" → seconds. */
export function parseInterval(text: string): number | undefined {
  const m = /^(\d+(?:[.,]\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|std)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]!.replace(',', '.'));
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit.startsWith('h') || unit === 'std' ? 3600 : unit.startsWith('m') ? 60 : 1;
  return Math.round(n * factor);
}

function rowToBody(row: CsvRow, existing: FleetDevice | undefined, defaultModel: string | undefined, problems: string[]): Record<string, unknown> {
  const v = row.values;
  const devEui = normalizeHex(v.devEui!);
  const body: Record<string, unknown> = existing ? { ...existing } : { devEui, tags: {} };
  body.devEui = devEui;
  if (v.joinEui !== undefined) body.joinEui = v.joinEui;
  if (v.appKey !== undefined) body.appKey = v.appKey;
  const model = v.model ?? (existing ? undefined : defaultModel);
  if (model !== undefined) body.model = model;
  if (v.name !== undefined) body.name = v.name;
  else if (!existing) body.name = devEui;
  const sites = (['zone', 'building', 'site'] as const).filter((k) => v[k] !== undefined);
  if (sites.length > 1) problems.push(`site: the row sets ${sites.join(' and ')}; give only one`);
  else if (sites.length === 1) {
    const k = sites[0]!;
    body.site = v[k];
    if (k !== 'site') body.siteKind = k;
  }
  if (v.siteKind !== undefined) body.siteKind = v.siteKind.toLowerCase();
  for (const [field, key, what] of [
    ['lat', 'lat', 'latitude'],
    ['lon', 'lon', 'longitude'],
  ] as const) {
    const text = v[field];
    if (text === undefined) continue;
    const n = parseNumber(text);
    if (n === undefined) problems.push(`${key}: ${what} is not a number: "${text}"`);
    else body[key] = n;
  }
  if (v.interval !== undefined) {
    const s = parseInterval(v.interval);
    if (s === undefined || s < 1 || s > MAX_INTERVAL_SECONDS) problems.push(`uplinkIntervalSeconds: "${v.interval}" is not an interval between 1 s and 31 days (e.g. 600, 10m, 1h)`);
    else body.uplinkIntervalSeconds = s;
  }
  for (const field of ['heightMm', 'zeroOffsetMm'] as const) {
    const text = v[field];
    if (text === undefined) continue;
    const n = parseNumber(text);
    if (n === undefined) problems.push(`mounting.${field}: not a number: "${text}"`);
    else body.mounting = { ...(body.mounting as object | undefined), [field]: n };
  }
  if (Object.keys(row.tags).length > 0) body.tags = { ...(body.tags as Record<string, string> | undefined), ...row.tags };
  return body;
}

/**
 * Decides, for every row, whether it creates, updates or leaves a device unchanged, or why it cannot be imported.
 * Columns missing from the file and empty cells keep the existing device's values. Reads the fleet, writes
 * nothing. The first row with a DevEUI wins; later rows with the same DevEUI are errors.
 */
export function planImport(csv: ParsedCsv, o: PlanOptions): PlannedRow[] {
  const seen = o.seen ?? new Map<string, number>();
  return csv.rows.map((row): PlannedRow => {
    const rawEui = row.values.devEui;
    const result: ImportRowResult = { row: row.row, devEui: null, action: 'error' };
    const fail = (message: string): PlannedRow => {
      result.message = message;
      return { result };
    };
    if (rawEui === undefined) return fail('devEui: DevEUI is missing');
    const euiProblem = hexProblem('DevEUI', rawEui, 16, true);
    if (euiProblem) return fail(`devEui: ${euiProblem}`);
    const devEui = normalizeHex(rawEui);
    result.devEui = devEui;
    const first = seen.get(devEui);
    if (first !== undefined) return fail(`devEui: duplicate DevEUI ${devEui}: already in row ${first} of this file`);
    seen.set(devEui, row.row);
    if (row.problem) return fail(row.problem);

    const existing = o.fleet.get(devEui);
    const problems: string[] = [];
    const body = rowToBody(row, existing, o.defaultModel, problems);
    if (body.model === undefined) problems.push('model: model is missing (add a model column or pass a default model)');
    const parsed = createDeviceBody.safeParse(body);
    if (!parsed.success) {
      // A field whose cell could not be read is reported once, not again by the schema.
      const reported = new Set(problems.map((p) => p.slice(0, p.indexOf(':')).split('.')[0]));
      for (const i of parsed.error.issues) if (!reported.has(String(i.path[0] ?? ''))) problems.push(`${i.path.join('.') || '(row)'}: ${i.message}`);
    }
    if (parsed.success) {
      const mp = modelProblem(o.catalog, parsed.data.model);
      if (mp) problems.push(mp);
    }
    if (!parsed.success || problems.length > 0) return fail([...new Set(problems)].join('; '));
    const device = toFleetDevice(devEui, parsed.data);
    const appKey = parsed.data.appKey;
    const storedKey = existing ? o.fleet.appKey(devEui) : undefined;
    if (!existing && appKey === undefined && o.requireAppKey) return fail('appKey: AppKey is required to provision the device in ChirpStack (OTAA)');
    const keyChanged = appKey !== undefined && appKey !== storedKey;
    if (!existing) {
      result.action = 'create';
      return { result, device, ...(appKey !== undefined ? { appKey } : {}), keyChanged };
    }
    if (canonical(device) === canonical(existing) && !keyChanged) {
      result.action = 'unchanged';
      return { result, device, before: existing };
    }
    result.action = 'update';
    return { result, device, before: existing, ...(appKey !== undefined ? { appKey } : {}), keyChanged };
  });
}

import { CsvError, parse } from 'csv-parse/sync';

/**
 * Reading the device spreadsheets vendors and installers hand over: `,` or `;` (or tab) separated, with or
 * without a UTF-8 BOM, quoted fields with separators, quotes and line breaks inside, header names in any case and
 * spelling ("DevEUI", "dev_eui", "Dev EUI"). The parsing itself is csv-parse's.
 */

export const IMPORT_FIELDS = [
  'devEui',
  'joinEui',
  'appKey',
  'model',
  'name',
  'zone',
  'building',
  'site',
  'siteKind',
  'lat',
  'lon',
  'interval',
  'heightMm',
  'zeroOffsetMm',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** Header spellings (lowercase, letters and digits only) → field. */
const ALIASES: Readonly<Record<string, ImportField>> = {
  deveui: 'devEui',
  deviceeui: 'devEui',
  eui: 'devEui',
  joineui: 'joinEui',
  appeui: 'joinEui',
  appkey: 'appKey',
  applicationkey: 'appKey',
  model: 'model',
  modelid: 'model',
  devicemodel: 'model',
  name: 'name',
  devicename: 'name',
  zone: 'zone',
  parkingzone: 'zone',
  building: 'building',
  site: 'site',
  siteid: 'site',
  sitekind: 'siteKind',
  lat: 'lat',
  latitude: 'lat',
  breitengrad: 'lat',
  lon: 'lon',
  lng: 'lon',
  long: 'lon',
  longitude: 'lon',
  laengengrad: 'lon',
  interval: 'interval',
  uplinkinterval: 'interval',
  uplinkintervalseconds: 'interval',
  intervalseconds: 'interval',
  heightmm: 'heightMm',
  mountingheightmm: 'heightMm',
  zerooffsetmm: 'zeroOffsetMm',
};

/** "Dev EUI" → "deveui"; German umlauts spelt out. */
export function headerKey(header: string): string {
  return header
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]/g, '');
}

export interface CsvRow {
  /** Record number, as a spreadsheet numbers rows: the header is row 1 (blank lines are not counted). */
  readonly row: number;
  readonly values: Partial<Record<ImportField, string>>;
  /** `tag:<name>` / `tag_<name>` columns. */
  readonly tags: Readonly<Record<string, string>>;
  /** A structural problem of the row (wrong number of fields). */
  readonly problem?: string;
}

export interface ParsedCsv {
  readonly delimiter: string;
  /** Field → the header it was read from. */
  readonly columns: Partial<Record<ImportField, string>>;
  readonly tagColumns: Readonly<Record<string, string>>;
  /** Headers that map to nothing (ignored). */
  readonly ignored: readonly string[];
  readonly rows: readonly CsvRow[];
}

export class CsvImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvImportError';
  }
}

/** The separator used in the header line: the most frequent of `;`, `,` and tab outside quotes (`,` on a tie). */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number>([[',', 0], [';', 0], ['\t', 0]]);
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

/** Bytes of an upload as text: UTF-8 (a BOM is dropped), or Windows-1252 (old Excel exports) when not valid UTF-8. */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

export function parseDeviceCsv(input: string): ParsedCsv {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (text.trim() === '') throw new CsvImportError('the file is empty');
  const delimiter = detectDelimiter(text);
  let records: { record: string[]; info: { records: number } }[];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) throw new CsvImportError(`not a readable CSV file: ${err.message}`);
    throw err;
  }
  const [header, ...data] = records;
  if (!header) throw new CsvImportError('the file is empty');
  const headers = header.record;
  const columns: Partial<Record<ImportField, string>> = {};
  const byIndex: (ImportField | { tag: string } | undefined)[] = [];
  const tagColumns: Record<string, string> = {};
  const ignored: string[] = [];
  headers.forEach((h, i) => {
    const tag = /^tags?[:_.\s-]+(.+)$/i.exec(h.trim());
    if (tag) {
      const name = tag[1]!.trim();
      tagColumns[name] = h;
      byIndex[i] = { tag: name };
      return;
    }
    const field = ALIASES[headerKey(h)];
    if (!field) {
      if (h.trim() !== '') ignored.push(h);
      return;
    }
    if (columns[field] !== undefined) throw new CsvImportError(`columns "${columns[field]}" and "${h}" both mean ${field}`);
    columns[field] = h;
    byIndex[i] = field;
  });
  if (columns.devEui === undefined) {
    throw new CsvImportError(`no DevEUI column: the header must name one of DevEUI, DEVEUI, dev_eui, "Dev EUI" (found: ${headers.map((h) => `"${h}"`).join(', ')}; separator "${delimiter === '\t' ? 'tab' : delimiter}")`);
  }
  const rows: CsvRow[] = [];
  for (const { record, info } of data) {
    if (record.every((f) => f === '')) continue; // ";;;;" lines that spreadsheets leave behind
    const values: Partial<Record<ImportField, string>> = {};
    const tags: Record<string, string> = {};
    record.forEach((value, i) => {
      const target = byIndex[i];
      if (target === undefined || value === '') return;
      if (typeof target === 'string') values[target] = value;
      else tags[target.tag] = value;
    });
    const problem = record.length !== headers.length ? `the row has ${record.length} fields, the header ${headers.length} (check separators and quotes)` : undefined;
    rows.push({ row: info.records, values, tags, ...(problem ? { problem } : {}) });
  }
  return { delimiter, columns, tagColumns, ignored, rows };
}

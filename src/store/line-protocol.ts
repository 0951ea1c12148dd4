import type { FieldValue, Point } from '../domain/point.js';

// InfluxDB line protocol escaping (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/).
// Newlines cannot be represented in measurements, keys or tag values at all; they are replaced by spaces rather
// than letting one device name break a whole batch.
const MEASUREMENT_SPECIALS = /[, ]/g;
const KEY_SPECIALS = /[,= ]/g;
const CONTROL = /[\r\n\t]/g;

export function escapeMeasurement(name: string): string {
  return name.replace(CONTROL, ' ').replace(MEASUREMENT_SPECIALS, (c) => `\\${c}`).replace(/\\$/, '\u2216');
}

/**
 * Tag keys, tag values and field keys share one escaping rule. InfluxDB reads a backslash as an escape only
 * before `,`, `=` or a space and keeps every other backslash literally (checked against influxd: `a\\b` is stored
 * as two backslashes), so backslashes are written as they are. A trailing backslash cannot be represented (it would
 * escape the separator after it) and becomes U+2216 SET MINUS.
 */
export function escapeKey(key: string): string {
  return key.replace(CONTROL, ' ').replace(KEY_SPECIALS, (c) => `\\${c}`).replace(/\\$/, '\u2216');
}

export function escapeStringField(value: string): string {
  // Inside a quoted string only `"` and `\` are special; newlines are kept as they are (InfluxDB stores them).
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The field's line-protocol text, or undefined for a value line protocol cannot carry (NaN, 1.5 as integer). */
export function formatField(field: FieldValue): string | undefined {
  switch (field.type) {
    case 'float':
      return Number.isFinite(field.value) ? String(field.value) : undefined; // "87" is a float; only `i` makes an integer
    case 'integer':
      return Number.isSafeInteger(field.value) ? `${field.value}i` : undefined;
    case 'boolean':
      return field.value ? 'true' : 'false';
    case 'string':
      return escapeStringField(field.value);
  }
}

/** One point as one line. Tags and fields are written in key order so output is deterministic. */
export function toLine(point: Point): string {
  let line = escapeMeasurement(point.measurement);
  for (const key of Object.keys(point.tags).sort()) {
    const value = point.tags[key]!;
    if (value === '') continue; // empty tag values are invalid in line protocol: the tag is left out
    line += `,${escapeKey(key)}=${escapeKey(value)}`;
  }
  let first = true;
  for (const key of Object.keys(point.fields).sort()) {
    const text = formatField(point.fields[key]!);
    if (text === undefined) continue;
    line += `${first ? ' ' : ','}${escapeKey(key)}=${text}`;
    first = false;
  }
  return `${line} ${point.timeNs}`;
}

export function toLineProtocol(points: readonly Point[]): string {
  let body = '';
  for (const p of points) body += `${toLine(p)}\n`;
  return body;
}

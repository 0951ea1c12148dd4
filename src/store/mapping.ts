import type { JoinEvent, LogEvent, StatusEvent, UplinkEvent } from '../domain/events.js';
import type { FieldValue, Point } from '../domain/point.js';
import { READING_KINDS, isReadingName } from '../domain/readings.js';
import type { Readings } from '../decode/readings.js';

/**
 * Pure mapping from events to points: one measurement per reading category, a small bounded tag set
 * (`dev_eui`, `model`, `site`), typed fields, and the event's own time as the timestamp — so a replayed uplink
 * overwrites its point instead of adding one.
 */

export interface SeriesTags {
  readonly devEui: string;
  readonly model?: string;
  readonly site?: string;
}

function tags(s: SeriesTags): Record<string, string> {
  const t: Record<string, string> = { dev_eui: s.devEui };
  if (s.model) t.model = s.model;
  if (s.site) t.site = s.site;
  return t;
}

const float = (value: number): FieldValue => ({ type: 'float', value });
const int = (value: number): FieldValue => ({ type: 'integer', value: Math.trunc(value) });
const str = (value: string): FieldValue => ({ type: 'string', value });
const bool = (value: boolean): FieldValue => ({ type: 'boolean', value });

/** The link point every accepted uplink writes, even when its payload carries no reading. */
export function linkPoint(up: UplinkEvent, series: SeriesTags): Point {
  const fields: Record<string, FieldValue> = {
    f_cnt: int(up.fCnt),
    f_port: int(up.fPort),
    gateways: int(up.radio.gateways),
    payload_bytes: int(up.bytes.length),
  };
  if (up.radio.rssi !== undefined) fields.rssi = int(up.radio.rssi);
  if (up.radio.snr !== undefined) fields.snr = float(up.radio.snr);
  if (up.radio.dr !== undefined) fields.dr = int(up.radio.dr);
  if (up.radio.frequency !== undefined) fields.frequency = int(up.radio.frequency);
  if (up.radio.spreadingFactor !== undefined) fields.sf = int(up.radio.spreadingFactor);
  return { measurement: 'uplink', tags: tags(series), fields, timeNs: up.time.ns };
}

/** Readings grouped into one point per measurement, in a fixed order. */
export function readingPoints(readings: Readings, timeNs: string, series: SeriesTags): Point[] {
  const byMeasurement = new Map<string, Record<string, FieldValue>>();
  for (const name of Object.keys(readings).sort()) {
    if (!isReadingName(name)) continue;
    const kind = READING_KINDS[name];
    const value = readings[name]!;
    let field: FieldValue | undefined;
    switch (kind.type) {
      case 'float':
        field = typeof value === 'number' && Number.isFinite(value) ? float(value) : undefined;
        break;
      case 'integer':
        field = typeof value === 'number' && Number.isSafeInteger(value) ? int(value) : undefined;
        break;
      case 'boolean':
        field = typeof value === 'boolean' ? bool(value) : undefined;
        break;
      case 'string':
        field = typeof value === 'string' ? str(value) : undefined;
        break;
    }
    if (!field) continue;
    let fields = byMeasurement.get(kind.measurement);
    if (!fields) byMeasurement.set(kind.measurement, (fields = {}));
    fields[name] = field;
  }
  return [...byMeasurement.keys()].sort().map((measurement) => ({ measurement, tags: tags(series), fields: byMeasurement.get(measurement)!, timeNs }));
}

export function statusPoint(e: StatusEvent, series: SeriesTags): Point {
  const fields: Record<string, FieldValue> = { margin: int(e.margin), external_power: bool(e.externalPowerSource) };
  if (!e.externalPowerSource && !e.batteryLevelUnavailable) fields.battery_level = float(e.batteryLevel);
  return { measurement: 'device_status', tags: tags(series), fields, timeNs: e.time.ns };
}

/** Joins, network-server log events and our own decoder failures: the device's event history. */
export function eventPoint(series: SeriesTags, timeNs: string, event: string, fields: Record<string, string>): Point {
  const f: Record<string, FieldValue> = { event: str(event) };
  for (const [k, v] of Object.entries(fields)) f[k] = str(v);
  return { measurement: 'device_event', tags: tags(series), fields: f, timeNs };
}

export const joinPoint = (e: JoinEvent, series: SeriesTags): Point => eventPoint(series, e.time.ns, 'join', { dev_addr: e.devAddr });

export const logPoint = (e: LogEvent, series: SeriesTags): Point =>
  eventPoint(series, e.time.ns, 'log', { level: e.level, code: e.code, description: e.description });

import { describe, expect, it } from 'vitest';
import type { JoinEvent, LogEvent, StatusEvent, UplinkEvent } from '../../src/domain/events.js';
import type { FieldValue, Point } from '../../src/domain/point.js';
import type { Readings } from '../../src/decode/readings.js';
import { escapeKey, escapeMeasurement, escapeStringField, formatField, toLine, toLineProtocol } from '../../src/store/line-protocol.js';
import { joinPoint, linkPoint, logPoint, readingPoints, statusPoint, type SeriesTags } from '../../src/store/mapping.js';

// ---------------------------------------------------------------------------------------------------------
// A small reference parser following InfluxDB's line protocol rules, to show that escaped output is one valid
// point and reads back as intended (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/).
// Points are separated by newlines outside quoted string field values, as InfluxDB's own scanner
// (models.scanLine) does: toLine keeps raw newlines inside string fields, and nowhere else.
// ---------------------------------------------------------------------------------------------------------

/** Splits a body into points: a newline ends a point unless it is inside a quoted string field value. */
function splitPoints(body: string): string[] {
  const points: string[] = [];
  let start = 0;
  let inFields = false;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      i += 1; // an escaped character never delimits anything
      continue;
    }
    if (c === ' ') inFields = true;
    if (inFields && !quoted && c === '=') equals += 1;
    else if (inFields && !quoted && c === ',') commas += 1;
    else if (inFields && c === '"' && equals > commas) quoted = !quoted;
    else if (c === '\n' && !quoted) {
      points.push(body.slice(start, i));
      start = i + 1;
      inFields = false;
      equals = 0;
      commas = 0;
    }
  }
  if (quoted) throw new Error(`unterminated string field in ${JSON.stringify(body)}`);
  if (start < body.length) points.push(body.slice(start));
  return points;
}

type ParsedField = { float: number } | { int: number } | { bool: boolean } | { str: string };
interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, ParsedField>;
  timestamp: string;
}

function parseLine(line: string): ParsedLine {
  if (splitPoints(line).length !== 1) throw new Error(`not exactly one point: ${JSON.stringify(line)}`);
  let pos = 0;
  /** Reads up to an unescaped stop character; `\` escapes the listed characters, otherwise it is literal. */
  const read = (stops: string, escapable: string): string => {
    let out = '';
    while (pos < line.length) {
      const c = line[pos]!;
      const next = line[pos + 1];
      if (c === '\\' && next !== undefined && escapable.includes(next)) {
        out += next;
        pos += 2;
        continue;
      }
      if (stops.includes(c)) break;
      if (c === '\n' || c === '\r') throw new Error(`line break outside a string field in ${JSON.stringify(line)}`);
      out += c;
      pos += 1;
    }
    return out;
  };
  const expectChar = (c: string) => {
    if (line[pos] !== c) throw new Error(`expected ${JSON.stringify(c)} at ${pos} in ${JSON.stringify(line)}`);
    pos += 1;
  };

  // As influxd parses: a backslash escapes only the characters that would end the element; otherwise it is literal.
  const measurement = read(', ', ', ');
  if (measurement === '') throw new Error('empty measurement');
  const tags: Record<string, string> = {};
  while (line[pos] === ',') {
    pos += 1;
    const key = read('=', ',= ');
    expectChar('=');
    const value = read(', ', ',= ');
    if (key === '' || value === '') throw new Error(`empty tag key or value in ${JSON.stringify(line)}`);
    tags[key] = value;
  }
  expectChar(' ');
  const fields: Record<string, ParsedField> = {};
  for (;;) {
    const key = read('=', ',= ');
    if (key === '') throw new Error(`empty field key in ${JSON.stringify(line)}`);
    expectChar('=');
    if (line[pos] === '"') {
      pos += 1;
      let s = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new Error(`unterminated string in ${JSON.stringify(line)}`);
        if (c === '\\' && (line[pos + 1] === '"' || line[pos + 1] === '\\')) {
          s += line[pos + 1]!;
          pos += 2;
        } else if (c === '"') {
          pos += 1;
          break;
        } else {
          s += c;
          pos += 1;
        }
      }
      fields[key] = { str: s };
    } else {
      const raw = read(', ', '');
      if (/^-?\d+i$/.test(raw)) fields[key] = { int: Number(raw.slice(0, -1)) };
      else if (/^(t|T|true|True|TRUE)$/.test(raw)) fields[key] = { bool: true };
      else if (/^(f|F|false|False|FALSE)$/.test(raw)) fields[key] = { bool: false };
      else if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) fields[key] = { float: Number(raw) };
      else throw new Error(`invalid field value ${JSON.stringify(raw)} in ${JSON.stringify(line)}`);
    }
    if (line[pos] === ',') {
      pos += 1;
      continue;
    }
    break;
  }
  expectChar(' ');
  const timestamp = line.slice(pos);
  if (!/^-?\d+$/.test(timestamp)) throw new Error(`invalid timestamp ${JSON.stringify(timestamp)}`);
  return { measurement, tags, fields, timestamp };
}

const int = (value: number): FieldValue => ({ type: 'integer', value });
const float = (value: number): FieldValue => ({ type: 'float', value });
const bool = (value: boolean): FieldValue => ({ type: 'boolean', value });
const str = (value: string): FieldValue => ({ type: 'string', value });

const point = (measurement: string, tags: Record<string, string>, fields: Record<string, FieldValue>, timeNs = '1715671303512034123'): Point => ({
  measurement,
  tags,
  fields,
  timeNs,
});

// ---------------------------------------------------------------------------------------------------------

describe('toLine', () => {
  it('writes measurement, tags, fields and the nanosecond timestamp', () => {
    expect(toLine(point('uplink', { dev_eui: '70b3d5e75e00a1b2' }, { f_cnt: int(1287) }))).toBe('uplink,dev_eui=70b3d5e75e00a1b2 f_cnt=1287i 1715671303512034123');
  });

  it('a point without tags has no comma after the measurement', () => {
    expect(toLine(point('m', {}, { v: int(1) }, '5'))).toBe('m v=1i 5');
  });

  describe('measurement escaping', () => {
    it.each([
      ['a b', 'a\\ b'],
      ['a,b', 'a\\,b'],
      ['a b,c', 'a\\ b\\,c'],
      ['a=b', 'a=b'],
      ['a\\b', 'a\\b'],
      ['a"b', 'a"b'],
      ['a\nb', 'a\\ b'],
      ['a\r\nb', 'a\\ \\ b'],
      ['a\tb', 'a\\ b'],
    ])('%j → %j', (measurement, escaped) => {
      expect(escapeMeasurement(measurement)).toBe(escaped);
      expect(toLine(point(measurement, {}, { v: int(1) }, '1'))).toBe(`${escaped} v=1i 1`);
    });
  });

  describe('tag key, tag value and field key escaping', () => {
    it.each([
      ['a,b', 'a\\,b'],
      ['a=b', 'a\\=b'],
      ['a b', 'a\\ b'],
      ['a\\b', 'a\\b'],
      ['x\\', 'x\u2216'],
      ['a"b', 'a"b'],
      ['a\nb', 'a\\ b'],
      ['a\tb\rc', 'a\\ b\\ c'],
      [',= \\', '\\,\\=\\ \u2216'],
    ])('%j → %j', (raw, escaped) => {
      expect(escapeKey(raw)).toBe(escaped);
    });

    it('tag keys and values', () => {
      const line = toLine(point('m', { 'k,1': 'v 1', 'k=2': 'v=2', 'k 3': 'v,3', 'k\\4': 'v\\4' }, { f: int(1) }, '1'));
      // Sorted by the raw key: ' ' < ',' < '=' < '\'.
      expect(line).toBe('m,k\\ 3=v\\,3,k\\,1=v\\ 1,k\\=2=v\\=2,k\\4=v\\4 f=1i 1');
      expect(parseLine(line).tags).toStrictEqual({ 'k,1': 'v 1', 'k=2': 'v=2', 'k 3': 'v,3', 'k\\4': 'v\\4' });
    });

    it('field keys', () => {
      const line = toLine(point('m', {}, { 'f,1': int(1), 'f=2': int(2), 'f 3': int(3), 'f\\4': int(4) }, '1'));
      expect(line).toBe('m f\\ 3=3i,f\\,1=1i,f\\=2=2i,f\\4=4i 1');
      expect(Object.keys(parseLine(line).fields)).toStrictEqual(['f 3', 'f,1', 'f=2', 'f\\4']);
    });
  });

  describe('string fields', () => {
    it.each([
      ['plain', '"plain"'],
      ['', '""'],
      ['say "hi"', '"say \\"hi\\""'],
      ['C:\\temp', '"C:\\\\temp"'],
      ['ends with \\', '"ends with \\\\"'],
      ['\\"', '"\\\\\\""'],
      // Inside a quoted string only `"` and `\` are escaped; line breaks are kept (InfluxDB stores them).
      ['a\nb', '"a\nb"'],
      ['a\r\nb', '"a\r\nb"'],
      ['tab\there', '"tab\there"'],
      ['a, b=c d', '"a, b=c d"'],
    ])('%j → %j', (value, formatted) => {
      expect(escapeStringField(value)).toBe(formatted);
      expect(formatField(str(value))).toBe(formatted);
    });
  });

  describe('numbers and booleans', () => {
    it.each([
      [int(42), '42i'],
      [int(0), '0i'],
      [int(-97), '-97i'],
      [int(867500000), '867500000i'],
      [int(Number.MAX_SAFE_INTEGER), '9007199254740991i'],
      [float(3), '3'],
      [float(0), '0'],
      [float(-12), '-12'],
      [float(-0.5), '-0.5'],
      [float(7.25), '7.25'],
      [float(88.30000305175781), '88.30000305175781'],
      [float(1.5e-7), '1.5e-7'],
      [float(1e21), '1e+21'],
      [bool(true), 'true'],
      [bool(false), 'false'],
    ] as const)('%j → %s', (field, formatted) => {
      expect(formatField(field)).toBe(formatted);
    });

    it('an integral float is written without the i suffix and reads back as a float', () => {
      const line = toLine(point('m', {}, { a: float(87), b: int(87) }, '1'));
      expect(line).toBe('m a=87,b=87i 1');
      expect(parseLine(line).fields).toStrictEqual({ a: { float: 87 }, b: { int: 87 } });
    });
  });

  it('sorts tags and fields by key', () => {
    const line = toLine(
      point('m', { site: 's', dev_eui: 'e', model: 'mo' }, { z: int(1), a: bool(true), m: float(1.5), b_: str('x') }, '9'),
    );
    expect(line).toBe('m,dev_eui=e,model=mo,site=s a=true,b_="x",m=1.5,z=1i 9');
  });

  it('leaves out tags with an empty value', () => {
    expect(toLine(point('m', { dev_eui: 'e', model: '', site: 's' }, { v: int(1) }, '1'))).toBe('m,dev_eui=e,site=s v=1i 1');
    expect(toLine(point('m', { model: '', site: '' }, { v: int(1) }, '1'))).toBe('m v=1i 1');
  });

  describe('injection payloads stay one valid point', () => {
    it('site tag "a b,c=d\nx" and a string field with a quote and a newline', () => {
      const line = toLine(
        point('uplink', { dev_eui: '70b3d5e75e00a1b2', site: 'a b,c=d\nx' }, { description: str('x" ,y=1i\nz 123'), event: str('log') }),
      );
      // The tag's newline becomes an (escaped) space; the string field keeps its newline inside the quotes.
      expect(line).toBe('uplink,dev_eui=70b3d5e75e00a1b2,site=a\\ b\\,c\\=d\\ x description="x\\" ,y=1i\nz 123",event="log" 1715671303512034123');
      expect(splitPoints(`${line}\n`)).toHaveLength(1);
      expect(parseLine(line)).toStrictEqual({
        measurement: 'uplink',
        tags: { dev_eui: '70b3d5e75e00a1b2', site: 'a b,c=d x' },
        fields: { description: { str: 'x" ,y=1i\nz 123' }, event: { str: 'log' } },
        timestamp: '1715671303512034123',
      });
    });

    it('a string value trying to close the quote and append a field and a second point', () => {
      const evil = 'ok" ,admin=true 1\nevil,dev_eui=x value=1i 2\\';
      const body = toLineProtocol([
        point('device_event', { dev_eui: 'e' }, { description: str(evil) }, '1'),
        point('device_event', { dev_eui: 'f' }, { event: str('join') }, '2'),
      ]);
      const points = splitPoints(body);
      expect(points).toHaveLength(2);
      expect(parseLine(points[0]!)).toStrictEqual({ measurement: 'device_event', tags: { dev_eui: 'e' }, fields: { description: { str: evil } }, timestamp: '1' });
      expect(parseLine(points[1]!)).toStrictEqual({ measurement: 'device_event', tags: { dev_eui: 'f' }, fields: { event: { str: 'join' } }, timestamp: '2' });
    });

    it('line breaks in measurement, tag keys/values and field keys never reach the output', () => {
      const line = toLine(point('m\nx', { 't\r\nk': 'v\n1' }, { 'f\nk': int(1) }, '1'));
      expect(line).toBe('m\\ x,t\\ \\ k=v\\ 1 f\\ k=1i 1');
      expect(line).not.toMatch(/[\r\n]/);
    });

    it.each([
      'plain',
      'a b,c=d\nx',
      'trailing\\',
      '\\\\double',
      ' leading space',
      'comma,equals=space \ttab\rcr',
      '"quoted"',
      '"\n"\n',
      'ünïcödé ✓ 🚲',
      '\\ ,\\=\\,',
      '\\"\\',
    ])('%j round-trips through measurement, tag key/value, field key and string field', (text) => {
      const line = toLine(point(text, { [text]: text, dev_eui: 'e' }, { [text]: str(text), n: int(1) }, '7'));
      const body = toLineProtocol([point(text, { [text]: text }, { [text]: str(text) }, '7'), point('next', {}, { n: int(2) }, '8')]);
      expect(splitPoints(body)).toHaveLength(2);
      const parsed = parseLine(line);
      // Line breaks become spaces; a trailing backslash (it would escape the separator) becomes U+2216.
      const keyForm = text.replace(/[\r\n\t]/g, ' ').replace(/\\$/, '\u2216');
      expect(parsed.measurement).toBe(keyForm);
      expect(parsed.tags[keyForm]).toBe(keyForm);
      expect(parsed.fields[keyForm]).toStrictEqual({ str: text });
      expect(parsed.fields.n).toStrictEqual({ int: 1 });
      expect(parsed.timestamp).toBe('7');
    });
  });
});

describe('toLineProtocol', () => {
  it('one line per point, each terminated by a newline', () => {
    const body = toLineProtocol([point('a', { t: 'x' }, { v: int(1) }, '1'), point('b', {}, { v: float(2.5) }, '2')]);
    expect(body).toBe('a,t=x v=1i 1\nb v=2.5 2\n');
  });

  it('no points → empty body', () => {
    expect(toLineProtocol([])).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------------------
// mapping.ts: events → points
// ---------------------------------------------------------------------------------------------------------

const EUI = '70b3d5e75e00a1b2';
const NS = '1715671303512034123';
const SERIES: SeriesTags = { devEui: EUI, model: 'acme-park-1', site: 'market square' };
const DEVICE = { devEui: EUI, tags: {} };
const TIME = { ms: 1715671303512, ns: NS };

const uplink = (overrides: Partial<UplinkEvent> = {}): UplinkEvent => ({
  kind: 'up',
  source: 'chirpstack_v4_json',
  id: '9f1c2e7a-5b3d-4c8e-a1f0-6d2b4e8c0a35',
  time: TIME,
  device: DEVICE,
  fCnt: 1287,
  fPort: 2,
  bytes: Uint8Array.from([1, 14, 16, 87, 0, 125, 1, 156, 255, 169, 4, 9]),
  confirmed: false,
  radio: { gateways: 2, rssi: -97, snr: 7.25, gatewayId: '0016c001f1500a01', dr: 5, frequency: 867500000, spreadingFactor: 7 },
  ...overrides,
});

const status = (overrides: Partial<StatusEvent> = {}): StatusEvent => ({
  kind: 'status',
  source: 'chirpstack_v4_json',
  id: 'bf2a9746-1c8b-49be-a92e-f0b89c8534e4',
  time: TIME,
  device: DEVICE,
  margin: 10,
  externalPowerSource: false,
  batteryLevelUnavailable: false,
  batteryLevel: 88.3,
  ...overrides,
});

describe('linkPoint', () => {
  it('maps radio and frame data to typed fields, timestamp = event ns', () => {
    const p = linkPoint(uplink(), SERIES);
    expect(p).toStrictEqual({
      measurement: 'uplink',
      tags: { dev_eui: EUI, model: 'acme-park-1', site: 'market square' },
      fields: {
        f_cnt: int(1287),
        f_port: int(2),
        gateways: int(2),
        payload_bytes: int(12),
        rssi: int(-97),
        snr: float(7.25),
        dr: int(5),
        frequency: int(867500000),
        sf: int(7),
      },
      timeNs: NS,
    });
    expect(toLine(p)).toBe(
      'uplink,dev_eui=70b3d5e75e00a1b2,model=acme-park-1,site=market\\ square dr=5i,f_cnt=1287i,f_port=2i,frequency=867500000i,gateways=2i,payload_bytes=12i,rssi=-97i,sf=7i,snr=7.25 1715671303512034123',
    );
  });

  it('without radio details or model/site: only the frame fields and dev_eui', () => {
    const p = linkPoint(uplink({ fCnt: 0, fPort: 0, bytes: new Uint8Array(0), radio: { gateways: 0 } }), { devEui: EUI });
    expect(toLine(p)).toBe('uplink,dev_eui=70b3d5e75e00a1b2 f_cnt=0i,f_port=0i,gateways=0i,payload_bytes=0i 1715671303512034123');
  });

  it('an integral SNR stays a float field', () => {
    const p = linkPoint(uplink({ radio: { gateways: 1, rssi: -36, snr: 9 } }), { devEui: EUI });
    expect(p.fields.snr).toStrictEqual(float(9));
    expect(toLine(p)).toBe('uplink,dev_eui=70b3d5e75e00a1b2 f_cnt=1287i,f_port=2i,gateways=1i,payload_bytes=12i,rssi=-36i,snr=9 1715671303512034123');
  });
});

describe('readingPoints', () => {
  it('one point per measurement category, typed fields, sorted, unknown and mistyped readings skipped', () => {
    const readings: Readings = {
      temperature: 21.5,
      humidity: 40,
      occupied: true,
      vehicle_count: 12,
      battery: 87,
      battery_voltage: 3.6,
      energy_import: 1234.5,
      not_a_reading: 5,
      constructor: 1,
      water_volume: 'abc', // float reading given as a string
      pulse_count: 1.5, // integer reading that is not an integer
      fill: Number.NaN,
      liquid_alarm: 1, // boolean reading given as a number
    };
    const points = readingPoints(readings, NS, SERIES);
    const tags = { dev_eui: EUI, model: 'acme-park-1', site: 'market square' };
    expect(points).toStrictEqual([
      { measurement: 'battery', tags, fields: { battery: float(87), battery_voltage: float(3.6) }, timeNs: NS },
      { measurement: 'electricity', tags, fields: { energy_import: float(1234.5) }, timeNs: NS },
      { measurement: 'environment', tags, fields: { humidity: float(40), temperature: float(21.5) }, timeNs: NS },
      { measurement: 'parking', tags, fields: { occupied: bool(true), vehicle_count: int(12) }, timeNs: NS },
    ]);
    expect(toLineProtocol(points)).toBe(
      [
        'battery,dev_eui=70b3d5e75e00a1b2,model=acme-park-1,site=market\\ square battery=87,battery_voltage=3.6 1715671303512034123',
        'electricity,dev_eui=70b3d5e75e00a1b2,model=acme-park-1,site=market\\ square energy_import=1234.5 1715671303512034123',
        'environment,dev_eui=70b3d5e75e00a1b2,model=acme-park-1,site=market\\ square humidity=40,temperature=21.5 1715671303512034123',
        'parking,dev_eui=70b3d5e75e00a1b2,model=acme-park-1,site=market\\ square occupied=true,vehicle_count=12i 1715671303512034123',
        '',
      ].join('\n'),
    );
  });

  it('no readings → no points', () => {
    expect(readingPoints({}, NS, SERIES)).toStrictEqual([]);
    expect(readingPoints({ unknown: 1, pulse_count: 2 ** 53 }, NS, SERIES)).toStrictEqual([]);
  });
});

describe('statusPoint', () => {
  it('margin (integer), external power (boolean), battery level (float), timestamp = event ns', () => {
    const p = statusPoint(status(), { devEui: EUI });
    expect(p).toStrictEqual({
      measurement: 'device_status',
      tags: { dev_eui: EUI },
      fields: { margin: int(10), external_power: bool(false), battery_level: float(88.3) },
      timeNs: NS,
    });
    expect(toLine(p)).toBe('device_status,dev_eui=70b3d5e75e00a1b2 battery_level=88.3,external_power=false,margin=10i 1715671303512034123');
  });

  it('the float32 battery level of a protobuf event is written as is', () => {
    expect(toLine(statusPoint(status({ batteryLevel: Math.fround(88.3), margin: -5 }), { devEui: EUI }))).toBe(
      'device_status,dev_eui=70b3d5e75e00a1b2 battery_level=88.30000305175781,external_power=false,margin=-5i 1715671303512034123',
    );
  });

  it('no battery level on external power or when it is unavailable', () => {
    expect(toLine(statusPoint(status({ externalPowerSource: true }), { devEui: EUI }))).toBe(
      'device_status,dev_eui=70b3d5e75e00a1b2 external_power=true,margin=10i 1715671303512034123',
    );
    expect(toLine(statusPoint(status({ batteryLevelUnavailable: true, batteryLevel: 0 }), { devEui: EUI }))).toBe(
      'device_status,dev_eui=70b3d5e75e00a1b2 external_power=false,margin=10i 1715671303512034123',
    );
  });
});

describe('joinPoint and logPoint', () => {
  it('write device_event points with string fields', () => {
    const join: JoinEvent = { kind: 'join', source: 'chirpstack_v4_json', id: 'j', time: TIME, device: DEVICE, devAddr: '01a2b3c4' };
    const log: LogEvent = {
      kind: 'log',
      source: 'chirpstack_v4_json',
      time: TIME,
      device: DEVICE,
      level: 'ERROR',
      code: 'UPLINK_CODEC',
      description: 'decodeUplink returned errors: unknown "frame"\ntype 0x07',
      context: {},
    };
    expect(toLine(joinPoint(join, { devEui: EUI }))).toBe('device_event,dev_eui=70b3d5e75e00a1b2 dev_addr="01a2b3c4",event="join" 1715671303512034123');
    expect(toLine(logPoint(log, { devEui: EUI, site: 'a b' }))).toBe(
      'device_event,dev_eui=70b3d5e75e00a1b2,site=a\\ b code="UPLINK_CODEC",description="decodeUplink returned errors: unknown \\"frame\\"\ntype 0x07",event="log",level="ERROR" 1715671303512034123',
    );
  });
});

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import commonPb from '@chirpstack/chirpstack-api/common/common_pb.js';
import gwPb from '@chirpstack/chirpstack-api/gw/gw_pb.js';
import integrationPb from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import structPb from 'google-protobuf/google/protobuf/struct_pb.js';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import { describe, expect, it } from 'vitest';
import type { DeviceInfo, Instant, NormalizedEvent } from '../../src/domain/events.js';
import { Rejection, type RejectionReason } from '../../src/domain/rejections.js';
import { normalizeV4Protobuf } from '../../src/normalize/chirpstack-v4-protobuf.js';
import { FieldProblem, devEui, instantFrom } from '../../src/normalize/fields.js';
import { normalize } from '../../src/normalize/index.js';

/*
 * The protobufjs adapter against google-protobuf, the decoder it replaced: on ChirpStack's fixtures and on
 * randomized valid events both must give the same NormalizedEvent (values, classes and key order), and
 * malformed messages must be rejected at once instead of costing google-protobuf ~150 ms each.
 */

const { UplinkEvent, StatusEvent, JoinEvent, LogEvent, DeviceInfo: PbDeviceInfo, LogCode, LogLevel, UplinkRelayRxInfo } = integrationPb;
const { UplinkRxInfo, UplinkTxInfo, Modulation, LoraModulationInfo, FskModulationInfo, LrFhssModulationInfo, CodeRate, CRCStatus } = gwPb;
const { Struct } = structPb;
const { Timestamp } = timestampPb;

// ---------------------------------------------------------------------------------------------------------
// The oracle: the previous adapter, decoding with ChirpStack's generated google-protobuf classes
// ---------------------------------------------------------------------------------------------------------

const oracleLogCodeName = Object.fromEntries(Object.entries(LogCode).map(([k, v]) => [v, k])) as Record<number, string>;
const oracleLogLevelName = Object.fromEntries(Object.entries(LogLevel).map(([k, v]) => [v, k])) as Record<number, string>;
type OracleTimestamp = { getSeconds(): number; getNanos(): number } | undefined;
type OracleDeviceInfo = ReturnType<InstanceType<typeof UplinkEvent>['getDeviceInfo']>;

function oracleTime(ts: OracleTimestamp): Instant {
  if (!ts) throw new FieldProblem('invalid_event', 'time: missing');
  return instantFrom(ts.getSeconds(), ts.getNanos());
}

function oracleDevice(info: OracleDeviceInfo): DeviceInfo {
  if (!info) throw new FieldProblem('invalid_event', 'deviceInfo: missing');
  const tags: Record<string, string> = {};
  info.getTagsMap().forEach((value: string, key: string) => {
    tags[key] = value;
  });
  const opt = (s: string) => (s === '' ? undefined : s);
  return {
    devEui: devEui(info.getDevEui(), 'deviceInfo.devEui'),
    name: opt(info.getDeviceName()),
    applicationId: opt(info.getApplicationId()),
    applicationName: opt(info.getApplicationName()),
    deviceProfileName: opt(info.getDeviceProfileName()),
    tags,
  };
}

function oracle(event: string, bytes: Uint8Array): NormalizedEvent {
  const source = 'chirpstack_v4_protobuf' as const;
  switch (event) {
    case 'up': {
      const m = UplinkEvent.deserializeBinary(bytes);
      const rx = m.getRxInfoList();
      let best: (typeof rx)[number] | undefined;
      for (const r of rx) if (best === undefined || r.getRssi() > best.getRssi()) best = r;
      const tx = m.getTxInfo();
      const lora = tx?.getModulation()?.getLora();
      const object = m.getObject()?.toJavaScript();
      return {
        kind: 'up',
        source,
        id: m.getDeduplicationId(),
        time: oracleTime(m.getTime()),
        device: oracleDevice(m.getDeviceInfo()),
        fCnt: m.getFCnt(),
        fPort: m.getFPort(),
        confirmed: m.getConfirmed(),
        bytes: m.getData_asU8(),
        ...(object ? { object } : {}),
        radio: {
          gateways: rx.length,
          ...(best ? { rssi: best.getRssi(), snr: best.getSnr(), gatewayId: best.getGatewayId() } : {}),
          dr: m.getDr(),
          frequency: tx?.getFrequency(),
          spreadingFactor: lora?.getSpreadingFactor(),
        },
      };
    }
    case 'status': {
      const m = StatusEvent.deserializeBinary(bytes);
      return {
        kind: 'status',
        source,
        id: m.getDeduplicationId(),
        time: oracleTime(m.getTime()),
        device: oracleDevice(m.getDeviceInfo()),
        margin: m.getMargin(),
        externalPowerSource: m.getExternalPowerSource(),
        batteryLevelUnavailable: m.getBatteryLevelUnavailable(),
        batteryLevel: m.getBatteryLevel(),
      };
    }
    case 'join': {
      const m = JoinEvent.deserializeBinary(bytes);
      return { kind: 'join', source, id: m.getDeduplicationId(), time: oracleTime(m.getTime()), device: oracleDevice(m.getDeviceInfo()), devAddr: m.getDevAddr() };
    }
    case 'log': {
      const m = LogEvent.deserializeBinary(bytes);
      const context: Record<string, string> = {};
      m.getContextMap().forEach((value: string, key: string) => {
        context[key] = value;
      });
      return {
        kind: 'log',
        source,
        time: oracleTime(m.getTime()),
        device: oracleDevice(m.getDeviceInfo()),
        level: oracleLogLevelName[m.getLevel()] ?? String(m.getLevel()),
        code: oracleLogCodeName[m.getCode()] ?? String(m.getCode()),
        description: m.getDescription(),
        context,
      };
    }
    default:
      return { kind: 'ignored', source, event };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Comparing outcomes
// ---------------------------------------------------------------------------------------------------------

/** The key order of every plain object inside a value (toStrictEqual checks values and classes, not order). */
function keyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keyOrder);
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return null;
  return Object.entries(value).map(([key, inner]) => [key, keyOrder(inner)]);
}

/** What the dispatcher makes of an adapter call: an event, a FieldProblem's reason and message, or malformed. */
type Outcome = { event: NormalizedEvent; keys: unknown } | { problem: RejectionReason; message: string } | { malformed: true };

function outcome(run: () => NormalizedEvent): Outcome {
  try {
    const event = run();
    return { event, keys: keyOrder(event) };
  } catch (err) {
    if (err instanceof FieldProblem) return { problem: err.reason, message: err.message };
    return { malformed: true };
  }
}

function expectSameAsOracle(event: string, bytes: Buffer, label: string): void {
  const expected = outcome(() => oracle(event, bytes));
  const actual = outcome(() => normalizeV4Protobuf(event, bytes));
  expect(actual, `${label}: ${bytes.toString('hex')}`).toStrictEqual(expected);
}

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness and hand-made wire bytes
// ---------------------------------------------------------------------------------------------------------

/** mulberry32: the same seed gives the same inputs, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(0, 255));
  }
  hex(digits: number): string {
    return Array.from({ length: digits }, () => this.pick('0123456789abcdefABCDEF'.split(''))).join('');
  }
  uint32(): number {
    return this.pick([0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, this.int(0, 2 ** 32 - 1)]);
  }
  /** Well-formed Unicode: ASCII, Latin-1, umlauts, CJK, emoji (surrogate pairs), combining marks, NUL, U+FFFD. */
  text(maxLength = 12): string {
    const pieces = ['a', 'Z', '0', '9', ' ', '"', '\\', '\n', '\0', 'é', 'ß', 'ä', 'Ö', '中', '文', '😀', '🛰️', 'e\u0301', '\u200b', '\ufffd', '€', '\u{10ffff}'];
    return Array.from({ length: this.int(0, maxLength) }, () => this.pick(pieces)).join('');
  }
  key(): string {
    return this.chance(0.2) ? String(this.pick([0, 1, 2, 10, 42, 4294967294, 4294967295])) : this.text(8);
  }
}

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
}

const tag = (field: number, wireType: number) => varint((field << 3) | wireType);
const lengthDelimited = (field: number, ...parts: (number[] | Buffer)[]) => {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
  return Buffer.concat([Buffer.from([...tag(field, 2), ...varint(body.length)]), body]);
};
const stringField = (field: number, s: string) => lengthDelimited(field, Buffer.from(s, 'utf8'));
const varintField = (field: number, value: number | bigint) => Buffer.from([...tag(field, 0), ...varint(value)]);
/** A declared length of 2^28 - 1 that the message does not have. */
const HUGE_LENGTH = [0xff, 0xff, 0xff, 0x7f];

const EUI = '0101010101010101';
const APP_ID = '17c82e96-be03-4f38-aef3-f83d48582d97';
const topicFor = (event: string) => `application/${APP_ID}/device/${EUI}/event/${event}`;

/** An UplinkEvent's wire bytes with time and deviceInfo valid, so that only the part under test matters. */
function wireUp(...rest: Buffer[]): Buffer {
  return Buffer.concat([
    stringField(1, '3ac7e3c4-4401-4b8d-9386-a5c902f9202d'),
    lengthDelimited(2, varintField(1, 1_715_671_303), varintField(2, 5)),
    lengthDelimited(3, stringField(8, EUI)),
    ...rest,
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// Random valid events, built with the generated google-protobuf classes
// ---------------------------------------------------------------------------------------------------------

function randomTimestamp(r: Random): InstanceType<typeof Timestamp> {
  const ts = new Timestamp();
  ts.setSeconds(
    r.chance(0.9)
      ? r.int(0, 4_102_444_800)
      : r.pick([0, -1, -62_135_596_800, 253_402_300_799, 2 ** 40, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, -(2 ** 62)]),
  );
  ts.setNanos(r.chance(0.95) ? r.int(0, 999_999_999) : r.pick([-1, 2 ** 31 - 1, -(2 ** 31)]));
  return ts;
}

function randomDeviceInfo(r: Random): InstanceType<typeof PbDeviceInfo> {
  const info = new PbDeviceInfo();
  info.setDevEui(r.chance(0.93) ? r.hex(16) : r.pick(['', 'not-an-eui', r.hex(15), r.text()]));
  if (r.chance(0.8)) info.setDeviceName(r.text());
  if (r.chance(0.8)) info.setApplicationId(r.chance(0.5) ? APP_ID : r.text());
  if (r.chance(0.8)) info.setApplicationName(r.text());
  if (r.chance(0.8)) info.setDeviceProfileName(r.text());
  // Fields the adapter does not read (and the schema does not declare) must be skipped.
  if (r.chance(0.5)) info.setTenantId(r.text());
  if (r.chance(0.5)) info.setTenantName(r.text());
  if (r.chance(0.5)) info.setDeviceProfileId(r.text());
  if (r.chance(0.5)) info.setDeviceClassEnabled(r.pick([0, 1, 2] as const));
  const tags = info.getTagsMap();
  for (let i = r.int(0, 5); i > 0; i--) tags.set(r.key(), r.text());
  return info;
}

function randomNumber(r: Random): number {
  if (r.chance(0.1)) return r.pick([0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 2 ** 53 + 1]);
  return r.chance(0.5) ? r.int(-100_000, 100_000) : (r.next() - 0.5) * 10 ** r.int(-5, 12);
}

function randomJsValue(r: Random, depth: number): structPb.JavaScriptValue {
  const kinds = depth < 3 ? ['null', 'number', 'string', 'bool', 'object', 'list'] : ['null', 'number', 'string', 'bool'];
  switch (r.pick(kinds)) {
    case 'null':
      return null;
    case 'number':
      return randomNumber(r);
    case 'string':
      return r.text();
    case 'bool':
      return r.chance(0.5);
    case 'object':
      return randomJsObject(r, depth + 1);
    default:
      return Array.from({ length: r.int(0, 4) }, () => randomJsValue(r, depth + 1));
  }
}

function randomJsObject(r: Random, depth: number): Record<string, structPb.JavaScriptValue> {
  const out: Record<string, structPb.JavaScriptValue> = {};
  for (let i = r.int(0, 5); i > 0; i--) out[r.key()] = randomJsValue(r, depth);
  return out;
}

function randomRxInfo(r: Random): InstanceType<typeof UplinkRxInfo> {
  const rx = new UplinkRxInfo();
  rx.setGatewayId(r.chance(0.9) ? r.hex(16).toLowerCase() : r.text());
  rx.setRssi(r.chance(0.9) ? r.int(-140, -20) : r.pick([0, 5, -(2 ** 31), 2 ** 31 - 1]));
  rx.setSnr(r.chance(0.9) ? (r.next() - 0.6) * 40 : r.pick([0, -0, 1e-45, 3.4e38, NaN]));
  if (r.chance(0.5)) rx.setUplinkId(r.uint32());
  if (r.chance(0.5)) rx.setGwTime(randomTimestamp(r));
  if (r.chance(0.5)) rx.setNsTime(randomTimestamp(r));
  if (r.chance(0.3)) rx.setChannel(r.int(0, 15));
  if (r.chance(0.3)) rx.setContext(r.bytes(r.int(0, 8)));
  if (r.chance(0.3)) rx.setCrcStatus(r.pick([CRCStatus.NO_CRC, CRCStatus.BAD_CRC, CRCStatus.CRC_OK]));
  if (r.chance(0.3)) {
    const location = new commonPb.Location();
    location.setLatitude((r.next() - 0.5) * 180);
    location.setLongitude((r.next() - 0.5) * 360);
    location.setAltitude(r.int(-100, 4000));
    rx.setLocation(location);
  }
  for (let i = r.int(0, 2); i > 0; i--) rx.getMetadataMap().set(r.key(), r.text());
  return rx;
}

function randomTxInfo(r: Random): InstanceType<typeof UplinkTxInfo> {
  const tx = new UplinkTxInfo();
  if (r.chance(0.9)) tx.setFrequency(r.chance(0.8) ? r.pick([867_100_000, 868_100_000, 868_500_000, 923_200_000]) : r.uint32());
  if (r.chance(0.9)) {
    const modulation = new Modulation();
    const which = r.pick(['lora', 'lora', 'lora', 'fsk', 'lrFhss', 'none']);
    if (which === 'lora') {
      const lora = new LoraModulationInfo();
      lora.setSpreadingFactor(r.chance(0.9) ? r.int(5, 12) : r.uint32());
      lora.setBandwidth(r.pick([125_000, 250_000, 500_000]));
      lora.setCodeRate(r.pick([CodeRate.CR_4_5, CodeRate.CR_4_6, CodeRate.CR_4_8]));
      lora.setPolarizationInversion(r.chance(0.5));
      modulation.setLora(lora);
    } else if (which === 'fsk') {
      const fsk = new FskModulationInfo();
      fsk.setDatarate(50_000);
      fsk.setFrequencyDeviation(25_000);
      modulation.setFsk(fsk);
    } else if (which === 'lrFhss') {
      const lrFhss = new LrFhssModulationInfo();
      lrFhss.setOperatingChannelWidth(r.uint32());
      lrFhss.setGridSteps(r.int(1, 52));
      modulation.setLrFhss(lrFhss);
    }
    tx.setModulation(modulation);
  }
  return tx;
}

function randomUplink(r: Random): Buffer {
  const m = new UplinkEvent();
  m.setDeduplicationId(r.chance(0.7) ? `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}` : r.text(40));
  if (r.chance(0.95)) m.setTime(randomTimestamp(r));
  if (r.chance(0.95)) m.setDeviceInfo(randomDeviceInfo(r));
  if (r.chance(0.5)) m.setDevAddr(r.hex(8));
  if (r.chance(0.5)) m.setAdr(r.chance(0.5));
  if (r.chance(0.8)) m.setDr(r.chance(0.8) ? r.int(0, 15) : r.uint32());
  if (r.chance(0.8)) m.setFCnt(r.uint32());
  if (r.chance(0.8)) m.setFPort(r.chance(0.8) ? r.int(1, 223) : r.uint32());
  if (r.chance(0.5)) m.setConfirmed(r.chance(0.5));
  if (r.chance(0.85)) m.setData(r.bytes(r.int(0, 64)));
  if (r.chance(0.5)) m.setObject(Struct.fromJavaScript(randomJsObject(r, 1)));
  for (let i = r.int(0, 3); i > 0; i--) m.addRxInfo(randomRxInfo(r));
  if (r.chance(0.8)) m.setTxInfo(randomTxInfo(r));
  if (r.chance(0.1)) {
    const relay = new UplinkRelayRxInfo();
    relay.setDevEui(r.hex(16));
    relay.setRssi(r.int(-140, 0));
    m.setRelayRxInfo(relay);
  }
  if (r.chance(0.2)) m.setRegionConfigId(r.pick(['eu868', 'us915_0', r.text()]));
  return Buffer.from(m.serializeBinary());
}

function randomStatus(r: Random): Buffer {
  const m = new StatusEvent();
  m.setDeduplicationId(r.text(40));
  if (r.chance(0.95)) m.setTime(randomTimestamp(r));
  if (r.chance(0.95)) m.setDeviceInfo(randomDeviceInfo(r));
  if (r.chance(0.8)) m.setMargin(r.chance(0.8) ? r.int(-20, 30) : r.pick([-(2 ** 31), 2 ** 31 - 1]));
  if (r.chance(0.5)) m.setExternalPowerSource(r.chance(0.5));
  if (r.chance(0.5)) m.setBatteryLevelUnavailable(r.chance(0.5));
  if (r.chance(0.8)) m.setBatteryLevel(r.chance(0.9) ? r.next() * 100 : r.pick([-1, 0, -0, 1e-45, NaN, Infinity]));
  return Buffer.from(m.serializeBinary());
}

function randomJoin(r: Random): Buffer {
  const m = new JoinEvent();
  m.setDeduplicationId(r.text(40));
  if (r.chance(0.95)) m.setTime(randomTimestamp(r));
  if (r.chance(0.95)) m.setDeviceInfo(randomDeviceInfo(r));
  if (r.chance(0.8)) m.setDevAddr(r.chance(0.8) ? r.hex(8) : r.text());
  if (r.chance(0.2)) m.setRegionConfigId(r.text());
  return Buffer.from(m.serializeBinary());
}

function randomLog(r: Random): Buffer {
  const m = new LogEvent();
  if (r.chance(0.95)) m.setTime(randomTimestamp(r));
  if (r.chance(0.95)) m.setDeviceInfo(randomDeviceInfo(r));
  // Values beyond the enums (a newer ChirpStack) come out as numbers.
  if (r.chance(0.8)) m.setLevel((r.chance(0.9) ? r.int(0, 2) : r.int(3, 1000)) as (typeof LogLevel)[keyof typeof LogLevel]);
  if (r.chance(0.8)) m.setCode((r.chance(0.9) ? r.int(0, 11) : r.int(12, 1000)) as (typeof LogCode)[keyof typeof LogCode]);
  if (r.chance(0.8)) m.setDescription(r.text(60));
  for (let i = r.int(0, 4); i > 0; i--) m.getContextMap().set(r.key(), r.text());
  return Buffer.from(m.serializeBinary());
}

// ---------------------------------------------------------------------------------------------------------
// 1. ChirpStack's fixtures
// ---------------------------------------------------------------------------------------------------------

const FIXTURES = new URL('../../../shared/fixtures/chirpstack/v4/', import.meta.url);
const FIXTURES_PATH = fileURLToPath(FIXTURES);
const haveFixtures = existsSync(FIXTURES_PATH);

/** Fixture name (without .pb) → the topic's event name. */
const EVENT_FIXTURES: Record<string, string> = { up: 'up', 'up-object': 'up', status: 'status', join: 'join', log: 'log', 'log-codec-error': 'log' };
/** Events the adapter ignores without decoding, and commands (which are never events). */
const SKIPPED_FIXTURES = new Set(['ack', 'txack', 'location', 'down-command', 'down-command-object']);

const describeFixtures = haveFixtures ? describe : describe.skip;
const fixturesTitle = haveFixtures
  ? 'protobufjs schema: ChirpStack v4 fixtures decode as with google-protobuf'
  : `protobufjs schema: ChirpStack v4 fixtures — SKIPPED: ${FIXTURES_PATH} does not exist (check out the shared fixtures next to this repository)`;

describeFixtures(fixturesTitle, () => {
  const names = haveFixtures ? readdirSync(FIXTURES_PATH).filter((f) => f.endsWith('.pb')).map((f) => f.slice(0, -3)) : [];

  it('every .pb fixture is either an event compared here or deliberately skipped', () => {
    expect(names.filter((name) => !(name in EVENT_FIXTURES) && !SKIPPED_FIXTURES.has(name))).toStrictEqual([]);
    expect(Object.keys(EVENT_FIXTURES).filter((name) => !names.includes(name))).toStrictEqual([]);
  });

  it.each(Object.entries(EVENT_FIXTURES))('v4/%s.pb (%s)', (name, event) => {
    const bytes = readFileSync(new URL(`${name}.pb`, FIXTURES));
    const expected = outcome(() => oracle(event, bytes));
    expect(expected).toHaveProperty('event'); // a fixture is a valid event, not a rejection on both sides
    expectSameAsOracle(event, bytes, name);
    // Through the dispatcher too, as the pipeline sees it.
    expect(normalize(topicFor(event), bytes)).toStrictEqual(oracle(event, bytes));
  });
});

// ---------------------------------------------------------------------------------------------------------
// 2. Randomized valid events
// ---------------------------------------------------------------------------------------------------------

describe('protobufjs schema: randomized valid events decode as with google-protobuf', () => {
  it('2,000 random UplinkEvents (unicode, tags, 0–3 rxInfo, nested object Structs, large uint32, float32 snr)', () => {
    const r = new Random(0x5eed_0001);
    let events = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = randomUplink(r);
      expectSameAsOracle('up', bytes, `uplink #${i}`);
      if ('event' in outcome(() => normalizeV4Protobuf('up', bytes))) events++;
    }
    // Most are valid events; the rest lack time/deviceInfo or carry a bad devEui (invalid_event on both sides).
    expect(events).toBeGreaterThan(1500);
  });

  it.each([
    ['status', randomStatus],
    ['join', randomJoin],
    ['log', randomLog],
  ] as const)('300 random %s events', (event, build) => {
    const r = new Random(0x5eed_0002 + event.length);
    for (let i = 0; i < 300; i++) expectSameAsOracle(event, build(r), `${event} #${i}`);
  });

  it('a Uint8Array that is not a Buffer decodes like the Buffer over the same bytes', () => {
    const r = new Random(0x5eed_0003);
    for (let i = 0; i < 50; i++) {
      const bytes = randomUplink(r);
      const copy = new Uint8Array(bytes.length + 3).subarray(3);
      copy.set(bytes);
      expect(outcome(() => normalizeV4Protobuf('up', copy))).toStrictEqual(outcome(() => normalizeV4Protobuf('up', bytes)));
    }
  });
});

describe('protobufjs schema: edge cases decode as with google-protobuf', () => {
  const numberValue = (n: number) => Buffer.from([...tag(2, 1), ...new Uint8Array(new Float64Array([n]).buffer)]);
  const entry = (key: string, ...value: Buffer[]) => lengthDelimited(1, stringField(1, key), ...(value.length ? [lengthDelimited(2, ...value)] : []));
  const object = (...entries: Buffer[]) => lengthDelimited(11, ...entries);
  const tags = (...pairs: [string, string][]) => lengthDelimited(3, stringField(8, EUI), ...pairs.map(([k, v]) => lengthDelimited(9, stringField(1, k), stringField(2, v))));
  const lora = (sf: number) => lengthDelimited(3, varintField(2, sf));
  const txInfo = (...modulation: Buffer[]) => lengthDelimited(13, varintField(1, 868_100_000), lengthDelimited(2, ...modulation));

  it.each([
    ['a Value with several kinds on the wire keeps the last', wireUp(object(entry('k', numberValue(1), stringField(3, 's'), numberValue(2)), entry('j', stringField(3, 's'), varintField(4, 1), stringField(3, 't'))))],
    ['Modulation lora then fsk: no spreading factor', wireUp(txInfo(lora(7), lengthDelimited(4)))],
    ['Modulation fsk then lora: lora', wireUp(txInfo(lengthDelimited(4), lora(9)))],
    ['Modulation lora, fsk, lora: the second lora', wireUp(txInfo(lora(7), lengthDelimited(5), lora(12)))],
    ['a repeated message field: the last one, not merged', wireUp(txInfo(lora(7)), lengthDelimited(13, varintField(1, 433_000_000)))],
    ['a __proto__ tag and object key are dropped', wireUp(tags(['__proto__', 'x'], ['a', 'b']), object(entry('__proto__', lengthDelimited(5, entry('polluted', varintField(4, 1)))), entry('k', varintField(4, 1))))],
    ['map keys out of wire order (ChirpStack sends its HashMaps unordered)', wireUp(tags(['z', '1'], ['10', '2'], ['a', '3'], ['2', '4'], ['é', '5'], ['A', '6']), object(entry('z', numberValue(1)), entry('b', numberValue(2)), entry('10', numberValue(3)), entry('a', numberValue(4))))],
    ['duplicate map keys: the last value', wireUp(tags(['k', '1'], ['k', '2']), object(entry('k', numberValue(1)), entry('k', numberValue(2))))],
    ['map entries without key or value', wireUp(lengthDelimited(3, stringField(8, EUI), lengthDelimited(9, stringField(2, 'v')), lengthDelimited(9, stringField(1, 'k'))))],
    ['a Struct entry without a value (google-protobuf: "Unexpected struct type")', wireUp(object(entry('k')))],
    ['a Value without a kind', wireUp(object(entry('k', Buffer.alloc(0))))],
    ['a list with an empty Value', wireUp(object(entry('k', lengthDelimited(6, lengthDelimited(1, numberValue(1)), lengthDelimited(1)))))],
    ['a null_value of 7 is still null', wireUp(object(entry('k', varintField(1, 7))))],
    ['a negative int32 rssi (a 10-byte varint)', wireUp(lengthDelimited(12, stringField(1, 'gw'), varintField(6, -5)))],
    ['time.seconds = -1', wireUp(lengthDelimited(2, varintField(1, -1), varintField(2, 1)))],
    ['time.seconds = int64 max', wireUp(lengthDelimited(2, varintField(1, 2n ** 63n - 1n)))],
    ['time.seconds = int64 min', wireUp(lengthDelimited(2, varintField(1, -(2n ** 63n))))],
    ['time.seconds = 2^53 + 1 (rounded alike)', wireUp(lengthDelimited(2, varintField(1, 2n ** 53n + 1n)))],
    ['an empty time: the epoch', wireUp(lengthDelimited(2))],
    ['an empty object Struct is {}', wireUp(object())],
    ['data present but empty', wireUp(lengthDelimited(10))],
    ['unknown fields of every wire type, including a group', wireUp(varintField(100, 1), Buffer.from([...tag(101, 1), 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.from([...tag(102, 5), 1, 2, 3, 4]), lengthDelimited(103, [1, 2]), Buffer.from([...tag(104, 3), ...tag(1, 0), 1, ...tag(104, 4)]))],
    ['a uint32 written as a 6-byte varint, followed by more fields', wireUp(varintField(7, 2n ** 40n + 3n), varintField(8, 2))],
    ['a uint32 written as a 9-byte varint, at the very end', wireUp(varintField(8, 2n ** 62n + 1n))],
  ])('%s', (label, bytes) => {
    expectSameAsOracle('up', bytes, label);
  });

  it('the dropped __proto__ keys leave plain objects', () => {
    const up = normalizeV4Protobuf('up', wireUp(tags(['__proto__', 'x']), object(entry('__proto__', lengthDelimited(5, entry('polluted', varintField(4, 1)))))));
    if (up.kind !== 'up') throw new Error('expected an uplink');
    expect(Object.getPrototypeOf(up.device.tags)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(up.object)).toBe(Object.prototype);
    expect(up.object).toStrictEqual({});
  });
});

// ---------------------------------------------------------------------------------------------------------
// 3. Malformed input: rejected, and fast
// ---------------------------------------------------------------------------------------------------------

const PROTOBUF_REJECTIONS: readonly RejectionReason[] = ['malformed_protobuf', 'invalid_event'];
const EVENTS = ['up', 'status', 'join', 'log'] as const;

/** index.ts sends a payload to the JSON parsers when its first non-whitespace byte is `{` or `[`. */
function routedToProtobuf(payload: Uint8Array): boolean {
  const first = payload.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  return payload.length > 0 && first !== 0x7b && first !== 0x5b;
}

/**
 * The adapter decodes or throws a decoding error (RangeError or Error from the reader, FieldProblem from the
 * adapter). A TypeError would be a bug in the adapter that the dispatcher would hide as malformed_protobuf.
 */
function expectDecodedOrRejected(topic: string, payload: Buffer): void {
  const event = topic.slice(topic.lastIndexOf('/') + 1);
  try {
    normalizeV4Protobuf(event, payload);
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    if (err instanceof TypeError || err instanceof ReferenceError) throw new Error(`${event} ${payload.toString('hex')}: ${err.stack}`);
  }
}

/** Runs normalize() over every payload: each gives an event or a protobuf rejection. Returns the milliseconds. */
function normalizeAll(payloads: readonly { topic: string; payload: Buffer }[]): { ms: number; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const started = performance.now();
  for (const { topic, payload } of payloads) {
    const result = normalize(topic, payload);
    const key = result instanceof Rejection ? result.reason : 'event';
    counts[key] = (counts[key] ?? 0) + 1;
    if (result instanceof Rejection && !PROTOBUF_REJECTIONS.includes(result.reason)) {
      throw new Error(`${topic} ${payload.toString('hex')}: unexpected ${result.reason}: ${result.message}`);
    }
  }
  return { ms: performance.now() - started, counts };
}

describe('protobufjs schema: malformed messages are rejected quickly', () => {
  const valid = wireUp(stringField(4, '01a2b3c4'), varintField(7, 12), lengthDelimited(10, [0xaa]));

  /** Each of these made google-protobuf read 2^28 positions (~150 ms) or fail; all must be malformed_protobuf. */
  const HUGE: [string, Buffer][] = [
    ['a top-level string (deduplicationId)', Buffer.from([...tag(1, 2), ...HUGE_LENGTH, 0x41, 0x42])],
    ['a top-level string after valid fields', Buffer.concat([valid, Buffer.from([...tag(16, 2), ...HUGE_LENGTH]), Buffer.from('eu868')])],
    ['the deviceInfo message', Buffer.concat([valid, Buffer.from([...tag(3, 2), ...HUGE_LENGTH]), Buffer.from(EUI)])],
    ['a string inside deviceInfo', Buffer.concat([valid, lengthDelimited(3, [...tag(8, 2), ...HUGE_LENGTH], Buffer.from(EUI))])],
    ['a tag key inside deviceInfo', Buffer.concat([valid, lengthDelimited(3, lengthDelimited(9, [...tag(1, 2), ...HUGE_LENGTH], Buffer.from('k')))])],
    ['a tag value inside deviceInfo', Buffer.concat([valid, lengthDelimited(3, lengthDelimited(9, stringField(1, 'k'), [...tag(2, 2), ...HUGE_LENGTH], Buffer.from('v')))])],
    ['an object Struct key', Buffer.concat([valid, lengthDelimited(11, lengthDelimited(1, [...tag(1, 2), ...HUGE_LENGTH], Buffer.from('k')))])],
    ['an object Struct string value', Buffer.concat([valid, lengthDelimited(11, lengthDelimited(1, stringField(1, 'k'), lengthDelimited(2, [...tag(3, 2), ...HUGE_LENGTH], Buffer.from('v'))))])],
    ['a nested object Struct', Buffer.concat([valid, lengthDelimited(11, lengthDelimited(1, stringField(1, 'k'), lengthDelimited(2, [...tag(5, 2), ...HUGE_LENGTH])))])],
    ['an rxInfo gatewayId', Buffer.concat([valid, lengthDelimited(12, [...tag(1, 2), ...HUGE_LENGTH], Buffer.from('gw'))])],
    ['the data bytes', Buffer.concat([valid, Buffer.from([...tag(10, 2), ...HUGE_LENGTH, 1, 2, 3])])],
    ['an unknown field', Buffer.concat([valid, Buffer.from([...tag(99, 2), ...HUGE_LENGTH, 1, 2, 3])])],
    ['a field we do not read (relayRxInfo)', Buffer.concat([valid, Buffer.from([...tag(14, 2), ...HUGE_LENGTH, 1, 2, 3])])],
    ['the fuzz test’s 0a ff ff ff 0f prefix', Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), Buffer.from('garbage')])],
  ];

  const TRUNCATED: [string, Buffer][] = [
    ['a varint cut off at the end (fCnt)', Buffer.concat([valid, Buffer.from([...tag(7, 0), 0xff, 0xff])])],
    ['a tag varint cut off', Buffer.concat([valid, Buffer.from([0xff])])],
    ['time.seconds cut off after 3 bytes', wireUp(lengthDelimited(2, [...tag(1, 0), 0x80, 0x80, 0x80]))],
    ['time.seconds cut off after 4 bytes (protobufjs 7 accepted this)', wireUp(lengthDelimited(2, [...tag(1, 0), 0x80, 0x80, 0x80, 0x80]))],
    ['a varint of 11 bytes', wireUp(lengthDelimited(2, [...tag(1, 0), ...Array<number>(10).fill(0xff), 0x01]))],
    ['a string shorter than its length, inside deviceInfo', Buffer.concat([valid, lengthDelimited(3, [...tag(8, 2), 20], Buffer.from('0101'))])],
    ['a float cut off (rxInfo snr)', Buffer.concat([valid, lengthDelimited(12, [...tag(7, 5), 0, 0])])],
    ['a double cut off (object number)', Buffer.concat([valid, lengthDelimited(11, lengthDelimited(1, stringField(1, 'k'), lengthDelimited(2, [...tag(2, 1), 0, 0, 0])))])],
    ['a message cut inside its last field', valid.subarray(0, valid.length - 1)],
    ['a message cut inside deviceInfo', wireUp().subarray(0, wireUp().length - 4)],
  ];

  const WIRE_TYPES: [string, Buffer][] = [
    ['wire type 6', Buffer.from([...tag(1, 6), 1])],
    ['wire type 7', Buffer.concat([valid, Buffer.from([...tag(50, 7), 1])])],
    ['a start group without its end', Buffer.concat([valid, Buffer.from([...tag(50, 3), ...tag(1, 0), 1])])],
    ['an end group without a start', Buffer.concat([valid, Buffer.from([...tag(50, 4)])])],
    ['groups nested 200 deep', Buffer.concat([valid, Buffer.from(Array<number[]>(200).fill(tag(50, 3)).flat()), Buffer.from(Array<number[]>(200).fill(tag(50, 4)).flat())])],
    ['time (a message) as a varint', Buffer.concat([Buffer.from([...tag(2, 0), 5]), lengthDelimited(3, stringField(8, EUI))])],
    ['deviceInfo (a message) as fixed32', Buffer.concat([wireUp(), Buffer.from([...tag(3, 5), 1, 2, 3, 4])])],
    ['deduplicationId (a string) as fixed64', Buffer.concat([Buffer.from([...tag(1, 1), 1, 2, 3, 4, 5, 6, 7, 8]), wireUp()])],
    ['fCnt (a varint) as a group', Buffer.concat([valid, Buffer.from([...tag(7, 3), ...tag(7, 4)])])],
  ];

  it.each(HUGE)('a huge declared length in %s → malformed_protobuf', (_label, payload) => {
    expect(normalize(topicFor('up'), payload)).toMatchObject({ reason: 'malformed_protobuf' });
    // The same bytes as another event: where the field is unknown there, it is skipped by its (valid) outer length.
    for (const event of EVENTS) {
      const result = normalize(topicFor(event), payload);
      if (result instanceof Rejection) expect(PROTOBUF_REJECTIONS).toContain(result.reason);
    }
  });

  it.each(TRUNCATED)('truncated: %s → malformed_protobuf', (_label, payload) => {
    expect(normalize(topicFor('up'), payload)).toMatchObject({ reason: 'malformed_protobuf' });
  });

  it.each(WIRE_TYPES)('wrong wire type: %s → malformed_protobuf or invalid_event', (_label, payload) => {
    for (const event of EVENTS) {
      const result = normalize(topicFor(event), payload);
      if (result instanceof Rejection) expect(PROTOBUF_REJECTIONS).toContain(result.reason);
    }
  });

  it('all hand-made malformed messages together take milliseconds (google-protobuf: ~150 ms per huge length)', () => {
    const payloads = [...HUGE, ...TRUNCATED, ...WIRE_TYPES].flatMap(([, payload]) => EVENTS.map((event) => ({ topic: topicFor(event), payload })));
    const { ms } = normalizeAll(payloads);
    expect(ms).toBeLessThan(250);
  });

  it('10,000 random garbage buffers: each decodes or throws, normalize() gives an event or a protobuf rejection, in well under 2 s', () => {
    const r = new Random(0x6a5b_a6e0);
    const payloads = Array.from({ length: 10_000 }, () => {
      const payload = Buffer.from(r.bytes(r.int(1, 200)));
      while (!routedToProtobuf(payload)) payload[0] = r.int(0, 255);
      return { topic: topicFor(r.pick(EVENTS)), payload };
    });
    for (const { topic, payload } of payloads) expectDecodedOrRejected(topic, payload);
    const { ms, counts } = normalizeAll(payloads);
    expect(counts.malformed_protobuf).toBeGreaterThan(5000);
    expect(ms).toBeLessThan(2000);
  });

  it('10,000 mutated valid uplinks (bit flips, cuts, inserted bytes, inflated lengths) take well under 2 s', () => {
    const r = new Random(0x6a5b_a6e1);
    const payloads: { topic: string; payload: Buffer }[] = [];
    while (payloads.length < 10_000) {
      let bytes = randomUplink(r);
      for (let n = r.int(1, 3); n > 0 && bytes.length > 0; n--) {
        const at = r.int(0, bytes.length - 1);
        switch (r.int(0, 4)) {
          case 0:
            bytes[at]! ^= 1 << r.int(0, 7);
            break;
          case 1:
            bytes = bytes.subarray(0, at);
            break;
          case 2:
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(r.bytes(r.int(1, 8))), bytes.subarray(at)]);
            break;
          case 3:
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0x0f]), bytes.subarray(at + 1)]);
            break;
          default:
            bytes[at] = r.int(0, 255);
        }
      }
      if (routedToProtobuf(bytes)) payloads.push({ topic: topicFor('up'), payload: bytes });
    }
    for (const { topic, payload } of payloads) expectDecodedOrRejected(topic, payload);
    const { ms, counts } = normalizeAll(payloads);
    expect(counts.malformed_protobuf).toBeGreaterThan(1000);
    expect(counts.event).toBeGreaterThan(1000);
    expect(ms).toBeLessThan(2000);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Deliberate differences from google-protobuf (malformed or extreme input only)
// ---------------------------------------------------------------------------------------------------------

describe('protobufjs schema: where it deliberately differs from google-protobuf', () => {
  it('a field we do not read is skipped by its length, not parsed: bad content there is not an error', () => {
    const bytes = wireUp(lengthDelimited(15, [0xff])); // joinServerContext holding a cut-off tag
    expect(outcome(() => oracle('up', bytes))).toStrictEqual({ malformed: true });
    expect(outcome(() => normalizeV4Protobuf('up', bytes))).toHaveProperty('event');
  });

  it('invalid UTF-8 becomes U+FFFD (google-protobuf drops, mangles or throws on it; ChirpStack cannot send it)', () => {
    const up = normalizeV4Protobuf('up', wireUp(lengthDelimited(3, stringField(8, EUI), stringField(7, 'a'), [...tag(7, 2), 3, 0x61, 0xff, 0x62])));
    expect(up).toMatchObject({ device: { name: 'a\ufffdb' } });
  });

  it('objects nested up to 50 levels decode as with google-protobuf; deeper ones are rejected (protobufjs nesting limit)', () => {
    const nested = (depth: number) => {
      let o: Record<string, structPb.JavaScriptValue> = { leaf: 1 };
      for (let i = 1; i < depth; i++) o = { n: o };
      const m = UplinkEvent.deserializeBinary(wireUp());
      m.setObject(Struct.fromJavaScript(o));
      return Buffer.from(m.serializeBinary());
    };
    expectSameAsOracle('up', nested(50), '50 levels');
    // google-protobuf has no limit; protobufjs, like protoc and prost, stops at 100 nested messages (2 per level).
    expect(normalize(topicFor('up'), nested(51))).toMatchObject({ reason: 'malformed_protobuf', message: expect.stringContaining('maximum nesting depth') });
  });
});

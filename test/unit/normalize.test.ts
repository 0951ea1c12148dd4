import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import integrationPb from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/domain/events.js';
import { Rejection, type RejectionReason } from '../../src/domain/rejections.js';
import { normalize } from '../../src/normalize/index.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

type Kind = NormalizedEvent['kind'];
type EventOf<K extends Kind> = Extract<NormalizedEvent, { kind: K }>;

function expectEvent<K extends Kind>(result: NormalizedEvent | Rejection, kind: K): EventOf<K> {
  if (result instanceof Rejection) {
    throw new Error(`expected a "${kind}" event, got Rejection ${result.reason}: ${result.message}`);
  }
  expect(result.kind).toBe(kind);
  return result as EventOf<K>;
}

function expectRejection(result: NormalizedEvent | Rejection, reason: RejectionReason): Rejection {
  if (!(result instanceof Rejection)) {
    throw new Error(`expected Rejection "${reason}", got event ${JSON.stringify(comparable(result))}`);
  }
  expect(result.reason, result.message).toBe(reason);
  return result;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * A plain-data view of an event for exact comparison: `bytes` as hex (JSON gives a Buffer, protobuf a
 * Uint8Array) and optional properties that are `undefined` dropped (they mean "absent").
 */
function comparable(result: NormalizedEvent | Rejection): unknown {
  if (result instanceof Rejection) return { rejection: result.reason, message: result.message };
  const view = 'bytes' in result ? { ...result, bytes: hex(result.bytes) } : result;
  return JSON.parse(JSON.stringify(view)) as unknown;
}

const eventTopic = (applicationId: string, devEui: string, event: string) =>
  `application/${applicationId}/device/${devEui}/event/${event}`;

// ---------------------------------------------------------------------------------------------------------
// Fixtures (../shared/fixtures/chirpstack, next to this repository)
// ---------------------------------------------------------------------------------------------------------

const FIXTURES = new URL('../../../shared/fixtures/chirpstack/', import.meta.url);
const FIXTURES_PATH = fileURLToPath(FIXTURES);
const haveFixtures = existsSync(FIXTURES_PATH);
const describeFixtures = haveFixtures ? describe : describe.skip;
const fixturesTitle = haveFixtures
  ? 'ChirpStack / TTS fixtures'
  : `ChirpStack / TTS fixtures — SKIPPED: ${FIXTURES_PATH} does not exist (check out the shared fixtures next to this repository)`;

const fixture = (relative: string): Buffer => readFileSync(new URL(relative, FIXTURES));
const fixtureJson = (relative: string): Record<string, unknown> => JSON.parse(fixture(relative).toString('utf8')) as Record<string, unknown>;

/** The topic a v4 fixture would arrive on: deviceInfo.applicationId and deviceInfo.devEui of its JSON form. */
function v4Topic(name: string, event: string): string {
  const info = fixtureJson(`v4/${name}.json`).deviceInfo as { applicationId: string; devEui: string };
  return eventTopic(info.applicationId, info.devEui, event);
}

const TEST_DEVICE = {
  devEui: '0101010101010101',
  name: 'Test device',
  applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
  applicationName: 'Test application',
  deviceProfileName: 'Test device-profile',
  tags: { key: 'value' },
};

const PARKING_DEVICE = {
  devEui: '70b3d5e75e00a1b2',
  name: 'parking-bay-017',
  applicationId: '6d1f2a39-0c7e-4f5b-9a51-8e3c2b7d4f10',
  applicationName: 'parking',
  deviceProfileName: 'Parking sensor EU868',
  tags: { bay: '17', site: 'market-square', vendor: 'acme' },
};

/** `01 0e10 57 007d 019c ffa9 0409` — the parking sensor's reading, the same in v4, v3 and TTS fixtures. */
const PARKING_BYTES = '010e1057007d019cffa90409';
const PARKING_OBJECT = {
  occupied: true,
  status: 'OCCUPIED',
  battery: { voltage: 3.6, percent: 87 },
  temperature: 12.5,
  magnetometer: [412, -87, 1033],
};

interface V4Case {
  readonly file: string;
  readonly event: string;
  /** Expected normalized result without `source` (JSON form; `batteryLevel` is float32-rounded for .pb). */
  readonly expected: Record<string, unknown>;
}

const V4_CASES: readonly V4Case[] = [
  {
    file: 'up',
    event: 'up',
    expected: {
      kind: 'up',
      id: '3ac7e3c4-4401-4b8d-9386-a5c902f9202d',
      time: { ms: 1658136855775, ns: '1658136855775023242' },
      device: TEST_DEVICE,
      fCnt: 0,
      fPort: 1,
      confirmed: false,
      bytes: 'aa',
      radio: { gateways: 1, rssi: -36, snr: 10.5, gatewayId: '0016c001f153a14c', dr: 1, frequency: 867100000, spreadingFactor: 11 },
    },
  },
  {
    file: 'up-object',
    event: 'up',
    expected: {
      kind: 'up',
      id: '9f1c2e7a-5b3d-4c8e-a1f0-6d2b4e8c0a35',
      time: { ms: 1715671303512, ns: '1715671303512034000' },
      device: PARKING_DEVICE,
      fCnt: 1287,
      fPort: 2,
      confirmed: false,
      bytes: PARKING_BYTES,
      object: PARKING_OBJECT,
      // Two gateways: -97 dBm beats -112 dBm (whose SNR is the negative -3.25).
      radio: { gateways: 2, rssi: -97, snr: 7.25, gatewayId: '0016c001f1500a01', dr: 5, frequency: 867500000, spreadingFactor: 7 },
    },
  },
  {
    file: 'join',
    event: 'join',
    expected: {
      kind: 'join',
      id: 'c9dbe358-2578-4fb7-b295-66b44edc45a6',
      time: { ms: 1658136808823, ns: '1658136808823500726' },
      device: TEST_DEVICE,
      devAddr: '00189440',
    },
  },
  {
    file: 'status',
    event: 'status',
    expected: {
      kind: 'status',
      id: 'bf2a9746-1c8b-49be-a92e-f0b89c8534e4',
      time: { ms: 1658136906927, ns: '1658136906927172638' },
      device: TEST_DEVICE,
      margin: 10,
      externalPowerSource: false,
      batteryLevelUnavailable: false,
      batteryLevel: 88.3,
    },
  },
  {
    file: 'log',
    event: 'log',
    expected: {
      kind: 'log',
      time: { ms: 1658137197311, ns: '1658137197311414029' },
      device: TEST_DEVICE,
      level: 'ERROR',
      code: 'UPLINK_MIC',
      description: 'MIC of join-request is invalid, make sure keys are correct',
      context: { deduplication_id: '4e91db13-5ce3-4c8c-ab0f-dfc626cf0771' },
    },
  },
  {
    file: 'log-codec-error',
    event: 'log',
    expected: {
      kind: 'log',
      time: { ms: 1715671303744, ns: '1715671303744912318' },
      device: PARKING_DEVICE,
      level: 'ERROR',
      code: 'UPLINK_CODEC',
      description: 'decodeUplink returned errors: unknown frame type 0x07',
      context: { deduplication_id: '2c7e0b91-8d4f-4a36-b5e2-7f1a9c3d6e08' },
    },
  },
  { file: 'ack', event: 'ack', expected: { kind: 'ignored', event: 'ack' } },
  { file: 'txack', event: 'txack', expected: { kind: 'ignored', event: 'txack' } },
  { file: 'location', event: 'location', expected: { kind: 'ignored', event: 'location' } },
];

/** Down-link command bodies: not events. They are only checked on their own (command) topic. */
const DOWN_COMMANDS: readonly { readonly file: string; readonly topic: string }[] = [
  { file: 'v4/down-command.json', topic: 'application/17c82e96-be03-4f38-aef3-f83d48582d97/device/0101010101010101/command/down' },
  { file: 'v4/down-command.pb', topic: 'application/17c82e96-be03-4f38-aef3-f83d48582d97/device/0101010101010101/command/down' },
  { file: 'v4/down-command-object.json', topic: 'application/6d1f2a39-0c7e-4f5b-9a51-8e3c2b7d4f10/device/70b3d5e75e00a1b2/command/down' },
  { file: 'v4/down-command-object.pb', topic: 'application/6d1f2a39-0c7e-4f5b-9a51-8e3c2b7d4f10/device/70b3d5e75e00a1b2/command/down' },
  { file: 'v3/down-command.json', topic: 'application/1/device/70b3d5e75e00a1b2/command/down' },
];

const V3_TOPIC = 'application/1/device/70b3d5e75e00a1b2/event/up';
const TTS_TOPIC = 'v3/parking@ttn/devices/parking-bay-017/up';

const USED_FIXTURES = [
  ...V4_CASES.flatMap((c) => [`v4/${c.file}.json`, `v4/${c.file}.pb`]),
  ...DOWN_COMMANDS.map((d) => d.file),
  'v3/up.json',
  'v3/up-protobuf-json.json',
  'tts/up.json',
];

function listFiles(dir: URL, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describeFixtures(fixturesTitle, () => {
  it('every fixture file is exercised by this suite', () => {
    const present = listFiles(FIXTURES).filter((f) => f !== 'README.md').sort();
    expect(present).toEqual([...USED_FIXTURES].sort());
  });

  describe('ChirpStack v4 JSON', () => {
    it.each(V4_CASES)('v4/$file (JSON) normalizes exactly', ({ file, event, expected }) => {
      const result = normalize(v4Topic(file, event), fixture(`v4/${file}.json`));
      expect(comparable(result)).toStrictEqual({ ...expected, source: 'chirpstack_v4_json' });
    });
  });

  describe('ChirpStack v4 protobuf', () => {
    it.each(V4_CASES)('v4/$file (protobuf) normalizes exactly', ({ file, event, expected }) => {
      const result = normalize(v4Topic(file, event), fixture(`v4/${file}.pb`));
      const float32 = expected.kind === 'status' ? { batteryLevel: Math.fround(88.3) } : {};
      expect(comparable(result)).toStrictEqual({ ...expected, ...float32, source: 'chirpstack_v4_protobuf' });
    });

    it('status.pb battery level is the float32 value 88.30000305175781', () => {
      const status = expectEvent(normalize(v4Topic('status', 'status'), fixture('v4/status.pb')), 'status');
      expect(status.batteryLevel).toBe(88.30000305175781);
      expect(status.batteryLevel).toBe(Math.fround(88.3));
    });
  });

  describe('JSON and protobuf forms of the same event normalize to the same content', () => {
    it.each(V4_CASES)('$file', ({ file, event }) => {
      const topic = v4Topic(file, event);
      const json = normalize(topic, fixture(`v4/${file}.json`));
      const pb = normalize(topic, fixture(`v4/${file}.pb`));
      if (json instanceof Rejection || pb instanceof Rejection) throw new Error(`unexpected rejection: ${JSON.stringify([comparable(json), comparable(pb)])}`);
      expect(json.source).toBe('chirpstack_v4_json');
      expect(pb.source).toBe('chirpstack_v4_protobuf');
      const jsonView = json.kind === 'status' ? { ...json, batteryLevel: Math.fround(json.batteryLevel) } : json;
      expect({ ...(comparable(pb) as object), source: 'same' }).toStrictEqual({ ...(comparable(jsonView) as object), source: 'same' });
    });
  });

  describe('time keeps nanoseconds', () => {
    it.each(V4_CASES.filter((c) => c.expected.kind !== 'ignored'))('$file: ms is the truncated ns', ({ file, event }) => {
      for (const ext of ['json', 'pb']) {
        const result = normalize(v4Topic(file, event), fixture(`v4/${file}.${ext}`));
        if (result instanceof Rejection || result.kind === 'ignored') throw new Error(`unexpected ${JSON.stringify(comparable(result))}`);
        expect(result.time.ns).toMatch(/^\d{19}$/);
        expect(result.time.ms).toBe(Number(BigInt(result.time.ns) / 1_000_000n));
      }
    });

    it('up.json: "2022-07-18T09:34:15.775023242+00:00" → 1658136855775023242 ns', () => {
      const up = expectEvent(normalize(v4Topic('up', 'up'), fixture('v4/up.json')), 'up');
      expect(up.time).toStrictEqual({ ms: 1658136855775, ns: '1658136855775023242' });
    });
  });

  describe('ChirpStack v3 and The Things Stack carry the parking reading', () => {
    it('v3 json_v3 marshaler (hex EUIs, object)', () => {
      const result = normalize(V3_TOPIC, fixture('v3/up.json'));
      expect(comparable(result)).toStrictEqual({
        kind: 'up',
        source: 'chirpstack_v3_json',
        id: 'v3:70b3d5e75e00a1b2:1287:1715671303512034000',
        // json_v3 has no publishedAt: the gateway time is used.
        time: { ms: 1715671303512, ns: '1715671303512034000' },
        device: {
          devEui: '70b3d5e75e00a1b2',
          name: 'parking-bay-017',
          applicationId: '1',
          applicationName: 'parking',
          deviceProfileName: 'Parking sensor EU868',
          tags: { bay: '17', site: 'market-square' },
        },
        fCnt: 1287,
        fPort: 2,
        confirmed: false,
        bytes: PARKING_BYTES,
        object: PARKING_OBJECT,
        radio: { gateways: 1, rssi: -97, snr: 7.25, gatewayId: '0016c001f1500a01', dr: 5, frequency: 867500000 },
      });
    });

    it('v3 json marshaler (base64 EUIs, objectJSON string)', () => {
      const up = expectEvent(normalize(V3_TOPIC, fixture('v3/up-protobuf-json.json')), 'up');
      const { gatewayId: _gatewayId, ...radio } = up.radio;
      expect(comparable({ ...up, radio })).toStrictEqual({
        kind: 'up',
        source: 'chirpstack_v3_pbjson',
        id: 'v3:70b3d5e75e00a1b2:1287:1715671303731254000',
        time: { ms: 1715671303731, ns: '1715671303731254000' },
        device: {
          devEui: '70b3d5e75e00a1b2',
          name: 'parking-bay-017',
          applicationId: '1',
          applicationName: 'parking',
          deviceProfileName: 'Parking sensor EU868',
          tags: { bay: '17', site: 'market-square' },
        },
        fCnt: 1287,
        fPort: 2,
        confirmed: false,
        bytes: PARKING_BYTES,
        object: PARKING_OBJECT,
        radio: { gateways: 1, rssi: -97, snr: 7.25, dr: 5, frequency: 867500000, spreadingFactor: 7 },
      });
    });

    it('TTS uplink (uppercase dev_eui, frm_payload, decoded_payload, frequency as a string)', () => {
      const result = normalize(TTS_TOPIC, fixture('tts/up.json'));
      expect(comparable(result)).toStrictEqual({
        kind: 'up',
        source: 'tts_v3',
        id: 'tts:70b3d5e75e00a1b2:1287:1715671303731254871',
        time: { ms: 1715671303731, ns: '1715671303731254871' },
        device: { devEui: '70b3d5e75e00a1b2', name: 'parking-bay-017', applicationId: 'parking', tags: {} },
        fCnt: 1287,
        fPort: 2,
        confirmed: false,
        bytes: PARKING_BYTES,
        object: PARKING_OBJECT,
        radio: { gateways: 1, rssi: -97, snr: 7.25, gatewayId: '0016c001f1500a01', frequency: 867500000, spreadingFactor: 7 },
      });
    });

    it('v4 up-object, v3 (both marshalers) and TTS agree on devEui, object, bytes, counters and best RSSI/SNR', () => {
      const all = [
        normalize(v4Topic('up-object', 'up'), fixture('v4/up-object.json')),
        normalize(v4Topic('up-object', 'up'), fixture('v4/up-object.pb')),
        normalize(V3_TOPIC, fixture('v3/up.json')),
        normalize(V3_TOPIC, fixture('v3/up-protobuf-json.json')),
        normalize(TTS_TOPIC, fixture('tts/up.json')),
      ].map((r) => expectEvent(r, 'up'));
      for (const up of all) {
        expect({
          devEui: up.device.devEui,
          object: up.object,
          bytes: hex(up.bytes),
          fCnt: up.fCnt,
          fPort: up.fPort,
          rssi: up.radio.rssi,
          snr: up.radio.snr,
          frequency: up.radio.frequency,
        }).toStrictEqual({
          devEui: '70b3d5e75e00a1b2',
          object: PARKING_OBJECT,
          bytes: PARKING_BYTES,
          fCnt: 1287,
          fPort: 2,
          rssi: -97,
          snr: 7.25,
          frequency: 867500000,
        });
      }
    });
  });

  describe('down-link commands are not events', () => {
    it.each(DOWN_COMMANDS)('$file on its …/command/down topic is rejected as unexpected_topic', ({ file, topic }) => {
      const rejection = expectRejection(normalize(topic, fixture(file)), 'unexpected_topic');
      expect(rejection.message).toContain('/command/down');
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Hand-made input (no fixtures needed)
// ---------------------------------------------------------------------------------------------------------

const APP_ID = '6d1f2a39-0c7e-4f5b-9a51-8e3c2b7d4f10';
const EUI = '70b3d5e75e00a1b2';
const UP_TOPIC = eventTopic(APP_ID, EUI, 'up');

/** A minimal ChirpStack v4 JSON uplink; `undefined` in the overrides removes a key. */
function v4Up(overrides: Record<string, unknown> = {}, deviceInfo: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      deduplicationId: '0f6a7a4e-2c51-4a8e-9c3e-5b8f1d2a7c90',
      time: '2024-05-14T07:21:43.512034+00:00',
      deviceInfo: { applicationId: APP_ID, devEui: EUI, deviceClassEnabled: 'CLASS_A', tags: {}, ...deviceInfo },
      devAddr: '01a2b3c4',
      adr: false,
      dr: 5,
      fCnt: 7,
      fPort: 2,
      confirmed: false,
      data: 'AQI=',
      rxInfo: [{ gatewayId: '0016c001f1500a01', rssi: -80, snr: 5.5 }],
      txInfo: { frequency: 868100000, modulation: { lora: { bandwidth: 125000, spreadingFactor: 9, codeRate: 'CR_4_5' } } },
      regionConfigId: 'eu868',
      ...overrides,
    }),
  );
}

const { UplinkEvent, StatusEvent, DeviceInfo } = integrationPb;
const { Timestamp } = timestampPb;

describe('normalize: hand-made ChirpStack v4 input', () => {
  it('a minimal JSON uplink normalizes', () => {
    expect(comparable(normalize(UP_TOPIC, v4Up()))).toStrictEqual({
      kind: 'up',
      source: 'chirpstack_v4_json',
      id: '0f6a7a4e-2c51-4a8e-9c3e-5b8f1d2a7c90',
      time: { ms: 1715671303512, ns: '1715671303512034000' },
      device: { devEui: EUI, applicationId: APP_ID, tags: {} },
      fCnt: 7,
      fPort: 2,
      confirmed: false,
      bytes: '0102',
      radio: { gateways: 1, rssi: -80, snr: 5.5, gatewayId: '0016c001f1500a01', dr: 5, frequency: 868100000, spreadingFactor: 9 },
    });
  });

  it('leading whitespace before the JSON object is accepted', () => {
    expectEvent(normalize(UP_TOPIC, Buffer.concat([Buffer.from(' \r\n\t'), v4Up()])), 'up');
  });

  it('lowercases an uppercase devEui', () => {
    const up = expectEvent(normalize(UP_TOPIC, v4Up({}, { devEui: '70B3D5E75E00A1B2' })), 'up');
    expect(up.device.devEui).toBe('70b3d5e75e00a1b2');
  });

  it('picks the gateway with the highest RSSI and counts all gateways', () => {
    const rxInfo = [
      { gatewayId: 'aa00000000000001', rssi: -110, snr: -7.5 },
      { gatewayId: 'aa00000000000002', rssi: -60, snr: 9 },
      { gatewayId: 'aa00000000000003', rssi: -90, snr: 11 },
    ];
    const up = expectEvent(normalize(UP_TOPIC, v4Up({ rxInfo })), 'up');
    expect(up.radio).toMatchObject({ gateways: 3, rssi: -60, snr: 9, gatewayId: 'aa00000000000002' });
  });

  it('fPort 0 (MAC-only) with empty data gives zero bytes', () => {
    const up = expectEvent(normalize(UP_TOPIC, v4Up({ fPort: 0, data: '' })), 'up');
    expect(up.fPort).toBe(0);
    expect(up.bytes).toHaveLength(0);
  });

  it('accepts URL-safe base64 and missing padding in data', () => {
    expect(hex(expectEvent(normalize(UP_TOPIC, v4Up({ data: 'AQ4QVwB9AZz_qQQJ' })), 'up').bytes)).toBe(PARKING_BYTES);
    expect(hex(expectEvent(normalize(UP_TOPIC, v4Up({ data: 'qg' })), 'up').bytes)).toBe('aa');
  });

  describe('RFC 3339 times: Z or +00:00, 0/3/6/9 fraction digits, exact nanoseconds', () => {
    it.each([
      ['2024-05-14T07:21:43+00:00', 1715671303000, '1715671303000000000'],
      ['2024-05-14T07:21:43Z', 1715671303000, '1715671303000000000'],
      ['2024-05-14T07:21:43.512+00:00', 1715671303512, '1715671303512000000'],
      ['2024-05-14T07:21:43.512Z', 1715671303512, '1715671303512000000'],
      ['2024-05-14T07:21:43.512034+00:00', 1715671303512, '1715671303512034000'],
      ['2024-05-14T07:21:43.512034Z', 1715671303512, '1715671303512034000'],
      ['2024-05-14T07:21:43.512034123+00:00', 1715671303512, '1715671303512034123'],
      ['2024-05-14T07:21:43.512034123Z', 1715671303512, '1715671303512034123'],
      ['2024-05-14T07:21:43.000000001Z', 1715671303000, '1715671303000000001'],
      ['2024-05-14T07:21:43.999999999+00:00', 1715671303999, '1715671303999999999'],
      ['2024-05-14T09:21:43.512034123+02:00', 1715671303512, '1715671303512034123'],
      ['2024-05-14T05:51:43.5-01:30', 1715671303500, '1715671303500000000'],
    ])('%s → %s ms, %s ns', (time, ms, ns) => {
      const up = expectEvent(normalize(UP_TOPIC, v4Up({ time })), 'up');
      expect(up.time).toStrictEqual({ ms, ns });
    });
  });

  describe('rejections', () => {
    it('malformed JSON → malformed_json', () => {
      expectRejection(normalize(UP_TOPIC, Buffer.from('{"a":')), 'malformed_json');
    });

    it('JSON without deviceInfo or applicationID → unsupported_format', () => {
      expectRejection(normalize(UP_TOPIC, Buffer.from('{"devAddr":"01a2b3c4","fCnt":1}')), 'unsupported_format');
      expectRejection(normalize(UP_TOPIC, Buffer.from('{}')), 'unsupported_format');
    });

    it('protobuf garbage on an event topic → malformed_protobuf', () => {
      for (const event of ['up', 'status', 'join', 'log']) {
        const topic = eventTopic(APP_ID, EUI, event);
        expectRejection(normalize(topic, Buffer.from([0xff, 0xff, 0xff])), 'malformed_protobuf');
        expectRejection(normalize(topic, Buffer.from([0xde, 0xad, 0xbe, 0xef])), 'malformed_protobuf');
      }
    });

    it.each(['q!==', 'abcde', 'AQ4Q VwB9', 'ab=c', 'a==='])('data %j → bad_base64', (data) => {
      const rejection = expectRejection(normalize(UP_TOPIC, v4Up({ data })), 'bad_base64');
      expect(rejection.message).toContain('data');
    });

    it.each(['0101', '70b3d5e75e00a1b2ff', 'zz01010101010101', '70b3d5e7-5e00a1b2', ''])('devEui %j → invalid_event naming deviceInfo.devEui', (devEui) => {
      const rejection = expectRejection(normalize(UP_TOPIC, v4Up({}, { devEui })), 'invalid_event');
      expect(rejection.message).toContain('deviceInfo.devEui');
    });

    it('devEui missing → invalid_event naming deviceInfo.devEui', () => {
      const rejection = expectRejection(normalize(UP_TOPIC, v4Up({}, { devEui: undefined })), 'invalid_event');
      expect(rejection.message).toContain('deviceInfo.devEui');
    });

    it('missing time → invalid_event', () => {
      for (const event of ['up', 'status', 'join', 'log']) {
        const rejection = expectRejection(normalize(eventTopic(APP_ID, EUI, event), v4Up({ time: undefined })), 'invalid_event');
        expect(rejection.message).toMatch(/^time: /);
      }
    });

    it.each([
      '2024-05-14T07:21:43.512034',
      '2024-05-14T07:21:43',
      '2024-05-14 07:21:43Z',
      '2024-05-14T07:21:43.1234567890Z',
      '2024-05-14T07:21:43.Z',
      '2024-05-14',
      '1715671303512',
      'yesterday',
    ])('time %j → invalid_event', (time) => {
      const rejection = expectRejection(normalize(UP_TOPIC, v4Up({ time })), 'invalid_event');
      expect(rejection.message).toMatch(/^time: /);
    });

    it('time as a number → invalid_event', () => {
      expectRejection(normalize(UP_TOPIC, v4Up({ time: 1715671303512 })), 'invalid_event');
    });

    it.each([
      'application/6d1f2a39-0c7e-4f5b-9a51-8e3c2b7d4f10/device/70b3d5e75e00a1b2/command/down',
      'application/6d1f2a39-0c7e-4f5b-9a51-8e3c2b7d4f10/device/70b3d5e75e00a1b2/event/up/extra',
      'application//device/70b3d5e75e00a1b2/event/up',
      'gateway/0016c001f1500a01/event/up',
      'v3/parking@ttn/devices/parking-bay-017',
      'foo',
      '',
    ])('topic %j → unexpected_topic', (topic) => {
      expectRejection(normalize(topic, v4Up()), 'unexpected_topic');
    });
  });
});

describe('normalize: hand-made ChirpStack v4 protobuf', () => {
  function pbUp(options: { devEui?: string; withTime?: boolean } = {}): Buffer {
    const m = new UplinkEvent();
    m.setDeduplicationId('0f6a7a4e-2c51-4a8e-9c3e-5b8f1d2a7c90');
    if (options.withTime !== false) {
      const ts = new Timestamp();
      ts.setSeconds(1715671303);
      ts.setNanos(1);
      m.setTime(ts);
    }
    const info = new DeviceInfo();
    info.setApplicationId(APP_ID);
    info.setDevEui(options.devEui ?? EUI);
    m.setDeviceInfo(info);
    m.setFCnt(3);
    m.setFPort(5);
    m.setData(new Uint8Array([0xca, 0xfe]));
    return Buffer.from(m.serializeBinary());
  }

  it('decodes a minimal uplink, keeping nanoseconds', () => {
    expect(comparable(normalize(UP_TOPIC, pbUp()))).toStrictEqual({
      kind: 'up',
      source: 'chirpstack_v4_protobuf',
      id: '0f6a7a4e-2c51-4a8e-9c3e-5b8f1d2a7c90',
      time: { ms: 1715671303000, ns: '1715671303000000001' },
      device: { devEui: EUI, applicationId: APP_ID, tags: {} },
      fCnt: 3,
      fPort: 5,
      confirmed: false,
      bytes: 'cafe',
      radio: { gateways: 0, dr: 0 },
    });
  });

  it('uppercase devEui is lowercased; a bad devEui → invalid_event naming deviceInfo.devEui', () => {
    expect(expectEvent(normalize(UP_TOPIC, pbUp({ devEui: '70B3D5E75E00A1B2' })), 'up').device.devEui).toBe(EUI);
    const rejection = expectRejection(normalize(UP_TOPIC, pbUp({ devEui: 'not-an-eui' })), 'invalid_event');
    expect(rejection.message).toContain('deviceInfo.devEui');
  });

  it('missing time → invalid_event', () => {
    const rejection = expectRejection(normalize(UP_TOPIC, pbUp({ withTime: false })), 'invalid_event');
    expect(rejection.message).toMatch(/^time: /);
  });

  it('missing deviceInfo → invalid_event', () => {
    const m = new StatusEvent();
    const ts = new Timestamp();
    ts.setSeconds(1715671303);
    m.setTime(ts);
    expectRejection(normalize(eventTopic(APP_ID, EUI, 'status'), Buffer.from(m.serializeBinary())), 'invalid_event');
  });
});

describe('normalize: hand-made ChirpStack v3 and The Things Stack input', () => {
  const TTS = 'v3/parking@ttn/devices/parking-bay-017/up';

  function ttsUp(endDeviceIds: Record<string, unknown> | undefined): Buffer {
    return Buffer.from(
      JSON.stringify({
        end_device_ids: endDeviceIds,
        received_at: '2024-05-14T07:21:43.731254871Z',
        uplink_message: { f_port: 2, f_cnt: 5, frm_payload: 'AQI=', rx_metadata: [], settings: { frequency: '868100000' } },
      }),
    );
  }

  it('a TTS uplink with uppercase dev_eui normalizes; f_cnt/f_port/frm_payload may be omitted', () => {
    const up = expectEvent(normalize(TTS, ttsUp({ device_id: 'bay-1', dev_eui: 'ABCDEF0123456789' })), 'up');
    expect(up.device.devEui).toBe('abcdef0123456789');
    expect(up.radio.frequency).toBe(868100000);
    const empty = Buffer.from(JSON.stringify({ end_device_ids: { dev_eui: 'ABCDEF0123456789' }, received_at: '2024-05-14T07:21:43Z', uplink_message: {} }));
    const bare = expectEvent(normalize(TTS, empty), 'up');
    expect({ fCnt: bare.fCnt, fPort: bare.fPort, bytes: hex(bare.bytes), gateways: bare.radio.gateways }).toStrictEqual({ fCnt: 0, fPort: 0, bytes: '', gateways: 0 });
  });

  it('TTS without end_device_ids → unsupported_format', () => {
    expectRejection(normalize(TTS, ttsUp(undefined)), 'unsupported_format');
  });

  it('TTS without dev_eui → invalid_event', () => {
    const rejection = expectRejection(normalize(TTS, ttsUp({ device_id: 'bay-1' })), 'invalid_event');
    expect(rejection.message).toContain('end_device_ids.dev_eui');
  });

  it('TTS: a JSON array → unsupported_format, broken JSON → malformed_json', () => {
    expectRejection(normalize(TTS, Buffer.from('[{"end_device_ids":{}}]')), 'unsupported_format');
    expectRejection(normalize(TTS, Buffer.from('{"a":')), 'malformed_json');
  });

  it('TTS: bad frm_payload → bad_base64', () => {
    const body = { end_device_ids: { dev_eui: 'ABCDEF0123456789' }, received_at: '2024-05-14T07:21:43Z', uplink_message: { frm_payload: 'q!==' } };
    expectRejection(normalize(TTS, Buffer.from(JSON.stringify(body))), 'bad_base64');
  });

  it('TTS events other than up are ignored', () => {
    const result = normalize('v3/parking@ttn/devices/parking-bay-017/down/queued', ttsUp({ dev_eui: 'ABCDEF0123456789' }));
    expect(comparable(result)).toStrictEqual({ kind: 'ignored', source: 'tts_v3', event: 'down/queued' });
  });

  it('v3: base64 devEUI (json marshaler) and hex devEUI (json_v3) give the same lowercase devEui', () => {
    const body = (devEUI: string) =>
      Buffer.from(JSON.stringify({ applicationID: '1', devEUI, rxInfo: [{ time: '2024-05-14T07:21:43Z', rssi: -90, loRaSNR: 1 }], fCnt: 1, fPort: 1, data: 'AQ==' }));
    const topic = 'application/1/device/70b3d5e75e00a1b2/event/up';
    expect(expectEvent(normalize(topic, body('cLPV514AobI=')), 'up').device.devEui).toBe(EUI);
    expect(expectEvent(normalize(topic, body('70B3D5E75E00A1B2')), 'up').device.devEui).toBe(EUI);
    expectRejection(normalize(topic, body('cLPV514A')), 'invalid_event');
  });

  it('v3: other events are ignored', () => {
    const result = normalize('application/1/device/70b3d5e75e00a1b2/event/error', Buffer.from('{"applicationID":"1","devEUI":"70b3d5e75e00a1b2","type":"UPLINK_CODEC"}'));
    expect(comparable(result)).toStrictEqual({ kind: 'ignored', source: 'chirpstack_v3_json', event: 'error' });
  });

  it('v3: objectJSON that is not JSON → invalid_event', () => {
    const body = { applicationID: '1', devEUI: EUI, publishedAt: '2024-05-14T07:21:43Z', fCnt: 1, fPort: 1, data: 'AQ==', objectJSON: '{nope' };
    const rejection = expectRejection(normalize('application/1/device/70b3d5e75e00a1b2/event/up', Buffer.from(JSON.stringify(body))), 'invalid_event');
    expect(rejection.message).toContain('objectJSON');
  });
});

import type { DeviceInfo, Instant, NormalizedEvent } from '../domain/events.js';
import {
  JoinEvent,
  LogCode,
  LogEvent,
  LogLevel,
  StatusEvent,
  UplinkEvent,
  bytesView,
  int64ToNumber,
  stringMapToObject,
  structToJavaScript,
  type PbDeviceInfo,
  type PbTimestamp,
  type PbUplinkRxInfo,
} from './chirpstack-v4-schema.js';
import { FieldProblem, devEui, instantFrom } from './fields.js';

function time(ts: PbTimestamp | null): Instant {
  if (!ts) throw new FieldProblem('invalid_event', 'time: missing');
  return instantFrom(int64ToNumber(ts.seconds), ts.nanos);
}

const opt = (s: string) => (s === '' ? undefined : s);

function device(info: PbDeviceInfo | null): DeviceInfo {
  if (!info) throw new FieldProblem('invalid_event', 'deviceInfo: missing');
  return {
    devEui: devEui(info.devEui, 'deviceInfo.devEui'),
    name: opt(info.deviceName),
    applicationId: opt(info.applicationId),
    applicationName: opt(info.applicationName),
    deviceProfileName: opt(info.deviceProfileName),
    tags: stringMapToObject(info.tags),
  };
}

/**
 * ChirpStack v4 protobuf events (`json = false`), decoded with protobufjs against the part of ChirpStack's
 * schema we read (chirpstack-v4-schema.ts). The topic's event name selects the message type.
 *
 * protobufjs rather than google-protobuf: google-protobuf's string reader does not check a declared length
 * against the end of the message, so one small message claiming a huge string cost ~150 ms of CPU; here it is
 * rejected at once. The output is the same as with google-protobuf (test/unit/protobuf-schema.test.ts).
 */
export function normalizeV4Protobuf(event: string, bytes: Uint8Array): NormalizedEvent {
  const source = 'chirpstack_v4_protobuf' as const;
  switch (event) {
    case 'up': {
      const m = UplinkEvent.decode(bytes);
      const rx = m.rxInfo;
      let best: PbUplinkRxInfo | undefined;
      for (const r of rx) if (best === undefined || r.rssi > best.rssi) best = r;
      const tx = m.txInfo;
      const lora = tx?.modulation?.lora;
      const object = m.object ? structToJavaScript(m.object) : undefined;
      return {
        kind: 'up',
        source,
        id: m.deduplicationId,
        time: time(m.time),
        device: device(m.deviceInfo),
        fCnt: m.fCnt,
        fPort: m.fPort,
        confirmed: m.confirmed,
        bytes: bytesView(m.data),
        ...(object ? { object } : {}),
        radio: {
          gateways: rx.length,
          ...(best ? { rssi: best.rssi, snr: best.snr, gatewayId: best.gatewayId } : {}),
          dr: m.dr,
          frequency: tx?.frequency,
          spreadingFactor: lora?.spreadingFactor,
        },
      };
    }
    case 'status': {
      const m = StatusEvent.decode(bytes);
      return {
        kind: 'status',
        source,
        id: m.deduplicationId,
        time: time(m.time),
        device: device(m.deviceInfo),
        margin: m.margin,
        externalPowerSource: m.externalPowerSource,
        batteryLevelUnavailable: m.batteryLevelUnavailable,
        batteryLevel: m.batteryLevel,
      };
    }
    case 'join': {
      const m = JoinEvent.decode(bytes);
      return { kind: 'join', source, id: m.deduplicationId, time: time(m.time), device: device(m.deviceInfo), devAddr: m.devAddr };
    }
    case 'log': {
      const m = LogEvent.decode(bytes);
      return {
        kind: 'log',
        source,
        time: time(m.time),
        device: device(m.deviceInfo),
        level: LogLevel[m.level] ?? String(m.level),
        code: LogCode[m.code] ?? String(m.code),
        description: m.description,
        context: stringMapToObject(m.context),
      };
    }
    default:
      return { kind: 'ignored', source, event };
  }
}

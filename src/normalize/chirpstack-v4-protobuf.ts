import integrationPb from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import type { DeviceInfo, Instant, NormalizedEvent } from '../domain/events.js';
import { FieldProblem, devEui, instantFrom } from './fields.js';

const { UplinkEvent, StatusEvent, JoinEvent, LogEvent, LogCode, LogLevel } = integrationPb;
type Timestamp = { getSeconds(): number; getNanos(): number } | undefined;
type PbDeviceInfo = ReturnType<InstanceType<typeof UplinkEvent>['getDeviceInfo']>;

const logCodeName = Object.fromEntries(Object.entries(LogCode).map(([k, v]) => [v, k])) as Record<number, string>;
const logLevelName = Object.fromEntries(Object.entries(LogLevel).map(([k, v]) => [v, k])) as Record<number, string>;

function time(ts: Timestamp): Instant {
  if (!ts) throw new FieldProblem('invalid_event', 'time: missing');
  return instantFrom(ts.getSeconds(), ts.getNanos());
}

function device(info: PbDeviceInfo): DeviceInfo {
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

/**
 * ChirpStack v4 protobuf events (`json = false`), decoded with ChirpStack's own generated classes
 * from `@chirpstack/chirpstack-api`. The topic's event name selects the message type.
 */
export function normalizeV4Protobuf(event: string, bytes: Uint8Array): NormalizedEvent {
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
        time: time(m.getTime()),
        device: device(m.getDeviceInfo()),
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
        time: time(m.getTime()),
        device: device(m.getDeviceInfo()),
        margin: m.getMargin(),
        externalPowerSource: m.getExternalPowerSource(),
        batteryLevelUnavailable: m.getBatteryLevelUnavailable(),
        batteryLevel: m.getBatteryLevel(),
      };
    }
    case 'join': {
      const m = JoinEvent.deserializeBinary(bytes);
      return { kind: 'join', source, id: m.getDeduplicationId(), time: time(m.getTime()), device: device(m.getDeviceInfo()), devAddr: m.getDevAddr() };
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
        time: time(m.getTime()),
        device: device(m.getDeviceInfo()),
        level: logLevelName[m.getLevel()] ?? String(m.getLevel()),
        code: logCodeName[m.getCode()] ?? String(m.getCode()),
        description: m.getDescription(),
        context,
      };
    }
    default:
      return { kind: 'ignored', source, event };
  }
}

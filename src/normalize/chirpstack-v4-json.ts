import type { DeviceInfo, NormalizedEvent, RadioInfo } from '../domain/events.js';
import { FieldProblem, base64, bool, devEui, isObject, num, obj, optNum, optObj, optStr, parseTime, str, stringMap, type Json } from './fields.js';

export function deviceInfoV4(body: Json): DeviceInfo {
  const d = obj(body, 'deviceInfo', 'deviceInfo');
  return {
    devEui: devEui(str(d, 'devEui', 'deviceInfo.devEui'), 'deviceInfo.devEui'),
    name: optStr(d, 'deviceName', 'deviceInfo.deviceName'),
    applicationId: optStr(d, 'applicationId', 'deviceInfo.applicationId'),
    applicationName: optStr(d, 'applicationName', 'deviceInfo.applicationName'),
    deviceProfileName: optStr(d, 'deviceProfileName', 'deviceInfo.deviceProfileName'),
    tags: stringMap(d, 'tags', 'deviceInfo.tags'),
  };
}

/** Best gateway by RSSI (ChirpStack sends one entry per receiving gateway after deduplication). */
export function bestGateway(rxInfo: readonly Json[]): Pick<RadioInfo, 'rssi' | 'snr' | 'gatewayId'> {
  let best: Json | undefined;
  for (const rx of rxInfo) {
    if (typeof rx.rssi === 'number' && (best === undefined || rx.rssi > (best.rssi as number))) best = rx;
  }
  if (!best) return {};
  return {
    rssi: best.rssi as number,
    // pbjson omits gw.* fields at their default, so a LoRa SNR of exactly 0 dB arrives as a missing key.
    snr: typeof best.snr === 'number' ? best.snr : 0,
    gatewayId: typeof best.gatewayId === 'string' ? best.gatewayId : undefined,
  };
}

/** ChirpStack v4 JSON (pbjson) events: `application/{app}/device/{eui}/event/{event}` with `json = true`. */
export function normalizeV4Json(event: string, body: Json): NormalizedEvent {
  const source = 'chirpstack_v4_json' as const;
  switch (event) {
    case 'up': {
      const rxInfo = body.rxInfo;
      if (!Array.isArray(rxInfo)) throw new FieldProblem('invalid_event', 'rxInfo: expected an array');
      const txInfo = optObj(body, 'txInfo', 'txInfo');
      const lora = txInfo && isObject(txInfo.modulation) && isObject(txInfo.modulation.lora) ? txInfo.modulation.lora : undefined;
      const object = optObj(body, 'object', 'object');
      return {
        kind: 'up',
        source,
        id: str(body, 'deduplicationId', 'deduplicationId'),
        time: parseTime(str(body, 'time', 'time'), 'time'),
        device: deviceInfoV4(body),
        fCnt: num(body, 'fCnt', 'fCnt', 0),
        fPort: num(body, 'fPort', 'fPort', 0),
        confirmed: bool(body, 'confirmed', 'confirmed'),
        bytes: base64(typeof body.data === 'string' ? body.data : '', 'data'),
        ...(object ? { object } : {}),
        radio: {
          gateways: rxInfo.length,
          ...bestGateway(rxInfo.filter(isObject)),
          dr: optNum(body, 'dr', 'dr'),
          frequency: txInfo ? optNum(txInfo, 'frequency', 'txInfo.frequency') : undefined,
          spreadingFactor: lora ? optNum(lora, 'spreadingFactor', 'txInfo.modulation.lora.spreadingFactor') : undefined,
        },
      };
    }
    case 'status':
      return {
        kind: 'status',
        source,
        id: str(body, 'deduplicationId', 'deduplicationId'),
        time: parseTime(str(body, 'time', 'time'), 'time'),
        device: deviceInfoV4(body),
        margin: num(body, 'margin', 'margin', 0),
        externalPowerSource: bool(body, 'externalPowerSource', 'externalPowerSource'),
        batteryLevelUnavailable: bool(body, 'batteryLevelUnavailable', 'batteryLevelUnavailable'),
        batteryLevel: num(body, 'batteryLevel', 'batteryLevel', 0),
      };
    case 'join':
      return {
        kind: 'join',
        source,
        id: str(body, 'deduplicationId', 'deduplicationId'),
        time: parseTime(str(body, 'time', 'time'), 'time'),
        device: deviceInfoV4(body),
        devAddr: optStr(body, 'devAddr', 'devAddr') ?? '',
      };
    case 'log':
      return {
        kind: 'log',
        source,
        time: parseTime(str(body, 'time', 'time'), 'time'),
        device: deviceInfoV4(body),
        level: optStr(body, 'level', 'level') ?? 'INFO',
        code: optStr(body, 'code', 'code') ?? 'UNKNOWN',
        description: optStr(body, 'description', 'description') ?? '',
        context: stringMap(body, 'context', 'context'),
      };
    default:
      return { kind: 'ignored', source, event };
  }
}

import type { DeviceInfo, NormalizedEvent } from '../domain/events.js';
import { FieldProblem, base64, bool, devEui, isObject, num, optNum, optObj, optStr, parseTime, str, stringMap, type Json } from './fields.js';
import { instantFromMs } from './fields.js';

const HEX = /^[0-9a-fA-F]+$/;

/** v3 `json` (protobuf JSON) marshaler writes EUIs as base64; `json_v3` writes hex. */
function eui(value: string, path: string): string {
  if (value.length === 16 && HEX.test(value)) return devEui(value, path);
  return devEui(Buffer.from(base64(value, path)).toString('hex'), path);
}

/** Gateway ids are hex in `json_v3` and base64 in the `json` marshaler. */
function gatewayHex(id: string): string {
  if (id.length === 16 && HEX.test(id)) return id.toLowerCase();
  try {
    return Buffer.from(base64(id, 'rxInfo.gatewayID')).toString('hex');
  } catch {
    return id;
  }
}

function deviceInfo(body: Json): DeviceInfo {
  return {
    devEui: eui(str(body, 'devEUI', 'devEUI'), 'devEUI'),
    name: optStr(body, 'deviceName', 'deviceName'),
    applicationId: optStr(body, 'applicationID', 'applicationID'),
    applicationName: optStr(body, 'applicationName', 'applicationName'),
    deviceProfileName: optStr(body, 'deviceProfileName', 'deviceProfileName'),
    tags: stringMap(body, 'tags', 'tags'),
  };
}

/**
 * ChirpStack Application Server v3 events, both JSON marshalers: `json_v3` (hex EUIs, `object`) and
 * `json` (protobuf JSON: base64 EUIs, `objectJSON` string). v3 has no deduplication id, so the uplink id
 * is derived from DevEUI and fCnt (what v3 itself deduplicates on).
 */
export function normalizeV3(event: string, body: Json): NormalizedEvent {
  const pbjson = typeof body.objectJSON === 'string' || typeof body.publishedAt === 'string' || isObject(body.txInfo) && 'loRaModulationInfo' in body.txInfo;
  const source = pbjson ? ('chirpstack_v3_pbjson' as const) : ('chirpstack_v3_json' as const);
  if (event !== 'up') return { kind: 'ignored', source, event };

  const device = deviceInfo(body);
  const rxInfo = Array.isArray(body.rxInfo) ? body.rxInfo.filter(isObject) : [];
  let best: Json | undefined;
  for (const rx of rxInfo) if (typeof rx.rssi === 'number' && (!best || rx.rssi > (best.rssi as number))) best = rx;
  const rxTime = rxInfo.find((rx) => typeof rx.time === 'string')?.time as string | undefined;
  const timeText = optStr(body, 'publishedAt', 'publishedAt') ?? rxTime;
  // json_v3 carries no server timestamp at all when no gateway has time; fall back to arrival time.
  const time = timeText ? parseTime(timeText, 'publishedAt') : instantFromMs(Date.now());

  let object: Record<string, unknown> | undefined = optObj(body, 'object', 'object');
  const objectJson = optStr(body, 'objectJSON', 'objectJSON');
  if (!object && objectJson) {
    try {
      const parsed: unknown = JSON.parse(objectJson);
      if (isObject(parsed)) object = parsed;
    } catch {
      throw new FieldProblem('invalid_event', 'objectJSON: not valid JSON');
    }
  }
  const txInfo = optObj(body, 'txInfo', 'txInfo');
  const lora = txInfo && isObject(txInfo.loRaModulationInfo) ? txInfo.loRaModulationInfo : undefined;
  const fCnt = num(body, 'fCnt', 'fCnt', 0);
  return {
    kind: 'up',
    source,
    id: `v3:${device.devEui}:${fCnt}:${time.ns}`,
    time,
    device,
    fCnt,
    fPort: num(body, 'fPort', 'fPort', 0),
    confirmed: bool(body, 'confirmedUplink', 'confirmedUplink'),
    bytes: base64(typeof body.data === 'string' ? body.data : '', 'data'),
    ...(object ? { object } : {}),
    radio: {
      gateways: rxInfo.length,
      ...(best
        ? {
            rssi: best.rssi as number,
            snr: typeof best.loRaSNR === 'number' ? best.loRaSNR : undefined,
            gatewayId: typeof best.gatewayID === 'string' ? gatewayHex(best.gatewayID) : undefined,
          }
        : {}),
      dr: optNum(body, 'dr', 'dr') ?? (txInfo ? optNum(txInfo, 'dr', 'txInfo.dr') : undefined),
      frequency: txInfo ? optNum(txInfo, 'frequency', 'txInfo.frequency') : undefined,
      spreadingFactor: lora ? optNum(lora, 'spreadingFactor', 'txInfo.loRaModulationInfo.spreadingFactor') : undefined,
    },
  };
}

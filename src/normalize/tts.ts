import type { NormalizedEvent } from '../domain/events.js';
import { FieldProblem, base64, devEui, isObject, num, obj, optNum, optObj, optStr, parseTime, str, stringMap, type Json } from './fields.js';

/**
 * The Things Stack v3 MQTT uplinks (`v3/{app}@{tenant}/devices/{id}/up`). snake_case; empty, zero and false
 * fields are omitted, so `f_port`/`f_cnt` may be missing. Only `up` is stored; other TTS topics are ignored.
 */
export function normalizeTts(event: string, body: Json): NormalizedEvent {
  const source = 'tts_v3' as const;
  if (event !== 'up') return { kind: 'ignored', source, event };
  const ids = obj(body, 'end_device_ids', 'end_device_ids');
  const eui = optStr(ids, 'dev_eui', 'end_device_ids.dev_eui');
  if (!eui) throw new FieldProblem('invalid_event', 'end_device_ids.dev_eui: missing (only LoRaWAN devices with a DevEUI are supported)');
  const up = obj(body, 'uplink_message', 'uplink_message');
  const appIds = optObj(ids, 'application_ids', 'end_device_ids.application_ids');
  const versionIds = optObj(up, 'version_ids', 'uplink_message.version_ids');
  const rx = Array.isArray(up.rx_metadata) ? up.rx_metadata.filter(isObject) : [];
  let best: Json | undefined;
  for (const r of rx) if (typeof r.rssi === 'number' && (!best || r.rssi > (best.rssi as number))) best = r;
  const settings = optObj(up, 'settings', 'uplink_message.settings');
  const lora = settings && isObject(settings.data_rate) && isObject(settings.data_rate.lora) ? settings.data_rate.lora : undefined;
  const decoded = optObj(up, 'decoded_payload', 'uplink_message.decoded_payload');
  const receivedAt = str(body, 'received_at', 'received_at');
  const fCnt = num(up, 'f_cnt', 'uplink_message.f_cnt', 0);
  const gatewayIds = best && isObject(best.gateway_ids) ? best.gateway_ids : undefined;
  const brand = versionIds ? optStr(versionIds, 'brand_id', 'uplink_message.version_ids.brand_id') : undefined;
  const model = versionIds ? optStr(versionIds, 'model_id', 'uplink_message.version_ids.model_id') : undefined;
  const time = parseTime(receivedAt, 'received_at');
  return {
    kind: 'up',
    source,
    // TTS has no deduplication id; its correlation ids are unique per uplink but long. DevEUI + fCnt +
    // receive time identifies the uplink and is stable across MQTT redelivery.
    id: `tts:${eui.toLowerCase()}:${fCnt}:${time.ns}`,
    time,
    device: {
      devEui: devEui(eui, 'end_device_ids.dev_eui'),
      name: optStr(ids, 'device_id', 'end_device_ids.device_id'),
      applicationId: appIds ? optStr(appIds, 'application_id', 'end_device_ids.application_ids.application_id') : undefined,
      tags: stringMap(up, 'attributes', 'uplink_message.attributes'),
      ...(brand && model ? { repositoryId: `${brand}/${model}` } : {}),
    },
    fCnt,
    fPort: num(up, 'f_port', 'uplink_message.f_port', 0),
    confirmed: up.confirmed === true,
    bytes: base64(typeof up.frm_payload === 'string' ? up.frm_payload : '', 'uplink_message.frm_payload'),
    ...(decoded ? { object: decoded } : {}),
    radio: {
      gateways: rx.length,
      ...(best
        ? {
            rssi: best.rssi as number,
            snr: typeof best.snr === 'number' ? best.snr : undefined,
            gatewayId: gatewayIds && typeof gatewayIds.eui === 'string' ? gatewayIds.eui.toLowerCase() : gatewayIds?.gateway_id as string | undefined,
          }
        : {}),
      frequency: settings ? optNum(settings, 'frequency', 'uplink_message.settings.frequency') : undefined,
      spreadingFactor: lora ? optNum(lora, 'spreading_factor', 'uplink_message.settings.data_rate.lora.spreading_factor') : undefined,
    },
  };
}

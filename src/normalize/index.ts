import type { NormalizedEvent } from '../domain/events.js';
import { Rejection } from '../domain/rejections.js';
import { normalizeV3 } from './chirpstack-v3.js';
import { normalizeV4Json } from './chirpstack-v4-json.js';
import { normalizeV4Protobuf } from './chirpstack-v4-protobuf.js';
import { FieldProblem, isObject } from './fields.js';
import { normalizeTts } from './tts.js';

// `application/{app}/device/{eui}/event/{event}` (ChirpStack v4 and v3) and `v3/{app}/devices/{id}/{event...}` (TTS).
const CHIRPSTACK_TOPIC = /^application\/[^/]+\/device\/[^/]+\/event\/([^/]+)$/;
const TTS_TOPIC = /^v3\/[^/]+\/devices\/[^/]+\/(.+)$/;

/**
 * Turns one raw MQTT message into a typed event, or a Rejection with a named reason. The format is told
 * apart per message: the topic says ChirpStack or TTS; a payload starting with `{` is JSON (a `deviceInfo`
 * key means v4, `applicationID` means v3), anything else on a ChirpStack topic is v4 protobuf.
 */
export function normalize(topic: string, payload: Buffer): NormalizedEvent | Rejection {
  try {
    const cs = CHIRPSTACK_TOPIC.exec(topic);
    if (cs) {
      const event = cs[1]!;
      if (payload.length === 0) return new Rejection('unsupported_format', 'empty payload');
      if (!looksLikeJson(payload)) {
        try {
          return normalizeV4Protobuf(event, payload);
        } catch (err) {
          if (err instanceof FieldProblem) throw err;
          return new Rejection('malformed_protobuf', `not a ChirpStack v4 protobuf ${event} event: ${(err as Error).message}`);
        }
      }
      const body = parseJson(payload);
      if (body instanceof Rejection) return body;
      if ('deviceInfo' in body) return normalizeV4Json(event, body);
      if ('applicationID' in body || 'devEUI' in body) return normalizeV3(event === 'error' ? 'error' : event, body);
      return new Rejection('unsupported_format', 'JSON without deviceInfo (ChirpStack v4) or applicationID (ChirpStack v3)');
    }
    const tts = TTS_TOPIC.exec(topic);
    if (tts) {
      const body = parseJson(payload);
      if (body instanceof Rejection) return body;
      if (!('end_device_ids' in body)) return new Rejection('unsupported_format', 'JSON without end_device_ids (The Things Stack)');
      return normalizeTts(tts[1]!, body);
    }
    return new Rejection('unexpected_topic', `no ChirpStack or The Things Stack event topic: ${topic.slice(0, 200)}`);
  } catch (err) {
    if (err instanceof FieldProblem) return new Rejection(err.reason, err.message);
    throw err;
  }
}

function looksLikeJson(payload: Buffer): boolean {
  // A leading 0x0a is never JSON whitespace here: it starts every ChirpStack event in protobuf (field 1,
  // length-delimited), and a 123-byte first field would otherwise look like '{'.
  if (payload[0] === 0x0a) return false;
  for (const byte of payload) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    // '{' or '[': never the first byte of a proto3 message (they would be group wire types).
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

function parseJson(payload: Buffer): Record<string, unknown> | Rejection {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return new Rejection('malformed_json', `payload is not valid JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  return isObject(body) ? body : new Rejection('unsupported_format', 'JSON payload is not an object');
}

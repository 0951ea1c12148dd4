import protobuf from 'protobufjs';
import type { IMapField, INamespace, Long, Type } from 'protobufjs';

const stringMap = (id: number): IMapField => ({ keyType: 'string', type: 'string', id });

/**
 * The part of ChirpStack v4's protobuf schema that Stadtpuls reads, as a protobufjs JSON descriptor.
 *
 * Field numbers and types are those of ChirpStack's `integration/integration.proto` and `gw/gw.proto`
 * (v4.19.0), as compiled into `@chirpstack/chirpstack-api` (each message's `deserializeBinaryFromReader`).
 * Fields we do not read are left out on purpose: the decoder skips them like any unknown field, checking only
 * that their lengths fit. To read another field, add it here and to its `Pb…` interface below.
 */
const CHIRPSTACK_V4: INamespace = {
  nested: {
    integration: {
      nested: {
        DeviceInfo: {
          fields: {
            applicationId: { type: 'string', id: 3 },
            applicationName: { type: 'string', id: 4 },
            deviceProfileName: { type: 'string', id: 6 },
            deviceName: { type: 'string', id: 7 },
            devEui: { type: 'string', id: 8 },
            tags: stringMap(9),
          },
        },
        UplinkEvent: {
          fields: {
            deduplicationId: { type: 'string', id: 1 },
            time: { type: 'google.protobuf.Timestamp', id: 2 },
            deviceInfo: { type: 'DeviceInfo', id: 3 },
            dr: { type: 'uint32', id: 6 },
            fCnt: { type: 'uint32', id: 7 },
            fPort: { type: 'uint32', id: 8 },
            confirmed: { type: 'bool', id: 9 },
            data: { type: 'bytes', id: 10 },
            object: { type: 'google.protobuf.Struct', id: 11 },
            rxInfo: { rule: 'repeated', type: 'gw.UplinkRxInfo', id: 12 },
            txInfo: { type: 'gw.UplinkTxInfo', id: 13 },
          },
        },
        JoinEvent: {
          fields: {
            deduplicationId: { type: 'string', id: 1 },
            time: { type: 'google.protobuf.Timestamp', id: 2 },
            deviceInfo: { type: 'DeviceInfo', id: 3 },
            devAddr: { type: 'string', id: 4 },
          },
        },
        StatusEvent: {
          fields: {
            deduplicationId: { type: 'string', id: 1 },
            time: { type: 'google.protobuf.Timestamp', id: 2 },
            deviceInfo: { type: 'DeviceInfo', id: 3 },
            margin: { type: 'int32', id: 5 },
            externalPowerSource: { type: 'bool', id: 6 },
            batteryLevelUnavailable: { type: 'bool', id: 7 },
            batteryLevel: { type: 'float', id: 8 },
          },
        },
        LogEvent: {
          fields: {
            time: { type: 'google.protobuf.Timestamp', id: 1 },
            deviceInfo: { type: 'DeviceInfo', id: 2 },
            level: { type: 'LogLevel', id: 3 },
            code: { type: 'LogCode', id: 4 },
            description: { type: 'string', id: 5 },
            context: stringMap(6),
          },
        },
        LogLevel: { values: { INFO: 0, WARNING: 1, ERROR: 2 } },
        LogCode: {
          values: {
            UNKNOWN: 0,
            DOWNLINK_PAYLOAD_SIZE: 1,
            UPLINK_CODEC: 2,
            DOWNLINK_CODEC: 3,
            OTAA: 4,
            UPLINK_F_CNT_RESET: 5,
            UPLINK_MIC: 6,
            UPLINK_F_CNT_RETRANSMISSION: 7,
            DOWNLINK_GATEWAY: 8,
            RELAY_NEW_END_DEVICE: 9,
            F_CNT_DOWN: 10,
            EXPIRED: 11,
          },
        },
      },
    },
    gw: {
      nested: {
        UplinkRxInfo: {
          fields: {
            gatewayId: { type: 'string', id: 1 },
            rssi: { type: 'int32', id: 6 },
            snr: { type: 'float', id: 7 },
          },
        },
        UplinkTxInfo: {
          fields: {
            frequency: { type: 'uint32', id: 1 },
            modulation: { type: 'Modulation', id: 2 },
          },
        },
        Modulation: {
          // All three members are declared although only `lora` is read: a later `fsk` or `lrFhss` on the
          // wire must displace an earlier `lora`, as it does for ChirpStack and google-protobuf.
          oneofs: { parameters: { oneof: ['lora', 'fsk', 'lrFhss'] } },
          fields: {
            lora: { type: 'LoraModulationInfo', id: 3 },
            fsk: { type: 'FskModulationInfo', id: 4 },
            lrFhss: { type: 'LrFhssModulationInfo', id: 5 },
          },
        },
        LoraModulationInfo: { fields: { spreadingFactor: { type: 'uint32', id: 2 } } },
        FskModulationInfo: { fields: {} },
        LrFhssModulationInfo: { fields: {} },
      },
    },
  },
};

/** The Google well-known types ChirpStack's events use; protobufjs ships their definitions. */
const WELL_KNOWN_FILES = ['google/protobuf/timestamp.proto', 'google/protobuf/struct.proto'];

// ---------------------------------------------------------------------------------------------------------
// The decoded shapes (what `decode` returns for the fields declared above)
// ---------------------------------------------------------------------------------------------------------

/**
 * Absent scalars read as their proto3 default (0, false, '', an empty map or list) like google-protobuf's
 * getters; an absent message field reads as `null`.
 */
export interface PbTimestamp {
  /** int64: protobufjs gives a Long when the `long` package is installed; see {@link int64ToNumber}. */
  readonly seconds: number | Long;
  readonly nanos: number;
}

export interface PbDeviceInfo {
  readonly applicationId: string;
  readonly applicationName: string;
  readonly deviceProfileName: string;
  readonly deviceName: string;
  readonly devEui: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface PbUplinkRxInfo {
  readonly gatewayId: string;
  readonly rssi: number;
  readonly snr: number;
}

export interface PbUplinkTxInfo {
  readonly frequency: number;
  readonly modulation: PbModulation | null;
}

export interface PbModulation {
  readonly lora: { readonly spreadingFactor: number } | null;
}

export interface PbUplinkEvent {
  readonly deduplicationId: string;
  readonly time: PbTimestamp | null;
  readonly deviceInfo: PbDeviceInfo | null;
  readonly dr: number;
  readonly fCnt: number;
  readonly fPort: number;
  readonly confirmed: boolean;
  readonly data: Uint8Array;
  readonly object: PbStruct | null;
  readonly rxInfo: readonly PbUplinkRxInfo[];
  readonly txInfo: PbUplinkTxInfo | null;
}

export interface PbJoinEvent {
  readonly deduplicationId: string;
  readonly time: PbTimestamp | null;
  readonly deviceInfo: PbDeviceInfo | null;
  readonly devAddr: string;
}

export interface PbStatusEvent {
  readonly deduplicationId: string;
  readonly time: PbTimestamp | null;
  readonly deviceInfo: PbDeviceInfo | null;
  readonly margin: number;
  readonly externalPowerSource: boolean;
  readonly batteryLevelUnavailable: boolean;
  readonly batteryLevel: number;
}

export interface PbLogEvent {
  readonly time: PbTimestamp | null;
  readonly deviceInfo: PbDeviceInfo | null;
  readonly level: number;
  readonly code: number;
  readonly description: string;
  readonly context: Readonly<Record<string, string>>;
}

/** google.protobuf.Struct. A map entry without a value decodes as `null`. */
export interface PbStruct {
  readonly fields: Readonly<Record<string, PbValue | null>>;
}

export interface PbListValue {
  readonly values: readonly PbValue[];
}

/** google.protobuf.Value; `kind` names the member that is set (protobufjs's virtual oneof property). */
export interface PbValue {
  readonly kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
  readonly numberValue: number;
  readonly stringValue: string;
  readonly boolValue: boolean;
  readonly structValue: PbStruct | null;
  readonly listValue: PbListValue | null;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------------------

/**
 * protobufjs's Buffer reader with three flaws of protobufjs 7 corrected (google-protobuf and ChirpStack's
 * prost have none of them):
 * - a string whose declared length runs past the end of its message is cut short there instead of rejected
 *   (fixed upstream in protobufjs#2205);
 * - an int64 varint that is cut off after its fourth byte ends without an error (protobufjs#2321);
 * - a 32-bit varint of 6 to 9 bytes (valid: a 64-bit varint read as 32 bits) is taken to have 10 bytes, which
 *   misreads or rejects the rest of the message.
 * A truncated message must be rejected, not read as a shorter one, and a valid one read as it is.
 */
class StrictReader extends protobuf.BufferReader {
  override uint32(): number {
    const { buf, len } = this;
    let pos = this.pos;
    let value = 0;
    // Bytes 1–5 carry the low 32 bits; bytes 6–10 only bits a 32-bit field drops.
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= len) throw new RangeError(`index out of range: varint at ${this.pos} runs past ${len}`);
      const byte = buf[pos++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    for (let i = 5; i < 10; i++) {
      if (pos >= len) throw new RangeError(`index out of range: varint at ${this.pos} runs past ${len}`);
      if (buf[pos++]! < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new Error(`invalid varint encoding at ${this.pos}`);
  }

  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    if (length > this.len - start) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
    this.pos = start + length;
    return (this.buf as Buffer).toString('utf8', start, this.pos);
  }

  override int64(): Long {
    const value = super.int64();
    if (this.pos > this.len || this.buf[this.pos - 1]! >= 0x80) throw new RangeError(`index out of range: truncated varint before ${this.pos}`);
    return value;
  }
}

/**
 * proto3 (and google-protobuf) keep only the last member of a oneof seen on the wire; protobufjs 7 keeps
 * every member it meets (fixed upstream in protobufjs#2193). Assigning a member through these
 * accessors removes the other members, so a decoded message has at most one of them as an own property,
 * and protobufjs's virtual oneof property (e.g. `Value.kind`) names the last one.
 */
function keepLastOneofMember(type: Type): void {
  const prototype = type.ctor.prototype as Record<string, unknown>;
  for (const oneof of type.oneofsArray) {
    const members = oneof.fieldsArray.map((field) => field.name);
    for (const name of members) {
      const unset = prototype[name];
      Object.defineProperty(prototype, name, {
        get: () => unset,
        set(this: Record<string, unknown>, value: unknown) {
          for (const other of members) if (Object.hasOwn(this, other)) delete this[other];
          Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
        },
      });
    }
  }
}

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of WELL_KNOWN_FILES) {
    const json = protobuf.common.get(file);
    if (!json?.nested) throw new Error(`protobufjs does not ship ${file}`);
    root.addJSON(json.nested);
  }
  protobuf.Root.fromJSON(CHIRPSTACK_V4, root); // adds to `root` and resolves every reference
  keepLastOneofMember(root.lookupType('gw.Modulation'));
  keepLastOneofMember(root.lookupType('google.protobuf.Value'));
  return root;
}

const root = buildRoot();

/** One message type of the schema, typed as what its decoder returns. */
export interface MessageDecoder<T> {
  /** Throws (a RangeError or Error) when the bytes are not a well-formed message. */
  decode(bytes: Uint8Array): T;
}

function messageDecoder<T>(name: string): MessageDecoder<T> {
  const type = root.lookupType(name);
  return {
    decode(bytes) {
      const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return type.decode(new StrictReader(buffer)) as unknown as T;
    },
  };
}

export const UplinkEvent = messageDecoder<PbUplinkEvent>('integration.UplinkEvent');
export const JoinEvent = messageDecoder<PbJoinEvent>('integration.JoinEvent');
export const StatusEvent = messageDecoder<PbStatusEvent>('integration.StatusEvent');
export const LogEvent = messageDecoder<PbLogEvent>('integration.LogEvent');

/** Enum value → name, e.g. `LogCode[2]` is `UPLINK_CODEC`; values this schema does not know are absent. */
export const LogLevel: Readonly<Record<number, string>> = root.lookupEnum('integration.LogLevel').valuesById;
export const LogCode: Readonly<Record<number, string>> = root.lookupEnum('integration.LogCode').valuesById;

// ---------------------------------------------------------------------------------------------------------
// Conversions that match google-protobuf's accessors
// ---------------------------------------------------------------------------------------------------------

/** An int64 as a number, rounded like google-protobuf's `readInt64` (exact up to 2^53). */
export function int64ToNumber(value: number | Long): number {
  return typeof value === 'number' ? value : protobuf.util.LongBits.from(value).toNumber(false);
}

/** A `bytes` field as a plain Uint8Array over the same memory (as google-protobuf's `get…_asU8`). */
export function bytesView(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The entries of a decoded map field in google-protobuf's order: keys sorted by UTF-16 code units. A
 * `__proto__` key is left out, as google-protobuf's map loses it (and copying it could set a prototype).
 */
function mapEntries<V>(map: Readonly<Record<string, V>>): [string, V][] {
  return Object.keys(map)
    .filter((key) => key !== '__proto__')
    .sort()
    .map((key) => [key, map[key]!]);
}

/** A string map (tags, log context) as a plain object, built in google-protobuf's key order. */
export function stringMapToObject(map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of mapEntries(map)) out[key] = value;
  return out;
}

/** What google-protobuf's `Struct.prototype.toJavaScript()` gives, including its error for a Value without a kind. */
export function structToJavaScript(struct: PbStruct): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of mapEntries(struct.fields)) out[key] = valueToJavaScript(value);
  return out;
}

function valueToJavaScript(value: PbValue | null): unknown {
  switch (value?.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return value.numberValue;
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'structValue':
      return structToJavaScript(value.structValue!);
    case 'listValue':
      return value.listValue!.values.map((item) => valueToJavaScript(item));
    case undefined:
      throw new Error('Unexpected struct type');
  }
}

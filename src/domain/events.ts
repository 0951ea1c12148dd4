/**
 * The typed messages that flow through the pipeline. Every wire format (ChirpStack v4 JSON/protobuf,
 * v3 JSON, The Things Stack) is normalized into these before anything else looks at it.
 */

export const SOURCE_FORMATS = [
  'chirpstack_v4_json',
  'chirpstack_v4_protobuf',
  'chirpstack_v3_json',
  'chirpstack_v3_pbjson',
  'tts_v3',
] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** A point in time with nanosecond precision (InfluxDB's native precision). */
export interface Instant {
  /** Milliseconds since the epoch (for arithmetic). */
  readonly ms: number;
  /** Nanoseconds since the epoch, as decimal digits (exact; beyond Number's precision). */
  readonly ns: string;
}

/** What the network server tells us about the device, before our own registry is asked. */
export interface DeviceInfo {
  /** 16 lowercase hex digits. */
  readonly devEui: string;
  readonly name?: string;
  readonly applicationId?: string;
  readonly applicationName?: string;
  readonly deviceProfileName?: string;
  /** ChirpStack tags (application, device profile and device merged) or TTS attributes. */
  readonly tags: Readonly<Record<string, string>>;
  /** The Things Stack `version_ids` as "brand/model", when present. */
  readonly repositoryId?: string;
}

export interface RadioInfo {
  /** Number of gateways that received the frame. */
  readonly gateways: number;
  /** Best gateway (highest RSSI). */
  readonly rssi?: number;
  readonly snr?: number;
  readonly gatewayId?: string;
  readonly dr?: number;
  readonly frequency?: number;
  readonly spreadingFactor?: number;
}

interface EventBase {
  readonly source: SourceFormat;
  readonly time: Instant;
  readonly device: DeviceInfo;
}

export interface UplinkEvent extends EventBase {
  readonly kind: 'up';
  /** ChirpStack `deduplicationId` (or an equivalent unique id of this uplink). */
  readonly id: string;
  readonly fCnt: number;
  readonly fPort: number;
  readonly bytes: Uint8Array;
  readonly confirmed: boolean;
  /** Payload decoded by the network server's own codec, if it ran. */
  readonly object?: Record<string, unknown>;
  readonly radio: RadioInfo;
}

export interface StatusEvent extends EventBase {
  readonly kind: 'status';
  readonly id: string;
  readonly margin: number;
  readonly externalPowerSource: boolean;
  readonly batteryLevelUnavailable: boolean;
  readonly batteryLevel: number;
}

export interface JoinEvent extends EventBase {
  readonly kind: 'join';
  readonly id: string;
  readonly devAddr: string;
}

export interface LogEvent extends EventBase {
  readonly kind: 'log';
  readonly level: string;
  readonly code: string;
  readonly description: string;
  readonly context: Readonly<Record<string, string>>;
}

/** Events we understand and deliberately do not store (documented in the README). */
export interface IgnoredEvent {
  readonly kind: 'ignored';
  readonly source: SourceFormat | 'unknown';
  readonly event: string;
}

export type DeviceEvent = UplinkEvent | StatusEvent | JoinEvent | LogEvent;
export type NormalizedEvent = DeviceEvent | IgnoredEvent;

/**
 * Every live event, declared once: the server emits these over socket.io and the web app imports the same
 * types. Each event names the roles that may receive it.
 */
import type { Role } from '../auth/roles.js';

export interface BayState {
  readonly devEui: string;
  readonly name: string;
  readonly zone: string;
  readonly lat?: number;
  readonly lon?: number;
  /** `unknown` when the sensor has not reported within its stale limit. */
  readonly state: 'free' | 'occupied' | 'unknown';
  /** ISO time the current state began (arrival time when occupied). */
  readonly since: string | undefined;
  readonly lastSeen: string | undefined;
  /** Set while the bay's zone rule is broken (maximum parking duration exceeded). */
  readonly overstay?: { readonly limitMinutes: number; readonly overMinutes: number };
}

export interface ZoneState {
  readonly zone: string;
  readonly total: number;
  readonly occupied: number;
  readonly free: number;
  readonly stale: number;
  readonly overstays: number;
}

export interface ReadingUpdate {
  readonly devEui: string;
  readonly model: string;
  readonly site?: string;
  readonly time: string;
  readonly readings: Readonly<Record<string, number | boolean | string>>;
}

export interface AlarmState {
  readonly id: string;
  readonly devEui: string;
  readonly kind: 'level' | 'offline';
  readonly severity: 'warning' | 'alarm';
  readonly state: 'active' | 'acknowledged' | 'cleared';
  readonly since: string;
  readonly value?: number;
  readonly threshold?: number;
  readonly acknowledgedBy?: string;
  readonly acknowledgedAt?: string;
  readonly message: string;
}

export interface DeviceHealth {
  readonly devEui: string;
  readonly name?: string;
  readonly model?: string;
  readonly lastSeen?: string;
  readonly battery?: number;
  readonly batteryVoltage?: number;
  readonly rssi?: number;
  readonly snr?: number;
  readonly gateways: Readonly<Record<string, { readonly rssi: number; readonly snr?: number; readonly lastSeen: string }>>;
  readonly expectedIntervalSeconds: number;
  readonly online: boolean;
  readonly offlineSince?: string;
  readonly silencedUntil?: string;
  readonly codecErrors: number;
  readonly lastCodecError?: { readonly time: string; readonly description: string };
}

export interface LiveEvents {
  'reading': ReadingUpdate;
  'parking.bay': BayState;
  'parking.zone': ZoneState;
  'alarm': AlarmState;
  'device.health': DeviceHealth;
}

export type LiveEventName = keyof LiveEvents;

/** Who may receive each event (admin always may). */
export const LIVE_ACCESS: { readonly [K in LiveEventName]: readonly Role[] } = {
  'reading': ['viewer', 'facility', 'technician'],
  'parking.bay': ['enforcement', 'technician'],
  'parking.zone': ['viewer', 'enforcement', 'facility', 'technician'],
  'alarm': ['technician', 'facility'],
  'device.health': ['technician'],
};

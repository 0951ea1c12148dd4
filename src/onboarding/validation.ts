import { z } from 'zod';
import type { Catalog } from '../registry/catalog.js';
import type { FleetDevice } from '../registry/fleet.js';

/**
 * The rules a device must satisfy, shared by the REST API and the CSV import so both report the same precise
 * messages (`path: message`). Messages never repeat an AppKey.
 */

/** Removes the separators EUIs and keys are often pasted with ("70-B3-D5-…", "70:b3:…", "70 B3 …") and lowercases. */
export function normalizeHex(text: string): string {
  return text.replace(/[\s:-]/g, '').toLowerCase();
}

/** Why `text` is not `digits` hex digits, or undefined when it is (after `normalizeHex`). */
export function hexProblem(label: string, text: string, digits: number, echo: boolean): string | undefined {
  const hex = normalizeHex(text);
  if (hex.length === digits && /^[0-9a-f]*$/.test(hex)) return undefined;
  const shown = echo ? `, got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"` : '';
  const why = /[^0-9a-f]/.test(hex) ? 'it contains characters other than 0-9 and a-f' : `it has ${hex.length}`;
  return `${label} must be ${digits} hex digits${shown} (${why})`;
}

const required = (what: string) => (iss: { input: unknown }) => (iss.input === undefined ? `${what} is required` : `${what} must be a string`);

function hexField(label: string, digits: number, echo: boolean) {
  return z
    .string({ error: required(label) })
    .transform((text, ctx) => {
      const problem = hexProblem(label, text, digits, echo);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return normalizeHex(text);
    })
    .meta({ description: `${digits} hex digits (case-insensitive; "-", ":" and spaces are ignored)`, examples: [digits === 16 ? '70B3D57ED0001234' : '2B7E151628AED2A6ABF7158809CF4F3C'] });
}

export const devEuiField = hexField('DevEUI', 16, true);
export const joinEuiField = hexField('JoinEUI', 16, true);
/** Write-only: accepted on create and update, never returned. */
export const appKeyField = hexField('AppKey', 32, false).meta({ description: 'OTAA AppKey (LoRaWAN 1.0.x; NwkKey in ChirpStack), 32 hex digits. Write-only: never returned by the API and never logged.', writeOnly: true });

export const SITE_KINDS = ['zone', 'building', 'gauge'] as const;
export const MAX_INTERVAL_SECONDS = 31 * 24 * 3600;

const num = (what: string, min: number, max: number, range: string) =>
  z
    .number({ error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be a number`) })
    .refine((n) => Number.isFinite(n), `${what} must be a finite number`)
    .refine((n) => n >= min && n <= max, `${what} must be between ${range}`);

const mounting = z.strictObject({
  heightMm: z.number('heightMm must be a number of millimetres').finite().min(0, 'heightMm must not be negative').max(1_000_000, 'heightMm must be at most 1000000 (1 km)').optional(),
  zeroOffsetMm: z.number('zeroOffsetMm must be a number of millimetres').finite().min(-1_000_000).max(1_000_000).optional(),
});

const deviceFields = {
  joinEui: joinEuiField.optional(),
  appKey: appKeyField.optional(),
  model: z.string({ error: required('model') }).trim().min(1, 'model is required').meta({ description: 'Catalog model id (GET /api/models)' }),
  name: z.string({ error: required('name') }).trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters'),
  site: z
    .string('site must be a string')
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'site id: 1 to 64 letters, digits, "_", "." or "-" (e.g. marktplatz, rathaus)')
    .optional()
    .meta({ description: 'Parking zone, building or gauge site the device belongs to (its `site` tag)' }),
  siteKind: z.enum(SITE_KINDS, `siteKind must be one of ${SITE_KINDS.join(', ')}`).optional(),
  lat: num('latitude', -90, 90, '-90 and 90').optional(),
  lon: num('longitude', -180, 180, '-180 and 180').optional(),
  uplinkIntervalSeconds: z
    .number('uplinkIntervalSeconds must be a number of seconds')
    .int('uplinkIntervalSeconds must be a whole number of seconds')
    .min(1, 'uplinkIntervalSeconds must be at least 1')
    .max(MAX_INTERVAL_SECONDS, `uplinkIntervalSeconds must be at most ${MAX_INTERVAL_SECONDS} (31 days)`)
    .optional()
    .meta({ description: 'Expected time between two uplinks (default: the model\'s)' }),
  mounting: mounting.optional().meta({ description: 'Mounting parameters, e.g. for level gauges: sensor height above the zero point and its offset (mm)' }),
  tags: z
    .record(z.string(), z.string('tag values must be strings').max(256, 'tag values must be at most 256 characters'))
    .superRefine((t, ctx) => {
      for (const k of Object.keys(t)) {
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: `tag name "${k.slice(0, 70)}": 1 to 64 letters, digits, "_", "." or "-"` });
      }
      if (Object.keys(t).length > 50) ctx.addIssue({ code: 'custom', message: 'at most 50 tags' });
    })
    .optional(),
};

function crossChecks(d: { lat?: number | undefined; lon?: number | undefined; site?: string | undefined; siteKind?: string | undefined }, ctx: z.RefinementCtx): void {
  if ((d.lat === undefined) !== (d.lon === undefined)) ctx.addIssue({ code: 'custom', path: [d.lat === undefined ? 'lat' : 'lon'], message: 'latitude and longitude go together' });
  if (d.siteKind !== undefined && d.site === undefined) ctx.addIssue({ code: 'custom', path: ['site'], message: 'siteKind is set but site is not' });
}

/** POST /api/devices. Unknown fields are rejected (a misspelt `appkey` must not be silently dropped). */
export const createDeviceBody = z.strictObject({ devEui: devEuiField, ...deviceFields }).superRefine(crossChecks);

/**
 * PUT /api/devices/{devEui}: replaces the device's description — optional fields left out are cleared — except
 * the AppKey, which is kept when left out (clients never get it back to resend it).
 */
export const updateDeviceBody = z.strictObject({ devEui: devEuiField.optional(), ...deviceFields }).superRefine(crossChecks);

export type CreateDeviceBody = z.output<typeof createDeviceBody>;
export type UpdateDeviceBody = z.output<typeof updateDeviceBody>;

export function modelProblem(catalog: Catalog, model: string): string | undefined {
  return catalog.get(model) ? undefined : `model: unknown model "${model}" (GET /api/models lists the catalog)`;
}

/** The fleet record described by a validated body (without the AppKey). */
export function toFleetDevice(devEui: string, body: Omit<UpdateDeviceBody, 'devEui'>): FleetDevice {
  const { appKey: _appKey, ...rest } = body;
  const device: FleetDevice = { devEui, model: rest.model, name: rest.name, tags: rest.tags ?? {} };
  if (rest.joinEui !== undefined) device.joinEui = rest.joinEui;
  if (rest.site !== undefined) device.site = rest.site;
  if (rest.siteKind !== undefined) device.siteKind = rest.siteKind;
  if (rest.lat !== undefined) device.lat = rest.lat;
  if (rest.lon !== undefined) device.lon = rest.lon;
  if (rest.uplinkIntervalSeconds !== undefined) device.uplinkIntervalSeconds = rest.uplinkIntervalSeconds;
  if (rest.mounting !== undefined) {
    const m: NonNullable<FleetDevice['mounting']> = {};
    if (rest.mounting.heightMm !== undefined) m.heightMm = rest.mounting.heightMm;
    if (rest.mounting.zeroOffsetMm !== undefined) m.zeroOffsetMm = rest.mounting.zeroOffsetMm;
    device.mounting = m;
  }
  return device;
}

/** Stable JSON (sorted keys) for comparing device records. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The fields that differ between two records (names only for the AppKey), for the audit log. */
export function changedFields(before: FleetDevice, after: FleetDevice): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof FleetDevice>;
  for (const k of keys) {
    if (canonical(before[k]) !== canonical(after[k])) out[k] = { from: before[k] ?? null, to: after[k] ?? null };
  }
  return out;
}

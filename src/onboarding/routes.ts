import type { Request } from 'express';
import { z } from 'zod';
import { HttpError, parse, principalOf } from '../api/http.js';
import type { RouteDef } from '../api/routes.js';
import type { Role } from '../auth/roles.js';
import { PROVISIONING_STATUSES } from './provisioner.js';
import type { AuditLog } from './audit.js';
import { CsvImportError, decodeCsv, parseDeviceCsv } from './csv.js';
import type { DeviceRegistry, DeviceView, ImportProgress } from './devices.js';
import { docsHtml, openApiDocument, type DocumentedRoute } from './openapi.js';
import { SITE_KINDS, createDeviceBody, devEuiField, updateDeviceBody } from './validation.js';

/** Read access to devices (never keys); admin may do everything anyway. */
export const DEVICE_READ: readonly Role[] = ['viewer', 'enforcement', 'facility', 'technician'];
export const DEVICE_WRITE: readonly Role[] = ['technician'];
const ADMIN: readonly Role[] = ['admin'];

/** Upper bound of a CSV upload. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

export interface OnboardingRouteDeps {
  readonly registry: DeviceRegistry;
  readonly audit: AuditLog;
  /** The app's whole route table, for the OpenAPI document. */
  readonly routes: () => readonly RouteDef[];
  readonly version: string;
}

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const intParam = (what: string, min: number, max: number, def: number) =>
  z
    .string()
    .regex(/^\d+$/, `${what} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${what} must be between ${min} and ${max}`)
    .optional()
    .transform((n) => n ?? def);

const devEuiParams = z.object({ devEui: devEuiField });
const listQuery = z.object({
  limit: intParam('limit', 1, 10_000, 500).meta({ description: 'Page size (default 500)' }),
  offset: intParam('offset', 0, 10_000_000, 0),
  model: z.string().optional().meta({ description: 'Only devices of this model' }),
  site: z.string().optional().meta({ description: 'Only devices of this zone/building' }),
  siteKind: z.enum(SITE_KINDS).optional(),
  provisioning: z.enum(PROVISIONING_STATUSES).optional().meta({ description: 'Only devices in this ChirpStack provisioning state' }),
  q: z.string().max(200).optional().meta({ description: 'DevEUI or name contains (case-insensitive)' }),
});
// Strict: a misspelt `dryrun=true` must not run a real import.
const importQuery = z.strictObject({
  dryRun: flag.optional().meta({ description: 'true: validate and report per row, change nothing' }),
  model: z.string().optional().meta({ description: 'Default model for rows without one' }),
});
const deleteQuery = z.strictObject({ force: flag.optional().meta({ description: 'Delete in Stadtpuls even when deleting in ChirpStack fails' }) });
const auditQuery = z.object({
  limit: intParam('limit', 1, 1000, 100),
  offset: intParam('offset', 0, 100_000_000, 0),
  target: z.string().optional().meta({ description: 'e.g. a DevEUI' }),
  actor: z.string().optional(),
  action: z.string().optional().meta({ description: 'device.create, device.update, device.delete, device.provision, devices.import' }),
});

const provisioningView = z.object({
  status: z.enum(PROVISIONING_STATUSES),
  inChirpStack: z.boolean(),
  keys: z.enum(['set', 'missing', 'stale']),
  error: z.string().nullable(),
  attempts: z.number().int(),
  updatedAt: z.string(),
});
const deviceView = z.object({
  devEui: z.string(),
  joinEui: z.string().optional(),
  model: z.string(),
  name: z.string(),
  site: z.string().optional(),
  siteKind: z.enum(SITE_KINDS).optional(),
  lat: z.number().optional(),
  lon: z.number().optional(),
  uplinkIntervalSeconds: z.number().int().optional(),
  mounting: z.object({ heightMm: z.number().optional(), zeroOffsetMm: z.number().optional() }).optional(),
  tags: z.record(z.string(), z.string()),
  appKeySet: z.boolean().meta({ description: 'An AppKey is stored (the key itself is never returned)' }),
  provisioning: provisioningView.optional().meta({ description: 'ChirpStack provisioning; absent when ChirpStack is not configured' }),
});
const rowResult = z.object({
  row: z.number().int().meta({ description: 'Record number; the header is row 1' }),
  devEui: z.string().nullable(),
  action: z.enum(['create', 'update', 'unchanged', 'error']),
  message: z.string().optional(),
  provisioning: z.object({ status: z.string(), error: z.string().nullable() }).optional(),
});
const importLine = z.union([
  z.object({ type: z.literal('progress'), phase: z.enum(['validate', 'save', 'provision']), done: z.number().int(), total: z.number().int() }),
  z.object({
    type: z.literal('result'),
    dryRun: z.boolean(),
    summary: z.object({ rows: z.number(), create: z.number(), update: z.number(), unchanged: z.number(), error: z.number(), provisioned: z.number().optional(), provisioningFailed: z.number().optional() }),
    rows: z.array(rowResult),
  }),
  z.object({ type: z.literal('error'), error: z.string(), message: z.string() }),
]);
const auditEntry = z.object({ id: z.number().int(), at: z.string(), actor: z.string(), action: z.string(), target: z.string(), details: z.record(z.string(), z.unknown()) });

async function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, 'too_large', `the CSV file is larger than ${limit / 1024 / 1024} MB`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'too_large', `the CSV file is larger than ${limit / 1024 / 1024} MB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function matches(d: DeviceView, q: z.output<typeof listQuery>): boolean {
  if (q.model !== undefined && d.model !== q.model) return false;
  if (q.site !== undefined && d.site !== q.site) return false;
  if (q.siteKind !== undefined && d.siteKind !== q.siteKind) return false;
  if (q.provisioning !== undefined && d.provisioning?.status !== q.provisioning) return false;
  if (q.q !== undefined) {
    const needle = q.q.toLowerCase();
    if (!d.devEui.includes(needle) && !d.name.toLowerCase().includes(needle)) return false;
  }
  return true;
}

/**
 * The onboarding routes. Register them after the other modules' routes: `/api/devices/:devEui` would otherwise
 * capture fixed paths such as `/api/devices/health` (and answers 400 for anything that is not a DevEUI).
 */
export function onboardingRoutes(deps: OnboardingRouteDeps): DocumentedRoute[] {
  const { registry, audit } = deps;
  let cachedDoc: { routes: readonly RouteDef[]; doc: Record<string, unknown> } | undefined;
  const doc = () => {
    const routes = deps.routes();
    if (cachedDoc?.routes !== routes) {
      cachedDoc = {
        routes,
        doc: openApiDocument(routes, {
          title: 'Stadtpuls API',
          version: deps.version,
          description: 'LoRaWAN telemetry for towns: devices, models, codecs and the municipal views. Errors are JSON {error, message, problems?}.',
        }),
      };
    }
    return cachedDoc.doc;
  };
  const who = (req: Request) => principalOf(req).username;

  return [
    {
      method: 'get',
      path: '/api/openapi.json',
      access: 'public',
      summary: 'This API as an OpenAPI 3.1 document (generated from the route table)',
      docs: { tags: ['Docs'], description: 'Public: it describes the open-source code\'s routes and their roles; it holds no data.', responses: { 200: { description: 'OpenAPI 3.1 document' } } },
      handler: (_req, res) => res.json(doc()),
    },
    {
      method: 'get',
      path: '/api/docs',
      access: 'public',
      summary: 'A readable page of the OpenAPI document',
      docs: { tags: ['Docs'], responses: { 200: { description: 'HTML page', contentType: 'text/html' } } },
      handler: (_req, res) => {
        res.type('html').send(docsHtml(doc()));
      },
    },
    {
      method: 'get',
      path: '/api/devices',
      access: DEVICE_READ,
      summary: 'List registered devices (never their AppKeys), with filters and paging',
      docs: { tags: ['Devices'], query: listQuery, responses: { 200: { description: 'A page of devices', schema: z.object({ total: z.number().int(), offset: z.number().int(), limit: z.number().int(), devices: z.array(deviceView) }) } } },
      handler: (req, res) => {
        const q = parse(listQuery, req.query);
        const all = registry.list().filter((d) => matches(d, q));
        res.json({ total: all.length, offset: q.offset, limit: q.limit, devices: all.slice(q.offset, q.offset + q.limit) });
      },
    },
    {
      method: 'post',
      path: '/api/devices',
      access: DEVICE_WRITE,
      summary: 'Register a device; with ChirpStack configured it is also created there with its OTAA keys',
      docs: {
        tags: ['Devices'],
        body: createDeviceBody,
        responses: { 201: { description: 'Created (see `provisioning` for the ChirpStack outcome)', schema: deviceView }, 409: { description: 'A device with this DevEUI exists' } },
      },
      handler: async (req, res) => {
        const body = parse(createDeviceBody, req.body ?? {});
        res.status(201).json(await registry.create(body, who(req)));
      },
    },
    {
      method: 'post',
      path: '/api/devices/import',
      access: DEVICE_WRITE,
      summary: 'Import devices from a CSV file (text/csv, up to 20 MB); ?dryRun=true only validates',
      docs: {
        tags: ['Devices'],
        query: importQuery,
        body: z.string(),
        bodyContentType: 'text/csv',
        bodyDescription:
          'Header row, then one device per row; "," or ";" separated, UTF-8 (BOM allowed) or Windows-1252. Columns (any case, spaces/"_"/"-" ignored): DevEUI, JoinEUI/AppEUI, AppKey, model, name, zone/building/site, siteKind, lat/latitude, lon/lng/longitude, interval (600, 10m, 1h), heightMm, zeroOffsetMm, tag:<name>.',
        description:
          'Responds with NDJSON (application/x-ndjson): {"type":"progress","phase","done","total"} lines (phases validate, save, provision), then one {"type":"result",…} line — or {"type":"error",…} if the import broke off. With `Accept: application/json` only the result object is returned. Rows are created, updated (columns left out and empty cells keep their value) or reported unchanged; re-importing the same file changes nothing.',
        responses: { 200: { description: 'NDJSON progress and result lines', schema: importLine, contentType: 'application/x-ndjson' } },
      },
      handler: async (req, res) => {
        const q = parse(importQuery, req.query);
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel'].includes(type)) {
          throw new HttpError(415, 'unsupported_media_type', `send the CSV file as the request body with Content-Type: text/csv (got ${type || 'none'})`);
        }
        const { text } = decodeCsv(await readBody(req, MAX_IMPORT_BYTES));
        let csv;
        try {
          csv = parseDeviceCsv(text);
        } catch (err) {
          if (err instanceof CsvImportError) throw new HttpError(400, 'invalid_csv', err.message, [err.message]);
          throw err;
        }
        const actor = who(req);
        const accept = req.headers.accept ?? '';
        if (accept.includes('application/json') && !accept.includes('ndjson')) {
          const result = await registry.import(csv, { dryRun: q.dryRun ?? false, defaultModel: q.model, actor });
          res.json({ type: 'result', ...result });
          return;
        }
        // Validate the default model before the 200 goes out.
        if (q.model !== undefined) registry.checkDefaultModel(q.model);
        res.status(200).setHeader('content-type', 'application/x-ndjson; charset=utf-8');
        res.setHeader('cache-control', 'no-store');
        res.setHeader('x-accel-buffering', 'no');
        const line = (obj: unknown) => res.write(`${JSON.stringify(obj)}\n`);
        try {
          const result = await registry.import(csv, { dryRun: q.dryRun ?? false, defaultModel: q.model, actor, onProgress: (p: ImportProgress) => line({ type: 'progress', ...p }) });
          line({ type: 'result', ...result });
        } catch (err) {
          line({ type: 'error', error: err instanceof HttpError ? err.code : 'internal', message: err instanceof HttpError ? err.message : 'the import broke off; see the server log' });
          if (!(err instanceof HttpError)) throw err;
        } finally {
          res.end();
        }
      },
    },
    {
      method: 'post',
      path: '/api/devices/provision',
      access: DEVICE_WRITE,
      summary: 'Retry ChirpStack provisioning for every device that is pending or failed',
      docs: { tags: ['Devices'], responses: { 200: { description: 'The outcome per device', schema: z.object({ provisioned: z.number(), failed: z.number(), devices: z.array(z.object({ devEui: z.string(), status: z.string(), error: z.string().nullable() })) }) } } },
      handler: async (req, res) => {
        res.json(await registry.retryAll(who(req)));
      },
    },
    {
      method: 'get',
      path: '/api/devices/:devEui',
      access: DEVICE_READ,
      summary: 'One device with its ChirpStack provisioning status (never its AppKey)',
      docs: { tags: ['Devices'], params: devEuiParams, responses: { 200: { description: 'The device', schema: deviceView }, 404: { description: 'No such device' } } },
      handler: (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        res.json(registry.get(devEui));
      },
    },
    {
      method: 'put',
      path: '/api/devices/:devEui',
      access: DEVICE_WRITE,
      summary: 'Replace a device\'s description (optional fields left out are cleared; a left-out AppKey is kept)',
      docs: { tags: ['Devices'], params: devEuiParams, body: updateDeviceBody, responses: { 200: { description: 'The device', schema: deviceView }, 404: { description: 'No such device' } } },
      handler: async (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        const body = parse(updateDeviceBody, req.body ?? {});
        res.json(await registry.replace(devEui, body, who(req)));
      },
    },
    {
      method: 'delete',
      path: '/api/devices/:devEui',
      access: DEVICE_WRITE,
      summary: 'Delete a device (in ChirpStack first); ?force=true deletes here even if ChirpStack fails',
      docs: {
        tags: ['Devices'],
        params: devEuiParams,
        query: deleteQuery,
        responses: {
          200: { description: 'Deleted', schema: z.object({ devEui: z.string(), deleted: z.literal(true), chirpstack: z.enum(['deleted', 'failed', 'not configured']), error: z.string().optional() }) },
          404: { description: 'No such device' },
          502: { description: 'ChirpStack refused or was unreachable; nothing was deleted' },
        },
      },
      handler: async (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        const q = parse(deleteQuery, req.query);
        const out = await registry.remove(devEui, who(req), q.force ?? false);
        res.json({ devEui, deleted: true, ...out });
      },
    },
    {
      method: 'post',
      path: '/api/devices/:devEui/provision',
      access: DEVICE_WRITE,
      summary: 'Retry ChirpStack provisioning of one device',
      docs: { tags: ['Devices'], params: devEuiParams, responses: { 200: { description: 'The device with its new provisioning status', schema: deviceView }, 404: { description: 'No such device' } } },
      handler: async (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        res.json(await registry.retry(devEui, who(req)));
      },
    },
    {
      method: 'get',
      path: '/api/audit',
      access: ADMIN,
      summary: 'The audit log of device changes (who, when, what; never keys), newest first',
      docs: { tags: ['Audit'], query: auditQuery, responses: { 200: { description: 'A page of entries', schema: z.object({ total: z.number().int(), offset: z.number().int(), limit: z.number().int(), entries: z.array(auditEntry) }) } } },
      handler: (req, res) => {
        const q = parse(auditQuery, req.query);
        res.json({ ...audit.list(q), offset: q.offset, limit: q.limit });
      },
    },
  ];
}

import { readFile } from 'node:fs/promises';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ROLES, type Role } from '../auth/roles.js';
import type { LoginThrottle } from '../auth/throttle.js';
import { isRole, type Users } from '../auth/users.js';
import type { CustomCodecs } from '../decode/custom-codecs.js';
import { extractReadings } from '../decode/readings.js';
import { Codec, CodecError, type CodecLimits } from '../decode/sandbox.js';
import type { Logger } from '../observability/log.js';
import type { Catalog } from '../registry/catalog.js';
import type { Fleet } from '../registry/fleet.js';
import { HttpError, SESSION_COOKIE, credentials, parse, principalOf, type Access } from './http.js';

export interface RouteDef {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  readonly path: string;
  readonly access: Access;
  readonly summary: string;
  readonly handler: (req: Request, res: Response) => unknown;
}

export interface ApiDeps {
  readonly users: Users;
  readonly throttle: LoginThrottle;
  readonly catalog: Catalog;
  readonly fleet: Fleet;
  readonly customCodecs: CustomCodecs;
  readonly codecLimits: CodecLimits;
  readonly log: Logger;
}

const ANY: readonly Role[] = ROLES;
const TECH: readonly Role[] = ['technician'];
const ADMIN: readonly Role[] = ['admin'];

const loginBody = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) });
const userBody = z.object({ username: z.string().regex(/^[a-zA-Z0-9_.-]{2,64}$/), password: z.string().min(10, 'at least 10 characters').max(1000), roles: z.array(z.enum(ROLES)).min(1) });
const tokenBody = z.object({ name: z.string().regex(/^[a-zA-Z0-9_.-]{2,64}$/), roles: z.array(z.enum(ROLES)).min(1) });
const payload = z.object({
  fPort: z.number().int().min(0).max(255),
  payload: z.string().max(1024),
  encoding: z.enum(['hex', 'base64']).optional(),
  recvTime: z.iso.datetime({ offset: true }).optional(),
});
const tryBody = payload.extend({ source: z.string().min(1).max(256 * 1024).optional(), modelId: z.string().optional(), devEui: z.string().regex(/^[0-9a-fA-F]{16}$/).optional(), module: z.boolean().optional() });
const scopeParams = z.object({ scope: z.enum(['model', 'device']), target: z.string().min(1).max(100) });
const publishBody = z.object({
  source: z.string().min(1).max(256 * 1024),
  comment: z.string().max(500).default(''),
  module: z.boolean().optional(),
  /** Payloads the codec must decode without errors before it goes live. */
  samples: z.array(payload).min(1, 'try the codec on at least one sample payload before it goes live').max(50),
});

/** Hex (even number of hex digits) or base64, as technicians paste them. */
export function payloadBytes(text: string, encoding?: 'hex' | 'base64'): number[] {
  const t = text.replace(/\s+/g, '');
  const hex = encoding === 'hex' || (encoding === undefined && /^([0-9a-fA-F]{2})*$/.test(t));
  if (hex) {
    if (!/^([0-9a-fA-F]{2})*$/.test(t)) throw new HttpError(400, 'invalid_request', 'payload: not an even number of hex digits');
    return [...Buffer.from(t, 'hex')];
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 === 1) throw new HttpError(400, 'invalid_request', 'payload: neither hex nor base64');
  return [...Buffer.from(t, 'base64')];
}

function runOnce(codec: Codec, body: z.output<typeof payload>) {
  try {
    return { result: codec.decodeUplink({ bytes: payloadBytes(body.payload, body.encoding), fPort: body.fPort, recvTime: body.recvTime ?? new Date().toISOString() }) };
  } catch (err) {
    if (err instanceof CodecError) return { error: err.message, failure: err.failure };
    throw err;
  }
}

/**
 * Every HTTP API route with the roles that may call it, declared in one table: the security test matrix iterates
 * over this list, so a route cannot be added without its access rule being tested.
 */
export function apiRoutes(deps: ApiDeps): RouteDef[] {
  const { users, throttle, catalog, customCodecs } = deps;
  const audit = deps.log.child({ module: 'audit' });
  return [
    {
      method: 'post',
      path: '/api/auth/login',
      access: 'public',
      summary: 'Log in with {username, password}; returns {token} and sets the session cookie',
      handler: async (req, res) => {
        const body = parse(loginBody, req.body);
        const keys = [`user:${body.username.toLowerCase()}`, `ip:${req.ip}`];
        const wait = throttle.retryAfter(keys);
        if (wait > 0) {
          res.setHeader('retry-after', String(wait));
          throw new HttpError(429, 'too_many_attempts', `too many failed logins; try again in ${wait} s`);
        }
        const session = await users.login(body.username, body.password);
        if (!session) {
          throttle.fail(keys);
          audit.warn({ username: body.username, ip: req.ip }, 'login failed');
          throw new HttpError(401, 'invalid_credentials', 'wrong user name or password');
        }
        throttle.succeed(keys);
        res.cookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'strict', secure: req.secure, expires: new Date(session.expiresAt), path: '/' });
        res.json({ token: session.token, expiresAt: new Date(session.expiresAt).toISOString(), roles: session.roles });
      },
    },
    {
      method: 'post',
      path: '/api/auth/logout',
      access: ANY,
      summary: 'End the session',
      handler: (req, res) => {
        const token = credentials(req);
        if (token) users.logout(token);
        res.clearCookie(SESSION_COOKIE, { path: '/' });
        res.status(204).end();
      },
    },
    {
      method: 'get',
      path: '/api/auth/me',
      access: ANY,
      summary: 'Who am I: user name and roles',
      handler: (req, res) => {
        const p = principalOf(req);
        res.json({ username: p.username, roles: p.roles });
      },
    },
    {
      method: 'get',
      path: '/api/users',
      access: ADMIN,
      summary: 'List users',
      handler: (_req, res) => res.json(users.list()),
    },
    {
      method: 'post',
      path: '/api/users',
      access: ADMIN,
      summary: 'Create or update a user {username, password, roles}',
      handler: async (req, res) => {
        const body = parse(userBody, req.body);
        await users.upsert(body.username, body.password, body.roles.filter(isRole));
        audit.info({ by: principalOf(req).username, username: body.username, roles: body.roles }, 'user saved');
        res.status(201).json({ username: body.username, roles: body.roles });
      },
    },
    {
      method: 'post',
      path: '/api/tokens',
      access: ADMIN,
      summary: 'Create a long-lived API token {name, roles}; the token is shown once',
      handler: (req, res) => {
        const body = parse(tokenBody, req.body);
        const token = users.createApiToken(body.name, body.roles, principalOf(req).username);
        audit.info({ by: principalOf(req).username, name: body.name, roles: body.roles }, 'API token created');
        res.status(201).json({ name: body.name, roles: body.roles, token });
      },
    },
    {
      method: 'get',
      path: '/api/models',
      access: ANY,
      summary: 'The device-model catalog with its readings',
      handler: (_req, res) =>
        res.json(
          catalog.all().map((m) => ({
            id: m.id,
            vendor: m.vendor,
            model: m.model,
            category: m.category,
            uplinkIntervalSeconds: m.uplinkIntervalSeconds,
            readings: m.readings.map((r) => ({ name: r.spec.name, unit: r.spec.unit, type: r.spec.type, label: r.spec.label })),
          })),
        ),
    },
    {
      method: 'post',
      path: '/api/codecs/try',
      access: TECH,
      summary: 'Try a codec (given source, a model\'s or a device\'s current one) on a sample payload (hex or base64)',
      handler: async (req, res) => {
        const body = parse(tryBody, req.body);
        const model = body.modelId !== undefined ? catalog.get(body.modelId) : body.devEui ? catalog.get(deps.fleet.get(body.devEui.toLowerCase())?.model ?? '') : undefined;
        if (body.modelId !== undefined && !model) throw new HttpError(404, 'not_found', `model ${body.modelId} is not in the catalog`);
        let codec: Codec;
        let owned = false;
        if (body.source !== undefined) {
          try {
            codec = await Codec.load('try', body.source, deps.codecLimits, body.module);
            owned = true;
          } catch (err) {
            if (err instanceof CodecError) return void res.json({ error: err.message, failure: err.failure });
            throw err;
          }
        } else {
          if (!model?.decoderPath) throw new HttpError(400, 'invalid_request', 'give `source`, or a `modelId`/`devEui` whose model has a decoder');
          const found = customCodecs.forDevice(body.devEui?.toLowerCase() ?? '', model.id);
          codec = found ?? (await Codec.load(model.id, await readFile(model.decoderPath, 'utf8'), deps.codecLimits));
          owned = !found;
        }
        try {
          const out = runOnce(codec, body);
          const readings = model && out.result?.data ? extractReadings(model, out.result.data) : undefined;
          res.json({ ...out, ...(readings ? { readings } : {}) });
        } finally {
          if (owned) codec.dispose();
        }
      },
    },
    {
      method: 'get',
      path: '/api/codecs',
      access: TECH,
      summary: 'Active technician codecs',
      handler: (_req, res) => res.json(customCodecs.activeVersions().map(({ source: _s, ...v }) => v)),
    },
    {
      method: 'get',
      path: '/api/codecs/:scope/:target',
      access: TECH,
      summary: 'All versions of the technician codec of a model or device, newest first',
      handler: (req, res) => {
        const { scope, target } = parse(scopeParams, req.params);
        res.json(customCodecs.versions(scope, target));
      },
    },
    {
      method: 'post',
      path: '/api/codecs/:scope/:target',
      access: TECH,
      summary: 'Publish a new codec version {source, comment, samples}; it goes live only if every sample decodes',
      handler: async (req, res) => {
        const { scope, target } = parse(scopeParams, req.params);
        const body = parse(publishBody, req.body);
        if (scope === 'model' && !catalog.get(target)) throw new HttpError(404, 'not_found', `model ${target} is not in the catalog`);
        if (scope === 'device' && !/^[0-9a-f]{16}$/.test(target)) throw new HttpError(400, 'invalid_request', 'target: DevEUI must be 16 lowercase hex digits');
        let trial: Codec;
        try {
          trial = await Codec.load('trial', body.source, deps.codecLimits, body.module);
        } catch (err) {
          if (err instanceof CodecError) throw new HttpError(422, 'codec_rejected', err.message);
          throw err;
        }
        try {
          const results = body.samples.map((s) => runOnce(trial, s));
          const failed = results.findIndex((r) => r.error !== undefined || (r.result?.errors?.length ?? 0) > 0);
          if (failed >= 0) throw new HttpError(422, 'codec_rejected', `sample ${failed} failed: ${results[failed]!.error ?? results[failed]!.result.errors!.join(', ')}`);
        } finally {
          trial.dispose();
        }
        const version = await customCodecs.publish(scope, target, body.source, principalOf(req).username, body.comment, body.module);
        audit.info({ by: version.author, scope, target, version: version.version }, 'codec published');
        res.status(201).json(version);
      },
    },
    {
      method: 'delete',
      path: '/api/codecs/:scope/:target',
      access: TECH,
      summary: 'Deactivate the technician codec (back to the built-in decoder)',
      handler: (req, res) => {
        const { scope, target } = parse(scopeParams, req.params);
        if (!customCodecs.deactivate(scope, target)) throw new HttpError(404, 'not_found', 'no active technician codec');
        audit.info({ by: principalOf(req).username, scope, target }, 'codec deactivated');
        res.status(204).end();
      },
    },
  ];
}

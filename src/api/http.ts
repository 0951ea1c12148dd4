import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Principal, Role } from '../auth/roles.js';
import { hasRole } from '../auth/roles.js';
import type { Users } from '../auth/users.js';

export const SESSION_COOKIE = 'sp_session';

/** An error that becomes a JSON response `{error, message, problems?}` with the given status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: readonly string[],
  ) {
    super(message);
  }
}

/** Validates a request body or query; every problem is reported as `path: message`. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new HttpError(400, 'invalid_request', problems.join('; '), problems);
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The bearer token (API clients) or session cookie (browsers) of a request. */
export function credentials(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return cookie(req, SESSION_COOKIE);
}

export type Access = 'public' | readonly Role[];

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** 401 without valid credentials, 403 without one of the roles (admin always passes). */
export function authorize(users: Users, access: Access) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (access === 'public') return next();
    const token = credentials(req);
    const principal = token ? users.authenticate(token) : undefined;
    if (!principal) return next(new HttpError(401, 'unauthenticated', 'log in or send Authorization: Bearer <token>'));
    if (!hasRole(principal, access)) return next(new HttpError(403, 'forbidden', `requires one of the roles: ${access.join(', ')}`));
    req.principal = principal;
    next();
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'unauthenticated', 'not authenticated');
  return req.principal;
}

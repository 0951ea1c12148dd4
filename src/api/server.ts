import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Users } from '../auth/users.js';
import type { Logger } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';
import { HttpError, authorize } from './http.js';
import type { RouteDef } from './routes.js';

export interface Health {
  readonly status: 'ok' | 'degraded';
  readonly mqtt: { readonly connected: boolean; readonly unacked: number };
  readonly store: { readonly name: string; readonly reachable: boolean };
  readonly spool: { readonly batches: number; readonly bytes: number };
}

export interface HttpDeps {
  readonly metrics: Metrics;
  readonly health: () => Promise<Health>;
  readonly users: Users;
  readonly routes: readonly RouteDef[];
  readonly log: Logger;
  /** The built web app (`vite build` output) to serve at `/`, and extra image sources for its map tiles. */
  readonly web?: { readonly dir: string; readonly imgSrc?: readonly string[] };
}

/** Paths the web app's SPA fallback never answers: the API, probes, metrics and socket.io. */
const NOT_SPA = /^\/(api|healthz|metrics|socket\.io)(\/|$)/;

/**
 * The express app (no listen here, so tests can build it without a port). `/healthz` and `/metrics` are
 * deliberately public: probes and Prometheus scrape them; they carry no device data and no secrets. Every
 * `/api` route declares its roles in the route table. No CORS headers are sent: cross-origin browser calls fail.
 */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  const imgSrc = (deps.web?.imgSrc ?? []).map((s) => ` ${s}`).join('');
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use((_req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('content-security-policy', `default-src 'self'; img-src 'self' data: https:${imgSrc}; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'`);
    next();
  });
  app.use(express.json({ limit: '1mb' }));
  app.get('/healthz', async (_req, res) => {
    const health = await deps.health();
    res.status(health.status === 'ok' ? 200 : 503).json(health);
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  for (const r of deps.routes) app[r.method](r.path, authorize(deps.users, r.access), r.handler);
  if (deps.web) serveWebApp(app, deps.web.dir);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such route' });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.code, message: err.message, ...(err.problems ? { problems: err.problems } : {}) });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed' || e.type === 'entity.too.large') {
      res.status(e.status ?? 400).json({ error: 'invalid_request', message: e.type === 'entity.too.large' ? 'request body too large' : 'request body is not valid JSON' });
      return;
    }
    deps.log.error({ err: e.message, path: req.path }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'internal error' });
  });
  return app;
}

/**
 * The web app: hashed assets cached for a year, everything else revalidated; any other GET that is not the API,
 * a probe, the metrics or socket.io gets index.html (the app routes by URL hash, so this is the landing page).
 */
function serveWebApp(app: Express, dir: string): void {
  const index = path.join(dir, 'index.html');
  app.use('/assets', express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true }));
  app.use(express.static(dir, { index: false, maxAge: 0 }));
  app.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_SPA.test(req.path) || req.path.startsWith('/assets/')) return next();
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The web app is not built: run `npm run build` (or `npm start`, which builds it).\n');
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
}

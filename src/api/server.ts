import express, { type Express } from 'express';
import type { Metrics } from '../observability/metrics.js';

export interface Health {
  readonly status: 'ok' | 'degraded';
  readonly mqtt: { readonly connected: boolean; readonly unacked: number };
  readonly store: { readonly name: string; readonly reachable: boolean };
  readonly spool: { readonly batches: number; readonly bytes: number };
}

export interface HttpDeps {
  readonly metrics: Metrics;
  readonly health: () => Promise<Health>;
}

/**
 * The express app (no listen here, so tests can build it without a port). `/healthz` and `/metrics` are
 * deliberately public: probes and Prometheus scrape them; they carry no device data and no secrets.
 */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    next();
  });
  app.get('/healthz', async (_req, res) => {
    const health = await deps.health();
    res.status(health.status === 'ok' ? 200 : 503).json(health);
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  return app;
}

import type Database from 'better-sqlite3';
import type { RouteDef } from '../api/routes.js';
import type { Point } from '../domain/point.js';
import type { LiveBus } from '../live/bus.js';
import type { Logger } from '../observability/log.js';
import type { PipelineObserver } from '../pipeline/pipeline.js';
import type { Catalog } from '../registry/catalog.js';
import type { Fleet } from '../registry/fleet.js';

/** What every semantics module gets: its state lives in `db` (SQLite under DATA_DIR) and survives restarts. */
export interface SemanticsContext {
  readonly db: Database.Database;
  readonly catalog: Catalog;
  readonly fleet: Fleet;
  readonly live: LiveBus;
  readonly log: Logger;
  /** Writes derived points durably (store or spool); for timer-driven results outside the pipeline. */
  readonly write: (points: readonly Point[]) => Promise<void>;
  /** The town's time zone for daily and monthly figures (IANA name, default Europe/Berlin). */
  readonly timeZone: string;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now: () => number;
}

/**
 * A municipal-semantics module (energy, parking, levels, device health): event-driven from the pipeline (its
 * `onUplink`/`onEvent` return derived points, written together with the uplink's own), with HTTP routes.
 */
export interface SemanticsModule extends PipelineObserver {
  start(): void | Promise<void>;
  stop(): void;
  routes(): RouteDef[];
}

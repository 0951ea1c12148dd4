import type Database from 'better-sqlite3';
import type { RouteDef } from '../api/routes.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/log.js';
import type { Catalog } from '../registry/catalog.js';
import type { Fleet } from '../registry/fleet.js';
import { AuditLog } from './audit.js';
import { ChirpStackClient, type ChirpStackApi } from './chirpstack.js';
import { DeviceRegistry } from './devices.js';
import { Provisioner } from './provisioner.js';
import { onboardingRoutes } from './routes.js';

export interface OnboardingDeps {
  readonly db: Database.Database;
  readonly catalog: Catalog;
  readonly fleet: Fleet;
  readonly chirpstack: Config['chirpstack'];
  readonly log: Logger;
  /** The app's final route table (for the OpenAPI document). */
  readonly routes: () => readonly RouteDef[];
  readonly version?: string;
  /** Replaces the gRPC client (tests). */
  readonly chirpstackApi?: ChirpStackApi;
}

/** Device onboarding: REST API, CSV import, ChirpStack provisioning and the audit log, wired together. */
export class Onboarding {
  readonly audit: AuditLog;
  readonly provisioner: Provisioner | undefined;
  readonly registry: DeviceRegistry;

  constructor(private readonly deps: OnboardingDeps) {
    const { db, fleet, catalog, chirpstack, log } = deps;
    this.audit = new AuditLog(db);
    const c = chirpstack;
    if (c.apiUrl && c.apiToken && c.applicationId) {
      const api = deps.chirpstackApi ?? new ChirpStackClient({ url: c.apiUrl, token: c.apiToken, timeoutMs: c.timeoutMs });
      const profiles = new Map(
        c.deviceProfiles.map((entry) => {
          const i = entry.indexOf('=');
          return [entry.slice(0, i), entry.slice(i + 1).toLowerCase()] as const;
        }),
      );
      this.provisioner = new Provisioner({ api, db, fleet, applicationId: c.applicationId, tenantId: c.tenantId, profiles, log: log.child({ module: 'chirpstack' }) });
    }
    this.registry = new DeviceRegistry({ db, fleet, catalog, audit: this.audit, provisioner: this.provisioner, log });
  }

  start(): void {
    this.audit.start();
    this.provisioner?.start();
    if (this.provisioner) this.deps.log.info({ url: this.deps.chirpstack.apiUrl, applicationId: this.deps.chirpstack.applicationId }, 'ChirpStack provisioning on');
  }

  stop(): void {
    this.provisioner?.stop();
  }

  routes(): RouteDef[] {
    return onboardingRoutes({ registry: this.registry, audit: this.audit, routes: this.deps.routes, version: this.deps.version ?? '0.1.0' });
  }
}

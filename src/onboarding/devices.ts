import type Database from 'better-sqlite3';
import { HttpError } from '../api/http.js';
import type { Logger } from '../observability/log.js';
import type { Catalog } from '../registry/catalog.js';
import type { Fleet, FleetDevice } from '../registry/fleet.js';
import type { AuditLog } from './audit.js';
import type { ParsedCsv } from './csv.js';
import { planImport, type ImportRowResult } from './import.js';
import type { ProvisioningState, Provisioner } from './provisioner.js';
import { changedFields, modelProblem, toFleetDevice, type CreateDeviceBody, type UpdateDeviceBody } from './validation.js';

/** A device as the API returns it: never the AppKey, only whether one is stored. */
export interface DeviceView extends FleetDevice {
  readonly appKeySet: boolean;
  /** Absent when ChirpStack provisioning is not configured. */
  readonly provisioning?: ProvisioningState;
}

export interface ImportProgress {
  readonly phase: 'validate' | 'save' | 'provision';
  readonly done: number;
  readonly total: number;
}

export interface ImportSummary {
  readonly rows: number;
  readonly create: number;
  readonly update: number;
  readonly unchanged: number;
  readonly error: number;
  readonly provisioned?: number;
  readonly provisioningFailed?: number;
}

export interface ImportResult {
  readonly dryRun: boolean;
  readonly delimiter: string;
  readonly columns: ParsedCsv['columns'];
  readonly tagColumns: ParsedCsv['tagColumns'];
  readonly ignoredColumns: readonly string[];
  readonly summary: ImportSummary;
  readonly rows: readonly ImportRowResult[];
}

export interface DeviceRegistryDeps {
  readonly db: Database.Database;
  readonly fleet: Fleet;
  readonly catalog: Catalog;
  readonly audit: AuditLog;
  readonly provisioner?: Provisioner | undefined;
  readonly log: Logger;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Device onboarding: the fleet's create/update/delete with validation, the audit trail and ChirpStack provisioning.
 * Local changes are saved (with their audit entries and a `pending` provisioning state) in one SQLite
 * transaction first; ChirpStack follows, and its outcome is stored per device.
 */
export class DeviceRegistry {
  constructor(private readonly d: DeviceRegistryDeps) {}

  get provisioningEnabled(): boolean {
    return this.d.provisioner !== undefined;
  }

  view(device: FleetDevice): DeviceView {
    const provisioning = this.d.provisioner?.state(device.devEui);
    return { ...device, appKeySet: this.d.fleet.appKey(device.devEui) !== undefined, ...(provisioning ? { provisioning } : {}) };
  }

  get(devEui: string): DeviceView {
    const device = this.d.fleet.get(devEui);
    if (!device) throw new HttpError(404, 'not_found', `no device with DevEUI ${devEui}`);
    return this.view(device);
  }

  list(): DeviceView[] {
    return this.d.fleet.list().map((d) => this.view(d));
  }

  /** 400 unless the model is in the catalog. */
  checkDefaultModel(model: string): void {
    this.checkModel(model);
  }

  private checkModel(model: string): void {
    const problem = modelProblem(this.d.catalog, model);
    if (problem) throw new HttpError(400, 'invalid_request', problem, [problem]);
  }

  async create(body: CreateDeviceBody, actor: string): Promise<DeviceView> {
    const { fleet, audit, provisioner } = this.d;
    this.checkModel(body.model);
    if (fleet.get(body.devEui)) throw new HttpError(409, 'conflict', `a device with DevEUI ${body.devEui} exists already (PUT /api/devices/${body.devEui} changes it)`);
    if (provisioner && body.appKey === undefined) {
      const problem = 'appKey: AppKey is required to provision the device in ChirpStack (OTAA)';
      throw new HttpError(400, 'invalid_request', problem, [problem]);
    }
    const device = toFleetDevice(body.devEui, body);
    this.d.db.transaction(() => {
      fleet.upsert(device);
      if (body.appKey !== undefined) fleet.setAppKey(device.devEui, body.appKey);
      provisioner?.markPending(device.devEui, true);
      audit.record(actor, 'device.create', device.devEui, { device, appKeySet: body.appKey !== undefined });
    })();
    this.d.log.info({ devEui: device.devEui, model: device.model, by: actor }, 'device created');
    await provisioner?.provision(device.devEui);
    return this.get(device.devEui);
  }

  async replace(devEui: string, body: UpdateDeviceBody, actor: string): Promise<DeviceView> {
    const { fleet, audit, provisioner } = this.d;
    if (body.devEui !== undefined && body.devEui !== devEui) {
      const problem = `devEui: the body names ${body.devEui}, the path ${devEui} (a DevEUI cannot be changed: delete and create)`;
      throw new HttpError(400, 'invalid_request', problem, [problem]);
    }
    const before = fleet.get(devEui);
    if (!before) throw new HttpError(404, 'not_found', `no device with DevEUI ${devEui}`);
    this.checkModel(body.model);
    const device = toFleetDevice(devEui, body);
    const keyChanged = body.appKey !== undefined && body.appKey !== fleet.appKey(devEui);
    const changes = changedFields(before, device);
    if (Object.keys(changes).length === 0 && !keyChanged) {
      if (provisioner?.needsRun(devEui)) await provisioner.provision(devEui);
      return this.get(devEui);
    }
    this.d.db.transaction(() => {
      fleet.upsert(device);
      if (keyChanged) fleet.setAppKey(devEui, body.appKey);
      provisioner?.markPending(devEui, keyChanged);
      audit.record(actor, 'device.update', devEui, { changes, ...(keyChanged ? { appKeyChanged: true } : {}) });
    })();
    this.d.log.info({ devEui, fields: Object.keys(changes), keyChanged, by: actor }, 'device updated');
    await provisioner?.provision(devEui);
    return this.get(devEui);
  }

  /**
   * Deletes in ChirpStack first, then here, so no device is left in ChirpStack without Stadtpuls knowing; with
   * `force`, a ChirpStack failure does not stop the local deletion (the response says so).
   */
  async remove(devEui: string, actor: string, force: boolean): Promise<{ chirpstack: 'deleted' | 'failed' | 'not configured'; error?: string }> {
    const { fleet, audit, provisioner } = this.d;
    const device = fleet.get(devEui);
    if (!device) throw new HttpError(404, 'not_found', `no device with DevEUI ${devEui}`);
    let chirpstack: 'deleted' | 'failed' | 'not configured' = 'not configured';
    let error: string | undefined;
    if (provisioner) {
      try {
        await provisioner.deprovision(devEui);
        chirpstack = 'deleted';
      } catch (err) {
        error = `DeviceService.Delete: ${(err as Error).message}`;
        if (!force) {
          throw new HttpError(502, 'chirpstack_failed', `${error}; the device was not deleted (retry, or add ?force=true to delete it in Stadtpuls only and leave it in ChirpStack)`);
        }
        chirpstack = 'failed';
      }
    }
    this.d.db.transaction(() => {
      fleet.remove(devEui);
      provisioner?.forget(devEui);
      audit.record(actor, 'device.delete', devEui, { device, chirpstack, ...(error ? { error } : {}) });
    })();
    this.d.log.info({ devEui, chirpstack, by: actor }, 'device deleted');
    return { chirpstack, ...(error ? { error } : {}) };
  }

  /** POST /api/devices/{devEui}/provision: run provisioning again (after a failure, or to repair ChirpStack). */
  async retry(devEui: string, actor: string): Promise<DeviceView> {
    const { provisioner } = this.d;
    if (!provisioner) throw new HttpError(409, 'not_configured', 'ChirpStack provisioning is not configured (CHIRPSTACK_API_URL, CHIRPSTACK_API_TOKEN, CHIRPSTACK_APPLICATION_ID)');
    if (!this.d.fleet.get(devEui)) throw new HttpError(404, 'not_found', `no device with DevEUI ${devEui}`);
    const state = await provisioner.provision(devEui);
    this.d.audit.record(actor, 'device.provision', devEui, { status: state.status, ...(state.error ? { error: state.error } : {}) });
    return this.get(devEui);
  }

  /** POST /api/devices/provision: retry every device whose provisioning is pending or failed. */
  async retryAll(actor: string): Promise<{ provisioned: number; failed: number; devices: { devEui: string; status: string; error: string | null }[] }> {
    const { provisioner } = this.d;
    if (!provisioner) throw new HttpError(409, 'not_configured', 'ChirpStack provisioning is not configured (CHIRPSTACK_API_URL, CHIRPSTACK_API_TOKEN, CHIRPSTACK_APPLICATION_ID)');
    const euis = this.d.fleet
      .list()
      .map((d) => d.devEui)
      .filter((eui) => provisioner.needsRun(eui));
    const states = await provisioner.provisionMany(euis);
    const devices = euis.map((devEui) => ({ devEui, status: states.get(devEui)!.status, error: states.get(devEui)!.error }));
    const provisioned = devices.filter((d) => d.status === 'provisioned').length;
    this.d.audit.record(actor, 'devices.provision', `${euis.length} devices`, { provisioned, failed: devices.length - provisioned });
    return { provisioned, failed: devices.length - provisioned, devices };
  }

  /**
   * CSV import: validates every row, then (unless a dry run) saves all valid rows in one transaction and
   * provisions the created, updated and not yet provisioned devices with bounded concurrency.
   */
  async import(csv: ParsedCsv, o: { dryRun: boolean; defaultModel?: string | undefined; actor: string; onProgress?: (p: ImportProgress) => void }): Promise<ImportResult> {
    const { fleet, audit, provisioner, catalog } = this.d;
    const progress = o.onProgress ?? (() => undefined);
    if (o.defaultModel !== undefined) this.checkModel(o.defaultModel);
    const total = csv.rows.length;
    progress({ phase: 'validate', done: 0, total });
    // Planning is synchronous; do it in slices so progress lines get out while a large file is checked.
    const planned: ReturnType<typeof planImport> = [];
    const SLICE = 1000;
    const seen = new Map<string, number>();
    for (let i = 0; i < total; i += SLICE) {
      const slice = { ...csv, rows: csv.rows.slice(i, i + SLICE) };
      planned.push(...planImport(slice, { catalog, fleet, defaultModel: o.defaultModel, requireAppKey: provisioner !== undefined, seen }));
      progress({ phase: 'validate', done: Math.min(i + SLICE, total), total });
      await yieldToLoop();
    }
    const count = (a: ImportRowResult['action']) => planned.filter((p) => p.result.action === a).length;
    const summary = { rows: total, create: count('create'), update: count('update'), unchanged: count('unchanged'), error: count('error') };
    const base = { dryRun: o.dryRun, delimiter: csv.delimiter, columns: csv.columns, tagColumns: csv.tagColumns, ignoredColumns: csv.ignored };
    if (o.dryRun) return { ...base, summary, rows: planned.map((p) => p.result) };

    const changes = planned.filter((p) => p.result.action === 'create' || p.result.action === 'update');
    progress({ phase: 'save', done: 0, total: changes.length });
    this.d.db.transaction(() => {
      for (const p of changes) {
        const device = p.device!;
        fleet.upsert(device);
        if (p.appKey !== undefined && p.keyChanged) fleet.setAppKey(device.devEui, p.appKey);
        provisioner?.markPending(device.devEui, p.keyChanged === true);
        if (p.result.action === 'create') audit.record(o.actor, 'device.create', device.devEui, { source: 'import', row: p.result.row, device, appKeySet: p.appKey !== undefined });
        else audit.record(o.actor, 'device.update', device.devEui, { source: 'import', row: p.result.row, changes: changedFields(p.before!, device), ...(p.keyChanged ? { appKeyChanged: true } : {}) });
      }
      audit.record(o.actor, 'devices.import', `${total} rows`, summary);
    })();
    progress({ phase: 'save', done: changes.length, total: changes.length });
    this.d.log.info({ ...summary, by: o.actor }, 'devices imported');

    let provisioned: number | undefined;
    let provisioningFailed: number | undefined;
    if (provisioner) {
      const targets = planned.filter((p) => p.result.action === 'create' || p.result.action === 'update' || (p.result.action === 'unchanged' && provisioner.needsRun(p.result.devEui!)));
      const euis = targets.map((p) => p.result.devEui!);
      progress({ phase: 'provision', done: 0, total: euis.length });
      let last = 0;
      const states = await provisioner.provisionMany(euis, (_eui, _state, done) => {
        const now = Date.now();
        if (done === euis.length || now - last >= 200) {
          last = now;
          progress({ phase: 'provision', done, total: euis.length });
        }
      });
      provisioned = 0;
      provisioningFailed = 0;
      for (const p of targets) {
        const s = states.get(p.result.devEui!);
        if (!s) continue;
        p.result.provisioning = { status: s.status, error: s.error };
        if (s.status === 'provisioned') provisioned++;
        else provisioningFailed++;
        if (p.result.action === 'unchanged') p.result.message = s.status === 'provisioned' ? 'unchanged; provisioning in ChirpStack completed' : 'unchanged; provisioning in ChirpStack failed again';
      }
    }
    return { ...base, summary: { ...summary, ...(provisioned !== undefined ? { provisioned, provisioningFailed } : {}) }, rows: planned.map((p) => p.result) };
  }
}

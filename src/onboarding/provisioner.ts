import * as grpc from '@grpc/grpc-js';
import type Database from 'better-sqlite3';
import type { Logger } from '../observability/log.js';
import type { Fleet, FleetDevice } from '../registry/fleet.js';
import { ChirpStackError, type ChirpStackApi, type ChirpStackDevice } from './chirpstack.js';

export const PROVISIONING_STATUSES = ['pending', 'provisioned', 'failed'] as const;
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

/**
 * Where a device stands in ChirpStack. `inChirpStack`: DeviceService.Create succeeded (or the device was there
 * already); `keys`: `set` (OTAA keys in ChirpStack match ours), `missing` (none sent yet) or `stale` (the AppKey
 * changed since). A failed device with `inChirpStack` and keys not `set` is half-registered, and `error` says so.
 */
export interface ProvisioningState {
  readonly status: ProvisioningStatus;
  readonly inChirpStack: boolean;
  readonly keys: 'set' | 'missing' | 'stale';
  readonly error: string | null;
  readonly attempts: number;
  readonly updatedAt: string;
}

export interface ProvisionerOptions {
  readonly api: ChirpStackApi;
  readonly db: Database.Database;
  readonly fleet: Fleet;
  readonly applicationId: string;
  readonly tenantId?: string | undefined;
  /** Configured device profile per model id (CHIRPSTACK_DEVICE_PROFILES). */
  readonly profiles: ReadonlyMap<string, string>;
  readonly log: Logger;
  /** Parallel ChirpStack calls during bulk provisioning. */
  readonly concurrency?: number;
}

interface Row {
  status: ProvisioningStatus;
  in_chirpstack: number;
  keys: 'set' | 'missing' | 'stale';
  error: string | null;
  attempts: number;
  updated_at: string;
}

const HALF = 'the device exists in ChirpStack without OTAA keys';

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/**
 * Registers fleet devices in ChirpStack over its gRPC API: DeviceService.Create (ALREADY_EXISTS → Update), then
 * CreateKeys with the AppKey as `nwk_key` (LoRaWAN 1.0.x; ALREADY_EXISTS → UpdateKeys). Every step's outcome is
 * stored per device (table `device_provisioning`), so a failure is visible and a retry continues where it stopped.
 * Calls for one device are serialized; bulk runs keep at most `concurrency` devices in flight.
 */
export class Provisioner {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly profileCache = new Map<string, Promise<string>>();
  readonly concurrency: number;

  constructor(private readonly o: ProvisionerOptions) {
    this.concurrency = o.concurrency ?? 8;
  }

  start(): void {
    this.o.db.exec(`CREATE TABLE IF NOT EXISTS device_provisioning (
      dev_eui TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      in_chirpstack INTEGER NOT NULL DEFAULT 0,
      keys TEXT NOT NULL DEFAULT 'missing',
      error TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      updated_at TEXT NOT NULL
    )`);
  }

  stop(): void {
    this.o.api.close();
  }

  private statements?: { select: Database.Statement; upsert: Database.Statement; remove: Database.Statement };

  private get sql() {
    return (this.statements ??= {
      select: this.o.db.prepare('SELECT status, in_chirpstack, keys, error, attempts, updated_at FROM device_provisioning WHERE dev_eui = ?'),
      upsert: this.o.db.prepare(
        `INSERT INTO device_provisioning (dev_eui, status, in_chirpstack, keys, error, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(dev_eui) DO UPDATE SET status = excluded.status, in_chirpstack = excluded.in_chirpstack, keys = excluded.keys,
           error = excluded.error, attempts = excluded.attempts, updated_at = excluded.updated_at`,
      ),
      remove: this.o.db.prepare('DELETE FROM device_provisioning WHERE dev_eui = ?'),
    });
  }

  private row(devEui: string): Row | undefined {
    return this.sql.select.get(devEui) as Row | undefined;
  }

  private save(devEui: string, r: Row): void {
    this.sql.upsert.run(devEui, r.status, r.in_chirpstack, r.keys, r.error, r.attempts, r.updated_at);
  }

  state(devEui: string): ProvisioningState {
    const r = this.row(devEui);
    if (!r) return { status: 'pending', inChirpStack: false, keys: 'missing', error: null, attempts: 0, updatedAt: new Date(0).toISOString() };
    return { status: r.status, inChirpStack: r.in_chirpstack === 1, keys: r.keys, error: r.error, attempts: r.attempts, updatedAt: r.updated_at };
  }

  /** Marks a device as changed locally (call inside the transaction that saves it); `keyChanged`: a new AppKey. */
  markPending(devEui: string, keyChanged: boolean): void {
    const r = this.row(devEui) ?? { status: 'pending', in_chirpstack: 0, keys: 'missing', error: null, attempts: 0, updated_at: '' };
    this.save(devEui, { ...r, status: 'pending', keys: keyChanged && r.keys === 'set' ? 'stale' : r.keys, updated_at: new Date().toISOString() });
  }

  /** Forgets a device's state (after it was deleted). */
  forget(devEui: string): void {
    this.sql.remove.run(devEui);
  }

  /** Whether the device still needs a provisioning run (pending or failed). */
  needsRun(devEui: string): boolean {
    return this.state(devEui).status !== 'provisioned';
  }

  private serialized<T>(devEui: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(devEui) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(devEui, tail);
    void tail.then(() => {
      if (this.chains.get(devEui) === tail) this.chains.delete(devEui);
    });
    return run;
  }

  private async profileFor(model: string): Promise<string> {
    const configured = this.o.profiles.get(model);
    if (configured) return configured;
    let found = this.profileCache.get(model);
    if (!found) {
      found = this.o.api.listDeviceProfiles(model, this.o.tenantId).then((list) => {
        const exact = list.filter((p) => p.name === model);
        if (exact.length === 1) return exact[0]!.id;
        if (exact.length === 0) throw new Error(`no ChirpStack device profile is named "${model}": create one with that name or map the model in CHIRPSTACK_DEVICE_PROFILES`);
        throw new Error(`${exact.length} ChirpStack device profiles are named "${model}": map the model in CHIRPSTACK_DEVICE_PROFILES`);
      });
      this.profileCache.set(model, found);
      // Failed look-ups are not cached, so a retry looks again.
      found.catch(() => this.profileCache.delete(model));
    }
    return found;
  }

  private message(device: FleetDevice, profileId: string): ChirpStackDevice {
    const tags: Record<string, string> = { ...device.tags, model: device.model };
    if (device.site !== undefined) tags.site = device.site;
    return {
      devEui: device.devEui,
      name: device.name,
      description: 'Registered by Stadtpuls',
      applicationId: this.o.applicationId,
      deviceProfileId: profileId,
      joinEui: device.joinEui ?? '',
      tags,
    };
  }

  /** Brings one device in ChirpStack in line with the fleet; never throws — the outcome is in the returned state. */
  provision(devEui: string): Promise<ProvisioningState> {
    return this.serialized(devEui, () => this.run(devEui));
  }

  private async run(devEui: string): Promise<ProvisioningState> {
    const { api, fleet } = this.o;
    const log = this.o.log;
    const device = fleet.get(devEui);
    const prev = this.row(devEui) ?? { status: 'pending' as const, in_chirpstack: 0, keys: 'missing' as const, error: null, attempts: 0, updated_at: '' };
    const r: Row = { ...prev, status: 'pending', attempts: prev.attempts + 1, updated_at: new Date().toISOString() };
    if (!device) return this.state(devEui);
    // Saved once, when the run ends: after a crash mid-run the device is still `pending`, and a retry repeats
    // the calls safely (Create → ALREADY_EXISTS → Update; CreateKeys → ALREADY_EXISTS → UpdateKeys).
    let step = 'device profile';
    try {
      const message = this.message(device, await this.profileFor(device.model));
      if (r.in_chirpstack === 0) {
        step = 'DeviceService.Create';
        try {
          await api.createDevice(message);
        } catch (err) {
          if (!(err instanceof ChirpStackError && err.code === grpc.status.ALREADY_EXISTS)) throw err;
          step = 'DeviceService.Update (the device already existed)';
          await api.updateDevice(message);
        }
        r.in_chirpstack = 1;
      } else {
        step = 'DeviceService.Update';
        try {
          await api.updateDevice(message);
        } catch (err) {
          if (!(err instanceof ChirpStackError && err.code === grpc.status.NOT_FOUND)) throw err;
          // Deleted in ChirpStack behind our back: register it again, keys included.
          r.in_chirpstack = 0;
          r.keys = 'missing';
          step = 'DeviceService.Create (the device had been deleted in ChirpStack)';
          await api.createDevice(message);
          r.in_chirpstack = 1;
        }
      }
      if (r.keys !== 'set') {
        const appKey = fleet.appKey(devEui);
        step = 'keys';
        if (appKey === undefined) throw new Error('no AppKey is stored for the device: set appKey and retry');
        if (r.keys === 'stale') {
          step = 'DeviceService.UpdateKeys';
          try {
            await api.updateKeys(devEui, appKey);
          } catch (err) {
            if (!(err instanceof ChirpStackError && err.code === grpc.status.NOT_FOUND)) throw err;
            step = 'DeviceService.CreateKeys';
            await api.createKeys(devEui, appKey);
          }
        } else {
          step = 'DeviceService.CreateKeys';
          try {
            await api.createKeys(devEui, appKey);
          } catch (err) {
            if (!(err instanceof ChirpStackError && err.code === grpc.status.ALREADY_EXISTS)) throw err;
            step = 'DeviceService.UpdateKeys (keys already existed)';
            await api.updateKeys(devEui, appKey);
          }
        }
        r.keys = 'set';
      }
      r.status = 'provisioned';
      r.error = null;
    } catch (err) {
      r.status = 'failed';
      const half = r.in_chirpstack === 1 && r.keys !== 'set' ? ` — ${HALF}` : '';
      r.error = `${step}: ${(err as Error).message}${half}`;
      log.warn({ devEui, step, error: (err as Error).message }, 'ChirpStack provisioning failed');
    }
    r.updated_at = new Date().toISOString();
    this.save(devEui, r);
    return this.state(devEui);
  }

  /** Provisions several devices with bounded concurrency; `onDone` after each. */
  async provisionMany(devEuis: readonly string[], onDone?: (devEui: string, state: ProvisioningState, done: number) => void): Promise<Map<string, ProvisioningState>> {
    const out = new Map<string, ProvisioningState>();
    await pool(devEuis, this.concurrency, async (devEui) => {
      const state = await this.provision(devEui);
      out.set(devEui, state);
      onDone?.(devEui, state, out.size);
    });
    return out;
  }

  /** DeviceService.Delete; a device ChirpStack does not know counts as deleted. Throws ChirpStackError otherwise. */
  deprovision(devEui: string): Promise<void> {
    return this.serialized(devEui, async () => {
      try {
        await this.o.api.deleteDevice(devEui);
      } catch (err) {
        if (!(err instanceof ChirpStackError && err.code === grpc.status.NOT_FOUND)) throw err;
      }
    });
  }
}

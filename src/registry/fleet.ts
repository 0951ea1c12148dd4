import type Database from 'better-sqlite3';
import { z } from 'zod';

export const fleetDeviceSchema = z.object({
  devEui: z.string().regex(/^[0-9a-f]{16}$/, 'DevEUI must be 16 lowercase hex digits'),
  /** OTAA JoinEUI (AppEUI in LoRaWAN 1.0), when known. The AppKey is never part of the record (see `appKey`). */
  joinEui: z.string().regex(/^[0-9a-f]{16}$/, 'JoinEUI must be 16 lowercase hex digits').optional(),
  model: z.string().min(1),
  name: z.string().min(1).max(200),
  /** Parking zone or building the device belongs to (its `site` tag in InfluxDB). */
  site: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'site id: letters, digits, "_", "." and "-", at most 64').optional(),
  siteKind: z.enum(['zone', 'building', 'gauge']).optional(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  uplinkIntervalSeconds: z.number().int().positive().optional(),
  mounting: z.object({ heightMm: z.number().optional(), zeroOffsetMm: z.number().optional() }).optional(),
  tags: z.record(z.string(), z.string()).default({}),
});

export type FleetDevice = z.output<typeof fleetDeviceSchema>;

/**
 * The registered devices (DevEUI → model, name, site, location), persisted in SQLite under DATA_DIR and held in
 * memory for the per-uplink lookup. OTAA AppKeys are kept apart from the records (table `device_keys`, never in
 * the cache or a `FleetDevice`), so code that returns or logs devices cannot leak them.
 */
export class Fleet {
  private readonly cache = new Map<string, FleetDevice>();

  constructor(private readonly db: Database.Database) {}

  start(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS devices (dev_eui TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS device_keys (dev_eui TEXT PRIMARY KEY, app_key TEXT NOT NULL)`);
    for (const row of this.db.prepare('SELECT doc FROM devices').all() as { doc: string }[]) {
      const device = fleetDeviceSchema.parse(JSON.parse(row.doc));
      this.cache.set(device.devEui, device);
    }
  }

  get(devEui: string): FleetDevice | undefined {
    return this.cache.get(devEui);
  }

  list(): FleetDevice[] {
    return [...this.cache.values()].sort((a, b) => a.devEui.localeCompare(b.devEui));
  }

  get size(): number {
    return this.cache.size;
  }

  upsert(input: z.input<typeof fleetDeviceSchema>): FleetDevice {
    const device = fleetDeviceSchema.parse({ ...input, devEui: input.devEui.toLowerCase() });
    this.db
      .prepare('INSERT INTO devices (dev_eui, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT(dev_eui) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at')
      .run(device.devEui, JSON.stringify(device), new Date().toISOString());
    this.cache.set(device.devEui, device);
    return device;
  }

  /** The stored OTAA AppKey (32 lowercase hex digits), for provisioning only: never return or log it. */
  appKey(devEui: string): string | undefined {
    const row = this.db.prepare('SELECT app_key FROM device_keys WHERE dev_eui = ?').get(devEui.toLowerCase()) as { app_key: string } | undefined;
    return row?.app_key;
  }

  /** Stores (or, with undefined, forgets) a device's AppKey. */
  setAppKey(devEui: string, appKey: string | undefined): void {
    if (appKey === undefined) {
      this.db.prepare('DELETE FROM device_keys WHERE dev_eui = ?').run(devEui.toLowerCase());
      return;
    }
    if (!/^[0-9a-fA-F]{32}$/.test(appKey)) throw new Error('AppKey must be 32 hex digits');
    this.db
      .prepare('INSERT INTO device_keys (dev_eui, app_key) VALUES (?, ?) ON CONFLICT(dev_eui) DO UPDATE SET app_key = excluded.app_key')
      .run(devEui.toLowerCase(), appKey.toLowerCase());
  }

  remove(devEui: string): boolean {
    this.db.prepare('DELETE FROM device_keys WHERE dev_eui = ?').run(devEui.toLowerCase());
    const removed = this.db.prepare('DELETE FROM devices WHERE dev_eui = ?').run(devEui.toLowerCase()).changes > 0;
    this.cache.delete(devEui.toLowerCase());
    return removed;
  }
}

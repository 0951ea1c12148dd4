import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeviceEvent, RadioInfo } from '../../src/domain/events.js';
import type { Point } from '../../src/domain/point.js';
import { LiveBus } from '../../src/live/bus.js';
import type { AlarmState, DeviceHealth } from '../../src/live/events.js';
import { createLogger } from '../../src/observability/log.js';
import type { ProcessedUplink } from '../../src/pipeline/pipeline.js';
import { Catalog } from '../../src/registry/catalog.js';
import { Fleet } from '../../src/registry/fleet.js';
import { resolveDevice, type ResolvedDevice } from '../../src/registry/resolve.js';
import { HealthModule } from '../../src/semantics/health/module.js';
import { AlarmStore } from '../../src/semantics/level/alarms.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await Catalog.load('devices', 'decoders');
});

const ns = (ms: number) => `${ms}000000`;
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;
const T0 = Date.parse('2025-06-02T08:00:00Z');
const D1 = '00000000000000d1'; // interval overridden: 600 s → offline after 1800 s
const D2 = '00000000000000d2'; // Dragino LDDS75 default 1200 s → offline after 3600 s
const D3 = '00000000000000d3'; // registered, never seen

class Harness {
  readonly db = new Database(':memory:');
  fleet = new Fleet(this.db);
  readonly live = new LiveBus();
  readonly health: DeviceHealth[] = [];
  readonly alarms: AlarmState[] = [];
  readonly written: Point[] = [];
  now = T0;
  module!: HealthModule;

  constructor() {
    this.fleet.start();
    this.fleet.upsert({ devEui: D1, model: 'dragino-ldds75', name: 'Pegel 1', site: 'wupper', uplinkIntervalSeconds: 600 });
    this.fleet.upsert({ devEui: D2, model: 'dragino-ldds75', name: 'Pegel 2', site: 'wupper' });
    this.fleet.upsert({ devEui: D3, model: 'nwave-nps405', name: 'Bay', site: 'markt' });
    this.live.on('device.health', (h) => this.health.push(h));
    this.live.on('alarm', (a) => this.alarms.push(a));
    this.start();
  }

  start(): this {
    this.module?.stop();
    this.module = new HealthModule({
      db: this.db,
      catalog,
      fleet: this.fleet,
      live: this.live,
      log: createLogger('silent'),
      write: async (points) => void this.written.push(...points),
      timeZone: 'Europe/Berlin',
      now: () => this.now,
    });
    this.module.start();
    return this;
  }

  restart(): this {
    this.fleet = new Fleet(this.db);
    this.fleet.start();
    return this.start();
  }

  device(devEui: string): ResolvedDevice {
    return resolveDevice(catalog, this.fleet, { devEui, tags: {} }) as ResolvedDevice;
  }

  up(devEui: string, timeMs: number, o: { readings?: ProcessedUplink['readings']; radio?: Partial<RadioInfo>; id?: string; rejection?: ProcessedUplink['rejection'] } = {}): Point[] {
    const u: ProcessedUplink = {
      event: {
        kind: 'up',
        source: 'chirpstack_v4_json',
        time: { ms: timeMs, ns: ns(timeMs) },
        device: { devEui, tags: {} },
        id: o.id ?? `${devEui}-${timeMs}`,
        fCnt: 1,
        fPort: 2,
        bytes: new Uint8Array([1]),
        confirmed: false,
        radio: { gateways: 1, rssi: -90, snr: 7.5, gatewayId: 'gw-a', ...o.radio },
      },
      device: this.device(devEui),
      decoded: o.rejection ? undefined : {},
      readings: o.readings ?? {},
      ...(o.rejection ? { rejection: o.rejection } : {}),
    };
    return [...(this.module.onUplink(u) ?? [])];
  }

  event(e: DeviceEvent): Point[] {
    return [...(this.module.onEvent(e, this.device(e.device.devEui)) ?? [])];
  }
}

const base = (devEui: string, timeMs: number) => ({ source: 'chirpstack_v4_json' as const, time: { ms: timeMs, ns: ns(timeMs) }, device: { devEui, tags: {} } });
const status = (devEui: string, timeMs: number, batteryLevel: number, externalPowerSource = false): DeviceEvent => ({
  kind: 'status',
  ...base(devEui, timeMs),
  id: `s-${timeMs}`,
  margin: 10,
  externalPowerSource,
  batteryLevelUnavailable: false,
  batteryLevel,
});
const log = (devEui: string, timeMs: number, code: string, description: string): DeviceEvent => ({ kind: 'log', ...base(devEui, timeMs), level: 'ERROR', code, description, context: {} });

const offlinePoint = (timeMs: number, f: { id: string; state: string; by?: string }): Point => ({
  measurement: 'alarm',
  tags: { dev_eui: D1, kind: 'offline', model: 'dragino-ldds75', site: 'wupper' },
  fields: {
    alarm_id: { type: 'string', value: f.id },
    severity: { type: 'string', value: 'alarm' },
    state: { type: 'string', value: f.state },
    ...(f.by !== undefined ? { acknowledged_by: { type: 'string', value: f.by } } : {}),
  },
  timeNs: ns(timeMs),
});

describe('device health: last seen, battery, radio', () => {
  it('records the newest values; a late uplink or status never overwrites them (per gateway: the newest from that gateway)', () => {
    const h = new Harness();
    h.up(D1, T0, { readings: { battery_voltage: 3.3, distance: 1000 } });
    expect(h.module.health(D1)).toEqual({
      devEui: D1,
      name: 'Pegel 1',
      model: 'dragino-ldds75',
      lastSeen: iso(T0),
      batteryVoltage: 3.3,
      rssi: -90,
      snr: 7.5,
      gateways: { 'gw-a': { rssi: -90, snr: 7.5, lastSeen: iso(T0) } },
      expectedIntervalSeconds: 600,
      online: true,
      codecErrors: 0,
    });
    h.now = T0 + 10 * MIN;
    h.up(D1, T0 + 10 * MIN, { readings: { battery_voltage: 3.2 }, radio: { gatewayId: 'gw-b', rssi: -110, snr: -3.25 } });
    h.up(D1, T0 + 5 * MIN, { readings: { battery_voltage: 3.6 }, radio: { gatewayId: 'gw-a', rssi: -70, snr: 9 } }); // late
    h.event(status(D1, T0 + 11 * MIN, 87.5));
    h.event(status(D1, T0 + 8 * MIN, 20)); // late
    h.event(status(D1, T0 + 12 * MIN, 0, true)); // external power: no battery level
    expect(h.module.health(D1)).toMatchObject({
      lastSeen: iso(T0 + 12 * MIN),
      battery: 87.5,
      batteryVoltage: 3.2,
      rssi: -110,
      snr: -3.25,
      gateways: { 'gw-a': { rssi: -70, snr: 9, lastSeen: iso(T0 + 5 * MIN) }, 'gw-b': { rssi: -110, snr: -3.25, lastSeen: iso(T0 + 10 * MIN) } },
    });
    expect(h.module.list().map((d) => [d.devEui, d.online, d.expectedIntervalSeconds, d.lastSeen])).toEqual([
      [D1, true, 600, iso(T0 + 12 * MIN)],
      [D2, false, 1200, undefined],
      [D3, false, 86400, undefined],
    ]);
  });
});

describe('device health: offline after N missed intervals', () => {
  it('offline after 3 × 600 s (fleet override): one offline alarm, an `alarm` point at the moment it went offline; back online clears it', () => {
    const h = new Harness();
    h.up(D1, T0);
    h.health.length = 0;
    h.now = T0 + 1800_000;
    expect(h.module.tick()).toEqual([]);
    h.now = T0 + 1800_001;
    const points = h.module.tick();
    expect(points).toEqual([offlinePoint(T0 + 1800_000, { id: '1', state: 'active' })]);
    expect(h.written).toEqual(points);
    expect(h.health).toEqual([expect.objectContaining({ devEui: D1, online: false, offlineSince: iso(T0 + 1800_000) })]);
    expect(h.alarms).toEqual([
      {
        id: '1',
        devEui: D1,
        kind: 'offline',
        severity: 'alarm',
        state: 'active',
        since: iso(T0 + 1800_000),
        message: 'Pegel 1: offline, no uplink since 2025-06-02T08:00:00.000Z (expected every 600 s, offline after 3 missed)',
      },
    ]);
    h.now = T0 + 3600_000;
    expect(h.module.tick()).toEqual([]); // still offline: no second alarm
    expect(h.alarms).toHaveLength(1);

    const back = T0 + 3600_000;
    expect(h.up(D1, back)).toEqual([offlinePoint(back, { id: '1', state: 'cleared' })]);
    expect(h.module.health(D1)).toMatchObject({ online: true, lastSeen: iso(back) });
    expect(h.module.health(D1)!.offlineSince).toBeUndefined();
    expect(h.alarms.map((a) => a.state)).toEqual(['active', 'cleared']);
    expect(h.health.map((d) => d.online)).toEqual([false, true]);
  });

  it("without an override the model's interval counts (LDDS75: 1200 s → offline after 3600 s); never-seen devices raise nothing", () => {
    const h = new Harness();
    h.up(D2, T0);
    h.now = T0 + 3600_000;
    h.module.tick();
    expect(h.module.health(D2)!.online).toBe(true);
    h.now = T0 + 3600_001;
    expect(h.module.tick().map((p) => [p.tags.dev_eui, p.timeNs])).toEqual([[D2, ns(T0 + 3600_000)]]);
    expect(h.module.health(D3)).toMatchObject({ online: false, expectedIntervalSeconds: 86400 });
    expect(h.module.health(D3)!.offlineSince).toBeUndefined();
  });

  it('an uplink that was already too old when it arrived (replayed from the broker) leaves the device offline', () => {
    const h = new Harness();
    h.now = T0 + 2 * 3600_000;
    expect(h.up(D1, T0)).toEqual([offlinePoint(T0 + 1800_000, { id: '1', state: 'active' })]);
    expect(h.module.health(D1)).toMatchObject({ online: false, offlineSince: iso(T0 + 1800_000) });
  });

  it('silence: offline shows, but no alarm until the silence ends; an acknowledged alarm is cleared when the device is back', () => {
    const h = new Harness();
    h.up(D1, T0);
    const until = T0 + 2 * 3600_000;
    expect(h.module.silence(D1, until)).toMatchObject({ silencedUntil: iso(until) });
    h.now = T0 + 1800_001;
    expect(h.module.tick()).toEqual([]);
    expect(h.module.health(D1)).toMatchObject({ online: false, offlineSince: iso(T0 + 1800_000), silencedUntil: iso(until) });
    expect(h.alarms).toEqual([]);
    h.now = until - 1;
    expect(h.module.tick()).toEqual([]);
    h.now = until;
    expect(h.module.tick()).toEqual([offlinePoint(until, { id: '1', state: 'active' })]);
    expect(h.module.health(D1)!.silencedUntil).toBeUndefined();

    h.now = until + MIN;
    expect(h.module.acknowledge(D1, 'technician')).toEqual({ ok: true, alarm: expect.objectContaining({ id: '1', state: 'acknowledged', acknowledgedBy: 'technician', acknowledgedAt: iso(until + MIN) }) });
    expect(h.written.at(-1)).toEqual(offlinePoint(until + MIN, { id: '1', state: 'acknowledged', by: 'technician' }));
    expect(h.module.acknowledge(D1, 'technician')).toMatchObject({ ok: false, why: 'acknowledged' });
    expect(h.module.acknowledge(D2, 'technician')).toEqual({ ok: false, why: 'not_found' });
    expect(h.up(D1, until + 2 * MIN)).toEqual([offlinePoint(until + 2 * MIN, { id: '1', state: 'cleared', by: 'technician' })]);

    // Lifting a silence.
    h.module.silence(D1, until + 3 * 3600_000);
    expect(h.module.silence(D1, undefined)!.silencedUntil).toBeUndefined();
    expect(h.module.silence('00000000000000ff', until)).toBeUndefined();
  });
});

describe('device health: codec errors', () => {
  it('counts our decoder rejections and ChirpStack UPLINK_CODEC log events, each message once', () => {
    const h = new Harness();
    const rejection = { reason: 'decoder_error' as const, message: 'decoder dragino-ldds75 returned errors: unknown FPort' };
    h.up(D1, T0, { id: 'dedup-1', rejection });
    h.up(D1, T0, { id: 'dedup-1', rejection }); // redelivered
    h.up(D1, T0 + MIN, { id: 'dedup-2', rejection: { reason: 'no_decoder', message: 'no decoder' } }); // not a codec error
    expect(h.module.health(D1)).toMatchObject({ codecErrors: 1, lastCodecError: { time: iso(T0), description: 'decoder_error: decoder dragino-ldds75 returned errors: unknown FPort' } });

    h.event(log(D1, T0 + 2 * MIN, 'UPLINK_CODEC', 'decodeUplink returned errors: unknown frame type 0x07'));
    h.event(log(D1, T0 + 2 * MIN, 'UPLINK_CODEC', 'decodeUplink returned errors: unknown frame type 0x07'));
    h.event(log(D1, T0 + 3 * MIN, 'UPLINK_F_CNT_RESET', 'frame-counter reset'));
    expect(h.module.health(D1)).toMatchObject({ codecErrors: 2, lastCodecError: { time: iso(T0 + 2 * MIN), description: 'decodeUplink returned errors: unknown frame type 0x07' } });
    // Log events alone do not count as a sign of life.
    expect(h.module.health(D1)!.lastSeen).toBe(iso(T0 + MIN));
    expect(h.health.at(-1)).toMatchObject({ codecErrors: 2 });
  });
});

describe('device health: state survives a restart', () => {
  it('records, silences and alarms are read back from SQLite; a device that went offline meanwhile is noticed by the first tick', () => {
    const h = new Harness();
    h.up(D1, T0, { readings: { battery: 91 } });
    h.up(D2, T0);
    h.module.silence(D2, T0 + 5 * 3600_000);
    const before = h.module.list();
    h.restart();
    expect(h.module.list()).toEqual(before);

    h.now = T0 + 2 * 3600_000;
    h.restart();
    expect(h.module.tick()).toEqual([offlinePoint(T0 + 1800_000, { id: '1', state: 'active' })]); // D2 is silenced
    expect(new AlarmStore(h.db).list({ state: 'active' }).map((a) => [a.devEui, a.kind])).toEqual([[D1, 'offline']]);
    h.restart();
    expect(h.module.tick()).toEqual([]);
    expect(h.module.health(D1)).toMatchObject({ battery: 91, online: false });
  });
});

import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractReadings } from '../../src/decode/readings.js';
import type { Point } from '../../src/domain/point.js';
import { LiveBus } from '../../src/live/bus.js';
import type { LiveEventName, LiveEvents } from '../../src/live/events.js';
import { createLogger } from '../../src/observability/log.js';
import type { ProcessedUplink } from '../../src/pipeline/pipeline.js';
import { Catalog } from '../../src/registry/catalog.js';
import { Fleet } from '../../src/registry/fleet.js';
import { resolveDevice, type ResolvedDevice } from '../../src/registry/resolve.js';
import { ParkingModule } from '../../src/semantics/parking/module.js';
import { overstay, windowStart, zoneRuleSchema, type ZoneRule } from '../../src/semantics/parking/rules.js';
import { localToInstant } from '../../src/semantics/parking/zoned-time.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await Catalog.load('devices', 'decoders');
});

const at = (iso: string) => Date.parse(iso);
const ns = (ms: number) => `${ms}000000`;
const MIN = 60_000;
const A = '00000000000000a1';
const B = '00000000000000a2';
const C = '00000000000000a3';
const T0 = at('2025-06-02T08:00:00Z'); // Monday, 10:00 in Berlin (CEST)

/** A parking module on an in-memory SQLite database with a fake clock; restart() recreates it on the same db. */
class Harness {
  readonly db = new Database(':memory:');
  fleet = new Fleet(this.db);
  readonly live = new LiveBus();
  readonly events: { name: LiveEventName; payload: unknown }[] = [];
  readonly written: Point[] = [];
  now = T0;
  module!: ParkingModule;

  constructor(readonly timeZone = 'Europe/Berlin') {
    this.fleet.start();
    for (const name of ['parking.bay', 'parking.zone'] as const) this.live.on(name, (payload) => this.events.push({ name, payload }));
  }

  start(): this {
    this.module?.stop();
    this.module = new ParkingModule({
      db: this.db,
      catalog,
      fleet: this.fleet,
      live: this.live,
      log: createLogger('silent'),
      write: async (points) => void this.written.push(...points),
      timeZone: this.timeZone,
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

  device(devEui: string, tags: Record<string, string> = {}): ResolvedDevice {
    return resolveDevice(catalog, this.fleet, { devEui, tags }) as ResolvedDevice;
  }

  up(devEui: string, timeMs: number, readings: ProcessedUplink['readings'], tags?: Record<string, string>): Point[] {
    const u: ProcessedUplink = {
      event: {
        kind: 'up',
        source: 'chirpstack_v4_json',
        time: { ms: timeMs, ns: ns(timeMs) },
        device: { devEui, tags: tags ?? {} },
        id: `${devEui}-${timeMs}`,
        fCnt: 1,
        fPort: 1,
        bytes: new Uint8Array([1]),
        confirmed: false,
        radio: { gateways: 1, rssi: -90, snr: 7.5, gatewayId: '0016c001f153a14c' },
      },
      device: this.device(devEui, tags),
      decoded: {},
      readings,
    };
    return [...(this.module.onUplink(u) ?? [])];
  }

  clear(): void {
    this.events.length = 0;
  }

  take<K extends LiveEventName>(name: K): LiveEvents[K][] {
    const out = this.events.filter((e) => e.name === name).map((e) => e.payload as LiveEvents[K]);
    this.events.splice(0, this.events.length, ...this.events.filter((e) => e.name !== name));
    return out;
  }
}

const zonePoint = (timeMs: number, zone: string, f: { occupied: number; free: number; stale: number; total: number; rate?: number }): Point => ({
  measurement: 'parking_zone',
  tags: { zone },
  fields: {
    occupied: { type: 'integer', value: f.occupied },
    free: { type: 'integer', value: f.free },
    stale: { type: 'integer', value: f.stale },
    total: { type: 'integer', value: f.total },
    ...(f.rate !== undefined ? { rate: { type: 'float', value: f.rate } } : {}),
  },
  timeNs: ns(timeMs),
});

const eventPoint = (timeMs: number, devEui: string, event: 'arrival' | 'departure', durationS?: number): Point => ({
  measurement: 'parking_event',
  tags: { dev_eui: devEui, model: 'nwave-nps405', site: 'markt' },
  fields: { event: { type: 'string', value: event }, ...(durationS !== undefined ? { duration_s: { type: 'integer', value: durationS } } : {}) },
  timeNs: ns(timeMs),
});

function twoBays(h: Harness, interval?: number): Harness {
  for (const devEui of [A, B]) h.fleet.upsert({ devEui, model: 'nwave-nps405', name: `Bay ${devEui.slice(-2)}`, site: 'markt', ...(interval ? { uplinkIntervalSeconds: interval } : {}) });
  return h.start();
}

describe('parking: occupancy, arrivals and departures', () => {
  it('first report sets the state without an event; arrival and departure become parking_event points with the duration', () => {
    const h = twoBays(new Harness(), 600);
    expect(h.module.zoneStates()).toEqual([{ zone: 'markt', total: 2, occupied: 0, free: 0, stale: 2, overstays: 0 }]);

    expect(h.up(A, T0, { occupied: false })).toEqual([zonePoint(T0, 'markt', { occupied: 0, free: 1, stale: 1, total: 2, rate: 0 })]);
    expect(h.take('parking.bay')).toEqual([{ devEui: A, name: 'Bay a1', zone: 'markt', state: 'free', since: '2025-06-02T08:00:00.000Z', lastSeen: '2025-06-02T08:00:00.000Z' }]);

    h.clear();
    h.now = T0 + MIN;
    expect(h.up(A, T0 + MIN, { occupied: true })).toEqual([eventPoint(T0 + MIN, A, 'arrival'), zonePoint(T0 + MIN, 'markt', { occupied: 1, free: 0, stale: 1, total: 2, rate: 1 })]);
    expect(h.take('parking.zone')).toEqual([{ zone: 'markt', total: 2, occupied: 1, free: 0, stale: 1, overstays: 0 }]);

    // A heartbeat with the same state: nothing to record.
    h.clear();
    h.now = T0 + 10 * MIN;
    expect(h.up(A, T0 + 10 * MIN, { occupied: true })).toEqual([]);
    expect(h.take('parking.bay')).toEqual([]);

    h.now = T0 + 31 * MIN;
    expect(h.up(A, T0 + 31 * MIN, { occupied: false })).toEqual([eventPoint(T0 + 31 * MIN, A, 'departure', 1800), zonePoint(T0 + 31 * MIN, 'markt', { occupied: 0, free: 1, stale: 1, total: 2, rate: 0 })]);

    h.up(B, T0 + 31 * MIN, { occupied: true });
    expect(h.module.zoneStates()).toEqual([{ zone: 'markt', total: 2, occupied: 1, free: 1, stale: 0, overstays: 0 }]);
    expect(h.module.bayStates('markt').map((b) => [b.devEui, b.state, b.since])).toEqual([
      [A, 'free', '2025-06-02T08:31:00.000Z'],
      [B, 'occupied', '2025-06-02T08:31:00.000Z'],
    ]);
    expect(h.module.bayStates('elsewhere')).toEqual([]);
  });

  it('occupancy reported as 0/1 reaches the module as a boolean through the catalog mapping', () => {
    const h = new Harness();
    h.fleet.upsert({ devEui: A, model: 'netvox-r719a', name: 'Netvox', site: 'markt' });
    h.fleet.upsert({ devEui: B, model: 'tekzitel-tekzipark', name: 'Tekzi', site: 'markt' });
    h.start();
    const netvox = (v: number) => extractReadings(catalog.get('netvox-r719a')!, { CarOnOff: v, Volt: 3.6 });
    const tekzi = (v: number) => extractReadings(catalog.get('tekzitel-tekzipark')!, { occupied: v, Temperature: 21 });
    expect(netvox(1)).toEqual({ occupied: true, battery_voltage: 3.6 });
    expect(tekzi(0)).toEqual({ occupied: false, temperature: 21 });
    h.up(A, T0, netvox(0));
    h.up(B, T0, tekzi(0));
    const arrival = h.up(A, T0 + MIN, netvox(1)).find((p) => p.measurement === 'parking_event');
    expect(arrival?.fields.event).toEqual({ type: 'string', value: 'arrival' });
    const departure = h.up(B, T0 + 2 * MIN, tekzi(1)).concat(h.up(B, T0 + 5 * MIN, tekzi(0))).filter((p) => p.measurement === 'parking_event');
    expect(departure.map((p) => [p.fields.event?.value, p.fields.duration_s?.value])).toEqual([
      ['arrival', undefined],
      ['departure', 180],
    ]);
  });

  it('a duplicate or older uplink never overwrites newer state', () => {
    const h = twoBays(new Harness(), 600);
    h.up(A, T0, { occupied: false });
    h.up(A, T0 + 10 * MIN, { occupied: true });
    h.take('parking.bay');
    // Late delivery of a "free" report from before the arrival, and a duplicate of the arrival.
    expect(h.up(A, T0 + 5 * MIN, { occupied: false })).toEqual([]);
    expect(h.up(A, T0 + 10 * MIN, { occupied: true })).toEqual([]);
    expect(h.up(A, T0 + 10 * MIN, { occupied: false })).toEqual([]);
    expect(h.take('parking.bay')).toEqual([]);
    const [bay] = h.module.bayStates('markt');
    expect(bay).toMatchObject({ devEui: A, state: 'occupied', since: '2025-06-02T08:10:00.000Z', lastSeen: '2025-06-02T08:10:00.000Z' });
  });

  it('counts only bays (parking models reporting `occupied`) and puts bays without a site into "unassigned"', () => {
    const h = new Harness().start();
    h.fleet.upsert({ devEui: C, model: 'nwave-ncc405', name: 'Counter', site: 'markt' });
    expect(h.up(C, T0, { vehicle_count: 4 })).toEqual([]);
    // Known only from its ChirpStack tags (not registered).
    h.up(A, T0, { occupied: true }, { model: 'nwave-nps405' });
    expect(h.module.zoneStates()).toEqual([{ zone: 'unassigned', total: 1, occupied: 1, free: 0, stale: 0, overstays: 0 }]);
  });
});

describe('parking: stale bays', () => {
  it('a bay is unknown after 2.5 × its expected interval (fleet override), back with its last state on the next uplink', () => {
    const h = twoBays(new Harness(), 600); // stale after 1500 s
    h.up(A, T0, { occupied: false });
    h.up(B, T0, { occupied: true });
    h.take('parking.bay');
    h.now = T0 + 1500_000;
    expect(h.module.tick()).toEqual([]);
    expect(h.module.bayStates().map((b) => b.state)).toEqual(['free', 'occupied']);

    h.now = T0 + 1500_001;
    const points = h.module.tick();
    expect(points).toEqual([zonePoint(T0 + 1500_001, 'markt', { occupied: 0, free: 0, stale: 2, total: 2 })]);
    expect(h.written).toEqual(points);
    expect(h.take('parking.bay')).toEqual([
      { devEui: A, name: 'Bay a1', zone: 'markt', state: 'unknown', since: '2025-06-02T08:25:00.000Z', lastSeen: '2025-06-02T08:00:00.000Z' },
      { devEui: B, name: 'Bay a2', zone: 'markt', state: 'unknown', since: '2025-06-02T08:25:00.000Z', lastSeen: '2025-06-02T08:00:00.000Z' },
    ]);
    expect(h.module.tick()).toEqual([]); // no change, no point

    // A heartbeat without occupancy brings the last known state back; no event (no change was observed).
    h.now = T0 + 2000_000;
    expect(h.up(A, T0 + 2000_000, { battery_voltage: 3.6 })).toEqual([zonePoint(T0 + 2000_000, 'markt', { occupied: 0, free: 1, stale: 1, total: 2, rate: 0 })]);
    expect(h.module.bayStates()[0]).toMatchObject({ state: 'free', since: '2025-06-02T08:00:00.000Z' });
  });

  it("without an override the model's interval counts (Nwave NPS405: 86400 s → unknown after 60 h)", () => {
    const h = twoBays(new Harness());
    h.up(A, T0, { occupied: true });
    h.now = T0 + 60 * 3600_000;
    expect(h.module.bayStates()[0]!.state).toBe('occupied');
    h.now += 1;
    expect(h.module.bayStates()[0]!.state).toBe('unknown');
    expect(h.module.bayStates()[1]).toMatchObject({ state: 'unknown', since: undefined, lastSeen: undefined }); // never reported
  });
});

const MO_SA: ZoneRule = { maxMinutes: 120, days: ['mo', 'tu', 'we', 'th', 'fr', 'sa'], from: '08:00', to: '18:00' };
const DAILY: ZoneRule = { ...MO_SA, days: ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] };
const BERLIN = 'Europe/Berlin';

describe('parking: overstays', () => {
  it('counts from the arrival, inside the rule hours only (Mo–Sa 08:00–18:00 Berlin, 120 min)', () => {
    const h = twoBays(new Harness());
    h.module.setRule('markt', MO_SA, 'technician');
    const arrival = at('2025-06-02T06:30:00Z'); // Monday 08:30 CEST
    h.now = arrival;
    h.up(A, arrival - 5 * MIN, { occupied: false });
    h.up(A, arrival, { occupied: true });
    h.clear();

    h.now = at('2025-06-02T08:30:00Z'); // exactly 120 min: not yet
    expect(h.module.tick()).toEqual([]);
    expect(h.module.overstays()).toEqual([]);

    h.now = at('2025-06-02T08:30:30Z');
    h.module.tick();
    expect(h.take('parking.bay')).toEqual([expect.objectContaining({ devEui: A, state: 'occupied', overstay: { limitMinutes: 120, overMinutes: 0 } })]);
    expect(h.take('parking.zone')).toEqual([{ zone: 'markt', total: 2, occupied: 1, free: 0, stale: 1, overstays: 1 }]);

    h.now = at('2025-06-02T08:45:00Z');
    expect(h.module.overstays()).toEqual([{ devEui: A, name: 'Bay a1', zone: 'markt', since: '2025-06-02T06:30:00.000Z', parkedMinutes: 135, limitMinutes: 120, overMinutes: 15 }]);
    expect(h.module.zoneStates()[0]!.overstays).toBe(1);

    // 18:00 local: the rule ends, nobody overstays.
    h.now = at('2025-06-02T16:00:00Z');
    h.module.tick();
    expect(h.take('parking.bay')).toEqual([expect.not.objectContaining({ overstay: expect.anything() })]);
    expect(h.module.overstays()).toEqual([]);

    // Tuesday 08:00 local: the clock starts at the beginning of the rule hours (like a parking disc).
    h.now = at('2025-06-03T08:00:00Z');
    expect(h.module.overstays()).toEqual([]);
    h.now = at('2025-06-03T08:01:00Z');
    expect(h.module.overstays()).toEqual([expect.objectContaining({ parkedMinutes: 1531, overMinutes: 1 })]);

    // The departure ends it.
    h.up(A, at('2025-06-03T08:02:00Z'), { occupied: false });
    expect(h.module.overstays()).toEqual([]);
  });

  it('never outside the rule days or hours, never for a stale bay', () => {
    const since = at('2025-06-07T06:00:00Z'); // Saturday 08:00
    expect(overstay(MO_SA, since, at('2025-06-07T08:00:00Z'), BERLIN)).toBeUndefined();
    expect(overstay(MO_SA, since, at('2025-06-07T08:01:00Z'), BERLIN)).toEqual({ limitMinutes: 120, overMinutes: 1 });
    expect(overstay(MO_SA, since, at('2025-06-07T16:00:00Z'), BERLIN)).toBeUndefined(); // 18:00 Saturday
    expect(overstay(MO_SA, since, at('2025-06-08T10:00:00Z'), BERLIN)).toBeUndefined(); // Sunday
    expect(overstay(MO_SA, at('2025-06-02T05:00:00Z'), at('2025-06-02T08:00:00Z'), BERLIN)).toBeUndefined(); // arrived 07:00, counted from 08:00
    expect(overstay(MO_SA, at('2025-06-02T05:00:00Z'), at('2025-06-02T08:01:00Z'), BERLIN)).toEqual({ limitMinutes: 120, overMinutes: 1 });

    const h = twoBays(new Harness(), 600);
    h.module.setRule('markt', { ...DAILY, maxMinutes: 1 }, 'technician');
    h.up(A, T0 - 10 * MIN, { occupied: true });
    expect(h.module.overstays()).toHaveLength(1);
    h.now = T0 + 1501_000 - 10 * MIN; // stale: we do not know whether the car is still there
    expect(h.module.overstays()).toEqual([]);
  });

  it('follows the DST switches in the rule window (Europe/Berlin, 2025-03-30 and 2025-10-26)', () => {
    expect(windowStart(DAILY, at('2025-03-29T09:00:00Z'), BERLIN)).toBe(at('2025-03-29T07:00:00Z')); // CET: 08:00 = 07:00Z
    expect(windowStart(DAILY, at('2025-03-30T09:00:00Z'), BERLIN)).toBe(at('2025-03-30T06:00:00Z')); // CEST: 08:00 = 06:00Z
    expect(windowStart(DAILY, at('2025-03-30T15:59:59Z'), BERLIN)).toBe(at('2025-03-30T06:00:00Z'));
    expect(windowStart(DAILY, at('2025-03-30T16:00:00Z'), BERLIN)).toBeUndefined(); // 18:00 CEST
    expect(windowStart(DAILY, at('2025-10-26T16:59:59Z'), BERLIN)).toBe(at('2025-10-26T07:00:00Z')); // back to CET
    expect(windowStart(DAILY, at('2025-10-26T17:00:00Z'), BERLIN)).toBeUndefined();
    expect(localToInstant(2025, 3, 30, 2 * 60 + 30, BERLIN)).toBe(at('2025-03-30T01:30:00Z')); // 02:30 does not exist: 03:30 CEST

    // Parked since Saturday evening: on the switch day the clock starts at 08:00 CEST = 06:00Z, not 07:00Z.
    const since = at('2025-03-29T20:00:00Z');
    expect(overstay(DAILY, since, at('2025-03-30T08:00:00Z'), BERLIN)).toBeUndefined();
    expect(overstay(DAILY, since, at('2025-03-30T08:01:00Z'), BERLIN)).toEqual({ limitMinutes: 120, overMinutes: 1 });

    const h = twoBays(new Harness());
    h.module.setRule('markt', DAILY, 'technician');
    h.now = since;
    h.up(A, since, { occupied: true });
    h.take('parking.bay');
    h.now = at('2025-03-30T08:01:00Z');
    h.module.tick();
    expect(h.take('parking.bay')).toEqual([expect.objectContaining({ devEui: A, overstay: { limitMinutes: 120, overMinutes: 1 } })]);
  });

  it('validates rules', () => {
    expect(zoneRuleSchema.safeParse({ maxMinutes: 60, days: ['mo'], from: '00:00', to: '24:00' }).success).toBe(true);
    expect(zoneRuleSchema.safeParse({ maxMinutes: 60, days: ['mo'], from: '18:00', to: '08:00' }).success).toBe(false);
    expect(zoneRuleSchema.safeParse({ maxMinutes: 60, days: ['monday'], from: '08:00', to: '18:00' }).success).toBe(false);
    expect(zoneRuleSchema.safeParse({ maxMinutes: 0, days: ['mo'], from: '08:00', to: '18:00' }).success).toBe(false);
    expect(zoneRuleSchema.safeParse({ maxMinutes: 60, days: ['mo'], from: '8:00', to: '18:00' }).success).toBe(false);
  });
});

describe('parking: state survives a restart', () => {
  it('bays, arrival times and rules are read back from SQLite; a bay that went stale meanwhile is noticed by the first tick', () => {
    const h = twoBays(new Harness(), 600);
    h.module.setRule('markt', MO_SA, 'technician');
    h.up(A, T0, { occupied: false });
    h.up(A, T0 + MIN, { occupied: true });
    h.up(B, T0 + MIN, { occupied: false });
    const before = h.module.bayStates();

    h.restart();
    expect(h.module.bayStates()).toEqual(before);
    expect(h.module.listRules()).toEqual([{ zone: 'markt', rule: MO_SA, updatedBy: 'technician', updatedAt: '2025-06-02T08:00:00.000Z' }]);

    // The departure measures from the arrival seen before the restart.
    h.now = T0 + 21 * MIN;
    expect(h.up(A, T0 + 21 * MIN, { occupied: false })[0]).toEqual(eventPoint(T0 + 21 * MIN, A, 'departure', 1200));

    // Down for an hour: both bays turned stale meanwhile.
    h.now = T0 + 81 * MIN;
    h.restart();
    expect(h.module.tick()).toEqual([zonePoint(T0 + 81 * MIN, 'markt', { occupied: 0, free: 0, stale: 2, total: 2 })]);
  });
});

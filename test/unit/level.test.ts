import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Point } from '../../src/domain/point.js';
import { LiveBus } from '../../src/live/bus.js';
import type { AlarmState } from '../../src/live/events.js';
import { createLogger } from '../../src/observability/log.js';
import type { ProcessedUplink } from '../../src/pipeline/pipeline.js';
import { Catalog } from '../../src/registry/catalog.js';
import { Fleet } from '../../src/registry/fleet.js';
import { resolveDevice, type ResolvedDevice } from '../../src/registry/resolve.js';
import { deriveLevel, gaugeSetup } from '../../src/semantics/level/level.js';
import { LevelModule } from '../../src/semantics/level/module.js';
import { nextSeverity, thresholdsSchema, type Severity, type Thresholds } from '../../src/semantics/level/thresholds.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await Catalog.load('devices', 'decoders');
});

const ns = (ms: number) => `${ms}000000`;
const MIN = 60_000;
const T0 = Date.parse('2025-02-10T06:00:00Z');
const RIVER = '00000000000000c1'; // Ellenex PLS2-L: reports `level` itself
const TANK = '00000000000000c2'; // Dragino LDDS75: distance from above, full scale 2500 mm
const RIVER_T: Thresholds = { direction: 'above', warning: 2000, alarm: 2500, hysteresisMm: 50 };
const TANK_T: Thresholds = { direction: 'below', warning: 800, alarm: 300, hysteresisMm: 50 };

class Harness {
  readonly db = new Database(':memory:');
  fleet = new Fleet(this.db);
  readonly live = new LiveBus();
  readonly alarms: AlarmState[] = [];
  readonly written: Point[] = [];
  now = T0;
  module!: LevelModule;

  constructor() {
    this.fleet.start();
    this.fleet.upsert({ devEui: RIVER, model: 'ellenex-pls2-l', name: 'Pegel Wupper', site: 'wupper', siteKind: 'gauge' });
    this.fleet.upsert({ devEui: TANK, model: 'dragino-ldds75', name: 'Zisterne', site: 'rathaus', siteKind: 'gauge', mounting: { heightMm: 3000, zeroOffsetMm: 100 }, tags: { fullScaleMm: '2500' } });
    this.live.on('alarm', (a) => this.alarms.push(a));
    this.start();
  }

  start(): this {
    this.module = new LevelModule({
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

  up(devEui: string, timeMs: number, readings: ProcessedUplink['readings']): Point[] {
    const device = resolveDevice(catalog, this.fleet, { devEui, tags: {} }) as ResolvedDevice;
    const u: ProcessedUplink = {
      event: {
        kind: 'up',
        source: 'chirpstack_v4_json',
        time: { ms: timeMs, ns: ns(timeMs) },
        device: { devEui, tags: {} },
        id: `${devEui}-${timeMs}`,
        fCnt: 1,
        fPort: 2,
        bytes: new Uint8Array([1]),
        confirmed: false,
        radio: { gateways: 1 },
      },
      device,
      decoded: {},
      readings,
    };
    return [...(this.module.onUplink(u) ?? [])];
  }

  /** Feeds river levels one minute apart; returns the severity after each. */
  river(values: readonly number[]): Severity[] {
    return values.map((level) => {
      this.now += MIN;
      this.up(RIVER, this.now, { level });
      return this.module.gaugeView(RIVER)!.severity;
    });
  }
}

const alarmPoint = (timeMs: number, f: { id: string; severity: string; state: string; value: number; threshold?: number; by?: string }, devEui = RIVER): Point => ({
  measurement: 'alarm',
  tags: devEui === RIVER ? { dev_eui: RIVER, kind: 'level', model: 'ellenex-pls2-l', site: 'wupper' } : { dev_eui: TANK, kind: 'level', model: 'dragino-ldds75', site: 'rathaus' },
  fields: {
    alarm_id: { type: 'string', value: f.id },
    severity: { type: 'string', value: f.severity },
    state: { type: 'string', value: f.state },
    value: { type: 'float', value: f.value },
    ...(f.threshold !== undefined ? { threshold: { type: 'float', value: f.threshold } } : {}),
    ...(f.by !== undefined ? { acknowledged_by: { type: 'string', value: f.by } } : {}),
  },
  timeNs: ns(timeMs),
});

describe('level: from distance and mounting', () => {
  it('level_mm = heightMm − distance − zeroOffsetMm; fill % from the fleet tag fullScaleMm, clamped to 0–100', () => {
    const h = new Harness();
    expect(h.up(TANK, T0, { distance: 1100, battery_voltage: 3.3 })).toEqual([
      { measurement: 'level_derived', tags: { dev_eui: TANK, model: 'dragino-ldds75', site: 'rathaus' }, fields: { level_mm: { type: 'float', value: 1800 }, fill_pct: { type: 'float', value: 72 } }, timeNs: ns(T0) },
    ]);
    const tank = gaugeSetup(h.fleet.get(TANK));
    expect(tank).toEqual({ heightMm: 3000, zeroOffsetMm: 100, fullScaleMm: 2500 });
    expect(deriveLevel({ distance: 1025 }, tank)).toEqual({ levelMm: 1875, fillPct: 75 });
    expect(deriveLevel({ distance: 100 }, tank)).toEqual({ levelMm: 2800, fillPct: 100 });
    expect(deriveLevel({ distance: 3050 }, tank)).toEqual({ levelMm: -150, fillPct: 0 });
  });

  it('a model reporting `level` uses it (minus zeroOffsetMm); a model reporting `fill` keeps it; without mounting a distance gives nothing', () => {
    expect(deriveLevel({ level: 1500 }, { zeroOffsetMm: 0 })).toEqual({ levelMm: 1500 });
    expect(deriveLevel({ level: 1500, distance: 999 }, { heightMm: 4000, zeroOffsetMm: 200 })).toEqual({ levelMm: 1300 });
    expect(deriveLevel({ distance: 800, fill: 42 }, { heightMm: 2000, zeroOffsetMm: 0 })).toEqual({ levelMm: 1200, fillPct: 42 });
    expect(deriveLevel({ distance: 800 }, { zeroOffsetMm: 0 })).toBeUndefined();
    expect(deriveLevel({ battery_voltage: 3.6 }, { heightMm: 2000, zeroOffsetMm: 0 })).toBeUndefined();

    const h = new Harness();
    h.fleet.upsert({ devEui: '00000000000000c3', model: 'dragino-ldds75', name: 'Ohne Montage' });
    expect(h.up('00000000000000c3', T0, { distance: 1000 })).toEqual([]);
    h.fleet.upsert({ devEui: '00000000000000c4', model: 'nwave-nps405', name: 'Bay' });
    expect(h.up('00000000000000c4', T0, { distance: 1000 })).toEqual([]);
  });
});

describe('level: thresholds with hysteresis and escalation', () => {
  it('rising (river): normal → warning → alarm and back only beyond the hysteresis; steps may be skipped', () => {
    expect(nextSeverity('normal', 1999, RIVER_T)).toBe('normal');
    const h = new Harness();
    h.module.setThresholds(RIVER, RIVER_T, 'technician');
    expect(h.river([1900, 2000, 1960, 1951, 1950, 1949])).toEqual(['normal', 'warning', 'warning', 'warning', 'warning', 'normal']);
    expect(h.river([2600, 2460, 2450, 2449, 2000, 1949])).toEqual(['alarm', 'alarm', 'alarm', 'warning', 'warning', 'normal']);
    expect(h.river([2550, 1949])).toEqual(['alarm', 'normal']);
  });

  it('falling (cistern): warning at ≤ 800 mm, alarm at ≤ 300 mm, back above threshold + 50 mm', () => {
    expect(['normal', 'warning', 'alarm'].map((s) => nextSeverity(s as Severity, 850, TANK_T))).toEqual(['normal', 'warning', 'warning']);
    expect(['normal', 'warning', 'alarm'].map((s) => nextSeverity(s as Severity, 851, TANK_T))).toEqual(['normal', 'normal', 'normal']);
    expect(['normal', 'warning', 'alarm'].map((s) => nextSeverity(s as Severity, 340, TANK_T))).toEqual(['warning', 'warning', 'alarm']);
    expect(['normal', 'warning', 'alarm'].map((s) => nextSeverity(s as Severity, 351, TANK_T))).toEqual(['warning', 'warning', 'warning']);
    expect(nextSeverity('normal', 300, TANK_T)).toBe('alarm');

    const h = new Harness();
    h.module.setThresholds(TANK, TANK_T, 'technician');
    // Level = 3000 − distance − 100.
    const severities = [1000, 800, 840, 851, 250, 340, 351, 900].map((level, i) => {
      h.up(TANK, T0 + i * MIN, { distance: 2900 - level });
      return h.module.gaugeView(TANK)!.severity;
    });
    expect(severities).toEqual(['normal', 'warning', 'warning', 'normal', 'alarm', 'alarm', 'warning', 'normal']);
    expect(h.alarms.map((a) => [a.id, a.severity, a.state, a.value, a.threshold])).toEqual([
      ['1', 'warning', 'active', 800, 800],
      ['1', 'warning', 'cleared', 851, 800],
      ['2', 'alarm', 'active', 250, 300],
      ['2', 'warning', 'active', 351, 800],
      ['2', 'warning', 'cleared', 900, 800],
    ]);
  });

  it('a sensor flapping around a threshold raises one alarm and does not toggle it (with hysteresisMm 0 it would)', () => {
    const flapping = [1990, 2004, 1996, 2001, 1985, 2010, 1998, 2002, 1990, 2003];
    const h = new Harness();
    h.module.setThresholds(RIVER, RIVER_T, 'technician');
    expect(h.river(flapping)).toEqual(['normal', ...Array<Severity>(9).fill('warning')]);
    expect(h.alarms).toHaveLength(1);
    expect(h.alarms[0]).toMatchObject({ id: '1', severity: 'warning', state: 'active', value: 2004, threshold: 2000 });

    const bare = new Harness();
    bare.module.setThresholds(RIVER, { ...RIVER_T, hysteresisMm: 0 }, 'technician');
    bare.river(flapping);
    expect(bare.alarms).toHaveLength(9);
  });

  it('writes each alarm change as an `alarm` point with the uplink; acknowledgement records who and when', () => {
    const h = new Harness();
    h.module.setThresholds(RIVER, RIVER_T, 'technician');
    const t1 = T0 + MIN;
    expect(h.up(RIVER, t1, { level: 2100 })).toEqual([
      { measurement: 'level_derived', tags: { dev_eui: RIVER, model: 'ellenex-pls2-l', site: 'wupper' }, fields: { level_mm: { type: 'float', value: 2100 } }, timeNs: ns(t1) },
      alarmPoint(t1, { id: '1', severity: 'warning', state: 'active', value: 2100, threshold: 2000 }),
    ]);
    expect(h.module.listAlarms({ state: 'active' })).toEqual([
      { id: '1', devEui: RIVER, kind: 'level', severity: 'warning', state: 'active', since: '2025-02-10T06:01:00.000Z', value: 2100, threshold: 2000, message: 'Pegel Wupper: level 2100 mm at or above the warning threshold 2000 mm' },
    ]);

    h.now = T0 + 5 * MIN;
    const ack = h.module.acknowledge('1', 'facility');
    expect(ack).toEqual({ ok: true, alarm: expect.objectContaining({ state: 'acknowledged', acknowledgedBy: 'facility', acknowledgedAt: '2025-02-10T06:05:00.000Z' }) });
    expect(h.written).toEqual([alarmPoint(T0 + 5 * MIN, { id: '1', severity: 'warning', state: 'acknowledged', value: 2100, threshold: 2000, by: 'facility' })]);
    expect(h.module.acknowledge('1', 'technician')).toMatchObject({ ok: false, why: 'acknowledged' });
    expect(h.module.acknowledge('99', 'technician')).toEqual({ ok: false, why: 'not_found' });
    expect(h.module.listAlarms({ state: 'active' })).toEqual([]);

    // Escalation makes it active again (someone must look at it again); the way back keeps the acknowledgement.
    const t2 = T0 + 10 * MIN;
    expect(h.up(RIVER, t2, { level: 2500 })[1]).toEqual(alarmPoint(t2, { id: '1', severity: 'alarm', state: 'active', value: 2500, threshold: 2500 }));
    h.now = t2;
    h.module.acknowledge('1', 'technician');
    const t3 = T0 + 15 * MIN;
    expect(h.up(RIVER, t3, { level: 2300 })[1]).toEqual(alarmPoint(t3, { id: '1', severity: 'warning', state: 'acknowledged', value: 2300, threshold: 2000, by: 'technician' }));
    const t4 = T0 + 20 * MIN;
    expect(h.up(RIVER, t4, { level: 1900 })[1]).toEqual(alarmPoint(t4, { id: '1', severity: 'warning', state: 'cleared', value: 1900, threshold: 2000, by: 'technician' }));
    expect(h.module.acknowledge('1', 'technician')).toMatchObject({ ok: false, why: 'cleared' });
    expect(h.alarms.map((a) => `${a.severity}/${a.state}`)).toEqual(['warning/active', 'warning/acknowledged', 'alarm/active', 'alarm/acknowledged', 'warning/acknowledged', 'warning/cleared']);
  });

  it('a duplicate or older uplink is history (its level_derived point) but never moves the state', () => {
    const h = new Harness();
    h.module.setThresholds(RIVER, RIVER_T, 'technician');
    h.up(RIVER, T0 + 10 * MIN, { level: 2600 });
    const late = h.up(RIVER, T0 + 5 * MIN, { level: 1000 });
    expect(late).toEqual([{ measurement: 'level_derived', tags: { dev_eui: RIVER, model: 'ellenex-pls2-l', site: 'wupper' }, fields: { level_mm: { type: 'float', value: 1000 } }, timeNs: ns(T0 + 5 * MIN) }]);
    expect(h.up(RIVER, T0 + 10 * MIN, { level: 1000 })).toHaveLength(1);
    expect(h.module.gaugeView(RIVER)).toMatchObject({ severity: 'alarm', levelMm: 2600, time: '2025-02-10T06:10:00.000Z', alarmId: '1' });
    expect(h.alarms).toHaveLength(1);
  });

  it('validates thresholds: order per direction, at least one, hysteresis 50 mm by default', () => {
    expect(thresholdsSchema.parse({ direction: 'above', warning: 2000 })).toEqual({ direction: 'above', warning: 2000, hysteresisMm: 50 });
    expect(thresholdsSchema.safeParse({ direction: 'above', warning: 2000, alarm: 1500 }).success).toBe(false);
    expect(thresholdsSchema.safeParse({ direction: 'below', warning: 300, alarm: 800 }).success).toBe(false);
    expect(thresholdsSchema.safeParse({ direction: 'below' }).success).toBe(false);
    expect(thresholdsSchema.safeParse({ direction: 'sideways', warning: 1 }).success).toBe(false);
    expect(thresholdsSchema.safeParse({ direction: 'above', warning: 1, hysteresisMm: -1 }).success).toBe(false);
  });
});

describe('level: state survives a restart', () => {
  it('thresholds, severity and the open alarm are read back from SQLite', () => {
    const h = new Harness();
    h.module.setThresholds(RIVER, RIVER_T, 'technician');
    h.river([2100]);
    h.restart();
    expect(h.module.getThresholds(RIVER)).toEqual({ devEui: RIVER, thresholds: RIVER_T, updatedBy: 'technician', updatedAt: '2025-02-10T06:00:00.000Z' });
    // 1960 is inside the hysteresis band: still warning after the restart, no new alarm.
    expect(h.river([1960, 1940])).toEqual(['warning', 'normal']);
    expect(h.alarms.map((a) => [a.id, a.state])).toEqual([
      ['1', 'active'],
      ['1', 'cleared'],
    ]);
  });
});

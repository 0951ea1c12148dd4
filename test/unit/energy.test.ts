/**
 * The energy module as the pipeline sees it: uplinks in, `consumption` points out. Counter arithmetic (rollover
 * versus reset), clock skew, duplicates, and a late uplink that recomputes hourly buckets and re-emits them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { UplinkEvent } from '../../src/domain/events.js';
import type { Point } from '../../src/domain/point.js';
import { LiveBus } from '../../src/live/bus.js';
import { createLogger } from '../../src/observability/log.js';
import { Catalog } from '../../src/registry/catalog.js';
import { Fleet } from '../../src/registry/fleet.js';
import { counterDelta, hourlyAmounts, intervals, toUnits } from '../../src/semantics/energy/engine.js';
import { EnergyModule, counterReadings } from '../../src/semantics/energy/module.js';

const DEVICES = fileURLToPath(new URL('../../devices/', import.meta.url));
const DECODERS = fileURLToPath(new URL('../../decoders/', import.meta.url));
const catalog = await Catalog.load(DEVICES, DECODERS);
const EMU = catalog.get('emu-prof-ii')!;
const DEV = '0004a30b00aa0001';
const NOW = Date.parse('2025-06-02T12:00:00Z');
const R = 4294967296;

function uplink(iso: string, readings: Record<string, number>, devEui = DEV) {
  const ms = Date.parse(iso);
  const event: UplinkEvent = {
    kind: 'up',
    source: 'chirpstack_v4_json',
    id: `${devEui}-${ms}`,
    time: { ms, ns: `${ms}000000` },
    device: { devEui, tags: {} },
    fCnt: 1,
    fPort: 1,
    bytes: new Uint8Array(),
    confirmed: false,
    radio: { gateways: 1 },
  };
  const decoded = { 'Active Energy Import T1': { value: readings.energy_import }, 'Active Energy Export T1': { value: readings.energy_export } };
  return { event, device: { devEui, model: EMU, site: 'rathaus' }, decoded, readings };
}

/** `{ "<resolution> <ISO start>": amount }` of consumption points, for readable assertions. */
const amounts = (points: readonly Point[], reading = 'energy_import') =>
  Object.fromEntries(
    points
      .filter((p) => p.tags.reading === reading)
      .map((p) => [`${p.tags.resolution} ${new Date(Number(p.timeNs.slice(0, -6))).toISOString()}`, p.fields.amount!.value]),
  );

function setup(db = new Database(':memory:')) {
  const lines: string[] = [];
  const fleet = new Fleet(db);
  fleet.start();
  const written: Point[] = [];
  const log = createLogger('info', { write: (s: string) => void lines.push(s) });
  const m = new EnergyModule({ db, catalog, fleet, live: new LiveBus(), log, write: async (p) => void written.push(...p), timeZone: 'Europe/Berlin', now: () => NOW });
  m.start();
  return { m, lines, written, db };
}

describe('counter arithmetic', () => {
  it('an increase is the difference; a drop is a rollover only when forward around the counter is shorter', () => {
    expect(counterDelta(100, 250, 1000)).toEqual({ amount: 150, kind: 'increase' });
    expect(counterDelta(950, 30, 1000)).toEqual({ amount: 80, kind: 'rollover' }); // 1000 - 950 + 30
    expect(counterDelta(600, 50, 1000)).toEqual({ amount: 450, kind: 'rollover' }); // 450 < 500
    expect(counterDelta(500, 50, 1000)).toEqual({ amount: 50, kind: 'reset' }); // 550 >= 500: a reset
    expect(counterDelta(400, 10, 1000)).toEqual({ amount: 10, kind: 'reset' });
    expect(counterDelta(950, 30)).toEqual({ amount: 30, kind: 'reset' }); // no width known: every drop is a reset
    expect(counterDelta(1200, 30, 1000)).toEqual({ amount: 30, kind: 'reset' }); // above the width: not a wrap
  });

  it('never yields a negative delta, whatever the sequence', () => {
    const values = [5, 3, 3, 0, 900, 10, 999, 1, 2, 0];
    const marks = values.map((v, i) => ({ t: i * 600_000, before: v, after: v, exchange: false, rollover: 1000 }));
    const ivs = intervals(marks);
    expect(ivs.every((iv) => iv.amount >= 0)).toBe(true);
    expect([...hourlyAmounts(ivs, 0, 2 * 3_600_000).values()].every((a) => a >= 0)).toBe(true);
  });

  it('units are exact integers: 0.1 + 0.2 Wh style float noise is rounded away', () => {
    expect(toUnits(0.1 + 0.2, 'energy_import')).toBe(300);
    expect(toUnits(109951162777.6, 'energy_import')).toBe(109951162777600);
    expect(toUnits(109951162.7776, 'gas_volume')).toBe(109951162777600);
    expect(toUnits(12345, 'pulse_count')).toBe(12345);
  });

  it('knows the consumption counters of a model, not parking counters', () => {
    expect(counterReadings(EMU)).toEqual(['energy_import', 'energy_export']);
    expect(counterReadings(catalog.get('nwave-ncc405')!)).toEqual([]);
  });
});

describe('energy module', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it('emits consumption points: tags dev_eui, reading, resolution, site; field amount; time = bucket start', () => {
    ctx.m.onUplink(uplink('2025-06-02T08:00:00Z', { energy_import: 1000, energy_export: 0 }));
    const points = ctx.m.onUplink(uplink('2025-06-02T08:15:00Z', { energy_import: 1250.5, energy_export: 2 }));
    expect(points).toContainEqual({
      measurement: 'consumption',
      tags: { dev_eui: DEV, reading: 'energy_import', resolution: 'hour', site: 'rathaus' },
      fields: { amount: { type: 'float', value: 250.5 } },
      timeNs: `${Date.parse('2025-06-02T08:00:00Z')}000000`,
    });
    expect(amounts(points)).toEqual({
      'hour 2025-06-02T08:00:00.000Z': 250.5,
      'day 2025-06-01T22:00:00.000Z': 250.5, // local day 2025-06-02 starts at 00:00 CEST
      'month 2025-05-31T22:00:00.000Z': 250.5,
    });
    expect(amounts(points, 'energy_export')['hour 2025-06-02T08:00:00.000Z']).toBe(2);
  });

  it('a device reset counts the new value from 0, never a negative delta; a rollover counts the wrap', () => {
    ctx.m.onUplink(uplink('2025-06-02T08:00:00Z', { energy_import: 5000, energy_export: R - 100 }));
    ctx.m.onUplink(uplink('2025-06-02T08:15:00Z', { energy_import: 5600, energy_export: R - 40 }));
    const points = ctx.m.onUplink(uplink('2025-06-02T08:30:00Z', { energy_import: 200, energy_export: 60 }));
    expect(amounts(points)['hour 2025-06-02T08:00:00.000Z']).toBe(600 + 200);
    expect(amounts(points, 'energy_export')['hour 2025-06-02T08:00:00.000Z']).toBe(60 + 100);
    expect(points.every((p) => (p.fields.amount!.value as number) >= 0)).toBe(true);
  });

  it('rejects and logs clock skew: more than a day ahead, or before 2000; a day ahead is still accepted', () => {
    expect(ctx.m.onUplink(uplink('2025-06-03T12:00:01Z', { energy_import: 1, energy_export: 0 }))).toEqual([]);
    expect(ctx.m.onUplink(uplink('1999-12-31T23:59:59Z', { energy_import: 1, energy_export: 0 }))).toEqual([]);
    expect(ctx.lines.filter((l) => l.includes('clock skew'))).toHaveLength(4); // two readings each
    expect(ctx.lines.join('')).toMatch(/more than 1 day in the future/);
    expect(ctx.lines.join('')).toMatch(/before 2000/);
    ctx.m.onUplink(uplink('2025-06-03T11:00:00Z', { energy_import: 1, energy_export: 0 }));
    expect(ctx.m.ledger.meters()).toEqual([{ devEui: DEV, model: 'emu-prof-ii', site: 'rathaus' }]);
  });

  it('ignores a duplicate (same time): amounts unchanged, the same points re-emitted; another value is logged', () => {
    ctx.m.onUplink(uplink('2025-06-02T08:00:00Z', { energy_import: 1000, energy_export: 0 }));
    const first = ctx.m.onUplink(uplink('2025-06-02T08:30:00Z', { energy_import: 1400, energy_export: 0 }));
    const again = ctx.m.onUplink(uplink('2025-06-02T08:30:00Z', { energy_import: 1400, energy_export: 0 }));
    expect(again).toEqual(first);
    const other = ctx.m.onUplink(uplink('2025-06-02T08:30:00Z', { energy_import: 9999, energy_export: 0 }));
    expect(amounts(other)).toEqual(amounts(first));
    expect(ctx.lines.join('')).toMatch(/another value at the same time is stored/);
  });

  it('a late uplink recomputes only the hours between its neighbours and re-emits them with the day and month', () => {
    ctx.m.onUplink(uplink('2025-06-02T07:00:00Z', { energy_import: 0, energy_export: 0 }));
    ctx.m.onUplink(uplink('2025-06-02T10:00:00Z', { energy_import: 3000, energy_export: 0 }));
    const before = ctx.m.onUplink(uplink('2025-06-02T13:00:00Z', { energy_import: 6000, energy_export: 0 }));
    expect(amounts(before)).toEqual({
      'hour 2025-06-02T10:00:00.000Z': 1000,
      'hour 2025-06-02T11:00:00.000Z': 1000,
      'hour 2025-06-02T12:00:00.000Z': 1000,
      'day 2025-06-01T22:00:00.000Z': 6000,
      'month 2025-05-31T22:00:00.000Z': 6000,
    });
    // Late: at 10:30 the counter stood at 4000, so 10:00-10:30 used 1000 and 10:30-13:00 used 2000.
    const late = ctx.m.onUplink(uplink('2025-06-02T10:30:00Z', { energy_import: 4000, energy_export: 0 }));
    expect(amounts(late)).toEqual({
      'hour 2025-06-02T10:00:00.000Z': 1400, // 1000 + 2000 × 30/150
      'hour 2025-06-02T11:00:00.000Z': 800,
      'hour 2025-06-02T12:00:00.000Z': 800,
      'day 2025-06-01T22:00:00.000Z': 6000,
      'month 2025-05-31T22:00:00.000Z': 6000,
    });
    // Another late one in a span of thirds: shares are floored to the mWh and still add up exactly.
    const thirds = ctx.m.onUplink(uplink('2025-06-02T08:00:00Z', { energy_import: 1000, energy_export: 0 }));
    expect(amounts(thirds)).toEqual({
      'hour 2025-06-02T07:00:00.000Z': 1000,
      'hour 2025-06-02T08:00:00.000Z': 1000,
      'hour 2025-06-02T09:00:00.000Z': 1000,
      'day 2025-06-01T22:00:00.000Z': 6000,
      'month 2025-05-31T22:00:00.000Z': 6000,
    });
    // 1000 Wh over three hours: shares are floored to the mWh and still add up exactly.
    const thirds2 = ctx.m.onUplink(uplink('2025-06-02T16:00:00Z', { energy_import: 7000, energy_export: 0 }));
    expect(amounts(thirds2)).toEqual({
      'hour 2025-06-02T13:00:00.000Z': 333.333,
      'hour 2025-06-02T14:00:00.000Z': 333.333,
      'hour 2025-06-02T15:00:00.000Z': 333.334,
      'day 2025-06-01T22:00:00.000Z': 7000,
      'month 2025-05-31T22:00:00.000Z': 7000,
    });
    const hours = ctx.m.ledger.buckets([DEV], 'energy_import', 'hour', 0, Date.parse('2030-01-01T00:00:00Z'));
    expect(hours.reduce((s, h) => s + h.amount, 0)).toBe(7_000_000);
  });

  it('keeps its state in the database: a restarted module continues where it stopped', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'stadtpuls-energy-')), 'stadtpuls.db');
    const a = setup(new Database(file));
    a.m.onUplink(uplink('2025-06-02T08:00:00Z', { energy_import: 1000, energy_export: 0 }));
    a.m.onUplink(uplink('2025-06-02T08:30:00Z', { energy_import: 1500, energy_export: 0 }));
    a.db.close();
    const b = setup(new Database(file));
    const points = b.m.onUplink(uplink('2025-06-02T09:30:00Z', { energy_import: 2100, energy_export: 0 }));
    expect(amounts(points)).toEqual({
      'hour 2025-06-02T08:00:00.000Z': 500 + 300,
      'hour 2025-06-02T09:00:00.000Z': 300,
      'day 2025-06-01T22:00:00.000Z': 1100,
      'month 2025-05-31T22:00:00.000Z': 1100,
    });
  });
});

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { UplinkEvent } from '../../src/domain/events.js';
import { LiveBus } from '../../src/live/bus.js';
import type { ReadingUpdate } from '../../src/live/events.js';
import { createLogger } from '../../src/observability/log.js';
import { Catalog } from '../../src/registry/catalog.js';
import { Fleet } from '../../src/registry/fleet.js';
import { RecentUplinks } from '../../src/semantics/recent/module.js';

async function setup() {
  const catalog = await Catalog.load('devices', 'decoders');
  const fleet = new Fleet(new Database(':memory:'));
  fleet.start();
  const live = new LiveBus();
  const module = new RecentUplinks({ db: new Database(':memory:'), catalog, fleet, live, log: createLogger('silent'), write: async () => undefined, timeZone: 'Europe/Berlin', now: Date.now });
  return { catalog, module, live };
}

const up = (i: number, devEui = '0011223344556677'): UplinkEvent => ({
  kind: 'up',
  source: 'chirpstack_v4_json',
  id: `id-${i}`,
  time: { ms: Date.parse('2026-01-01T00:00:00Z') + i * 1000, ns: `${Date.parse('2026-01-01T00:00:00Z') + i * 1000}000000` },
  device: { devEui, tags: {} },
  fCnt: i,
  fPort: 2,
  bytes: Uint8Array.from([0x0c, 0xe4, 0x04, 0xd2]),
  confirmed: false,
  radio: { gateways: 1, rssi: -80, snr: 7 },
});

describe('RecentUplinks', () => {
  it('keeps the last 20 uplinks per device, newest first, and emits live readings', async () => {
    const { catalog, module, live } = await setup();
    const model = catalog.get('dragino-ldds75')!;
    const seen: ReadingUpdate[] = [];
    live.on('reading', (r) => seen.push(r));
    for (let i = 0; i < 25; i++) {
      module.onUplink({ event: up(i), device: { devEui: '0011223344556677', model, site: 'wupper' }, decoded: { Distance: 1234 }, readings: { distance: 1234 } });
    }
    const list = module.recent('0011223344556677');
    expect(list).toHaveLength(20);
    expect(list[0]).toMatchObject({ fCnt: 24, payloadHex: '0ce404d2', rssi: -80, decoded: { Distance: 1234 }, readings: { distance: 1234 } });
    expect(list[19]!.fCnt).toBe(5);
    expect(seen).toHaveLength(25);
    expect(seen[0]).toEqual({ devEui: '0011223344556677', model: 'dragino-ldds75', site: 'wupper', time: '2026-01-01T00:00:00.000Z', readings: { distance: 1234 } });
  });

  it('records rejected uplinks without emitting readings', async () => {
    const { module, live } = await setup();
    let emitted = 0;
    live.on('reading', () => emitted++);
    module.onUplink({ event: up(1, 'ffffffffffffffff'), device: undefined, decoded: undefined, readings: {}, rejection: { reason: 'unknown_device', message: 'not registered' } });
    expect(module.recent('ffffffffffffffff')[0]).toMatchObject({ rejection: { reason: 'unknown_device' } });
    expect(emitted).toBe(0);
  });
});

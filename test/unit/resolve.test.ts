import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../../src/domain/events.js';
import { Rejection } from '../../src/domain/rejections.js';
import { Catalog } from '../../src/registry/catalog.js';
import { Fleet } from '../../src/registry/fleet.js';
import { resolveDevice } from '../../src/registry/resolve.js';

let catalog: Catalog;
let fleet: Fleet;
const info = (over: Partial<DeviceInfo>): DeviceInfo => ({ devEui: '0011223344556677', tags: {}, ...over });

beforeAll(async () => {
  catalog = await Catalog.load('devices', 'decoders');
  fleet = new Fleet(new Database(':memory:'));
  fleet.start();
  fleet.upsert({ devEui: 'AABBCCDDEEFF0011', model: 'dragino-ldds75', name: 'Pegel 1', site: 'wupper' });
});

describe('resolveDevice', () => {
  it('prefers the fleet record (DevEUI stored lowercase) over any tag', () => {
    const r = resolveDevice(catalog, fleet, info({ devEui: 'aabbccddeeff0011', tags: { model: 'nwave-nps405' } }));
    expect(r).toMatchObject({ model: { id: 'dragino-ldds75' }, name: 'Pegel 1', site: 'wupper', registered: { devEui: 'aabbccddeeff0011' } });
  });

  it('falls back to a ChirpStack `model` tag, then the device-profile name, then TTS version_ids', () => {
    expect(resolveDevice(catalog, fleet, info({ tags: { model: 'nwave-nps405', zone: 'markt' } }))).toMatchObject({ model: { id: 'nwave-nps405' }, site: 'markt' });
    expect(resolveDevice(catalog, fleet, info({ deviceProfileName: 'emu-prof-ii' }))).toMatchObject({ model: { id: 'emu-prof-ii' } });
    expect(resolveDevice(catalog, fleet, info({ repositoryId: 'dragino/ldds75' }))).toMatchObject({ model: { id: 'dragino-ldds75' } });
  });

  it('ignores tags and profile names that name no catalog model', () => {
    const r = resolveDevice(catalog, fleet, info({ tags: { model: 'acme-9000' }, deviceProfileName: 'Parking sensor EU868' }));
    expect(r).toBeInstanceOf(Rejection);
    expect((r as Rejection).reason).toBe('unknown_device');
  });

  it('rejects a registered device whose model left the catalog', () => {
    fleet.upsert({ devEui: '1111111111111111', model: 'gone-model', name: 'x' });
    expect((resolveDevice(catalog, fleet, info({ devEui: '1111111111111111' })) as Rejection).message).toContain('gone-model');
  });

  it('persists the fleet: a new Fleet on the same database sees the devices', () => {
    const db = new Database(':memory:');
    const a = new Fleet(db);
    a.start();
    a.upsert({ devEui: '2222222222222222', model: 'nwave-nps405', name: 'Bay', lat: 51.2, lon: 7.1 });
    const b = new Fleet(db);
    b.start();
    expect(b.get('2222222222222222')).toMatchObject({ model: 'nwave-nps405', lat: 51.2 });
    expect(() => a.upsert({ devEui: 'xyz', model: 'm', name: 'n' })).toThrow(/16 lowercase hex/);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { HttpError, parse } from '../../src/api/http.js';
import { createDeviceBody, hexProblem, modelProblem, normalizeHex, toFleetDevice, updateDeviceBody } from '../../src/onboarding/validation.js';
import { Catalog } from '../../src/registry/catalog.js';

const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const VALID = { devEui: '70B3D57ED0001234', joinEui: '0000000000000001', appKey: APP_KEY, model: 'dragino-ldds75', name: 'Pegel Wupper 1' };

/** The problems `parse()` reports (as the API does: `path: message`). */
function problems(body: unknown, schema: typeof createDeviceBody | typeof updateDeviceBody = createDeviceBody): readonly string[] {
  try {
    parse(schema, body);
  } catch (err) {
    if (err instanceof HttpError) return err.problems ?? [];
    throw err;
  }
  return [];
}

describe('device validation: every rule with its message', () => {
  it('a complete device is valid; EUIs and keys are normalized to lowercase without separators', () => {
    const out = parse(createDeviceBody, { ...VALID, devEui: '70-b3-d5-7e-d0-00-12-34', joinEui: '00:00:00:00:00:00:00:01', lat: 51.25, lon: 7.15, site: 'wupper', siteKind: 'gauge', uplinkIntervalSeconds: 600, mounting: { heightMm: 4000 }, tags: { owner: 'tiefbau' } });
    expect(out).toMatchObject({ devEui: '70b3d57ed0001234', joinEui: '0000000000000001', appKey: APP_KEY.toLowerCase() });
    expect(problems(VALID)).toEqual([]);
  });

  it('DevEUI: required, 16 hex digits, names the wrong value and why', () => {
    const { devEui: _d, ...noEui } = VALID;
    expect(problems(noEui)).toEqual(['devEui: DevEUI is required']);
    expect(problems({ ...VALID, devEui: '70B3D57ED000123' })).toEqual(['devEui: DevEUI must be 16 hex digits, got "70B3D57ED000123" (it has 15)']);
    expect(problems({ ...VALID, devEui: '70B3D57ED00012345' })).toEqual(['devEui: DevEUI must be 16 hex digits, got "70B3D57ED00012345" (it has 17)']);
    expect(problems({ ...VALID, devEui: '70B3D57ED000123G' })).toEqual(['devEui: DevEUI must be 16 hex digits, got "70B3D57ED000123G" (it contains characters other than 0-9 and a-f)']);
    expect(problems({ ...VALID, devEui: 1234 })).toEqual(['devEui: DevEUI must be a string']);
  });

  it('JoinEUI: 16 hex digits', () => {
    expect(problems({ ...VALID, joinEui: '00000000000001' })).toEqual(['joinEui: JoinEUI must be 16 hex digits, got "00000000000001" (it has 14)']);
  });

  it('AppKey: 32 hex digits, and the message never repeats the key', () => {
    const short = APP_KEY.slice(0, 31);
    const p = problems({ ...VALID, appKey: short });
    expect(p).toEqual(['appKey: AppKey must be 32 hex digits (it has 31)']);
    expect(p.join()).not.toContain(short);
    const bad = `${APP_KEY.slice(0, 31)}X`;
    expect(problems({ ...VALID, appKey: bad })).toEqual(['appKey: AppKey must be 32 hex digits (it contains characters other than 0-9 and a-f)']);
  });

  it('model and name are required; name at most 200 characters', () => {
    expect(problems({ ...VALID, model: undefined })).toEqual(['model: model is required']);
    expect(problems({ ...VALID, model: ' ' })).toEqual(['model: model is required']);
    expect(problems({ ...VALID, name: undefined })).toEqual(['name: name is required']);
    expect(problems({ ...VALID, name: '' })).toEqual(['name: name must not be empty']);
    expect(problems({ ...VALID, name: 'x'.repeat(201) })).toEqual(['name: name must be at most 200 characters']);
  });

  it('coordinates: ranges, numbers, and latitude with longitude', () => {
    expect(problems({ ...VALID, lat: 90.5, lon: 7 })).toEqual(['lat: latitude must be between -90 and 90']);
    expect(problems({ ...VALID, lat: -91, lon: 7 })).toEqual(['lat: latitude must be between -90 and 90']);
    expect(problems({ ...VALID, lat: 51, lon: 180.01 })).toEqual(['lon: longitude must be between -180 and 180']);
    expect(problems({ ...VALID, lat: 51, lon: -181 })).toEqual(['lon: longitude must be between -180 and 180']);
    expect(problems({ ...VALID, lat: '51.2', lon: 7 })).toEqual(['lat: latitude must be a number']);
    expect(problems({ ...VALID, lat: 51 })).toEqual(['lon: latitude and longitude go together']);
    expect(problems({ ...VALID, lon: 7 })).toEqual(['lat: latitude and longitude go together']);
  });

  it('site (zone or building) and siteKind', () => {
    expect(problems({ ...VALID, site: 'Markt platz' })).toEqual(['site: site id: 1 to 64 letters, digits, "_", "." or "-" (e.g. marktplatz, rathaus)']);
    expect(problems({ ...VALID, site: 'rathaus', siteKind: 'garage' })).toEqual(['siteKind: siteKind must be one of zone, building, gauge']);
    expect(problems({ ...VALID, siteKind: 'zone' })).toEqual(['site: siteKind is set but site is not']);
  });

  it('expected uplink interval: whole seconds from 1 s to 31 days', () => {
    expect(problems({ ...VALID, uplinkIntervalSeconds: 0 })).toEqual(['uplinkIntervalSeconds: uplinkIntervalSeconds must be at least 1']);
    expect(problems({ ...VALID, uplinkIntervalSeconds: 1.5 })).toEqual(['uplinkIntervalSeconds: uplinkIntervalSeconds must be a whole number of seconds']);
    expect(problems({ ...VALID, uplinkIntervalSeconds: 31 * 86400 + 1 })).toEqual(['uplinkIntervalSeconds: uplinkIntervalSeconds must be at most 2678400 (31 days)']);
  });

  it('mounting parameters and tags', () => {
    expect(problems({ ...VALID, mounting: { heightMm: -1 } })).toEqual(['mounting.heightMm: heightMm must not be negative']);
    expect(problems({ ...VALID, mounting: { height: 1 } })).toEqual([expect.stringMatching(/^mounting: Unrecognized key: "height"/)]);
    expect(problems({ ...VALID, tags: { 'a b': 'x' } })).toEqual(['tags.a b: tag name "a b": 1 to 64 letters, digits, "_", "." or "-"']);
    expect(problems({ ...VALID, tags: { owner: 3 } })).toEqual(['tags.owner: tag values must be strings']);
  });

  it('unknown fields are rejected (a misspelt appkey is not silently dropped)', () => {
    expect(problems({ ...VALID, appkey: APP_KEY })).toEqual([expect.stringMatching(/^\(body\): Unrecognized key: "appkey"/)]);
  });

  it('all problems are reported together', () => {
    expect(problems({ devEui: 'x', model: 'm', name: '', lat: 100, lon: 0 })).toHaveLength(3);
  });

  it('PUT: devEui optional, the rest as for create', () => {
    const { devEui: _d, ...body } = VALID;
    expect(problems(body, updateDeviceBody)).toEqual([]);
    expect(problems({ ...body, lat: 100, lon: 0 }, updateDeviceBody)).toEqual(['lat: latitude must be between -90 and 90']);
  });
});

describe('model exists in the catalog', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await Catalog.load('devices', 'decoders');
  });

  it('names the unknown model', () => {
    expect(modelProblem(catalog, 'dragino-ldds75')).toBeUndefined();
    expect(modelProblem(catalog, 'acme-9000')).toBe('model: unknown model "acme-9000" (GET /api/models lists the catalog)');
  });
});

describe('helpers', () => {
  it('normalizeHex and hexProblem', () => {
    expect(normalizeHex(' 70 B3:D5-7E ')).toBe('70b3d57e');
    expect(hexProblem('DevEUI', '70b3d57ed0001234', 16, true)).toBeUndefined();
  });

  it('toFleetDevice never carries the AppKey', () => {
    const body = parse(createDeviceBody, VALID);
    const device = toFleetDevice(body.devEui, body);
    expect(JSON.stringify(device).toLowerCase()).not.toContain(APP_KEY.toLowerCase());
    expect(device).toEqual({ devEui: '70b3d57ed0001234', joinEui: '0000000000000001', model: 'dragino-ldds75', name: 'Pegel Wupper 1', tags: {} });
  });
});

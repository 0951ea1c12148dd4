import Database from 'better-sqlite3';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CsvImportError, decodeCsv, detectDelimiter, headerKey, parseDeviceCsv } from '../../src/onboarding/csv.js';
import { parseInterval, parseNumber, planImport } from '../../src/onboarding/import.js';
import { Catalog } from '../../src/registry/catalog.js';
import { Fleet } from '../../src/registry/fleet.js';

const KEY_A = '2b7e151628aed2a6abf7158809cf4f3c';
const KEY_B = '000102030405060708090a0b0c0d0e0f';

function csvError(text: string): string {
  try {
    parseDeviceCsv(text);
  } catch (err) {
    if (err instanceof CsvImportError) return err.message;
    throw err;
  }
  throw new Error('expected a CsvImportError');
}

describe('CSV reading', () => {
  it('header spellings: case- and separator-insensitive', () => {
    for (const h of ['DevEUI', 'DEVEUI', 'dev_eui', 'Dev EUI', 'dev-eui']) expect(headerKey(h)).toBe('deveui');
    const csv = parseDeviceCsv('Dev EUI,AppEUI,App_Key,Model,Name,Building,Latitude,LNG,Interval\n70b3d57ed0001234,0000000000000001,' + KEY_A + ',emu-prof-ii,Zähler,rathaus,51.25,7.15,15m\n');
    expect(csv.columns).toEqual({ devEui: 'Dev EUI', joinEui: 'AppEUI', appKey: 'App_Key', model: 'Model', name: 'Name', building: 'Building', lat: 'Latitude', lon: 'LNG', interval: 'Interval' });
    expect(csv.rows[0]!.values).toMatchObject({ devEui: '70b3d57ed0001234', name: 'Zähler', building: 'rathaus', interval: '15m' });
    expect(parseDeviceCsv('join_eui;dev_eui;app_key;lon;lat\nx;y;z;1;2\n').columns).toMatchObject({ joinEui: 'join_eui', devEui: 'dev_eui', appKey: 'app_key', lon: 'lon', lat: 'lat' });
    expect(parseDeviceCsv('DevEUI,JoinEUI,longitude,zone,site\n1,2,3,4,5\n').columns).toMatchObject({ joinEui: 'JoinEUI', lon: 'longitude', zone: 'zone', site: 'site' });
  });

  it('detects ";" and "," (and tab) from the header line, ignoring quoted separators', () => {
    expect(detectDelimiter('a;b;c\n1,5;2,5;3')).toBe(';');
    expect(detectDelimiter('a,b,c\n1;2;3')).toBe(',');
    expect(detectDelimiter('"a;b",c,d\n')).toBe(',');
    expect(detectDelimiter('a\tb\tc\n')).toBe('\t');
  });

  it('a UTF-8 BOM, semicolons, decimal commas and quoted fields with separators, quotes and line breaks', () => {
    const text = '\uFEFFDevEUI;Name;Lat;Lon\r\n70B3D57ED0001234;"Pegel ""Wupper""; Brücke";51,2562;7,1508\r\n70B3D57ED0001235;"Zeile 1\r\nZeile 2";51.1;7.2\r\n';
    const csv = parseDeviceCsv(text);
    expect(csv.delimiter).toBe(';');
    expect(csv.columns.devEui).toBe('DevEUI'); // not "\uFEFFDevEUI"
    expect(csv.rows.map((r) => r.values)).toEqual([
      { devEui: '70B3D57ED0001234', name: 'Pegel "Wupper"; Brücke', lat: '51,2562', lon: '7,1508' },
      { devEui: '70B3D57ED0001235', name: 'Zeile 1\r\nZeile 2', lat: '51.1', lon: '7.2' },
    ]);
    expect(csv.rows.map((r) => r.row)).toEqual([2, 3]);
  });

  it('UTF-8 bytes with a BOM, and Windows-1252 exports', () => {
    const utf8 = decodeCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('DevEUI;Name\n1;Zähler\n')]));
    expect(utf8).toEqual({ text: 'DevEUI;Name\n1;Zähler\n', encoding: 'utf-8' });
    const latin = decodeCsv(Buffer.from('DevEUI;Name\n1;Z\xe4hler\n', 'latin1'));
    expect(latin).toEqual({ text: 'DevEUI;Name\n1;Zähler\n', encoding: 'windows-1252' });
  });

  it('blank lines and all-empty rows are skipped; rows with the wrong number of fields are flagged', () => {
    const csv = parseDeviceCsv('DevEUI,Name,Model\n\n1,a,m\n,,\n2,b\n3,c,m,extra\n');
    expect(csv.rows.map((r) => [r.values.devEui, r.problem])).toEqual([
      ['1', undefined],
      ['2', 'the row has 2 fields, the header 3 (check separators and quotes)'],
      ['3', 'the row has 4 fields, the header 3 (check separators and quotes)'],
    ]);
  });

  it('tag:<name> columns, ignored columns', () => {
    const csv = parseDeviceCsv('DevEUI,tag:owner,Tag_Fund,Bemerkung\n1,tiefbau,EFRE,egal\n');
    expect(csv.tagColumns).toEqual({ owner: 'tag:owner', Fund: 'Tag_Fund' });
    expect(csv.rows[0]!.tags).toEqual({ owner: 'tiefbau', Fund: 'EFRE' });
    expect(csv.ignored).toEqual(['Bemerkung']);
  });

  it('whole-file problems: empty, no DevEUI column, unclosed quote, two columns for one field', () => {
    expect(csvError('')).toBe('the file is empty');
    expect(csvError('\uFEFF\n')).toBe('the file is empty');
    expect(csvError('Name;Model\nx;y\n')).toBe('no DevEUI column: the header must name one of DevEUI, DEVEUI, dev_eui, "Dev EUI" (found: "Name", "Model"; separator ";")');
    expect(csvError('DevEUI,Name\n1,"unclosed\n')).toMatch(/^not a readable CSV file: Quote Not Closed/);
    expect(csvError('DevEUI,Latitude,lat\n1,2,3\n')).toBe('columns "Latitude" and "lat" both mean lat');
  });

  it('numbers with decimal comma or point; intervals with units', () => {
    expect(parseNumber('51,2562')).toBe(51.2562);
    expect(parseNumber('-7.5')).toBe(-7.5);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('1.234,5')).toBeUndefined();
    expect(parseNumber('abc')).toBeUndefined();
    expect(parseInterval('600')).toBe(600);
    expect(parseInterval('10m')).toBe(600);
    expect(parseInterval('10 min')).toBe(600);
    expect(parseInterval('1h')).toBe(3600);
    expect(parseInterval('1,5 h')).toBe(5400);
    expect(parseInterval('soon')).toBeUndefined();
  });
});

describe('import planning: create, update, unchanged, error per row', () => {
  let catalog: Catalog;
  let fleet: Fleet;
  beforeAll(async () => {
    catalog = await Catalog.load('devices', 'decoders');
  });
  beforeEach(() => {
    fleet = new Fleet(new Database(':memory:'));
    fleet.start();
  });
  const plan = (text: string, opts: { defaultModel?: string; requireAppKey?: boolean } = {}) =>
    planImport(parseDeviceCsv(text), { catalog, fleet, defaultModel: opts.defaultModel, requireAppKey: opts.requireAppKey ?? false });

  it('new rows are created; the device record is normalized', () => {
    const [p] = plan(`DevEUI;AppKey;Model;Name;Zone;Lat;Lon;Interval;tag:owner\n70-B3-D5-7E-D0-00-12-34;${KEY_A.toUpperCase()};nwave-nps405;Bay 1;marktplatz;51,2562;7,1508;10m;ordnungsamt\n`);
    expect(p!.result).toEqual({ row: 2, devEui: '70b3d57ed0001234', action: 'create' });
    expect(p!.appKey).toBe(KEY_A);
    expect(p!.device).toEqual({ devEui: '70b3d57ed0001234', model: 'nwave-nps405', name: 'Bay 1', site: 'marktplatz', siteKind: 'zone', lat: 51.2562, lon: 7.1508, uplinkIntervalSeconds: 600, tags: { owner: 'ordnungsamt' } });
  });

  it('malformed rows: each with its precise message; the good rows around them still pass', () => {
    const rows = plan(
      [
        'DevEUI,JoinEUI,AppKey,model,lat,lon,interval,zone,building',
        `70b3d57ed0000001,,${KEY_A},nwave-nps405,,,,,`,
        `70b3d57ed000001,,${KEY_A},nwave-nps405,,,,,`,
        `70b3d57ed0000002,00000000000001,${KEY_A},nwave-nps405,,,,,`,
        `70b3d57ed0000003,,${KEY_A.slice(1)},nwave-nps405,,,,,`,
        `70b3d57ed0000004,,${KEY_A},acme-9000,,,,,`,
        `70b3d57ed0000005,,${KEY_A},nwave-nps405,95,7,,,`,
        `70b3d57ed0000006,,${KEY_A},nwave-nps405,north,7,,,`,
        `70b3d57ed0000007,,${KEY_A},nwave-nps405,51,,,,`,
        `70b3d57ed0000008,,${KEY_A},nwave-nps405,,,soon,,`,
        `70b3d57ed0000009,,${KEY_A},nwave-nps405,,,,markt,rathaus`,
        `,,${KEY_A},nwave-nps405,,,,,`,
        `70b3d57ed0000010,,${KEY_A},,,,,,`,
        `70b3d57ed0000011,,${KEY_A},nwave-nps405,,,,,`,
      ].join('\n'),
    );
    expect(rows.map((r) => [r.result.row, r.result.action, r.result.message])).toEqual([
      [2, 'create', undefined],
      [3, 'error', 'devEui: DevEUI must be 16 hex digits, got "70b3d57ed000001" (it has 15)'],
      [4, 'error', 'joinEui: JoinEUI must be 16 hex digits, got "00000000000001" (it has 14)'],
      [5, 'error', 'appKey: AppKey must be 32 hex digits (it has 31)'],
      [6, 'error', 'model: unknown model "acme-9000" (GET /api/models lists the catalog)'],
      [7, 'error', 'lat: latitude must be between -90 and 90'],
      [8, 'error', 'lat: latitude is not a number: "north"'],
      [9, 'error', 'lon: latitude and longitude go together'],
      [10, 'error', 'uplinkIntervalSeconds: "soon" is not an interval between 1 s and 31 days (e.g. 600, 10m, 1h)'],
      [11, 'error', 'site: the row sets zone and building; give only one'],
      [12, 'error', 'devEui: DevEUI is missing'],
      [13, 'error', 'model: model is missing (add a model column or pass a default model)'],
      [14, 'create', undefined],
    ]);
    // An AppKey never appears in a message.
    expect(JSON.stringify(rows.map((r) => r.result))).not.toContain(KEY_A.slice(1));
  });

  it('duplicate DevEUIs in one file: the first row counts, later ones are errors (also across spellings)', () => {
    const rows = plan(`DevEUI,model\n70b3d57ed0000001,nwave-nps405\n70B3-D57E-D000-0001,nwave-nps405\n70b3d57ed0000002,nwave-nps405\n70b3d57ed0000001,bosch-tps110\n`);
    expect(rows.map((r) => [r.result.action, r.result.message])).toEqual([
      ['create', undefined],
      ['error', 'devEui: duplicate DevEUI 70b3d57ed0000001: already in row 2 of this file'],
      ['create', undefined],
      ['error', 'devEui: duplicate DevEUI 70b3d57ed0000001: already in row 2 of this file'],
    ]);
  });

  it('a default model for files without a model column; the column wins where set', () => {
    const rows = plan('DevEUI,model\n70b3d57ed0000001,\n70b3d57ed0000002,bosch-tps110\n', { defaultModel: 'nwave-nps405' });
    expect(rows.map((r) => r.device?.model)).toEqual(['nwave-nps405', 'bosch-tps110']);
    expect(plan('DevEUI\n70b3d57ed0000001\n', { defaultModel: 'nwave-nps405' })[0]!.device).toEqual({ devEui: '70b3d57ed0000001', model: 'nwave-nps405', name: '70b3d57ed0000001', tags: {} });
  });

  it('an AppKey is required for new devices when ChirpStack provisioning is on', () => {
    const [p] = plan('DevEUI,model\n70b3d57ed0000001,nwave-nps405\n', { requireAppKey: true });
    expect(p!.result.message).toBe('appKey: AppKey is required to provision the device in ChirpStack (OTAA)');
  });

  it('existing devices: unchanged when equal, update otherwise; missing columns and empty cells keep values', () => {
    fleet.upsert({ devEui: '70b3d57ed0000001', model: 'nwave-nps405', name: 'Bay 1', site: 'marktplatz', siteKind: 'zone', lat: 51.25, lon: 7.15, tags: {} });
    fleet.setAppKey('70b3d57ed0000001', KEY_A);
    fleet.upsert({ devEui: '70b3d57ed0000002', model: 'nwave-nps405', name: 'Bay 2', tags: {} });
    const rows = plan(
      [
        'DevEUI,AppKey,model,name,zone,lat,lon',
        `70b3d57ed0000001,${KEY_A.toUpperCase()},nwave-nps405,Bay 1,marktplatz,"51,25","7,15"`,
        '70b3d57ed0000002,,,Bay 2 (new),,,',
        `70b3d57ed0000003,${KEY_B},nwave-nps405,Bay 3,,,`,
      ].join('\n'),
    );
    expect(rows.map((r) => [r.result.devEui, r.result.action])).toEqual([
      ['70b3d57ed0000001', 'unchanged'],
      ['70b3d57ed0000002', 'update'],
      ['70b3d57ed0000003', 'create'],
    ]);
    expect(rows[1]!.device).toEqual({ devEui: '70b3d57ed0000002', model: 'nwave-nps405', name: 'Bay 2 (new)', tags: {} });
    // A different AppKey alone is an update.
    const [k] = plan(`DevEUI,AppKey\n70b3d57ed0000001,${KEY_B}\n`);
    expect([k!.result.action, k!.keyChanged]).toEqual(['update', true]);
  });
});

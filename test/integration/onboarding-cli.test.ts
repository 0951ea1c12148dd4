import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { devicesImportCommand, type CliIo } from '../../src/onboarding/cli-import.js';
import { testApp } from '../helpers/app.js';
import { tempDir } from '../helpers/processes.js';

const KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

describe('stadtpuls devices import (CLI over HTTP)', () => {
  let app: App;
  let url = '';
  let token = '';
  let viewerToken = '';
  const dir = tempDir('cli-import');
  const file = path.join(dir, 'devices.csv');

  const run = async (args: string[], env: Record<string, string | undefined> = { STADTPULS_URL: url, STADTPULS_TOKEN: token }) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env };
    const code = await devicesImportCommand(args, io);
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { demoUsers: true } });
    await app.start();
    url = `http://127.0.0.1:${app.httpPort}`;
    const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }) });
    const admin = ((await login.json()) as { token: string }).token;
    const mk = async (name: string, roles: string[]) =>
      ((await (await fetch(`${url}/api/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, roles }) })).json()) as { token: string }).token;
    token = await mk('import-cli', ['technician']);
    viewerToken = await mk('viewer-cli', ['viewer']);
    writeFileSync(
      file,
      `\uFEFFDEVEUI;APPKEY;MODEL;NAME;BUILDING\n70b3d57ed0050001;${KEY};emu-prof-ii;"Stromzähler; Rathaus";rathaus\n70b3d57ed005000;${KEY};emu-prof-ii;kaputt;rathaus\n70b3d57ed0050002;;emu-prof-ii;Stromzähler Schule;grundschule-nord\n`,
    );
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('--dry-run: progress on stderr, a line per row that would change and a summary on stdout; exit 1 for the bad row', async () => {
    const r = await run([file, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^progress: validate 0\/3\nprogress: validate 3\/3\n$/);
    expect(r.stdout).toContain('row 2\t70b3d57ed0050001\tcreate\n');
    expect(r.stdout).toContain('row 3\t-\terror\tdevEui: DevEUI must be 16 hex digits, got "70b3d57ed005000" (it has 15)\n');
    expect(r.stdout).toMatch(/3 rows: 2 create, 0 update, 0 unchanged, 1 error \(dry run: nothing was changed\) in \d+\.\d s\n$/);
    expect(app.fleet.get('70b3d57ed0050001')).toBeUndefined();
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('imports, and a second run reports everything unchanged; --json prints the result object', async () => {
    const first = await run([file]);
    expect(first.stdout).toMatch(/3 rows: 2 create, 0 update, 0 unchanged, 1 error in /);
    expect(first.stderr).toContain('progress: save 2/2');
    expect(app.fleet.get('70b3d57ed0050001')).toMatchObject({ name: 'Stromzähler; Rathaus', site: 'rathaus', siteKind: 'building', model: 'emu-prof-ii' });
    const second = await run([file, '--json']);
    const result = JSON.parse(second.stdout) as { summary: unknown };
    expect(result.summary).toEqual({ rows: 3, create: 0, update: 0, unchanged: 2, error: 1 });
  });

  it('exit 0 when every row is fine; --model is the default model', async () => {
    const ok = path.join(dir, 'ok.csv');
    writeFileSync(ok, 'dev_eui,name\n70b3d57ed0050003,Pegel\n');
    const r = await run([ok, '--model', 'dragino-ldds75']);
    expect(r.code).toBe(0);
    expect(app.fleet.get('70b3d57ed0050003')?.model).toBe('dragino-ldds75');
  });

  it('exit 2: usage errors, no token, unreadable file, server unreachable, wrong role, unreadable CSV', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([file, '--frobnicate'])).stderr).toMatch(/Unknown option '--frobnicate'/);
    const noToken = await run([file], { STADTPULS_URL: url });
    expect([noToken.code, noToken.stderr]).toEqual([2, expect.stringMatching(/set STADTPULS_TOKEN/)]);
    const missing = await run([path.join(dir, 'nope.csv')]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/cannot read .*nope\.csv: ENOENT/)]);
    const down = await run([file], { STADTPULS_URL: 'http://127.0.0.1:1', STADTPULS_TOKEN: token });
    expect([down.code, down.stderr]).toEqual([2, expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:1/)]);
    const viewer = await run([file], { STADTPULS_URL: url, STADTPULS_TOKEN: viewerToken });
    expect([viewer.code, viewer.stderr]).toEqual([2, expect.stringMatching(/HTTP 403 \(the token needs the technician role\)/)]);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'Name;Model\nx;y\n');
    const unreadable = await run([bad]);
    expect([unreadable.code, unreadable.stderr]).toEqual([2, expect.stringMatching(/HTTP 400: no DevEUI column/)]);
    expect((await run(['--help'])).code).toBe(0);
  });
});

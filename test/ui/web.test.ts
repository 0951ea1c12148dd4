/**
 * The web app in real Chromium (Debian's `chromium`, driven by playwright-core) against the platform running
 * in-process with a real mosquitto: uplinks published to the broker show up in the browser live. Every view is
 * saved as a screenshot under test-artifacts/ui/.
 *
 * Skipped (with a message) only when no chromium binary exists; CI installs it (.ci/run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, DEMO_PASSWORD } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/log.js';
import { uplinkJson, uplinkTopic } from '../../src/sim/events.js';
import { fillTemplate } from '../../src/sim/template.js';
import { until } from '../helpers/app.js';
import { Mosquitto, tempDir } from '../helpers/processes.js';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on PATH
    }
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

const CHROMIUM = findChromium();
if (!CHROMIUM) console.warn('test/ui: SKIPPED — no chromium binary found (Debian: apt-get install -y chromium; CI installs it)');

const ARTIFACTS = path.resolve('test-artifacts/ui');
const BAY = '70b3d5e75ef00001';
const METER = '70b3d5e75ef10001';
const GAUGE = '70b3d5e75ef20001';
const NEW_DEVICE = '70b3d5e75ef30001';
const H = 3_600_000;
const TZ = 'Europe/Berlin';
/** Polls generously: logins (scrypt) and uplinks take longer while other suites load the two cores. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 50 });

describe.skipIf(!CHROMIUM)('web app in Chromium against the platform and a real mosquitto', () => {
  let mosquitto: Mosquitto;
  let app: App;
  let browser: Browser;
  let pub: MqttClient;
  let base = '';
  let webDir = '';
  let fCnt = 0;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  const publish = (devEui: string, model: string, values: Record<string, number | boolean>, time = new Date()) => {
    const sim = app.catalog.get(model)!.simulate!;
    const spec = { devEui, fPort: sim.fPort, bytes: fillTemplate(sim.hex, values), fCnt: ++fCnt, time };
    return new Promise<void>((resolve, reject) => pub.publish(uplinkTopic(spec), uplinkJson(spec), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  };

  const token = async (username: string) => {
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
    return ((await res.json()) as { token: string }).token;
  };

  /** A fresh browser context (own cookies and storage); tile requests fail at once, as without internet. */
  const newPage = async (name: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE', timezoneId: TZ });
    contexts.push(context);
    await context.route(/tile\.openstreetmap\.org/, (route) => route.abort());
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`[${name}] page error: ${err.message}`));
    page.on('console', (msg) => {
      const text = msg.text();
      // Expected: the anonymous /api/auth/me at start-up (401), the aborted map tiles, the refused duplicate (409).
      if (msg.type() === 'error' && !/status of (401|409)|ERR_FAILED/.test(text)) problems.push(`[${name}] console: ${text}`);
    });
    return page;
  };

  const login = async (page: Page, username: string) => {
    await page.goto(`${base}/#/anmelden`);
    await page.getByLabel('Benutzername').fill(username);
    await page.getByLabel('Passwort').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await poll(() => new URL(page.url()).hash).not.toMatch(/^#\/anmelden/);
    // The header of a logged-in user (the login page's own header may already show the live status).
    await page.locator('.site-header button.logout').waitFor();
    await page.locator('.live-status.live').waitFor();
  };

  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  const h1 = (page: Page) => page.locator('main h1');

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    webDir = tempDir('web');
    // The web app as `npm run build` makes it, into a directory of its own.
    const { build } = await import('vite');
    await build({ root: path.resolve('src/web'), configFile: path.resolve('src/web/vite.config.ts'), logLevel: 'warn', build: { outDir: webDir, emptyOutDir: true } });

    mosquitto = await Mosquitto.create();
    await mosquitto.start();
    const dataDir = tempDir('data');
    const config = loadConfig({}, { http: { host: '127.0.0.1', port: 0 }, dataDir, logLevel: 'warn', mqtt: { url: mosquitto.url, clientId: 'stadtpuls-ui-test' }, auth: { demoUsers: true } });
    app = new App(config, { log: createLogger('warn', { write: () => undefined }), webDir });
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    app.fleet.upsert({ devEui: BAY, model: 'nwave-nps405', name: 'Stellplatz Markt 1', site: 'marktplatz', siteKind: 'zone', lat: 51.2562, lon: 7.1508 });
    app.fleet.upsert({ devEui: METER, model: 'emu-prof-ii', name: 'Rathaus Hauptzähler', site: 'rathaus', siteKind: 'building', lat: 51.256, lon: 7.15 });
    app.fleet.upsert({ devEui: GAUGE, model: 'dragino-ldds75', name: 'Pegel Wupper', site: 'wupper', siteKind: 'gauge', mounting: { heightMm: 3000 }, lat: 51.2589, lon: 7.1455 });
    pub = mqtt.connect(mosquitto.url, { clientId: 'ui-test-publisher' });
    await new Promise((resolve) => pub.once('connect', resolve));
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    pub?.end(true);
    await app?.stop();
    await mosquitto?.cleanup();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  it('without login: the public page is the landing page — zone totals live, building energy, no devices', async () => {
    const page = await newPage('public');
    await page.goto(`${base}/`);
    await poll(() => new URL(page.url()).hash).toBe('#/oeffentlich');
    await poll(() => h1(page).textContent()).toBe('Stadtpuls – öffentliche Daten');
    const zone = page.locator('table.zones tr[data-zone="marktplatz"]');
    await zone.waitFor();
    await poll(() => zone.locator('td').first().textContent()).toBe('0');
    // Live over the /public namespace: the bay turns free.
    await publish(BAY, 'nwave-nps405', { occupied: false });
    await poll(() => zone.locator('td').first().textContent()).toBe('1');
    // Landmarks, skip link, captions and header scopes.
    expect(await page.locator('header#site-header').count()).toBe(1);
    expect(await page.locator('main#main').count()).toBe(1);
    expect(await page.locator('nav[aria-label]').count()).toBe(1);
    expect(await page.locator('table.zones caption').textContent()).toContain('Freie Stellplätze je Parkzone');
    expect(await page.locator('table.zones thead th[scope="col"]').count()).toBe(4);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.className')).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.tagName')).toBe('H1');
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toContain(BAY);
    expect(text).not.toContain('Stellplatz Markt');
    // The nav offers only the public page and the login.
    expect(await page.locator('nav a').allTextContents()).toEqual(['Öffentlich']);
    await shot(page, 'public');
    await page.locator('.login-link').click();
    await poll(() => h1(page).textContent()).toBe('Anmelden');
    expect(await page.locator('main .notice').textContent()).toContain('stadtpuls-demo');
    await shot(page, 'login');
  });

  it('enforcement: a bay turns occupied on the map and in the list within a second of the uplink; Energie is refused', async () => {
    const page = await newPage('enforcement');
    await login(page, 'enforcement');
    expect(page.url()).toMatch(/#\/parken$/);
    expect(await page.locator('nav a').allTextContents()).toEqual(['Parken', 'Öffentlich']);
    const row = page.locator(`table.bays tr[data-dev-eui="${BAY}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('free');
    const marker = page.locator(`path.bay-marker[data-dev-eui="${BAY}"]`);
    await marker.waitFor();
    expect(await marker.getAttribute('data-state')).toBe('free');

    // Broker → platform → socket.io → browser within a second. Other suites share the two cores, so a measurement
    // may be repeated (free again, then occupied) up to three times; every time is logged.
    const times: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) {
        await publish(BAY, 'nwave-nps405', { occupied: false });
        await page.locator(`table.bays tr[data-dev-eui="${BAY}"][data-state="free"]`).waitFor({ timeout: 15_000 });
      }
      const started = Date.now();
      await publish(BAY, 'nwave-nps405', { occupied: true });
      await page.locator(`table.bays tr[data-dev-eui="${BAY}"][data-state="occupied"]`).waitFor({ timeout: 15_000 });
      times.push(Date.now() - started);
      if (times.at(-1)! < 1000) break;
    }
    console.info(`test/ui: bay shown occupied in the browser ${times.join(' ms, ')} ms after the publish to mosquitto`);
    expect(Math.min(...times), `bay shown occupied after ${times.join(', ')} ms`).toBeLessThan(1000);
    await poll(() => marker.getAttribute('data-state')).toBe('occupied');
    expect((await marker.getAttribute('fill'))?.toLowerCase()).toBe('#b91c1c');
    expect(await row.locator('.badge').textContent()).toBe('belegt');
    expect(await page.locator('table.zones tr[data-zone="marktplatz"] td[data-col="occupied"]').textContent()).toBe('1');
    // Tiles cannot load here: the note says so, and the map still works.
    await page.locator('.map-note:not([hidden])').waitFor();
    await shot(page, 'parking');

    await page.goto(`${base}/#/energie`);
    await poll(() => h1(page).textContent()).toBe('Keine Berechtigung');
    expect(await page.locator('main [role="alert"]').textContent()).toContain('„Energie“');
    await shot(page, 'forbidden');
  });

  it('facility: the energy chart and its table show the consumption of counter uplinks in kWh (de-DE), live power; English on request', async () => {
    const hour = Math.floor(Date.now() / H) * H;
    const counts: [number, number][] = [
      [hour - 3 * H, 1_000_000],
      [hour - 2 * H, 1_001_500],
      [hour - H, 1_004_000],
    ];
    for (const [t, wh] of counts) await publish(METER, 'emu-prof-ii', { energy_import: wh, energy_export: 0 }, new Date(t));
    const facility = await token('facility');
    await until(async () => {
      const res = await fetch(`${base}/api/buildings/rathaus/consumption?resolution=hour`, { headers: { authorization: `Bearer ${facility}` } });
      const body = (await res.json()) as { series?: { buckets: unknown[] }[] };
      return (body.series?.[0]?.buckets.length ?? 0) === 2;
    }, 'the hourly buckets');

    const page = await newPage('facility');
    await login(page, 'facility');
    expect(page.url()).toMatch(/#\/energie$/);
    expect(await page.locator('nav a').allTextContents()).toEqual(['Energie', 'Pegel', 'Öffentlich']);
    const table = page.locator('table.buckets[data-resolution="hour"]');
    await table.locator('tbody tr[data-start]').first().waitFor();
    const label = (t: number) => new Intl.DateTimeFormat('de-DE', { timeZone: TZ, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(t));
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]));
    expect(rows).toEqual([
      [label(hour - 2 * H), '2,5 kWh'],
      [label(hour - 3 * H), '1,5 kWh'],
    ]);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('.chart[role="img"]').getAttribute('aria-label')).toContain('zusammen 4,0 kWh');
    // A reading now: the live power follows from the last two counter readings (1,000 Wh in the last hour or so).
    const meter = page.locator(`table.meters tr[data-dev-eui="${METER}"]`);
    expect(await meter.getAttribute('data-status')).toBe('offline'); // its newest reading is an hour old
    expect(await page.locator('[data-testid="live-power"]').textContent()).toBe('2,5 kW');
    await publish(METER, 'emu-prof-ii', { energy_import: 1_005_000, energy_export: 0 }, new Date());
    await poll(() => meter.locator('td').nth(1).textContent()).toBe('1.005,0 kWh');
    expect(await meter.getAttribute('data-status')).toBe('online');
    // 1,000 Wh since the reading at the start of the last hour: between 500 W and 1 kW.
    expect(await page.locator('[data-testid="live-power"]').textContent()).toMatch(/^([5-9]\d\d W|1,0 kW)$/);
    await shot(page, 'energy');

    await page.getByRole('button', { name: 'Switch to English' }).click();
    await poll(() => h1(page).textContent()).toBe('Energy');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await poll(() => table.locator('tbody tr td').allTextContents()).toContain('2.5 kWh');
    expect(await page.locator(`table.meters tr[data-dev-eui="${METER}"] td`).nth(1).textContent()).toBe('1,005.0 kWh');
    await page.reload();
    await poll(() => h1(page).textContent()).toBe('Energy');
    expect(await page.locator('nav a').allTextContents()).toEqual(['Energy', 'Levels', 'Public']);
    await shot(page, 'energy-en');
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    await poll(() => h1(page).textContent()).toBe('Energie');
  });

  it('facility: a level alarm appears live and is acknowledged with the button', async () => {
    const technician = await token('technician');
    const put = await fetch(`${base}/api/gauges/${GAUGE}/thresholds`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${technician}`, 'content-type': 'application/json' },
      body: JSON.stringify({ direction: 'above', warning: 2000, alarm: 2500 }),
    });
    expect(put.status).toBe(200);
    await publish(GAUGE, 'dragino-ldds75', { distance: 1500, battery_voltage: 3.3 }, new Date(Date.now() - 60_000)); // level 1500 mm

    const page = await newPage('facility-levels');
    await login(page, 'facility');
    await page.goto(`${base}/#/pegel`);
    const gauge = page.locator(`table.gauges tr[data-dev-eui="${GAUGE}"]`);
    await gauge.waitFor();
    await poll(() => gauge.locator('td[data-col="level"]').textContent()).toBe('150 cm');
    expect(await page.locator('table.alarms tbody tr.empty').count()).toBe(1);

    await publish(GAUGE, 'dragino-ldds75', { distance: 400, battery_voltage: 3.3 }); // level 2600 mm: alarm
    const alarm = page.locator(`table.alarms tr[data-dev-eui="${GAUGE}"][data-state="active"]`);
    await alarm.waitFor({ timeout: 15_000 });
    expect(await alarm.getAttribute('data-severity')).toBe('alarm');
    expect(await alarm.locator('td').nth(1).textContent()).toBe('Pegel 260 cm ≥ Alarm-Schwelle 250 cm');
    await poll(() => gauge.getAttribute('data-severity')).toBe('alarm');
    await poll(() => page.locator('.chart canvas').count()).toBeGreaterThan(0);
    await shot(page, 'levels');

    await alarm.getByRole('button', { name: /Bestätigen/ }).click();
    const acked = page.locator(`table.alarms tr[data-dev-eui="${GAUGE}"][data-state="acknowledged"]`);
    await acked.waitFor({ timeout: 15_000 });
    expect(await acked.textContent()).toContain('bestätigt von facility');
    const list = (await (await fetch(`${base}/api/alarms?state=acknowledged`, { headers: { authorization: `Bearer ${technician}` } })).json()) as { devEui: string; acknowledgedBy: string }[];
    expect(list).toEqual([expect.objectContaining({ devEui: GAUGE, acknowledgedBy: 'facility' })]);
    await shot(page, 'levels-acknowledged');
  });

  it('technician: device list with health, a device with its uplinks, the device form (validation, map pin, decoder test) and the CSV import', async () => {
    const page = await newPage('technician');
    await login(page, 'technician');
    expect(await page.locator('nav a').allTextContents()).toEqual(['Energie', 'Parken', 'Pegel', 'Geräte', 'Öffentlich']);
    await page.goto(`${base}/#/geraete`);
    const row = page.locator(`table.devices tr[data-dev-eui="${BAY}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('online');
    await page.getByLabel('Suche').fill('Wupper');
    await poll(() => page.locator('table.devices tbody tr').count()).toBe(1);
    await page.getByLabel('Suche').fill('');
    await shot(page, 'devices');

    await row.getByRole('link').click();
    await poll(() => h1(page).textContent()).toBe('Stellplatz Markt 1');
    const uplinks = page.locator('table.uplinks tbody tr[data-fcnt]');
    await uplinks.first().waitFor();
    expect(await uplinks.count()).toBeGreaterThanOrEqual(2);
    expect(await uplinks.first().locator('li[data-reading="occupied"]').textContent()).toBe('Stellplatz belegt: ja');
    await shot(page, 'device');

    // New device: inline validation with the API's rules, a map click for the position, then saved.
    await page.goto(`${base}/#/geraete/neu`);
    await poll(() => h1(page).textContent()).toBe('Gerät anlegen');
    const devEui = page.getByLabel('DevEUI', { exact: true });
    await devEui.fill('70b3-d5e7-5ef');
    await devEui.blur();
    await poll(() => page.locator('[data-field="devEui"] .field-error').textContent()).toBe('DevEUI muss aus 16 Hex-Ziffern bestehen (es sind 11).');
    expect(await devEui.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await page.locator('.error-summary:not([hidden])').waitFor();
    expect(await page.locator('.error-summary li').allTextContents()).toEqual(expect.arrayContaining(['Der Name darf nicht leer sein.', 'Modell ist erforderlich.']));
    await shot(page, 'device-form-errors');
    await devEui.fill(NEW_DEVICE);
    await page.getByLabel('Name').fill('Pegel Zisterne Süd');
    await page.getByLabel('Modell').selectOption('dragino-ldds75');
    // A click on the map sets the position (clicked again if the map was still settling).
    for (let i = 0; i < 5 && (await page.getByLabel('Breitengrad').inputValue()) === ''; i++) {
      await page.locator('.map.leaflet-container').click({ position: { x: 300 + i * 20, y: 150 } });
      await page.waitForTimeout(200);
    }
    expect(await page.getByLabel('Breitengrad').inputValue()).toMatch(/^\d+\.\d+$/);
    expect(await page.locator('path.pin-marker').count()).toBe(1);
    expect(await page.locator('[data-field="devEui"] .field-error').textContent()).toBe('');
    // Decoder test with the chosen model.
    await page.getByLabel('fPort').fill('2');
    await page.getByLabel('Nutzlast').fill('0ce404d20000d701');
    await page.getByRole('button', { name: 'Dekodieren' }).click();
    await poll(() => page.locator('[data-testid="decoded"]').textContent()).toContain('"Distance": 1234');
    expect(await page.locator('.decode-result li[data-reading="distance"]').textContent()).toBe('Abstand zur Oberfläche: 1.234 mm');
    await shot(page, 'device-form');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await poll(() => new URL(page.url()).hash).toBe(`#/geraete/${NEW_DEVICE}`);
    await poll(() => h1(page).textContent()).toBe('Pegel Zisterne Süd');
    const saved = app.fleet.get(NEW_DEVICE)!;
    expect(saved).toMatchObject({ name: 'Pegel Zisterne Süd', model: 'dragino-ldds75' });
    expect(saved.lat).toBeGreaterThan(-90);
    expect(saved.lon).toBeGreaterThan(-180);

    // The API's own refusal lands at its field: this DevEUI exists now.
    await page.goto(`${base}/#/geraete/neu`);
    await poll(() => h1(page).textContent()).toBe('Gerät anlegen');
    await page.getByLabel('DevEUI', { exact: true }).fill(NEW_DEVICE);
    await page.getByLabel('Name').fill('Doppelt');
    await page.getByLabel('Modell').selectOption('dragino-ldds75');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await poll(() => page.locator('[data-field="devEui"] .field-error').textContent()).toContain(NEW_DEVICE);

    // CSV import: dry run first, then the import with progress.
    await page.goto(`${base}/#/geraete/import`);
    const csv = ['DevEUI;name;model;zone;lat;lon', '70b3d5e75ef40001;Import 1;nwave-nps405;marktplatz;51,2563;7,1509', '70b3d5e75ef40002;Import 2;nwave-nps405;marktplatz;51,2564;7,1510', 'XYZ;Kaputt;nwave-nps405;marktplatz;;'].join('\n');
    await page.getByLabel('CSV-Datei').setInputFiles({ name: 'geraete.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await page.locator('table.import-rows').waitFor();
    expect(await page.locator('table.import-rows tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')))).toEqual(['create', 'create', 'error']);
    expect(app.fleet.get('70b3d5e75ef40001')).toBeUndefined();
    await shot(page, 'import-check');
    await page.getByRole('button', { name: 'Importieren' }).click();
    await poll(() => page.locator('.import-result h2').textContent()).toBe('Ergebnis des Imports');
    const [value, max] = await page.locator('progress').evaluate((p) => [(p as unknown as { value: number }).value, (p as unknown as { max: number }).max]);
    expect(value).toBe(max);
    expect(app.fleet.get('70b3d5e75ef40001')).toMatchObject({ name: 'Import 1', site: 'marktplatz', siteKind: 'zone', lat: 51.2563 });
    await shot(page, 'import');
  });

  it('viewer: Energie and the public page only; Parken is refused', async () => {
    const page = await newPage('viewer');
    await login(page, 'viewer');
    expect(await page.locator('nav a').allTextContents()).toEqual(['Energie', 'Öffentlich']);
    await page.goto(`${base}/#/parken`);
    await poll(() => h1(page).textContent()).toBe('Keine Berechtigung');
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await poll(() => new URL(page.url()).hash).toBe('#/oeffentlich');
    expect(await page.locator('.login-link').textContent()).toBe('Anmelden');
  });

  it('no script errors in any page', () => {
    expect(problems).toEqual([]);
  });
});

import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/log.js';
import { tempDir } from './processes.js';

/**
 * A catalog for tests: the real devices/ plus a model without a decoder of ours (`decoder: chirpstack`) for the
 * invented parking sensor of the shared fixtures, whose ChirpStack-decoded `object` is mapped instead.
 */
export function testCatalogDir(): string {
  const dir = tempDir('catalog');
  for (const f of readdirSync('devices')) if (f.endsWith('.yaml')) cpSync(path.join('devices', f), path.join(dir, f));
  writeFileSync(
    path.join(dir, 'acme-parking.yaml'),
    `id: acme-parking
vendor: ACME
model: Parking sensor (decoded by ChirpStack)
category: parking
uplinkIntervalSeconds: 600
decoder: chirpstack
readings:
  - { name: occupied, from: occupied, type: boolean, label: { de: Belegt, en: Occupied } }
  - { name: temperature, from: temperature, type: float, unit: "°C", label: { de: Temperatur, en: Temperature } }
  - { name: battery_voltage, from: battery.voltage, type: float, unit: V, label: { de: Batteriespannung, en: Battery voltage } }
  - { name: battery, from: battery.percent, type: float, unit: "%", label: { de: Batterie, en: Battery } }
`,
  );
  return dir;
}

export function testApp(overrides: ConfigInput, logLines?: string[]): App {
  const dataDir = overrides.dataDir ?? tempDir('data');
  mkdirSync(dataDir, { recursive: true });
  const config = loadConfig({}, { http: { host: '127.0.0.1', port: 0 }, logLevel: 'info', dataDir, ...overrides });
  const sink = { write: (s: string) => void logLines?.push(s) };
  return new App(config, { log: createLogger(config.logLevel, sink) });
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err; // e.g. a connection reset while the process under test is busy: ask again
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

export async function metric(app: App, name: string, labels = ''): Promise<number> {
  const text = await app.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

import type { PublicConfig } from '../live/protocol.js';

/** GET /api/public/config, loaded once before the first view. */
let config: PublicConfig = { tileUrl: null, tileAttribution: '', timeZone: 'Europe/Berlin', demo: false };

export async function loadConfig(): Promise<PublicConfig> {
  try {
    const res = await fetch('/api/public/config', { headers: { accept: 'application/json' } });
    if (res.ok) config = (await res.json()) as PublicConfig;
  } catch {
    // offline: defaults
  }
  return config;
}

export const appConfig = (): PublicConfig => config;

import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/log.js';

const KEY = '2b7e151628aed2a6abf7158809cf4f3c';

describe('log redaction of device keys and the ChirpStack API key', () => {
  it('AppKeys and API tokens are censored wherever a log object carries them', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (s: string) => void lines.push(s) });
    log.info({ appKey: KEY }, 'top level');
    log.info({ body: { appKey: KEY } }, 'one level');
    log.info({ req: { body: { appKey: KEY } } }, 'two levels');
    log.info({ row: { app_key: KEY, nwkKey: KEY } }, 'other spellings');
    log.info({ config: { chirpstack: { apiToken: 'chirpstack-secret' } } }, 'config');
    const text = lines.join('');
    expect(lines).toHaveLength(5);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('chirpstack-secret');
    expect(text.match(/\[redacted\]/g)).toHaveLength(6);
  });
});

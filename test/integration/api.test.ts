import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type App } from '../../src/app.js';
import { ROLES, type Role } from '../../src/auth/roles.js';
import { testApp } from '../helpers/app.js';

const ADMIN = { username: 'stadtadmin', password: 'correct horse battery staple' };

describe('HTTP API: authentication, roles and technician codecs', () => {
  let app: App;
  const logs: string[] = [];
  const tokens = new Map<Role | 'admin-env', string>();
  let base = '';

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: method.toUpperCase(),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const login = async (username: string, password: string) => (await call('post', '/api/auth/login', undefined, { username, password })).json.token as string;

  beforeAll(async () => {
    app = testApp({ embedded: { mqttPort: 0, simulator: false }, auth: { adminUser: ADMIN.username, adminPassword: ADMIN.password, demoUsers: true } }, logs);
    await app.start();
    base = `http://127.0.0.1:${app.httpPort}`;
    for (const role of ROLES) tokens.set(role, await login(role, DEMO_PASSWORD));
    tokens.set('admin-env', await login(ADMIN.username, ADMIN.password));
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('security matrix: every route — anonymous 401, wrong role 403, right role passes the gate', async () => {
    expect(app.routes.length).toBeGreaterThan(5);
    // Own sessions: the matrix also calls logout, which ends the session it is called with.
    const own = new Map<Role, string>();
    for (const role of ROLES) own.set(role, await login(role, DEMO_PASSWORD));
    for (const r of app.routes) {
      const path = r.path.replace(':scope', 'model').replace(':target', 'dragino-ldds75');
      if (r.access === 'public') continue;
      expect((await call(r.method, path)).status, `${r.method} ${r.path} anonymous`).toBe(401);
      expect((await call(r.method, path, 'sps_forged-token')).status, `${r.method} ${r.path} forged token`).toBe(401);
      for (const role of ROLES) {
        const allowed = role === 'admin' || r.access.includes(role);
        const { status } = await call(r.method, path, own.get(role), r.method === 'get' ? undefined : {});
        if (r.path === '/api/auth/logout') own.set(role, await login(role, DEMO_PASSWORD));
        if (allowed) expect([401, 403], `${r.method} ${r.path} as ${role}`).not.toContain(status);
        else expect(status, `${r.method} ${r.path} as ${role}`).toBe(403);
      }
    }
  });

  it('login returns a bearer token and an HttpOnly session cookie; /api/auth/me names the roles', async () => {
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'facility', password: DEMO_PASSWORD }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/sp_session=sps_[^;]+;.*HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const me = await fetch(`${base}/api/auth/me`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(await me.json()).toEqual({ username: 'facility', roles: ['facility'] });
    expect((await call('get', '/api/auth/me', tokens.get('admin-env'))).json).toEqual({ username: ADMIN.username, roles: ['admin'] });
  });

  it('throttles brute force: the 6th wrong password in a row is refused with 429 and Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await call('post', '/api/auth/login', undefined, { username: 'viewer', password: `wrong-${i}` })).status).toBe(401);
    const blocked = await call('post', '/api/auth/login', undefined, { username: 'viewer', password: DEMO_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('rejects invalid input with precise messages', async () => {
    const bad = await call('post', '/api/users', tokens.get('admin'), { username: 'x', password: 'short', roles: ['mayor'] });
    expect(bad.status).toBe(400);
    expect(bad.json.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^username:/), expect.stringMatching(/^password: at least 10 characters/), expect.stringMatching(/^roles\.0:/)]));
    const notJson = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: 'invalid_request', message: 'request body is not valid JSON' });
  });

  it('admin creates a long-lived API token that works as a bearer token', async () => {
    const created = await call('post', '/api/tokens', tokens.get('admin-env'), { name: 'grafana-export', roles: ['viewer'] });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    expect(token).toMatch(/^spt_/);
    expect((await call('get', '/api/auth/me', token)).json).toEqual({ username: 'token:grafana-export', roles: ['viewer'] });
    expect((await call('get', '/api/codecs', token)).status).toBe(403);
  });

  it('technician tries a codec on a hex or base64 sample, then publishes it as a new version for a model', async () => {
    const tech = tokens.get('technician');
    const source = 'function decodeUplink(input) { return { data: { Distance: (input.bytes[0] << 8) | input.bytes[1], Bat: 3.6 } }; }';
    const tried = await call('post', '/api/codecs/try', tech, { source, modelId: 'dragino-ldds75', fPort: 2, payload: '04d2' });
    expect(tried.json).toMatchObject({ result: { data: { Distance: 1234, Bat: 3.6 } }, readings: { distance: 1234, battery_voltage: 3.6 } });
    const b64 = await call('post', '/api/codecs/try', tech, { source, fPort: 2, payload: 'BNI=' });
    expect(b64.json).toMatchObject({ result: { data: { Distance: 1234 } } });
    const builtIn = await call('post', '/api/codecs/try', tech, { modelId: 'dragino-ldds75', fPort: 2, payload: '0ce404d20000d701' });
    expect(builtIn.json).toMatchObject({ result: { data: { Distance: 1234, Bat: 3.3 } } });
    const endless = await call('post', '/api/codecs/try', tech, { source: 'function decodeUplink(){ for(;;){} }', fPort: 1, payload: '00' });
    expect(endless.json).toMatchObject({ failure: 'timeout' });

    const refused = await call('post', '/api/codecs/model/dragino-ldds75', tech, { source: 'function decodeUplink(){ return { errors: ["nope"] }; }', samples: [{ fPort: 2, payload: '04d2' }] });
    expect(refused.status).toBe(422);
    expect(refused.json.message).toMatch(/sample 0 failed: nope/);
    const noSample = await call('post', '/api/codecs/model/dragino-ldds75', tech, { source, samples: [] });
    expect(noSample.status).toBe(400);

    const v1 = await call('post', '/api/codecs/model/dragino-ldds75', tech, { source, comment: 'firmware 2.1 layout', samples: [{ fPort: 2, payload: '04d2' }] });
    expect(v1.status).toBe(201);
    expect(v1.json).toMatchObject({ scope: 'model', target: 'dragino-ldds75', version: 1, author: 'technician', comment: 'firmware 2.1 layout', active: true });
    const v2 = await call('post', '/api/codecs/model/dragino-ldds75', tech, { source: source.replace('3.6', '3.7'), samples: [{ fPort: 2, payload: '04d2' }] });
    expect(v2.json.version).toBe(2);
    const versions = await call('get', '/api/codecs/model/dragino-ldds75', tech);
    expect((versions.json as unknown as { version: number; active: boolean }[]).map((v) => [v.version, v.active])).toEqual([
      [2, true],
      [1, false],
    ]);
    // The live codec is what the platform now uses for the model.
    const current = await call('post', '/api/codecs/try', tech, { modelId: 'dragino-ldds75', fPort: 2, payload: '04d2' });
    expect(current.json).toMatchObject({ result: { data: { Bat: 3.7 } } });
    expect((await call('delete', '/api/codecs/model/dragino-ldds75', tech)).status).toBe(204);
    expect((await call('get', '/api/codecs', tech)).json).toEqual([]);
  });

  it('sends security headers and no CORS grant, even to a preflight from a foreign origin', async () => {
    const res = await fetch(`${base}/api/auth/me`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${base}/api/devices`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never writes passwords or tokens to the log', () => {
    const text = logs.join('');
    expect(text).not.toContain(DEMO_PASSWORD);
    expect(text).not.toContain(ADMIN.password);
    for (const t of tokens.values()) expect(text).not.toContain(t);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RouteDef } from '../../src/api/routes.js';
import { docsHtml, openApiDocument, openApiPath, type DocumentedRoute } from '../../src/onboarding/openapi.js';
import { createDeviceBody } from '../../src/onboarding/validation.js';

const noop = () => undefined;
const routes: (RouteDef | DocumentedRoute)[] = [
  { method: 'post', path: '/api/auth/login', access: 'public', summary: 'Log in', handler: noop },
  { method: 'get', path: '/api/codecs/:scope/:target', access: ['technician'], summary: 'Versions <b>of</b> a codec', handler: noop },
  {
    method: 'post',
    path: '/api/devices',
    access: ['technician'],
    summary: 'Register a device',
    handler: noop,
    docs: { body: createDeviceBody, query: z.object({ dryRun: z.enum(['true', 'false']).optional().meta({ description: 'only check' }) }), responses: { 201: { description: 'Created', schema: z.object({ devEui: z.string() }) } } },
  },
];

describe('OpenAPI document from the route table', () => {
  const doc = openApiDocument(routes, { title: 'Stadtpuls API', version: '1.2.3' }) as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };

  it('is OpenAPI 3.1 with one operation per route, express paths converted', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(openApiPath('/api/codecs/:scope/:target')).toEqual({ path: '/api/codecs/{scope}/{target}', params: ['scope', 'target'] });
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/auth/login', '/api/codecs/{scope}/{target}', '/api/devices']);
    const op = doc.paths['/api/codecs/{scope}/{target}']!.get!;
    expect(op.parameters).toEqual([
      { name: 'scope', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'target', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('roles and security: public routes have none, others list their roles (admin always) and 401/403', () => {
    const login = doc.paths['/api/auth/login']!.post!;
    expect(login.security).toEqual([]);
    expect(login['x-roles']).toBe('public');
    expect(Object.keys(login.responses as object)).not.toContain('401');
    const devices = doc.paths['/api/devices']!.post!;
    expect(devices['x-roles']).toEqual(['technician', 'admin']);
    expect(devices.security).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }]);
    expect(Object.keys(devices.responses as object)).toEqual(expect.arrayContaining(['201', '400', '401', '403']));
  });

  it('request bodies and query parameters from zod schemas; the AppKey is write-only', () => {
    const op = doc.paths['/api/devices']!.post!;
    const schema = (op.requestBody as { content: Record<string, { schema: { properties: Record<string, Record<string, unknown>>; required: string[] } }> }).content['application/json']!.schema;
    expect(schema.required).toEqual(expect.arrayContaining(['devEui', 'model', 'name']));
    expect(schema.properties.appKey).toMatchObject({ type: 'string', writeOnly: true });
    expect(schema.properties.lat).toMatchObject({ type: 'number' });
    expect(op.parameters).toEqual([{ name: 'dryRun', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] }, description: 'only check' }]);
  });

  it('the docs page is a table of every operation, escaped, without scripts or external assets', () => {
    const html = docsHtml(doc);
    expect(html).toContain('<td><code>/api/devices</code></td>');
    expect(html).toContain('Versions &#60;b&#62;of&#60;/b&#62; a codec');
    expect(html).not.toMatch(/<script|https?:\/\//i);
    expect(html.match(/<tr><td class="m/g)).toHaveLength(3);
  });
});

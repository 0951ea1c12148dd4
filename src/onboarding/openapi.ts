import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import type { RouteDef } from '../api/routes.js';

/** Optional request/response description of a route, for the OpenAPI document. */
export interface RouteDocs {
  readonly body?: z.ZodType;
  /** Content type of the body when it is not JSON (e.g. text/csv). */
  readonly bodyContentType?: string;
  readonly bodyDescription?: string;
  readonly query?: z.ZodObject;
  readonly params?: z.ZodObject;
  /** Success status → description and schema (JSON unless `contentType`). */
  readonly responses?: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType; readonly contentType?: string }>>;
  readonly description?: string;
  readonly tags?: readonly string[];
}

/** A route of the route table with documentation; `RouteDef`s without it are documented from their summary. */
export interface DocumentedRoute extends RouteDef {
  readonly docs?: RouteDocs;
}

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as Json;
  return rest;
}

/** Express path → OpenAPI path and its parameter names: `/api/codecs/:scope/:target` → `/api/codecs/{scope}/{target}`. */
export function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const p = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: p, params };
}

function tagOf(path: string): string {
  const seg = path.split('/')[2] ?? 'api';
  return seg.charAt(0).toUpperCase() + seg.slice(1);
}

const ERROR = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } },
  required: ['error', 'message'],
};

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table: method, path, summary and roles of
 * every route, plus request and response schemas where a route carries zod schemas (`DocumentedRoute.docs`).
 * Roles are in `x-roles` (admin may call every route) and in the description.
 */
export function openApiDocument(routes: readonly RouteDef[], info: OpenApiInfo): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes as readonly DocumentedRoute[]) {
    const { path, params } = openApiPath(route.path);
    const docs = route.docs ?? {};
    const roles = route.access === 'public' ? [] : ROLES.filter((r) => r === 'admin' || route.access.includes(r));
    const who = route.access === 'public' ? 'Public: no login needed.' : `Roles: ${roles.join(', ')}.`;
    const parameters: Json[] = [];
    const paramShapes = docs.params ? (jsonSchema(docs.params, 'input').properties as Record<string, Json> | undefined) : undefined;
    for (const name of params) parameters.push({ name, in: 'path', required: true, schema: paramShapes?.[name] ?? { type: 'string' } });
    if (docs.query) {
      const q = jsonSchema(docs.query, 'input');
      const required = new Set((q.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries((q.properties as Record<string, Json> | undefined) ?? {})) {
        const { description, ...rest } = schema;
        parameters.push({ name, in: 'query', required: required.has(name), schema: rest, ...(description !== undefined ? { description } : {}) });
      }
    }
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(docs.responses ?? { 200: { description: 'Success' } })) {
      responses[status] = {
        description: r.description,
        ...(r.schema || r.contentType ? { content: { [r.contentType ?? 'application/json']: r.schema ? { schema: jsonSchema(r.schema, 'output') } : {} } } : {}),
      };
    }
    if (docs.body || parameters.length > 0) responses['400'] = { description: 'Invalid request: every problem as `path: message`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    if (route.access !== 'public') {
      responses['401'] = { description: 'Not logged in', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      responses['403'] = { description: `Lacks the role (${roles.join(', ')})`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const operation: Json = {
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary,
      description: [docs.description, who].filter(Boolean).join('\n\n'),
      tags: docs.tags ?? [tagOf(route.path)],
      'x-roles': route.access === 'public' ? 'public' : roles,
      security: route.access === 'public' ? [] : [{ bearerAuth: [] }, { sessionCookie: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(docs.body
        ? { requestBody: { required: true, ...(docs.bodyDescription ? { description: docs.bodyDescription } : {}), content: { [docs.bodyContentType ?? 'application/json']: { schema: jsonSchema(docs.body, 'input') } } } }
        : {}),
      responses,
    };
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/auth/login or a long-lived API token from POST /api/tokens' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sp_session' },
      },
      schemas: { Error: ERROR },
    },
  };
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function schemaSummary(schema: Json | undefined): string {
  if (!schema) return '';
  const props = schema.properties as Record<string, Json> | undefined;
  if (!props) return `<code>${esc(schema.type ?? '')}</code>`;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return `<ul>${Object.entries(props)
    .map(([name, s]) => {
      const type = (s.type as string | undefined) ?? (s.enum ? 'enum' : s.anyOf ? 'one of' : '');
      const extra = [s.enum ? `one of ${(s.enum as string[]).join(', ')}` : '', typeof s.description === 'string' ? s.description : '', s.writeOnly ? 'write-only' : ''].filter((x) => x !== '').join('; ');
      return `<li><code>${esc(name)}</code>${required.has(name) ? ' <b>required</b>' : ''} <i>${esc(type)}</i>${extra ? ` — ${esc(extra)}` : ''}</li>`;
    })
    .join('')}</ul>`;
}

/**
 * A readable page of the OpenAPI document: one table row per operation (method, path, roles, summary, body and
 * query fields). Rendered on the server; no scripts and no external assets, so it works under the app's CSP.
 */
export function docsHtml(doc: Json): string {
  const info = doc.info as { title: string; version: string; description?: string };
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const roles = op['x-roles'] === 'public' ? 'public' : (op['x-roles'] as string[]).join(', ');
      const params = ((op.parameters as Json[] | undefined) ?? []).map((p) => `<code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''})`).join('<br>');
      const body = op.requestBody as { content: Record<string, { schema?: Json }> } | undefined;
      const bodyCell = body ? Object.entries(body.content).map(([type, c]) => `<code>${esc(type)}</code>${schemaSummary(c.schema)}`).join('') : '';
      const statuses = Object.keys(op.responses as Json).join(', ');
      rows.push(
        `<tr><td class="m ${esc(method)}">${esc(method.toUpperCase())}</td><td><code>${esc(path)}</code></td><td>${esc(roles)}</td><td>${esc(op.summary)}${params ? `<div class="p">${params}</div>` : ''}</td><td>${bodyCell}</td><td>${esc(statuses)}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)} — API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}code{font-size:13px}.m{font-weight:bold;font-family:monospace}.get{color:#06c}.post{color:#080}.put{color:#a60}.delete{color:#c00}
ul{margin:.2rem 0;padding-left:1.2rem}.p{margin-top:.3rem;color:#555}
</style></head><body>
<h1>${esc(info.title)} <small>${esc(info.version)}</small></h1>
${info.description ? `<p>${esc(info.description)}</p>` : ''}
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> or the session cookie; admin may call every route.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Roles</th><th>Summary, parameters</th><th>Request body</th><th>Responses</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}

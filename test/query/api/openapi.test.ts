import assert from 'node:assert/strict';
import { VIEW_PAGES } from '../../../dashboard/src/router.ts';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { analyzeHeaders } from '../../../ingest/index.ts';
import { hashToken } from '../../../query/api/access.ts';
import { API_ROUTES, COMPONENTS, openApiDocument, openApiPath } from '../../../query/api/openapi.ts';
import { buildApp } from '../../../query/index.ts';
import { AccessConfig, HopListQuery, MessageSearch, ViewQuery } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';

/**
 * The OpenAPI document: valid as far as a document can be checked without a validator (every path
 * has its operations, every $ref resolves, every path parameter is declared), and in step with the
 * routes the server registers, both ways.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DASHBOARD_DIR = join(ROOT, 'dashboard', 'dist');
/** the dashboard's files and the docs themselves are no API routes */
// the dashboard's own pages (dashboard/src/router.ts) and files are not API routes
const PAGES = ['headers', 'reports', ...VIEW_PAGES].join('|');
const NOT_API = new RegExp(`^/(?:$|index\\.html$|app\\.(?:js|css|js\\.map)$|message/\\*$|(?:${PAGES})$|docs(?:/openapi\\.json)?$)`);

type Json = Record<string, unknown>;
interface Doc { openapi: string; paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json>; securitySchemes: Json }; security: Json[] }
const doc = openApiDocument() as unknown as Doc;

async function registered(): Promise<string[]> {
  const routes: string[] = [];
  // no store is touched: building and closing the app reads nothing
  const app = await buildApp({
    store: {} as Store, ingest: { spoolDir: '/nonexistent', run: async () => ({}) }, analyzeHeaders,
    dashboardDir: existsSync(join(DASHBOARD_DIR, 'index.html')) ? DASHBOARD_DIR : undefined,
    onRoute: (r) => { if (r.method !== 'HEAD') routes.push(`${r.method} ${r.url}`); },
  });
  await app.ready();
  await app.close();
  return routes;
}

test('every route the server registers is in the table and the document, and the document describes no other', async () => {
  const api = (await registered()).filter((r) => !NOT_API.test(r.split(' ')[1]));
  const table = API_ROUTES.map((r) => `${r.method} ${r.url}`);
  assert.deepEqual([...api].sort(), [...table].sort());
  const inDoc = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  assert.deepEqual([...inDoc].sort(), api.map((r) => { const [m, u] = r.split(' '); return `${m} ${openApiPath(u)}`; }).sort());
});

/** the value a local `#/…` pointer names, or undefined */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Json)[key] : undefined), root);
}

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) k === '$ref' && typeof v === 'string' ? out.push(v) : refs(v, out);
  return out;
}

test('the document is OpenAPI 3.1: every path has its operations with answers, every $ref resolves, path parameters are declared', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(doc.security, [{ bearer: [] }]);
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: (doc.components.securitySchemes.bearer as Json).description });
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    assert.match(path, /^\/[\w/{}.-]*$/);
    assert.ok(Object.keys(ops).length > 0, path);
    for (const [method, op] of Object.entries(ops)) {
      const what = `${method} ${path}`;
      assert.ok(['get', 'post'].includes(method), what);
      assert.ok(typeof op.operationId === 'string' && !ids.has(op.operationId), `${what}: a unique operationId`);
      ids.add(op.operationId as string);
      const responses = op.responses as Record<string, { description: string; content: Json }>;
      assert.ok(responses['200'].content['application/json'], `${what}: a JSON answer`);
      for (const [status, r] of Object.entries(responses)) assert.ok(/^[1-5]\d\d$/.test(status) && typeof r.description === 'string', `${what} ${status}`);
      const params = op.parameters as { name: string; in: string; required: boolean; schema: Json }[];
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      assert.deepEqual(params.filter((p) => p.in === 'path').map((p) => p.name), inPath, `${what}: path parameters`);
      for (const p of params) assert.ok(['path', 'query', 'header'].includes(p.in) && typeof p.schema === 'object' && (p.in !== 'path' || p.required), `${what}: ${p.name}`);
      if (op['x-mailtrace-role'] === 'public') assert.deepEqual(op.security, [], `${what}: no token`);
      else assert.equal(op.security, undefined, `${what}: the document's bearer scheme applies`);
      assert.ok(op['x-mailtrace-role'] === 'admin' ? responses['403'] : !responses['403'], `${what}: 403 exactly on admin routes`);
    }
  }
  const all = refs(doc);
  assert.ok(all.length > 20);
  for (const ref of all) assert.ok(resolvePointer(doc, ref) !== undefined, `${ref} resolves`);
  assert.deepEqual(Object.keys(doc.components.schemas).sort(), Object.keys(COMPONENTS).sort());
  for (const [name, s] of Object.entries(doc.components.schemas)) assert.ok(!('$schema' in s) && !('$id' in s) && s.type === 'object', name);
});

test('query strings are described from their zod contracts, key for key', () => {
  const names = (path: string) => (doc.paths[path].get.parameters as { name: string; in: string }[]).filter((p) => p.in === 'query').map((p) => p.name);
  assert.deepEqual(names('/api/messages'), Object.keys(MessageSearch.shape));
  assert.deepEqual(names('/api/views/hops'), Object.keys(HopListQuery.shape));
  for (const v of ['overview', 'topology', 'security', 'connectors', 'delivery', 'protection', 'ingestion']) assert.deepEqual(names(`/api/views/${v}`), Object.keys(ViewQuery.shape), v);
  const limit = (doc.paths['/api/messages'].get.parameters as { name: string; required: boolean; schema: Json }[]).find((p) => p.name === 'limit');
  assert.deepEqual(limit, { name: 'limit', in: 'query', required: false, schema: { default: 50, type: 'integer', minimum: 1, maximum: 500 } });
});

test('GET /docs/openapi.json and GET /docs answer without a token; the page lists every route and runs nothing', async () => {
  const app = await buildApp({ store: {} as Store, token: 'correct-horse-battery-staple', access: AccessConfig.parse({ tokens: [{ name: 'v', role: 'viewer', sha256: hashToken('viewer-token-0123456789') }] }) });
  try {
    const json = await app.inject('/docs/openapi.json');
    assert.equal(json.statusCode, 200);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.deepEqual(json.json(), doc);
    const page = await app.inject('/docs');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/, 'the page gets the dashboard\'s policy');
    const html = page.body;
    assert.doesNotMatch(html, /<script|<style|\sstyle=|\son\w+=|<link|<img|src=|https?:\/\//i, 'no script, no style, nothing loaded from anywhere');
    for (const r of API_ROUTES) assert.ok(html.includes(`${r.method} ${openApiPath(r.url)}`), `${r.method} ${r.url} is listed`);
    for (const name of [...Object.keys(MessageSearch.shape), ...Object.keys(HopListQuery.shape)]) assert.ok(html.includes(`<code>${name}</code>`), `parameter ${name}`);
    for (const name of Object.keys(COMPONENTS)) assert.ok(html.includes(`id="schema-${name}"`), `schema ${name}`);
    assert.ok(!html.includes('<m1') && html.includes('&lt;token&gt;'), 'text is escaped');
  } finally {
    await app.close();
  }
});

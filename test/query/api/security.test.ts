import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../../query/index.ts';
import type { Store } from '../../../store/index.ts';

/**
 * What every answer carries and what a request may be, without an engine: a stand-in store that
 * counts every touch, so a refused request is seen not to reach it.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DASHBOARD_DIR = join(ROOT, 'dashboard', 'dist');
const TOKEN = 'correct-horse-battery-staple';
const spool = mkdtempSync(join(tmpdir(), 'mailtrace-security-'));
after(() => rmSync(spool, { recursive: true, force: true }));

interface Touches {
  store: string[];
  ingest: number;
}

/** A store whose every property access is recorded; reads answer no rows. */
function countingStore(touches: Touches): Store {
  const stub: Store = new Proxy({}, {
    get(_target, prop) {
      touches.store.push(String(prop));
      if (prop === 'withReadLimit') return () => stub;
      if (prop === 'table') return (name: string) => `mailtrace.${name}`;
      if (prop === 'mode') return 'embedded';
      return async () => [];
    },
  }) as unknown as Store;
  return stub;
}

async function app(extra: Partial<AppOptions> = {}, configure?: (a: FastifyInstance) => void): Promise<{ app: FastifyInstance; touches: Touches; routes: { method: string; url: string }[] }> {
  const touches: Touches = { store: [], ingest: 0 };
  const routes: { method: string; url: string }[] = [];
  const built = await buildApp({
    store: countingStore(touches),
    dashboardDir: DASHBOARD_DIR,
    ingest: { spoolDir: spool, run: async () => { touches.ingest++; return {}; } },
    // the header analyzer counts as ingest work: a refused request must not reach it either
    analyzeHeaders: async () => { touches.ingest++; return { messageId: '', protection: { mechanisms: [], endToEnd: false, evidence: '', known: true }, hops: [], rejected: [], authentication: [] }; },
    onRoute: (r) => routes.push(r),
    ...extra,
  });
  configure?.(built);
  await built.ready();
  assert.deepEqual(touches.store, [], 'building the app touches nothing of the store');
  return { app: built, touches, routes };
}

/** A request to one route: parameters filled in, a JSON body where the method takes one. */
function requestFor(route: { method: string; url: string }, headers: Record<string, string> = {}): InjectOptions {
  const url = route.url.replace(/:\w+/g, 'x');
  const method = route.method as InjectOptions['method'];
  return route.method === 'POST' ? { method, url, headers, payload: {} } : { method, url, headers };
}

function assertError(res: LightMyRequestResponse, status: number, code: string, what: string): void {
  assert.equal(res.statusCode, status, `${what}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, what);
  if (res.body !== '') assert.equal(res.json().error.code, code, what);
  if (res.body !== '') assert.equal(typeof res.json().error.message, 'string', what);
}

test('every /api route refuses a missing or wrong token with 401 MT_ERR_UNAUTHORIZED before it touches the store or the ingest', async () => {
  const { app: a, touches, routes } = await app({ token: TOKEN });
  try {
    const api = routes.filter((r) => r.url.startsWith('/api/'));
    const methods = new Set(api.map((r) => r.method));
    assert.ok(api.length >= 8 && methods.has('GET') && methods.has('HEAD') && methods.has('POST'), `routes found: ${api.map((r) => `${r.method} ${r.url}`).join(', ')}`);
    for (const route of api) {
      for (const [what, headers] of [
        ['no token', {}],
        ['wrong token', { authorization: 'Bearer wrong-horse-battery-staple' }],
        ['the token without Bearer', { authorization: TOKEN }],
        ['a token of the wrong length', { authorization: `Bearer ${TOKEN}x` }],
      ] as const) {
        assertError(await a.inject(requestFor(route, headers)), 401, 'MT_ERR_UNAUTHORIZED', `${route.method} ${route.url}, ${what}`);
      }
      // the token counts only in the Authorization header: never in the URL
      const url = route.url.replace(/:\w+/g, 'x');
      for (const q of [`token=${TOKEN}`, `access_token=${TOKEN}`, `authorization=Bearer%20${TOKEN}`]) {
        assertError(await a.inject({ ...requestFor(route), url: `${url}?${q}` }), 401, 'MT_ERR_UNAUTHORIZED', `${route.method} ${url}?${q}`);
      }
    }
    // spellings the router reads as an API route are API routes
    for (const url of ['/%61pi/summary', '/%61%70%69/messages', '/api/summary/', '/api/messages/x/trace?x=1']) {
      assertError(await a.inject(url), 401, 'MT_ERR_UNAUTHORIZED', url);
    }
    assert.deepEqual(touches.store, [], 'no refused request reached the store');
    assert.equal(touches.ingest, 0, 'no refused request reached the ingest');
    assert.deepEqual(existsSync(spool) ? readdirSync(spool) : [], [], 'no refused upload wrote to the spool (the server empties it at start)');

    const health = await a.inject('/health');
    assert.equal(health.statusCode, 200, 'the probe needs no token');
    assert.deepEqual(health.json(), { status: 'ok', store: 'embedded' });
  } finally {
    await a.close();
  }
});

test('with the right token every /api route gets past the check, and the reading ones reach the store', async () => {
  const { app: a, touches, routes } = await app({ token: TOKEN });
  try {
    for (const route of routes.filter((r) => r.url.startsWith('/api/'))) {
      touches.store.length = 0;
      const res = await a.inject(requestFor(route, { authorization: `Bearer ${TOKEN}` }));
      assert.notEqual(res.statusCode, 401, `${route.method} ${route.url}: ${res.body}`);
      // (a HEAD after its GET may be answered from the summary's two-second memory)
      // (the report routes read the reports folder, not the store; a policy without rules has nothing to ask it)
      if (route.method === 'GET' && !route.url.startsWith('/api/reports') && route.url !== '/api/policy/violations') assert.ok(touches.store.length > 0, `${route.method} ${route.url} read the store`);
    }
  } finally {
    await a.close();
  }
});

const COMMON = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
const DATA_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function assertHeaders(headers: Record<string, unknown>, what: string, expected: { csp: string; cache: string }): void {
  for (const [name, value] of Object.entries(COMMON)) assert.equal(headers[name], value, `${what}: ${name}`);
  assert.equal(headers['content-security-policy'], expected.csp, `${what}: content-security-policy`);
  assert.equal(headers['cache-control'], expected.cache, `${what}: cache-control`);
}

test('every answer carries the security headers: successes, errors, refusals, the probe and the dashboard', async () => {
  const { app: a } = await app({ token: TOKEN });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const data = { csp: DATA_CSP, cache: 'no-store' };
  try {
    const cases: [string, InjectOptions, number][] = [
      ['summary', { url: '/api/summary', headers: auth }, 200],
      ['unknown trace id', { url: '/api/messages/nothing/trace', headers: auth }, 404],
      ['bad search input', { url: '/api/messages?status=lost', headers: auth }, 400],
      ['no token', { url: '/api/summary' }, 401],
      ['no route', { url: '/api/nothing', headers: auth }, 404],
      ['a malformed escape', { url: '/api/messages/%E0%A4%A/trace', headers: auth }, 400],
      ['the probe', { url: '/health' }, 200],
      ['a HEAD request', { method: 'HEAD', url: '/api/summary', headers: auth }, 200],
    ];
    for (const [what, req, status] of cases) {
      const res = await a.inject(req);
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      assertHeaders(res.headers, what, data);
    }
    const page = await a.inject('/message/abc');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assertHeaders(page.headers, 'dashboard page', { csp: `${dashboardMetaCsp()}; frame-ancestors 'none'`, cache: 'no-cache' });
    const script = await a.inject('/app.js');
    assertHeaders(script.headers, 'dashboard script', { csp: DATA_CSP, cache: 'no-cache' });
  } finally {
    await a.close();
  }
});

/** The policy the dashboard declares for itself (its meta tag): the served header must be that policy. */
function dashboardMetaCsp(): string {
  const html = readFileSync(join(ROOT, 'dashboard', 'index.html'), 'utf8');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp, 'dashboard/index.html declares its policy');
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  return csp;
}

test('oversize requests get a 4xx MT_ERR_BAD_INPUT JSON answer: body, URL, parameter', async () => {
  const { app: a, touches } = await app({ token: TOKEN });
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    const big = await a.inject({ method: 'POST', url: '/api/ingest', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ session: 'a'.repeat((1 << 20) + 1) }) });
    assertError(big, 413, 'MT_ERR_BAD_INPUT', 'a JSON body past 1 MiB');
    assertHeaders(big.headers, 'a JSON body past 1 MiB', { csp: DATA_CSP, cache: 'no-store' });

    const longUrl = await a.inject({ url: `/api/messages?sender=${'s'.repeat(8200)}`, headers: auth });
    assertError(longUrl, 414, 'MT_ERR_BAD_INPUT', 'a URL past 8 KiB');
    assertHeaders(longUrl.headers, 'a URL past 8 KiB', { csp: DATA_CSP, cache: 'no-store' });
    const unauthenticatedLongUrl = await a.inject(`/api/messages?sender=${'s'.repeat(8200)}`);
    assert.equal(unauthenticatedLongUrl.statusCode, 414, 'the length is judged before the token');

    const longParam = await a.inject({ url: `/api/messages/${'x'.repeat(3000)}/trace`, headers: auth });
    assertError(longParam, 414, 'MT_ERR_BAD_INPUT', 'a parameter past 2994 bytes');
    assertHeaders(longParam.headers, 'a parameter past 2994 bytes', { csp: DATA_CSP, cache: 'no-store' });
    assert.ok(longParam.json().error.message.length < 100, 'the answer does not echo the parameter');

    // a message id may be 998 characters (RFC 5322), more than fastify's default of 100 when encoded
    const longest = `<${'a'.repeat(500)}@${'b'.repeat(495)}>`;
    assert.equal(longest.length, 998);
    touches.store.length = 0;
    const traced = await a.inject({ url: `/api/messages/${encodeURIComponent(longest)}/trace`, headers: auth });
    assertError(traced, 404, 'MT_ERR_NOT_FOUND', 'a 998-character message id reaches the trace');
    assert.ok(touches.store.length > 0);
    const tooLong = await a.inject({ url: `/api/messages/${encodeURIComponent(`${longest}c`)}/trace`, headers: auth });
    assertError(tooLong, 400, 'MT_ERR_BAD_INPUT', 'a 999-character id is refused by the route');
  } finally {
    await a.close();
  }
});

test('a request Node refuses before fastify sees it (headers past 16 KiB) gets the same JSON error and headers', async () => {
  const { app: a } = await app({ token: TOKEN });
  try {
    await a.listen({ host: '127.0.0.1', port: 0 });
    const { port } = a.server.address() as AddressInfo;
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((done, fail) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/summary', headers: { 'x-filler': 'f'.repeat(20_000) } }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => { body += c; });
        r.on('end', () => done({ status: r.statusCode ?? 0, headers: r.headers, body }));
      });
      req.on('error', fail);
      req.end();
    });
    assert.equal(res.status, 431);
    assert.deepEqual(JSON.parse(res.body), { error: { code: 'MT_ERR_BAD_INPUT', message: 'the request line and headers are too large' } });
    assertHeaders(res.headers, 'a 431 from Node', { csp: DATA_CSP, cache: 'no-store' });
  } finally {
    await a.close();
  }
});

test('the token never reaches the log, at any level and wherever a log call puts the headers', async () => {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  // what someone debugging might add: the headers, logged in the usual shapes
  const { app: a } = await app({ token: TOKEN, logger: { level: 'trace', stream } }, (built) => built.addHook('preHandler', async (req) => {
    req.log.trace({ headers: req.headers }, 'headers');
    req.log.debug({ request: { headers: req.headers } }, 'request headers');
    req.log.info({ authorization: req.headers.authorization }, 'authorization');
    req.log.error({ req }, 'the request');
    req.log.warn({ req: { headers: req.headers } }, 'not a fastify request under the name req');
  }));
  try {
    assert.equal((await a.inject({ url: '/api/summary', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200);
    assert.equal((await a.inject({ url: '/api/summary', headers: { authorization: 'Bearer wrong-horse-battery-staple' } })).statusCode, 401);
    assert.equal((await a.inject({ url: `/api/summary?token=${TOKEN}&Access_Token=${TOKEN}&x=1`, headers: { authorization: `Bearer ${TOKEN}`, cookie: `s=${TOKEN}` } })).statusCode, 200);
    const log = lines.join('');
    assert.ok(lines.length > 10, 'the requests were logged');
    assert.match(log, /"url":"\/api\/summary\?token=\[Redacted\]&Access_Token=\[Redacted\]&x=1"/, 'the URL is logged without its secrets');
    assert.match(log, /"authorization":"\[Redacted\]"/);
    assert.ok(!log.includes(TOKEN), 'the token appears nowhere in the log');
    assert.ok(!log.includes('wrong-horse-battery-staple'), 'nor a wrong one');
  } finally {
    await a.close();
  }
});

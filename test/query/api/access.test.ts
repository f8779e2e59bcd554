import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { generateToken, hashToken, redactAddresses, redactFileText, redactText } from '../../../query/api/access.ts';
import { API_ROUTES, COMPONENTS } from '../../../query/api/openapi.ts';
import { renderChart } from '../../../query/reports/charts.ts';
import { tableCsv } from '../../../query/reports/csv.ts';
import { escapeHtml, renderHtml } from '../../../query/reports/html.ts';
import type { ChartSpec, ReportTable } from '../../../query/reports/model.ts';
import { AccessConfig, ConfigFile, MailtraceError, MessageList, Trace } from '../../../schemas/index.ts';
import { accessConfig, ADDRESSES, ADMIN, apiRequests, auth, ENV_TOKEN, openWorld, VIEWER, type World } from './access-world.ts';

let world: World;
let secured: { app: FastifyInstance; routes: { method: string; url: string }[] };
let traceId: string;

before(async () => {
  world = await openWorld();
  secured = await world.app({ token: ENV_TOKEN, access: accessConfig(true) });
  traceId = MessageList.parse((await secured.app.inject({ url: '/api/messages', headers: auth(ADMIN) })).json()).messages[0].traceId;
});
after(() => world.cleanup());

const docOf = (route: string) => API_ROUTES.find((r) => `${r.method} ${r.url}` === route);

test('hashToken is the hex SHA-256 of the token; short tokens are refused; generated tokens are long and distinct', () => {
  assert.equal(hashToken('0123456789abcdef'), createHash('sha256').update('0123456789abcdef').digest('hex'));
  // FIPS 180-2's second SHA-256 test vector
  assert.equal(hashToken('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  assert.throws(() => hashToken('short'), (e: unknown) => e instanceof MailtraceError && e.code === 'MT_ERR_BAD_INPUT');
  const a = generateToken();
  assert.ok(a.length >= 43 && a !== generateToken());
  assert.match(hashToken(a), /^[0-9a-f]{64}$/);
});

test('the access section holds hashes, never tokens, and refuses what would make the audit log ambiguous', () => {
  const sha256 = hashToken(VIEWER);
  assert.deepEqual(ConfigFile.parse({}).access, {}, 'no section: no tokens, no redaction');
  assert.equal(AccessConfig.parse({ tokens: [{ name: 'a', role: 'viewer', sha256: sha256.toUpperCase() }] }).tokens?.[0].sha256, sha256, 'either case, kept lower');
  for (const [what, cfg] of [
    ['a token in clear', { tokens: [{ name: 'a', role: 'viewer', token: VIEWER }] }],
    ['no hash', { tokens: [{ name: 'a', role: 'viewer' }] }],
    ['a short hash', { tokens: [{ name: 'a', role: 'viewer', sha256: sha256.slice(1) }] }],
    ['an unknown role', { tokens: [{ name: 'a', role: 'root', sha256 }] }],
    ['a reserved name', { tokens: [{ name: 'MAILTRACE_TOKEN', role: 'viewer', sha256 }] }],
    ['a reserved name', { tokens: [{ name: 'loopback-open', role: 'viewer', sha256 }] }],
    ['a name twice', { tokens: [{ name: 'a', role: 'viewer', sha256 }, { name: 'a', role: 'admin', sha256: hashToken(ADMIN) }] }],
    ['a token twice', { tokens: [{ name: 'a', role: 'viewer', sha256 }, { name: 'b', role: 'admin', sha256 }] }],
    ['an unknown key', { tokens: [], redact: true }],
  ] as const) assert.equal(ConfigFile.safeParse({ access: cfg }).success, false, what);
});

test('every route by role: no token or a wrong one 401, viewer 200 on reads and 403 on admin routes, admin 200 everywhere', async () => {
  const { app, routes } = secured;
  const requests = apiRequests(routes, traceId, world.reportId);
  assert.ok(requests.length >= 15, requests.map((r) => r.route).join(', '));
  const runsBefore = world.ingested.runs;
  for (const { route, req } of requests) {
    const doc = docOf(route);
    assert.ok(doc, `${route} is in the route table (query/api/openapi.ts)`);
    const as = (headers: Record<string, string>): InjectOptions => ({ ...req, headers: { ...req.headers, ...headers } });
    if (doc.access === 'public') {
      assert.equal((await app.inject(req)).statusCode, 200, `${route} needs no token`);
      continue;
    }
    for (const [what, headers] of [
      ['no token', {}],
      ['a wrong token', auth('wrong-token-0123456789abcdef')],
      ['the configured hash sent as the token', auth(hashToken(VIEWER))],
      ['the viewer token without Bearer', { authorization: VIEWER }],
      ['an empty bearer token', { authorization: 'Bearer ' }],
    ] as const) {
      const res = await app.inject(as(headers));
      assert.equal(res.statusCode, 401, `${route}, ${what}: ${res.body}`);
      assert.equal(res.json().error.code, 'MT_ERR_UNAUTHORIZED');
    }
    const viewer = await app.inject(as(auth(VIEWER)));
    if (doc.access === 'admin') {
      assert.equal(viewer.statusCode, 403, `${route} as viewer: ${viewer.body}`);
      assert.deepEqual(Object.keys(viewer.json().error), ['code', 'message']);
      assert.equal(viewer.json().error.code, 'MT_ERR_FORBIDDEN');
    } else {
      assert.equal(viewer.statusCode, 200, `${route} as viewer: ${viewer.body}`);
    }
    for (const token of [ADMIN, ENV_TOKEN]) {
      const res = await app.inject(as(auth(token)));
      if (req.method === 'POST' && doc.access === 'admin' && route !== 'POST /api/admin/policy/check') {
        // past the check, the ingest routes refuse the empty request on its merits
        assert.equal(res.statusCode, 400, `${route} as admin: ${res.body}`);
        continue;
      }
      assert.equal(res.statusCode, 200, `${route} as admin: ${res.body}`);
      // the answer is what the document says it is
      if (token === ADMIN) COMPONENTS[doc.answer].parse(res.json());
    }
  }
  assert.equal(world.ingested.runs, runsBefore, 'no ingest ran');
  assert.deepEqual(existsSync(world.spool) ? readdirSync(world.spool).flatMap((d) => readdirSync(`${world.spool}/${d}`)) : [], [], 'no upload reached the spool');
});

test('under /api/admin/ a viewer is refused even for a route that does not exist; elsewhere an unknown route is 404 for anyone', async () => {
  const { app } = secured;
  assert.equal((await app.inject({ url: '/api/admin/nothing', headers: auth(VIEWER) })).statusCode, 403);
  assert.equal((await app.inject({ url: '/api/nothing', headers: auth(VIEWER) })).statusCode, 404);
  assert.equal((await app.inject({ url: '/api/nothing' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'HEAD', url: '/api/summary', headers: auth(VIEWER) })).statusCode, 200);
});

test('a new route is admin-only unless it says otherwise: `config: { role }` is all a route needs', async () => {
  const { app } = await world.app({ access: accessConfig(false) });
  app.get('/api/reports/run', async () => ({ ran: true }));
  app.get('/api/admin/policy/check', { config: { role: 'viewer' } }, async () => ({ ok: true }));
  app.register(async (p) => {
    p.get('/api/reports/list', { config: { role: 'viewer' } }, async () => ({ reports: [] }));
  });
  await app.ready();
  const status = async (url: string, token: string) => (await app.inject({ url, headers: auth(token) })).statusCode;
  assert.equal(await status('/api/reports/run', VIEWER), 403, 'no role said: admin');
  assert.equal(await status('/api/reports/run', ADMIN), 200);
  assert.equal(await status('/api/reports/list', VIEWER), 200, 'role viewer said');
  assert.equal(await status('/api/admin/policy/check', VIEWER), 403, '/api/admin/ is admin\'s whatever the route says');
});

test('with no token anywhere the API stays open (loopback) and the caller is an admin', async () => {
  const { app } = await world.app();
  assert.equal((await app.inject('/api/summary')).statusCode, 200);
  assert.equal((await app.inject('/api/admin/audit')).statusCode, 200);
  const list = (await app.inject('/api/messages')).json() as MessageList;
  assert.ok(list.messages[0].recipients.includes('alice@example.test'), 'nothing redacted for the open API');
});

/** every string of a JSON answer, keys included, with the key it stands under */
function strings(value: unknown, key = '', out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([key, value]);
  else if (Array.isArray(value)) for (const v of value) strings(v, key, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) { out.push(['(key)', k]); strings(v, k, out); }
  return out;
}
const ADDRESS_LIKE = /[^\s"<>()[\]\\,;:@]+@[\w[]/gu;
const IDS = new Set(['messageId', 'traceId', 'sampleTraceId', 'eventIds', 'queueId', 'fromQueueId', 'toQueueId', 'parentQueueId']);

test('a viewer reads no address\'s local part in any GET answer when redaction is on; domains and identifiers stay', async () => {
  const { app, routes } = secured;
  let seen = 0;
  for (const { route, req } of apiRequests(routes, traceId, world.reportId).filter((r) => r.req.method === 'GET' && docOf(r.route)?.access !== 'admin')) {
    const admin = strings((await app.inject({ ...req, headers: auth(ADMIN) })).json());
    const viewer = strings((await app.inject({ ...req, headers: auth(VIEWER) })).json());
    assert.equal(viewer.length, admin.length, `${route}: the same shape`);
    for (const [key, text] of viewer) {
      for (const address of ADDRESSES) assert.ok(!text.toLowerCase().includes(address), `${route}: ${key} = ${JSON.stringify(text)} names ${address}`);
      if (IDS.has(key)) continue;
      for (const m of text.matchAll(ADDRESS_LIKE)) assert.match(m[0], /^…@/, `${route}: ${key} = ${JSON.stringify(text)}`);
    }
    seen += admin.filter(([, t]) => ADDRESSES.some((a) => t.includes(a))).length;
  }
  assert.ok(seen >= 10, `the admin's answers did name addresses (${seen}): the walk had something to find`);

  const rows = MessageList.parse((await app.inject({ url: '/api/messages', headers: auth(VIEWER) })).json()).messages;
  assert.equal(rows[0].sender, '…@example.org');
  assert.deepEqual([...rows[0].recipients].sort(), ['…@example.test', '…@example.test']);
  assert.equal(rows[0].traceId, traceId, 'the row still links to its trace');
  const url = `/api/messages/${encodeURIComponent(traceId)}/trace`;
  const seenByViewer = Trace.parse((await app.inject({ url, headers: auth(VIEWER) })).json());
  const seenByAdmin = Trace.parse((await app.inject({ url, headers: auth(ADMIN) })).json());
  assert.equal(seenByViewer.messageId, seenByAdmin.messageId);
  assert.deepEqual(seenByViewer.recipients.map((r) => r.address), seenByAdmin.recipients.map((r) => r.address.replace(/^[^@]+/, '…')));
  assert.deepEqual(seenByViewer.recipients.map((r) => r.hops.map((h) => h.eventIds)), seenByAdmin.recipients.map((r) => r.hops.map((h) => h.eventIds)), 'hop event ids untouched');
  assert.match(JSON.stringify(seenByViewer.recipients.map((r) => r.reply)), /<…@example\.test>/, 'an SMTP reply loses the local part too');
});

test('redaction is off unless asked for, never applies to admins, and handles quoted local parts', async () => {
  const { app } = await world.app({ access: accessConfig(false) });
  const rows = MessageList.parse((await app.inject({ url: '/api/messages', headers: auth(VIEWER) })).json()).messages;
  assert.equal(rows[0].sender, 's@example.org');
  assert.deepEqual(redactAddresses({ reply: '550 <"john doe"@example.org> and x.y+z@sub.example.org', messageId: '<a@b>', n: 1 }), { reply: '550 <…@example.org> and …@sub.example.org', messageId: '<a@b>', n: 1 });
});

/** local parts the report writers escape: HTML as &quot; &#39; &amp;, CSV by doubling the quotes */
const ESCAPED_LOCALS = ['"john doe"', "o'brien", 'a&b'];

test('a viewer reads no local part in a report\'s HTML, CSV or SVG, however the writer escaped it; domains stay; an admin gets the file as written', async () => {
  const addresses = ESCAPED_LOCALS.map((l) => `${l}@example.org`);
  const table: ReportTable = {
    file: 'addresses', title: 'Addresses', columns: ['address', 'reply', 'message id'],
    rows: addresses.map((a, i) => [a, `550 5.1.1 <${a}>: no such user`, `<msg-${i}@example.org>`]),
  };
  const chart: ChartSpec = { type: 'bars', file: 'addresses', title: 'Addresses', labels: addresses, series: [{ name: 'messages', data: [3, 2, 1] }], layout: 'stacked' };
  const svg = await renderChart(chart);
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-escaped-'));
  const id = 'escaped-volume-summary-20260101T000000Z_20260102T000000Z';
  mkdirSync(join(dir, id));
  const files: [name: string, text: string, escape: (local: string) => string][] = [
    ['report.html', renderHtml({ title: 'Addresses', totals: [], charts: [chart], tables: [table], data: {} }, { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' }, '2026-01-02T00:00:00.000Z', [svg]), escapeHtml],
    ['addresses.csv', tableCsv(table).text, (l) => l.replaceAll('"', '""')],
    ['addresses.svg', svg, escapeHtml],
  ];
  writeFileSync(join(dir, id, 'report.json'), '{}\n');
  for (const [name, text] of files) writeFileSync(join(dir, id, name), text);
  try {
    const { app } = await world.app({ token: ENV_TOKEN, access: accessConfig(true), reportsDir: dir });
    for (const [name, text, escape] of files) {
      const url = `/api/reports/${id}/${name}`;
      const admin = await app.inject({ url, headers: auth(ADMIN) });
      assert.equal(admin.body, readFileSync(join(dir, id, name), 'utf8'), `${name}: the admin gets the file as written`);
      for (const l of ESCAPED_LOCALS) assert.ok(text.includes(`${escape(l)}@example.org`), `${name} holds ${l} as its writer escapes it (${escape(l)})`);
      const viewer = await app.inject({ url, headers: auth(VIEWER) });
      assert.equal(viewer.statusCode, 200);
      for (const visible of ['john doe', 'john', 'brien', 'o&#39;', 'a&amp;b', 'a&b', 'msg-']) assert.ok(!viewer.body.includes(visible), `${name}: a viewer reads ${visible}`);
      // only the local parts changed, each whole: every other byte (markup, CSV quoting, domains) is the writer's
      let expected = text;
      for (const l of [...ESCAPED_LOCALS, 'msg-0', 'msg-1', 'msg-2']) expected = expected.replaceAll(`${escape(l)}@example.org`, '…@example.org');
      assert.equal(viewer.body, expected, name);
      assert.ok(viewer.body.includes('…@example.org'), `${name}: the domain stays`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a served file\'s local parts are found through any character reference, and text that names no address is left alone', () => {
  for (const escaped of ['o&#x27;brien', 'o&#39;brien', 'o&#0039;brien', 'o&apos;brien', '&#34;john doe&#x22;', '&quot;john\\&quot;doe&quot;', 'a&#38;b', 'a&AMP;b&amp;c']) {
    assert.equal(redactFileText(`<td>x ${escaped}@example.org</td>`, 'text/html; charset=utf-8'), '<td>x …@example.org</td>', escaped);
  }
  assert.equal(redactFileText('<text>&quot;john doe&quot;@example.org</text>', 'image/svg+xml'), '<text>…@example.org</text>');
  assert.equal(redactFileText('a,"""doe, john""@example.org",b\r\n"<""q""@example.org>",o\'brien@example.org\r\n', 'text/csv'), 'a,"…@example.org",b\r\n"<…@example.org>",…@example.org\r\n');
  // a Message-ID in a file's text loses its left part too (no field name there says it is an identifier)
  assert.equal(redactFileText('&lt;m1@example.org&gt;', 'text/html'), '&lt;…@example.org&gt;');
  for (const [file, type] of [
    ['<p>AT&amp;T &quot;quoted&quot; &lt;b&gt; @example.org &#64; x&#39;s</p>', 'text/html'],
    ['a,"say ""hi""",@example.org\r\n', 'text/csv'],
    ['&quot;x&quot; @ example.org', 'text/html'],
  ]) assert.equal(redactFileText(file, type), file, file);
});

test('redaction takes linear time: a 1 MB line of entities, quotes and escapes is read in well under a second', () => {
  const MB = 1 << 20;
  const lines = [
    '&amp;"'.repeat(MB / 6), '&amp;&quot;'.repeat(MB / 11), `&quot;${'&amp;'.repeat(MB / 5)}`, '"'.repeat(MB),
    `"${'\\"'.repeat(MB / 2)}`, '&quot;\\&quot;'.repeat(MB / 13), 'a'.repeat(MB), '""a'.repeat(MB / 3),
  ];
  for (const line of lines) {
    for (const tail of [' @example.org', '@example.org']) {
      for (const [type, redact] of [['text/html', redactFileText], ['text/csv', redactFileText], ['text/plain', redactFileText], ['(a JSON string)', redactText]] as const) {
        const started = performance.now();
        redact(line + tail, type);
        const ms = performance.now() - started;
        assert.ok(ms < 1000, `${JSON.stringify(line.slice(0, 24))}… (${line.length} chars${tail}) as ${type}: ${ms.toFixed(0)} ms`);
      }
    }
  }
  assert.equal(redactFileText(`${'&amp;'.repeat(MB / 5)}@example.org`, 'text/html'), '…@example.org', 'a long escaped local part goes whole');
});

/** a search's status, code and hits as the holder of `token` gets them */
async function search(app: FastifyInstance, token: string, query: string): Promise<{ status: number; code?: string; message?: string; total?: number }> {
  const res = await app.inject({ url: `/api/messages?${query}`, headers: auth(token) });
  const body = res.json() as { total?: number; error?: { code: string; message: string } };
  return { status: res.statusCode, code: body.error?.code, message: body.error?.message, total: body.total };
}

test('with redaction on, a viewer may not search by an address\'s local part (the hit count would tell), on any route; an admin may', async () => {
  const { app } = secured;
  for (const query of [
    'recipient=alice@example.test', 'sender=s@example.org', 'recipient=ALICE@EXAMPLE.TEST', 'recipient=%3Calice%40example.test%3E',
    'recipient=%22alice%22@example.test', 'recipient=@alice@example.test', 'recipient=example.test&recipient=alice@example.test',
    'recipient=nobody-there@example.test', 'messageId=%3Cm1%40example.org%3E&sender=s@example.org',
  ]) {
    const r = await search(app, VIEWER, query);
    assert.equal(r.status, 403, `${query}: ${JSON.stringify(r)}`);
    assert.equal(r.code, 'MT_ERR_FORBIDDEN');
    assert.match(r.message ?? '', /^(sender|recipient): .*search by domain .* or ask an admin$/);
    assert.equal(r.total, undefined, `${query}: no count answered`);
  }
  // a filter of another route is covered without being listed
  const view = await app.inject({ url: '/api/views/hops?domain=alice@example.test', headers: auth(VIEWER) });
  assert.equal(view.statusCode, 403, view.body);
  // the admin (a config token, MAILTRACE_TOKEN) searches by address as before
  for (const token of [ADMIN, ENV_TOKEN]) {
    assert.deepEqual(await search(app, token, 'recipient=alice@example.test'), { status: 200, code: undefined, message: undefined, total: 1 });
    assert.equal((await search(app, token, 'sender=s@example.org')).total, 1);
  }
});

test('with redaction on, a viewer searches by domain, and by message or queue id, and gets the (redacted) rows', async () => {
  const { app } = secured;
  for (const [query, total] of [
    ['recipient=@example.test', 1], ['recipient=example.test', 1], ['recipient=@EXAMPLE.Test', 1], ['sender=@example.org', 1], ['sender=example.org', 1],
    // the whole domain, not a suffix of it, and the sender's domain is not a recipient's
    ['recipient=@test', 0], ['recipient=xample.test', 0], ['sender=@example.test', 0], ['recipient=@example.net', 0],
    ['messageId=%3Cm1%40example.org%3E', 1], ['messageId=m1@example.org', 1],
  ] as const) {
    const r = await search(app, VIEWER, query);
    assert.deepEqual({ status: r.status, total: r.total }, { status: 200, total }, `${query}: ${JSON.stringify(r)}`);
    assert.equal((await search(app, ADMIN, query)).total, total, `${query}: the admin gets the same hits`);
  }
  const rows = MessageList.parse((await app.inject({ url: '/api/messages?recipient=@example.test', headers: auth(VIEWER) })).json()).messages;
  assert.deepEqual([...rows[0].recipients].sort(), ['…@example.test', '…@example.test'], 'the rows are redacted as ever');
  assert.equal((await app.inject({ url: `/api/views/hops?domain=example.test`, headers: auth(VIEWER) })).statusCode, 200);
});

test('a viewer cannot find a local part by free text: there is no free-text filter, and a bare word matches no address', async () => {
  const { app } = secured;
  // the search takes fields only (strict): an unknown key is refused, not searched
  for (const query of ['q=alice', 'query=alice', 'text=alice', 'subject=alice']) {
    const r = await search(app, VIEWER, query);
    assert.deepEqual([r.status, r.code], [400, 'MT_ERR_BAD_INPUT'], query);
  }
  // a local part without its domain is a domain search (or a domain-less sender): alice@example.test is no hit
  for (const query of ['recipient=alice', 'sender=s', 'recipient=alice@', 'recipient=nobody']) {
    assert.deepEqual(await search(app, VIEWER, query), { status: 200, code: undefined, message: undefined, total: 0 }, query);
  }
});

test('without redaction a viewer searches by address as before', async () => {
  const { app } = await world.app({ access: accessConfig(false) });
  assert.equal((await search(app, VIEWER, 'recipient=alice@example.test')).total, 1);
  assert.equal((await search(app, VIEWER, 'sender=s@example.org')).total, 1);
});

test('the Prometheus text answers at /metrics and /api/metrics: beyond loopback both need a token (a viewer\'s is enough); open without tokens', async () => {
  const text = 'mailtrace_events_in_total 7\n';
  const { app } = await world.app({ token: ENV_TOKEN, access: accessConfig(false), metrics: () => text });
  const { app: open } = await world.app({ metrics: () => text });
  for (const url of ['/metrics', '/api/metrics', '/metrics?x=1']) {
    assert.equal((await app.inject({ url })).statusCode, 401, `${url} without a token`);
    assert.equal((await app.inject({ url, headers: auth('wrong-token-0123456789abcdef') })).statusCode, 401, `${url} with a wrong token`);
    const viewer = await app.inject({ url, headers: auth(VIEWER) });
    assert.equal(viewer.statusCode, 200, `${url} as viewer`);
    assert.equal(viewer.body, text);
    assert.match(String(viewer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal((await open.inject({ url })).body, text, `${url} with no token configured`);
  }
});

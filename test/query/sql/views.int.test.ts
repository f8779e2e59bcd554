import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { buildApp, summarize, traceMessage } from '../../../query/index.ts';
import { ConnectorsView, DeliveryView, HOPS_TABLE, HopList, IngestionView, OverviewView, ProtectionView, SecurityView, TopologyView, UNVERIFIED_TRUST, WEAK_TLS_VERSIONS } from '../../../schemas/index.ts';
import { isoFromStore } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/**
 * The views agree with each other and with what they drill down to: the bundled sample (Postfix
 * log, Exchange organisation, delivered copies) and the real three-Postfix run, through the API.
 * Every number of the Security page must be reachable as hop rows, and every hop row's trace must
 * show that hop with that TLS.
 */
const ROOT = new URL('../../../', import.meta.url).pathname;
let world: Awaited<ReturnType<typeof tempStore>>;
let app: Awaited<ReturnType<typeof buildApp>>;
const get = async <T>(url: string, schema: { parse(v: unknown): T }): Promise<T> => {
  const r = await app.inject({ method: 'GET', url });
  assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
  return schema.parse(r.json());
};

before(async () => {
  world = await tempStore();
  await runIngest({ inputs: [join(ROOT, 'bench', 'sample', 'maillog'), join(ROOT, 'bench', 'sample', 'exchange'), join(ROOT, 'bench', 'sample', 'maildir'), join(FIXTURES, 'postfix', 'real-3hop')], store: world.store });
  app = await buildApp({ store: world.store });
});
after(async () => {
  await app.close();
  await world.cleanup();
});

test('security: every plaintext hand-off of a server pair is a hop row, and its trace shows it plaintext', { timeout: 60_000 }, async () => {
  const sec = await get('/api/views/security', SecurityView);
  assert.ok(sec.totals.plaintext > 0 && sec.totals.weakTls > 0, JSON.stringify(sec.totals));
  assert.equal(sec.byPair.reduce((a, p) => a + p.plaintext, 0), sec.totals.plaintext);
  const all = await get('/api/views/hops?filter=plaintext&limit=1', HopList);
  assert.equal(all.total, sec.totals.plaintext, 'the hop list holds exactly the counted plaintext hand-offs');
  for (const pair of sec.byPair.filter((p) => p.plaintext > 0).slice(0, 5)) {
    const list = await get(`/api/views/hops?filter=plaintext&hopFrom=${encodeURIComponent(pair.from)}&hopTo=${encodeURIComponent(pair.to)}&limit=500`, HopList);
    assert.equal(list.total, pair.plaintext, pair.key);
    for (const row of list.rows.slice(0, 3)) {
      const t = await traceMessage(world.store, row.traceId);
      const hop = t.recipients.flatMap((r) => r.hops).find((h) => h.from === row.from && h.to === row.to && h.tls === 'plaintext');
      assert.ok(hop, `${row.traceId}: the trace shows ${pair.key} plaintext`);
    }
  }
  const weak = await get('/api/views/hops?filter=weak-tls&limit=500', HopList);
  assert.equal(weak.total, sec.totals.weakTls);
  assert.ok(weak.rows.every((r) => r.tls === 'encrypted' && /^(SSLv|TLSv1(\.0|\.1)?$)/.test(r.tlsVersion)), JSON.stringify(weak.rows.map((r) => r.tlsVersion)));
  // a domain's numbers are its hand-offs, each once, as the hop list narrowed to it holds them
  for (const dom of sec.byDomain.filter((x) => x.plaintext > 0).slice(0, 3)) {
    const list = await get(`/api/views/hops?filter=plaintext&domain=${encodeURIComponent(dom.key)}&limit=500`, HopList);
    assert.equal(list.total, dom.plaintext, dom.key);
  }
  // a time range keeps what started in it, in every table of the view
  const half = await get('/api/views/security?from=2026-11-27T00:00:00Z&to=2026-11-27T10:00:00Z', SecurityView);
  const halfList = await get('/api/views/hops?filter=plaintext&from=2026-11-27T00:00:00Z&to=2026-11-27T10:00:00Z&limit=1', HopList);
  assert.ok(half.totals.plaintext > 0 && half.totals.plaintext < sec.totals.plaintext);
  assert.equal(halfList.total, half.totals.plaintext);
  assert.ok(half.byDomain.length > 0);
  // narrowed to one server, every pair touches it
  const hub = await get('/api/views/security?host=hub', SecurityView);
  assert.ok(hub.byPair.length > 0 && hub.byPair.every((p) => p.from === 'hub' || p.to === 'hub'));
});

test('stitching writes each hop row its recipient domain and one firstOfDomain row per hand-off and domain: the per-domain table is the regrouped count', { timeout: 60_000 }, async () => {
  const hops = world.store.table(HOPS_TABLE);
  const ofRecipient = "if(position(recipient, '@') > 0, lowerUTF8(splitByChar('@', recipient)[-1]), '')";
  const [rows] = await world.store.query<{ n: string; wrong: string }>(`SELECT count() AS n, countIf(domain != ${ofRecipient}) AS wrong FROM ${hops} FINAL`);
  assert.ok(Number(rows.n) > 0);
  assert.equal(Number(rows.wrong), 0, 'the domain column is the recipient\'s domain on every row');
  const [groups] = await world.store.query<{ n: string; notOne: string; notEarliest: string }>(
    `SELECT count() AS n, countIf(flags != 1) AS notOne, countIf(flagged != earliest) AS notEarliest FROM (
       SELECT sum(firstOfDomain) AS flags, minIf(start, firstOfDomain = 1) AS flagged, min(start) AS earliest FROM ${hops} FINAL
       GROUP BY messageKey, ${ofRecipient}, \`from\`, \`to\`, fromQueueId, toQueueId, rule)`);
  assert.ok(Number(groups.n) > 0);
  assert.equal(Number(groups.notOne), 0, 'one firstOfDomain row per hand-off and domain');
  assert.equal(Number(groups.notEarliest), 0, 'the earliest-starting one');
  // the view's per-domain table against the hop rows regrouped by the recipient column (what the view did before)
  const weak = `tls = 'encrypted' AND tlsVersion IN {weak:Array(String)}`;
  const unverified = `tls = 'encrypted' AND tlsTrust IN {unverified:Array(String)}`;
  const regrouped = await world.store.query<{ key: string; handoffs: string; plaintext: string; weakTls: string; unverified: string; unknown: string; first: string; last: string }>(
    `SELECT key, count() AS handoffs, sum(p) AS plaintext, sum(w) AS weakTls, sum(u) AS unverified, sum(k) AS unknown, toString(minIf(s, p = 1)) AS first, toString(maxIf(s, p = 1)) AS last
     FROM (SELECT ${ofRecipient} AS key, max(tls = 'plaintext') AS p, max(${weak}) AS w, max(${unverified}) AS u, max(tls = 'unknown') AS k, min(start) AS s
           FROM ${hops} FINAL WHERE provenance != 'header' AND key != '' GROUP BY key, messageKey, \`from\`, \`to\`, fromQueueId, toQueueId, rule)
     GROUP BY key`, { weak: [...WEAK_TLS_VERSIONS], unverified: [...UNVERIFIED_TRUST] });
  const sec = await get('/api/views/security', SecurityView);
  assert.ok(regrouped.length > 1 && regrouped.length <= 500);
  const iso = (t: string, p: string) => (Number(p) > 0 ? isoFromStore(t) : '');
  const want = regrouped.map((r) => ({ key: r.key, handoffs: Number(r.handoffs), plaintext: Number(r.plaintext), weakTls: Number(r.weakTls), unverified: Number(r.unverified), unknown: Number(r.unknown), firstPlaintext: iso(r.first, r.plaintext), lastPlaintext: iso(r.last, r.plaintext) }));
  const got = sec.byDomain.map(({ from: _f, to: _t, ...r }) => r);
  const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
  assert.deepEqual(got.sort(byKey), want.sort(byKey));
});

test('overview and topology count what the summary and the security view count', { timeout: 60_000 }, async () => {
  const [ov, topo, sec, sum] = [await get('/api/views/overview', OverviewView), await get('/api/views/topology', TopologyView), await get('/api/views/security', SecurityView), await summarize(world.store)];
  assert.deepEqual(ov.outcome, sum.recipientsByStatus);
  assert.equal(ov.volume.reduce((a, b) => a + b.messages, 0), sum.messages);
  const tls = ov.tls.reduce((a, b) => ({ all: a.all + b.encrypted + b.plaintext + b.unknown, p: a.p + b.plaintext }), { all: 0, p: 0 });
  assert.equal(tls.p, sec.totals.plaintext);
  assert.equal(tls.all, sec.totals.handoffs);
  assert.equal((await get('/api/views/hops?limit=1', HopList)).total, sec.totals.handoffs, 'the hop list holds every counted hand-off');
  // the summary counts header-only hops too (a claim); the views leave them out
  assert.equal(sum.hopsByTls.plaintext + sum.hopsByTls.encrypted + sum.hopsByTls.unknown - sum.hopsByProvenance.header, sec.totals.handoffs);
  const edgePlain = topo.edges.reduce((a, e) => a + e.plaintext, 0);
  assert.ok(edgePlain <= sec.totals.plaintext && edgePlain > 0);
  const roles = new Map(topo.nodes.map((n) => [n.id, n.role]));
  assert.equal(roles.get('edge1'), 'edge');
  assert.equal(roles.get('hub'), 'server', 'a Postfix host whose log we hold, role unknown');
  assert.ok([...roles.values()].includes('external'));
});

test('delivery, protection and ingestion views', { timeout: 60_000 }, async () => {
  const del = await get('/api/views/delivery', DeliveryView);
  const sum = await summarize(world.store);
  const byStatus = (s: string) => del.reasons.filter((r) => r.status === s).reduce((a, r) => a + r.recipients, 0);
  assert.equal(byStatus('bounced'), sum.recipientsByStatus.bounced);
  assert.equal(byStatus('deferred'), sum.recipientsByStatus.deferred);
  assert.ok(del.reasons.every((r) => !/[0-9A-F]{10}/.test(r.reason)), 'queue ids masked so reasons group');
  assert.ok(del.latency.length > 0 && del.latency.every((l) => l.p50 <= l.p95 && l.p95 <= l.max));
  const trace = await traceMessage(world.store, del.reasons[0].sampleTraceId);
  assert.ok(trace.recipients.some((r) => r.status === del.reasons[0].status));

  const prot = await get('/api/views/protection', ProtectionView);
  const total = (k: 'irm' | 'smime-signed' | 'pgp-encrypted') => prot.byRecipientDomain.reduce((a, r) => a + r.mechanisms[k], 0);
  for (const k of ['irm', 'smime-signed', 'pgp-encrypted'] as const) assert.equal(total(k), sum.messagesByProtection[k], k);

  const ing = await get('/api/views/ingestion', IngestionView);
  assert.ok(ing.sources.some((s) => s.path.endsWith('maillog')));
  assert.ok(ing.hosts.some((h) => h.host === 'edge1' && h.source === 'exchange'));
  assert.ok(ing.hosts.some((h) => h.source === 'headers'), 'delivered copies are a source too');

  const bad = await app.inject({ method: 'GET', url: '/api/views/security?from=yesterday' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'MT_ERR_BAD_INPUT');
});

test('connectors: each hand-off under its sending and its receiving connector, as the logs name them; the sums agree with the hop rows', { timeout: 60_000 }, async () => {
  const view = await get('/api/views/connectors', ConnectorsView);
  const hops = world.store.table(HOPS_TABLE);
  // the sample's servers name their connectors: Exchange connector-ids, Postfix services (syslog tags)
  assert.ok(view.rows.some((r) => r.side === 'receive' && /\\Default internal receive connector EDGE1$/i.test(r.connector)), JSON.stringify(view.rows.slice(0, 5)));
  assert.ok(view.rows.some((r) => r.side === 'send' && r.connector === 'postfix-hub/relay-plain/smtp' && r.server === 'hub' && r.plaintext > 0), 'the real run\'s plaintext hub → mailbox hop, under the relay-plain transport');
  for (const side of ['send', 'receive'] as const) {
    const [end, col] = side === 'send' ? ['`from`', 'fromConnector'] : ['`to`', 'toConnector'];
    const direct = await world.store.query<{ s: string; c: string; n: string; p: string }>(
      `SELECT ${end} AS s, toString(${col}) AS c, count() AS n, countIf(tls = 'plaintext') AS p FROM ${hops} FINAL WHERE provenance != 'header' AND firstOfHop = 1 AND ${col} != '' GROUP BY s, c`);
    const want = new Map(direct.map((d) => [`${d.s} ${d.c}`, `${d.n}/${d.p}`]));
    const got = new Map(view.rows.filter((r) => r.side === side).map((r) => [`${r.server} ${r.connector}`, `${r.handoffs}/${r.plaintext}`]));
    assert.deepEqual(got, want, side);
  }
});

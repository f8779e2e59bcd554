import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ConnectorsView, HopList, IncidentList, PolicyReport, SecurityView, TlsPolicy, Trace } from '../../schemas/index.ts';
import { buildApp, checkPolicy } from '../../query/index.ts';
import { requireComponent } from '../helpers/component.ts';
import { apiGet, ARTIFACTS, chromiumAvailable, listen, openPage, SAMPLE_INPUTS, startWorld, type World } from './browser.ts';

/**
 * The Security page's promise on the bundled sample: every plaintext hop is three clicks away.
 * For every server pair with a plaintext hand-off: click its plaintext count (1), the hop list
 * holds exactly that many rows (paged through), click a row (2), and its trace shows that hop
 * PLAINTEXT (3). Every listed row's trace is checked through the API as well, so no plaintext
 * hop is out of reach; and the "all plaintext hops" link lists them all. The Policy card shows
 * what three rules find on the sample — plaintext between our own servers (violations), plaintext
 * from the edges to the internet (which the logs cannot tell: unknown), the hub role's
 * self-signed certificates — and the incidents a check opened.
 */
let world: World | undefined;
let base = '';

const POLICY = TlsPolicy.parse({ rules: [
  { name: 'internal-no-plaintext', kind: 'no-plaintext', internal: true, severity: 'critical', groupBy: 'rule' },
  { name: 'outbound-no-plaintext', kind: 'no-plaintext', internal: false, from: ['edge', 'edge2'] },
  { name: 'hub-ca-certificate', kind: 'ca-issued-certificate', roles: ['hub'] },
] });
/** the range the policy is judged on: the sample's own day (its certificates are judged as of its end) */
let range = { from: '', to: '' };

before(async () => {
  if (!chromiumAvailable.ok) return;
  world = await startWorld({ prefix: 'mailtrace-security-', inputs: SAMPLE_INPUTS, policy: { policy: POLICY } });
  ({ base } = world);
  const newest = (await apiGet(base, '/api/views/hops?limit=1', HopList)).rows[0]?.start;
  assert.ok(newest);
  const to = Date.parse(newest) + 3_600_000;
  range = { from: iso(to - 2 * 86_400_000), to: iso(to) };
  // a check at the range's end opens the incidents; its webhook is down, so their alerts stay owed
  await checkPolicy(world.store, { policy: POLICY, alerts: { webhook: { url: 'http://127.0.0.1:9/hook' } } }, {
    now: new Date(range.to), windowMinutes: 2 * 24 * 60, log: { warn() {} },
    send: async () => { throw new Error('the test\'s webhook is down'); },
  });
});

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

after(async () => {
  await world?.close();
});

interface ListedHop { from: string; to: string; tls: string; traceId: string; text: string }

/** Every row of a hop list, following its Next link to the last page. */
async function allRows(page: Page): Promise<ListedHop[]> {
  const rows: ListedHop[] = [];
  for (;;) {
    await page.locator('.hop-list-total').waitFor();
    rows.push(...await page.locator('tr.hop-list-row').evaluateAll((trs) => trs.map((tr) => ({
      from: tr.getAttribute('data-from') ?? '',
      to: tr.getAttribute('data-to') ?? '',
      tls: tr.getAttribute('data-tls') ?? '',
      traceId: tr.getAttribute('data-trace-id') ?? '',
      text: (tr.textContent ?? '').trim(),
    }))));
    const next = page.locator('nav.pager a[rel="next"]');
    if (await next.count() === 0) return rows;
    const url = page.url();
    await next.click();
    await page.waitForURL((u) => u.href !== url);
  }
}

const sel = (v: string) => JSON.stringify(v);

test('security: every plaintext hop of the sample is three clicks from /security', { timeout: 300_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const sec = await apiGet(base, '/api/views/security', SecurityView);
  const pairs = sec.byPair.filter((p) => p.plaintext > 0);
  assert.ok(pairs.length > 1 && pairs.some((p) => p.plaintext > 50), 'the sample has plaintext pairs, one longer than a page');
  assert.equal(pairs.reduce((a, p) => a + p.plaintext, 0), sec.totals.plaintext, 'the pairs add up to the total');

  const { page, problems } = await openPage(world?.browser);
  let reached = 0;
  for (const [i, pair] of pairs.entries()) {
    await page.goto(`${base}/security`);
    const cell = page.locator(`tr.pair-row[data-from=${sel(pair.from)}][data-to=${sel(pair.to)}] td[data-col="plaintext"] a.count-link`);
    assert.equal((await cell.textContent())?.trim(), String(pair.plaintext), pair.key);
    // click 1: the count opens the hop list of that pair, plaintext only
    await cell.click();
    await page.waitForURL(/\/hops\?/);
    const url = new URL(page.url());
    assert.deepEqual([url.searchParams.get('hopFrom'), url.searchParams.get('hopTo'), url.searchParams.get('filter')], [pair.from, pair.to, 'plaintext']);
    assert.equal(await page.locator('.hop-list-total').getAttribute('data-total'), String(pair.plaintext), pair.key);
    const rows = await allRows(page);
    assert.equal(rows.length, pair.plaintext, `${pair.key}: every plaintext hand-off listed`);
    assert.ok(rows.every((r) => r.from === pair.from && r.to === pair.to && r.tls === 'plaintext'), pair.key);
    assert.equal(new Set(rows.map((r) => r.text)).size, rows.length, `${pair.key}: no hand-off listed twice`);
    // every listed hop is in its trace, plaintext (through the API: one click each)
    for (const r of rows) {
      const trace = await apiGet(base, `/api/messages/${encodeURIComponent(r.traceId)}/trace`, Trace);
      assert.ok(trace.recipients.some((x) => x.hops.some((h) => h.from === pair.from && h.to === pair.to && h.tls === 'plaintext')), `${r.traceId}: ${pair.key} plaintext`);
      reached++;
    }
    // click 2: a row (on the last page reached) opens its trace; the trace shows the hop (3)
    const row = page.locator('tr.hop-list-row').last();
    const traceId = await row.getAttribute('data-trace-id');
    await row.locator('td').first().click();
    await page.waitForURL(/\/message\//);
    assert.equal(decodeURIComponent(new URL(page.url()).pathname.slice('/message/'.length)), traceId);
    const hop = page.locator(`tr.hop-row[data-from=${sel(pair.from)}][data-to=${sel(pair.to)}][data-tls="plaintext"]`).first();
    await hop.waitFor();
    assert.equal((await hop.locator('.badge-plaintext').first().textContent())?.trim(), 'PLAINTEXT');
    assert.match((await page.locator('a.back').textContent()) ?? '', /Hop list/);
    if (i === 0) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'views-security-trace.png'), fullPage: true });
    }
  }
  assert.equal(reached, sec.totals.plaintext, 'every plaintext hand-off reached');
  assert.deepEqual(problems, []);
  await page.close();
});

test('security: the totals are the API\'s, and "all plaintext hops" lists every one of them', { timeout: 120_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const sec = await apiGet(base, '/api/views/security', SecurityView);
  const { page, problems } = await openPage(world?.browser);
  await page.goto(`${base}/security`);
  for (const k of ['handoffs', 'plaintext', 'weakTls', 'unverified', 'unknown'] as const) {
    assert.equal((await page.locator(`[data-stat="${k}"] .stat-value`).textContent())?.trim(), sec.totals[k].toLocaleString('en-US'), k);
  }
  assert.equal(await page.locator('tr.domain-row').count(), sec.byDomain.length);
  assert.equal(await page.locator('li.new-peer').count(), sec.newPlaintextPeers.length);
  // the findings per connector: the API's rows, each with its counts
  const connectors = await apiGet(base, '/api/views/connectors', ConnectorsView);
  assert.ok(connectors.rows.length > 0);
  await page.locator('tr.connector-row').first().waitFor();
  assert.equal(await page.locator('tr.connector-row').count(), connectors.rows.length);
  const top = connectors.rows[0];
  const cell = page.locator(`tr.connector-row[data-server="${top.server}"][data-side="${top.side}"]`).filter({ has: page.locator('td', { hasText: top.connector }) }).first().locator('td[data-col="plaintext"]');
  assert.equal((await cell.textContent())?.trim(), top.plaintext.toLocaleString('en-US'));
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'views-security.png'), fullPage: true });

  await page.click('a.all-plaintext');
  await page.waitForURL(/\/hops\?filter=plaintext$/);
  const rows = await allRows(page);
  assert.equal(rows.length, sec.totals.plaintext);
  assert.ok(rows.every((r) => r.tls === 'plaintext'));
  const api = await apiGet(base, '/api/views/hops?filter=plaintext&limit=500', HopList);
  assert.deepEqual(rows.map((r) => r.traceId), api.rows.map((r) => r.traceId), 'the list is the API\'s, newest first');
  // a recipient domain's count opens as many hand-offs
  const domain = sec.byDomain.find((d) => d.plaintext > 0);
  assert.ok(domain);
  await page.goto(`${base}/security`);
  await page.locator(`tr.domain-row[data-domain=${sel(domain.key)}] td[data-col="plaintext"] a`).click();
  await page.waitForURL(/\/hops\?domain=/);
  assert.equal(await page.locator('.hop-list-total').getAttribute('data-total'), String(domain.plaintext), domain.key);
  assert.equal((await allRows(page)).length, domain.plaintext);

  await page.goto(`${base}/hops?filter=plaintext&hopFrom=hub&hopTo=mailbox`);
  await page.locator('tr.hop-list-row').first().waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'views-hops.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('security: the Policy card lists the API\'s findings per rule, with their evidence, and the open incidents', { timeout: 120_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const q = `from=${range.from}&to=${range.to}`;
  const report = await apiGet(base, `/api/policy/violations?${q}`, PolicyReport);
  const open = await apiGet(base, '/api/policy/incidents?state=open', IncidentList);
  const count = (rule: string, verdict: string) => report.findings.filter((f) => f.rule === rule && f.verdict === verdict).length;
  assert.ok(count('internal-no-plaintext', 'violation') > 0, 'the sample has plaintext between its own servers');
  assert.ok(count('outbound-no-plaintext', 'unknown') > 0 && count('outbound-no-plaintext', 'violation') === 0, 'the logs cannot tell the outbound TLS');
  assert.ok(count('hub-ca-certificate', 'violation') >= 2, 'mbx1 and mbx2 present self-signed certificates');
  assert.ok(open.incidents.length >= 3);

  const { page, problems } = await openPage(world?.browser);
  await page.goto(`${base}/security?${q}`);
  const card = page.locator('.policy-body');
  await card.locator('.policy-range').waitFor();
  assert.equal(await card.locator('.policy-range').getAttribute('data-from'), report.from);
  // every finding is a row, per rule and verdict, in the rule's own section
  assert.equal(await card.locator('tr.policy-finding').count(), report.findings.length);
  for (const rule of POLICY.rules) {
    for (const verdict of ['violation', 'unknown']) {
      assert.equal(await card.locator(`section.policy-rule[data-rule="${rule.name}"] tr.policy-finding[data-verdict="${verdict}"]`).count(), count(rule.name, verdict), `${rule.name} ${verdict}`);
    }
  }
  // unknown stands apart: its own table under its own note, never marked a violation
  const outbound = card.locator('section.policy-rule[data-rule="outbound-no-plaintext"]');
  assert.equal(await outbound.locator('table.policy-violations').count(), 0);
  assert.equal(await outbound.locator('table.policy-unknown tr.policy-finding .policy-verdict.badge-unknown').count(), count('outbound-no-plaintext', 'unknown'));
  assert.equal(await outbound.locator('.badge-violation').count(), 0);
  assert.match((await outbound.locator('.policy-unknown-note').textContent()) ?? '', /cannot tell/);
  assert.equal(await card.locator('table.policy-unknown tr.policy-finding[data-verdict="violation"]').count(), 0);
  assert.equal(await card.locator('table.policy-violations tr.policy-finding[data-verdict="unknown"]').count(), 0);

  // the certificate finding shows its certificate and opens the Certificates page of its server
  const certFinding = report.findings.find((f) => f.rule === 'hub-ca-certificate' && f.from === 'mbx2');
  const cert = certFinding?.samples[0]?.certificate;
  assert.ok(certFinding && cert);
  const certRow = card.locator(`tr.policy-finding[data-rule="hub-ca-certificate"][data-from="mbx2"]`);
  assert.equal(await certRow.locator('.policy-certificate').getAttribute('data-fingerprint'), cert.fingerprint);
  assert.equal((await certRow.locator('.policy-fingerprint').textContent())?.trim(), cert.fingerprint);
  assert.equal(await certRow.locator('a.policy-cert-link').getAttribute('href'), '/certificates?host=mbx2');

  // the open incidents, each with its owed alert
  const ids = await card.locator('tr.policy-incident').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
  assert.deepEqual(ids, open.incidents.map((i) => i.id));
  assert.equal(await card.locator('tr.policy-incident .policy-pending').count(), open.incidents.reduce((a, i) => a + i.pending.length, 0));
  assert.ok(open.incidents.every((i) => i.pending.includes('opened:webhook')));
  const grouped = open.incidents.find((i) => i.rule === 'internal-no-plaintext');
  assert.ok(grouped && grouped.groupBy === 'rule' && grouped.routeCount === count('internal-no-plaintext', 'violation'));
  assert.match((await card.locator(`tr.policy-incident[data-id=${sel(grouped.id)}] .policy-routes summary`).textContent()) ?? '', new RegExp(`${grouped.routeCount} routes`));
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'views-security-policy.png'), fullPage: true });

  // a hop sample opens its trace, which shows that hop in plaintext
  const finding = report.findings.find((f) => f.rule === 'internal-no-plaintext' && f.verdict === 'violation');
  const sample = finding?.samples[0];
  assert.ok(finding && sample);
  const link = card.locator(`tr.policy-finding[data-rule="internal-no-plaintext"][data-from=${sel(finding.from)}][data-to=${sel(finding.to)}] a.policy-sample`).first();
  assert.equal(await link.getAttribute('href'), `/message/${encodeURIComponent(sample.traceId)}`);
  await link.click();
  await page.waitForURL(/\/message\//);
  await page.locator(`tr.hop-row[data-from=${sel(finding.from)}][data-to=${sel(finding.to)}][data-tls="plaintext"]`).first().waitFor();

  // and the certificate link opens the Certificates page with that certificate
  await page.goBack();
  await certRow.locator('a.policy-cert-link').click();
  await page.waitForURL(/\/certificates\?host=mbx2$/);
  await page.locator(`tr.cert-row[data-fingerprint=${sel(cert.fingerprint)}]`).first().waitFor();

  // the server filter keeps the routes it is an end of
  await page.goto(`${base}/security?${q}&host=mbx2`);
  await card.locator('.policy-range').waitFor();
  assert.equal(await card.locator('tr.policy-finding').count(), report.findings.filter((f) => f.from === 'mbx2' || f.to === 'mbx2').length);
  assert.deepEqual(problems, []);
  await page.close();
});

test('security: without policy rules the card says how to add them, and "all" judges every stored hop', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  assert.ok(world);
  const app = await buildApp({ store: world.store, dashboardDir: join(world.dir, 'dist') });
  try {
    const bare = await listen(app);
    const { page, problems } = await openPage(world.browser);
    await page.goto(`${bare}/security`);
    const none = page.locator('.policy-body .policy-none');
    await none.waitFor();
    assert.match((await none.textContent()) ?? '', /No policy rules are configured.*policy\.rules/s);
    assert.equal(await page.locator('.policy-body [role="alert"]').count(), 0, 'not an error');
    assert.equal(await page.locator('.policy-body .policy-range').getAttribute('data-from'), '1970-01-01T00:00:00Z');
    assert.match((await page.locator('.policy-body .policy-range').textContent()) ?? '', /all stored hand-offs/);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await app.close();
  }
});

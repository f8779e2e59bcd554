import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { edgeMidpoint, TOPOLOGY_HEIGHT, topologyLayout } from '../../dashboard/src/charts/topology-layout.ts';
import { CertificatesView, DeliveryView, HopList, IngestionView, MessageList, OverviewView, ProtectionView, SecurityView, TopologyView } from '../../schemas/index.ts';
import { requireComponent } from '../helpers/component.ts';
import { apiGet, ARTIFACTS, chromiumAvailable, openPage, paintedPixels, SAMPLE_INPUTS, startWorld, type World } from './browser.ts';

/**
 * The view pages on the bundled sample, plus a log of lines no parser reads (markup in them):
 * each page loads without script or console errors (CSP violations among them) and shows the
 * numbers the API answers; the range lives in the URL (reload, nav, back); the topology's edges
 * list their hops; rejected lines are shown as text.
 */
const EVIL = [
  '<script>document.title="pwned"</script> not a log line <b>bold</b> & "quoted"',
  '<img src=x onerror="document.title=\'pwned\'"> also not a log line',
  'Nov 99 99:99:99 edge postfix/smtpd[1]: bad time <i>x</i>',
];

let world: World | undefined;
let base = '';
let evil = '';

before(async () => {
  if (!chromiumAvailable.ok) return;
  evil = mkdtempSync(join(tmpdir(), 'mailtrace-views-evil-'));
  writeFileSync(join(evil, 'maillog.rejected'), `${EVIL.join('\n')}\n`);
  world = await startWorld({ prefix: 'mailtrace-views-', inputs: [...SAMPLE_INPUTS, evil] });
  ({ base } = world);
});

after(async () => {
  await world?.close();
  if (evil) rmSync(evil, { recursive: true, force: true });
});

const count = (n: number) => n.toLocaleString('en-US');
const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `views-${name}.png`), fullPage: true });
}

/** Load a view and wait for what it drew (not the loading box), with the query string its API call carried. */
async function load(page: Page, path: string, ready: string): Promise<URLSearchParams> {
  const api = page.waitForRequest((r) => r.url().includes('/api/views/'));
  await page.goto(`${base}${path}`);
  const query = new URL((await api).url()).searchParams;
  await page.locator(`${ready}, .state-error`).first().waitFor();
  const error = page.locator('.state-error');
  if (await error.count()) assert.fail(`${path}: ${(await error.first().textContent())?.trim()}`);
  return query;
}

test('overview: the API\'s counts, three charts drawn', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(world?.browser);
  await load(page, '/overview', '[data-stat="messages"]');
  const v = await apiGet(base, '/api/views/overview', OverviewView);
  assert.equal(await text(page, '[data-stat="messages"] .stat-value'), count(v.volume.reduce((a, b) => a + b.messages, 0)));
  assert.equal(await text(page, '[data-stat="plaintext"] .stat-value'), count(v.tls.reduce((a, b) => a + b.plaintext, 0)));
  assert.equal(await text(page, '[data-stat="handoffs"] .stat-value'), count(v.tls.reduce((a, b) => a + b.encrypted + b.plaintext + b.unknown, 0)));
  for (const s of ['delivered', 'bounced', 'deferred', 'rejected'] as const) assert.equal(await text(page, `li.outcome[data-status="${s}"] .bar-num`), count(v.outcome[s]), s);
  for (const c of ['.chart-volume', '.chart-outcome', '.chart-tls-share']) assert.ok(await paintedPixels(page.locator(`${c} canvas`)) > 500, c);
  assert.equal(await page.locator('nav.nav a[data-nav="overview"]').getAttribute('aria-current'), 'page');
  await shot(page, 'overview');
  assert.deepEqual(problems, []);
  await page.close();
});

test('delivery, protection, ingestion: the API\'s rows; raw log bytes stay text', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(world?.browser);

  await load(page, '/delivery', 'tr.latency-row');
  const del = await apiGet(base, '/api/views/delivery', DeliveryView);
  assert.equal(await page.locator('tr.reason-row').count(), del.reasons.length);
  assert.equal(await text(page, 'tr.reason-row td[data-col="recipients"]'), count(del.reasons[0].recipients));
  assert.equal(await page.locator('tr.latency-row').count(), del.latency.length);
  assert.equal(await text(page, '[data-stat="messages"] .stat-value'), count(del.endToEnd.messages));
  assert.equal(await page.locator('a.sample-trace').first().getAttribute('href'), `/message/${encodeURIComponent(del.reasons[0].sampleTraceId)}`);
  assert.ok(await paintedPixels(page.locator('.chart-latency canvas')) > 500);
  await shot(page, 'delivery');

  await load(page, '/protection', 'tr.protection-row');
  const pro = await apiGet(base, '/api/views/protection', ProtectionView);
  assert.equal(await page.locator('.protection-table').nth(0).locator('tr.protection-row').count(), pro.byRecipientDomain.length);
  assert.equal(await page.locator('.protection-table').nth(1).locator('tr.protection-row').count(), pro.bySenderDomain.length);
  const top = pro.byRecipientDomain[0];
  const row = page.locator(`.protection-table >> nth=0 >> tr.protection-row[data-domain="${top.domain}"]`);
  // known and unknown kept apart: no copy read is not "no protection seen"
  assert.deepEqual(await Promise.all(['known', 'unprotected', 'unread', 'irm'].map(async (k) => (await row.locator(`td[data-col="${k}"]`).textContent())?.trim())),
    [count(top.known), count(top.unprotected), count(top.messages - top.known), count(top.mechanisms.irm)]);
  await shot(page, 'protection');

  await load(page, '/ingestion', 'tr.host-row');
  const ing = await apiGet(base, '/api/views/ingestion', IngestionView);
  assert.equal(await page.locator('tr.source-row').count(), ing.sources.length);
  assert.equal(await page.locator('tr.host-row').count(), ing.hosts.length);
  const unknown = ing.rejected.find((r) => r.reason === 'unknown-format');
  assert.ok(unknown && unknown.samples.length >= 2, JSON.stringify(ing.rejected));
  assert.equal(await text(page, 'section.rejected-reason[data-reason="unknown-format"] .rejected-count'), count(unknown.count));
  const excerpts = await page.locator('section.rejected-reason code.excerpt').allTextContents();
  for (const line of EVIL.slice(0, 2)) assert.ok(excerpts.includes(line), `shown as text: ${line}`);
  // the markup in those lines made no element and ran nothing
  assert.equal(await page.locator('#app script, #app img, #app b, #app i').count(), 0);
  assert.equal(await page.title(), 'Ingestion health · mailtrace');
  await shot(page, 'ingestion');
  assert.deepEqual(problems, []);
  await page.close();
});

test('certificates: the API\'s rows, issuance per server, the expiry window kept in the URL', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(world?.browser);
  await load(page, '/certificates', 'tr.cert-row');
  const v = await apiGet(base, '/api/views/certificates', CertificatesView);
  assert.ok(v.rows.length > 0);
  assert.equal(await page.locator('tr.cert-row').count(), v.rows.length);
  assert.equal(await text(page, '[data-stat="self-signed"] .stat-value'), count(v.totals.selfSigned));
  // the sample's edges present a CA-issued certificate, its internal servers Exchange's self-signed one
  for (const r of v.rows.filter((r) => r.side === 'local')) {
    const cell = page.locator(`tr.cert-row[data-server="${r.server}"][data-fingerprint="${r.fingerprint}"] td[data-col="issuance"]`).first();
    assert.equal((await cell.textContent())?.trim(), r.issuance === 'ca-issued' ? 'CA-issued' : 'self-signed', r.server);
  }
  await shot(page, 'certificates');
  // a wider window: the URL keeps it and the API is asked for it
  const asked = page.waitForRequest((r) => r.url().includes('/api/views/certificates') && r.url().includes('soonDays=90'));
  await page.selectOption('select[name="soon"]', '90');
  await asked;
  await page.waitForURL(`${base}/certificates?soon=90`);
  const wide = await apiGet(base, '/api/views/certificates?soonDays=90', CertificatesView);
  await page.locator('[data-stat="expiring"] .stat-label', { hasText: '90' }).waitFor();
  assert.equal(await text(page, '[data-stat="expiring"] .stat-value'), count(wide.totals.expiringSoon));
  assert.equal(await page.locator('nav.nav a[data-nav="certificates"]').getAttribute('aria-current'), 'page');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the range lives in the URL: a reload keeps it, the nav carries it, back restores the last one', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(world?.browser);
  // a relative range: the page asks the API from a time resolved when it loads, and says so
  const asked = await load(page, '/security?range=7d', '.stat-row, .state-empty');
  assert.ok(asked.get('from'), 'a start time was sent');
  assert.equal(await page.locator('a.range[aria-current="true"]').getAttribute('data-range'), '7d');
  assert.match(await text(page, '.scope-effective'), /^since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await page.reload();
  await page.locator('.stat-row, .state-empty, .state-error').first().waitFor();
  assert.equal(await page.locator('.state-error').count(), 0);
  assert.equal(await page.locator('a.range[aria-current="true"]').getAttribute('data-range'), '7d');

  // a custom range from the form
  await page.fill('form.scope-bar input[name="from"]', '2026-11-27T09:00:00');
  await page.fill('form.scope-bar input[name="to"]', '2026-11-27T11:00:00');
  await page.fill('form.scope-bar input[name="host"]', 'hub');
  await page.click('form.scope-bar button[type="submit"]');
  await page.waitForURL(`${base}/security?from=2026-11-27T09%3A00%3A00Z&to=2026-11-27T11%3A00%3A00Z&host=hub`);
  const scoped = await apiGet(base, '/api/views/security?from=2026-11-27T09:00:00Z&to=2026-11-27T11:00:00Z&host=hub', SecurityView);
  const all = await apiGet(base, '/api/views/security', SecurityView);
  assert.ok(scoped.totals.handoffs > 0 && scoped.totals.handoffs < all.totals.handoffs, 'the range narrows');
  const plaintext = page.locator('[data-stat="plaintext"] .stat-value');
  await page.locator('.range-custom.is-current').waitFor();
  assert.equal((await plaintext.textContent())?.trim(), count(scoped.totals.plaintext));
  assert.equal(await page.locator('tr.pair-row').count(), scoped.byPair.length);
  await page.reload();
  await page.locator('[data-stat="plaintext"]').waitFor();
  assert.equal((await plaintext.textContent())?.trim(), count(scoped.totals.plaintext));
  // the browser writes a whole minute without its seconds
  assert.match(await page.inputValue('form.scope-bar input[name="from"]'), /^2026-11-27T09:00(:00)?$/);
  assert.equal(await page.inputValue('form.scope-bar input[name="host"]'), 'hub');
  // the drill-down carries the range
  assert.equal(await page.locator('[data-stat="plaintext"] a.stat-link').getAttribute('href'), '/hops?from=2026-11-27T09%3A00%3A00Z&to=2026-11-27T11%3A00%3A00Z&host=hub&filter=plaintext');

  // the nav takes the range to the next view, and that view's numbers are the API's for it
  await page.click('nav.nav a[data-nav="overview"]');
  await page.waitForURL(`${base}/overview?from=2026-11-27T09%3A00%3A00Z&to=2026-11-27T11%3A00%3A00Z&host=hub`);
  await page.locator('[data-stat="plaintext"]').waitFor();
  const ov = await apiGet(base, '/api/views/overview?from=2026-11-27T09:00:00Z&to=2026-11-27T11:00:00Z&host=hub', OverviewView);
  assert.equal(await text(page, '[data-stat="plaintext"] .stat-value'), count(ov.tls.reduce((a, b) => a + b.plaintext, 0)));
  await page.goBack();
  await page.waitForURL(/\/security\?from=/);
  await page.locator('[data-stat="plaintext"]').waitFor();
  assert.equal((await plaintext.textContent())?.trim(), count(scoped.totals.plaintext));
  // All clears the range and keeps the server
  await page.click('a.range[data-range="all"]');
  await page.waitForURL(`${base}/security?host=hub`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('topology: servers and connections as the API has them; clicking an edge lists its hops', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const topo = await apiGet(base, '/api/views/topology', TopologyView);
  const { page, problems } = await openPage(world?.browser);
  await load(page, '/topology', '.chart-topology canvas');
  assert.equal(await text(page, '.topology-card .card-title'), `${count(topo.nodes.length)} servers, ${count(topo.edges.length)} connections`);
  assert.ok(await paintedPixels(page.locator('.chart-topology canvas')) > 5000);
  await shot(page, 'topology');

  // the layout is the page's own, so its pixels are known: click the middle of hub → mailbox
  const edge = topo.edges.find((e) => e.from === 'hub' && e.to === 'mailbox');
  assert.ok(edge);
  const box = await page.locator('.chart-topology').boundingBox();
  assert.ok(box);
  assert.equal(Math.round(box.height), TOPOLOGY_HEIGHT);
  const mid = edgeMidpoint(topologyLayout(topo), edge, box.width, box.height);
  assert.ok(mid);
  await page.mouse.click(box.x + mid.x, box.y + mid.y);
  const panel = page.locator('section.edge-hops[data-from="hub"][data-to="mailbox"]');
  await panel.locator('tr.hop-list-row').first().waitFor();
  const hops = await apiGet(base, '/api/views/hops?hopFrom=hub&hopTo=mailbox&limit=20', HopList);
  assert.deepEqual(await panel.locator('tr.hop-list-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace-id'))), hops.rows.map((r) => r.traceId));
  await page.waitForURL(/\/topology\?hopFrom=hub&hopTo=mailbox$/);
  await shot(page, 'topology-edge');
  // the selection survives a reload; a row opens its trace, which shows the hop
  await page.reload();
  await panel.locator('tr.hop-list-row').first().waitFor();
  await panel.locator('a.hop-trace').first().click();
  await page.waitForURL(/\/message\//);
  await page.locator('tr.hop-row[data-from="hub"][data-to="mailbox"]').first().waitFor();
  assert.match(await text(page, 'a.back'), /Topology/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('trace page: the four-recipient Exchange message forks after mbx1\'s transport queue', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(world?.browser);
  await page.goto(`${base}/message/${encodeURIComponent('<b7c71171-ea9a-6b7d-000000000011@example.com>')}`);
  await page.locator('section.recipient').first().waitFor();
  assert.equal(await page.locator('section.recipient').count(), 4);
  const canvas = page.locator('.chart-path canvas');
  assert.ok(await paintedPixels(canvas) > 500);
  // two leaves: the graph is two bands tall (pathGraphHeight)
  assert.equal(Math.round((await page.locator('.chart-path').boundingBox())?.height ?? 0), 2 * 72 + 40);
  await page.locator('.chart-grid').screenshot({ path: join(ARTIFACTS, 'views-trace-fork.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('search page: the protection filter lists exactly the messages with that mechanism, with their badges', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(world?.browser);
  const want = await apiGet(base, '/api/messages?protection=irm&limit=200', MessageList);
  assert.ok(want.total > 0, 'the sample has IRM-protected delivered copies');
  await page.goto(`${base}/`);
  await page.selectOption('select[name="protection"]', 'irm');
  await page.click('form.search-form button[type="submit"]');
  await page.waitForURL(/protection=irm/);
  const rows = page.locator('tr.message-row');
  await rows.first().waitFor();
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-message-id')));
  assert.deepEqual(ids.sort(), want.messages.map((m) => m.messageId).sort());
  assert.equal(await page.locator('tr.message-row .badge-protection[data-mechanism="irm"]').count(), ids.length);
  assert.deepEqual(problems, []);
  await page.close();
});

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { HopList, SecurityView, Trace } from '../../schemas/index.ts';
import { requireComponent } from '../helpers/component.ts';
import { apiGet, ARTIFACTS, chromiumAvailable, openPage, SAMPLE_INPUTS, startWorld, type World } from './browser.ts';

/**
 * The Security page's promise on the bundled sample: every plaintext hop is three clicks away.
 * For every server pair with a plaintext hand-off: click its plaintext count (1), the hop list
 * holds exactly that many rows (paged through), click a row (2), and its trace shows that hop
 * PLAINTEXT (3). Every listed row's trace is checked through the API as well, so no plaintext
 * hop is out of reach; and the "all plaintext hops" link lists them all.
 */
let world: World | undefined;
let base = '';

before(async () => {
  if (!chromiumAvailable.ok) return;
  world = await startWorld({ prefix: 'mailtrace-security-', inputs: SAMPLE_INPUTS });
  ({ base } = world);
});

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

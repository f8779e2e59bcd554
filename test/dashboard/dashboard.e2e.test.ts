import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeExchangeOrg, type TruthMessage as ExchangeTruth } from '../../bench/generate/exchange.ts';
import { runIngest } from '../../ingest/index.ts';
import { requireComponent } from '../helpers/component.ts';
import { FIXTURES } from '../helpers/store.ts';
import { ARTIFACTS, type World, chromiumAvailable, openPage, startWorld } from './browser.ts';

const SCREENSHOT = join(ARTIFACTS, 'dashboard-trace.png');
const TOKEN = 'e2e-dashboard-token-0123456789';
const TRACE_PATH = `/message/${encodeURIComponent('<m1@example.org>')}`;

let world: World | undefined;
let browser: Browser | undefined;
let base = '';
let tokenBase = '';

before(async () => {
  if (!chromiumAvailable.ok) return;
  // the embedded engine allows one data directory per process: both apps share this store
  world = await startWorld({ prefix: 'mailtrace-dashboard-', inputs: [join(FIXTURES, 'postfix', 'handmade-3hop.log')], token: TOKEN });
  ({ browser, base, tokenBase } = world);
});

after(async () => {
  await world?.close();
});

async function hopRows(page: Page, address: string): Promise<{ from: string; to: string; tls: string; plaintextBadges: number; text: string }[]> {
  const rows = page.locator(`section.recipient[data-address="${address}"] tr.hop-row`);
  await rows.first().waitFor();
  return rows.evaluateAll((trs) => trs.map((tr) => ({
    from: tr.getAttribute('data-from') ?? '',
    to: tr.getAttribute('data-to') ?? '',
    tls: tr.getAttribute('data-tls') ?? '',
    plaintextBadges: tr.querySelectorAll('.badge-plaintext').length,
    text: (tr.querySelector('.badge-plaintext')?.textContent ?? '').trim(),
  })));
}

test('search page: summary, search by recipient, one row that opens its trace; back restores the search', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await page.goto(`${base}/`);
  const messages = page.locator('[data-stat="messages"] .stat-value');
  await messages.waitFor();
  assert.equal((await messages.textContent())?.trim(), '1');
  assert.ok(await page.locator('.chart-tls-pie canvas').count() > 0, 'the TLS pie is drawn');

  await page.fill('input[name="recipient"]', 'alice@example.test');
  await page.click('form.search-form button[type="submit"]');
  await page.waitForURL(/[?&]recipient=alice%40example\.test/);
  // the page is replaced synchronously on navigation: rows seen now belong to this search
  await page.locator('tr.message-row').first().waitFor();
  assert.equal(await page.locator('tr.message-row').count(), 1);
  assert.equal(await page.locator('tr.message-row').getAttribute('data-message-id'), '<m1@example.org>');
  assert.equal((await page.locator('tr.message-row .badge-plaintext').textContent())?.trim(), '1');

  // click the row, not its link: the whole row opens the trace
  await page.locator('tr.message-row td').nth(5).click();
  await page.waitForURL(`${base}${TRACE_PATH}`);
  assert.equal((await hopRows(page, 'alice@example.test')).length, 3);
  assert.equal((await page.locator('h1.message-id').textContent())?.trim(), '<m1@example.org>');

  await page.goBack();
  await page.waitForURL(/[?&]recipient=alice%40example\.test/);
  await page.locator('tr.message-row').first().waitFor();
  assert.equal(await page.inputValue('input[name="recipient"]'), 'alice@example.test');
  assert.deepEqual(problems, []);
  await page.close();
});

test('trace page: three hops for alice, the hub → mailbox hop flagged plaintext, graph drawn', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await page.goto(`${base}${TRACE_PATH}`);
  const hops = await hopRows(page, 'alice@example.test');
  assert.deepEqual(hops.map(({ from, to, tls, plaintextBadges }) => ({ from, to, tls, plaintextBadges })), [
    { from: 'client.example.org', to: 'edge', tls: 'encrypted', plaintextBadges: 0 },
    { from: 'edge', to: 'hub', tls: 'encrypted', plaintextBadges: 0 },
    { from: 'hub', to: 'mailbox', tls: 'plaintext', plaintextBadges: 1 },
  ]);
  assert.equal(hops[2].text, 'PLAINTEXT');
  const plainRow = page.locator('section.recipient[data-address="alice@example.test"] tr.hop-row[data-tls="plaintext"]');
  assert.equal(await plainRow.count(), 1);
  assert.match((await plainRow.textContent()) ?? '', /hub\s*→\s*mailbox/);

  // nobody@ bounced at the mailbox server: its path ends at hub, with the reply shown
  const nobody = page.locator('section.recipient[data-address="nobody@example.test"]');
  assert.equal(await nobody.locator('tr.hop-row').count(), 2);
  assert.match((await nobody.textContent()) ?? '', /5\.1\.1/);

  for (const chart of ['.chart-path', '.chart-timeline']) {
    const canvas = page.locator(`${chart} canvas`).first();
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    assert.ok(box && box.width > 0 && box.height > 0, `${chart} canvas has a size`);
    const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
      return n;
    });
    assert.ok(painted > 500, `${chart} canvas has something drawn (${painted} pixels)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('trace page: an unknown id shows the API message', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await page.goto(`${base}/message/NOSUCHQUEUE`);
  const error = page.locator('.state-error');
  await error.waitFor();
  assert.match((await error.textContent()) ?? '', /no message or queue id NOSUCHQUEUE in the store/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('token: a 401 asks for the token, a wrong one is refused, the right one loads the page', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await page.goto(`${tokenBase}/`);
  await page.locator('form.token-form').waitFor();
  await page.fill('form.token-form input[name="token"]', 'wrong-token');
  await page.click('form.token-form button[type="submit"]');
  await page.locator('form.token-form .form-error').waitFor();
  await page.fill('form.token-form input[name="token"]', TOKEN);
  await page.click('form.token-form button[type="submit"]');
  const messages = page.locator('[data-stat="messages"] .stat-value');
  await messages.waitFor();
  assert.equal((await messages.textContent())?.trim(), '1');
  await page.locator('tr.message-row').first().waitFor();
  assert.equal(await page.locator('form.token-form').count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('mailtrace.token')), TOKEN);
  assert.deepEqual(problems, []);
  await page.close();
});

test('trace page: every hop of a logs-only message says "log", and its content protection is unknown, not "none"', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await page.goto(`${base}${TRACE_PATH}`);
  const rows = page.locator('section.recipient[data-address="alice@example.test"] tr.hop-row');
  await rows.first().waitFor();
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-provenance'), (tr.querySelector('.provenance')?.textContent ?? '').trim()])), [
    ['log', 'log'], ['log', 'log'], ['log', 'log'],
  ]);
  // handmade-3hop.log holds no Received header: nothing to disagree with, no protocol claimed
  assert.equal(await page.locator('tr.hop-conflict').count(), 0);
  assert.equal(await page.locator('.hop-protocol').count(), 0);
  const protection = page.locator('.trace-head .protection');
  assert.equal(await protection.getAttribute('data-known'), 'false');
  assert.equal((await protection.textContent())?.trim(), 'content protection: unknown (no delivered copy ingested)');
  assert.equal(await page.locator('.trace-head .badge-protection, .trace-head .protection-none').count(), 0);
  assert.match((await page.locator('.chart-grid .legend-inline').textContent()) ?? '', /Received header only/);
  assert.deepEqual(problems, []);
  await page.close();
});

// last: it adds an Exchange organisation to the shared store (the tests above count messages)
test('trace page, Exchange: every hop names the role of both ends and its TLS', { timeout: 90_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  assert.ok(world);
  const org = join(world.dir, 'exchange-org');
  const truthFile = join(world.dir, 'exchange-truth.jsonl');
  await writeExchangeOrg(org, { messages: 40, seed: 5 }, truthFile);
  await runIngest({ inputs: [org], store: world.store });
  const truth = readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExchangeTruth);
  // an inbound internet message through an Edge server to a mailbox
  const msg = truth.find((m) => m.recipients.some((r) => r.status === 'delivered' && r.hops[0]?.toRole === 'edge' && r.hops.at(-1)?.toRole === 'mailbox'));
  assert.ok(msg, 'the generated org has an inbound message via Edge');
  const rcpt = msg.recipients.find((r) => r.hops[0]?.toRole === 'edge')!;
  const { page, problems } = await openPage(browser);
  await page.goto(`${base}/message/${encodeURIComponent(msg.messageId)}`);
  const rows = page.locator(`section.recipient[data-address="${rcpt.address}"] tr.hop-row`);
  await rows.first().waitFor();
  const seen = await rows.evaluateAll((trs) => trs.map((tr) => ({
    from: tr.getAttribute('data-from') ?? '',
    to: tr.getAttribute('data-to') ?? '',
    tls: tr.getAttribute('data-tls') ?? '',
    roles: Array.from(tr.querySelectorAll('.role-chip')).map((c) => (c.textContent ?? '').trim()),
  })));
  assert.deepEqual(seen, rcpt.hops.map((h) => ({ from: h.from, to: h.to, tls: h.tls, roles: [h.fromRole, h.toRole] })));
  assert.deepEqual(problems, []);
  await page.close();
});

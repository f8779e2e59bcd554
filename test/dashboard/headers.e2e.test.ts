import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { analyzeHeaders } from '../../ingest/index.ts';
import { requireComponent } from '../helpers/component.ts';
import { ARTIFACTS, type World, chromiumAvailable, openPage, signIn, startWorld } from './browser.ts';
import { HEADERS, SEALED_EML, SIGNED_EML } from './headers.fixtures.ts';

/**
 * The header analyzer page in a real browser against a real app (`analyzeHeaders` from ingest,
 * an empty store: the page needs no logs). The page is reached from the top bar's link, as a user
 * reaches it.
 */
const TOKEN = 'e2e-headers-token-0123456789';

let world: World | undefined;
let browser: Browser | undefined;
let base = '';
let tokenBase = '';

before(async () => {
  if (!chromiumAvailable.ok) return;
  // nothing is ingested: the search page the user starts on answers from an empty store
  world = await startWorld({ prefix: 'mailtrace-headers-', token: TOKEN, analyzeHeaders });
  ({ browser, base, tokenBase } = world);
});

after(async () => {
  await world?.close();
});

/** From the search page through the top bar's link, as a user gets there. */
async function gotoAnalyzer(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.click('nav.nav a[data-nav="headers"]');
  await page.waitForURL(`${origin}/headers`);
  await page.locator('textarea[name="headers"]').waitFor();
}

interface HopSeen { by: string; tls: string; version: string; cipher: string; evidence: string; delay: string; skew: string; skewBadge: boolean }

async function headerHops(page: Page): Promise<HopSeen[]> {
  const rows = page.locator('tr.header-hop');
  await rows.first().waitFor();
  return rows.evaluateAll((trs) => trs.map((tr) => ({
    by: tr.getAttribute('data-by') ?? '',
    tls: tr.getAttribute('data-tls') ?? '',
    version: (tr.querySelector('.tls-version')?.textContent ?? '').trim(),
    cipher: (tr.querySelector('.tls-cipher')?.textContent ?? '').trim(),
    evidence: (tr.querySelector('.tls-evidence')?.textContent ?? '').trim(),
    delay: (tr.querySelector('.hop-delay')?.textContent ?? '').trim(),
    skew: tr.getAttribute('data-skew') ?? '',
    skewBadge: tr.querySelector('.badge-skew') !== null,
  })));
}

test('header analyzer: pasted headers show every hop oldest first with its TLS, the clock skew, protection and the values that are no hop', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await gotoAnalyzer(page, base);
  assert.equal(await page.locator('nav.nav a[data-nav="headers"]').getAttribute('aria-current'), 'page');
  await page.fill('textarea[name="headers"]', HEADERS);
  await page.click('form.header-form button[type="submit"]');

  assert.deepEqual(await headerHops(page), [
    { by: 'smtp.subspace.kernel.org', tls: 'plaintext', version: '', cipher: '', evidence: 'evidence: header-postfix-protocol', delay: '', skew: 'false', skewBadge: false },
    { by: 'mx.example.net', tls: 'encrypted', version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', evidence: 'evidence: header-postfix-using', delay: '3 s', skew: 'false', skewBadge: false },
    { by: 'EXCH01.corp.example.net', tls: 'encrypted', version: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', evidence: 'evidence: header-microsoft', delay: '4 s', skew: 'false', skewBadge: false },
    { by: 'EXCH02.corp.example.net', tls: 'encrypted', version: '—', cipher: '', evidence: 'evidence: header-microsoft', delay: '−10 s', skew: 'true', skewBadge: true },
  ]);
  // the plaintext hop says so in words, not only in colour
  assert.equal((await page.locator('tr.header-hop[data-tls="plaintext"] .badge-plaintext').textContent())?.trim(), 'PLAINTEXT');
  assert.match((await page.locator('.header-hops .callout-warn').textContent()) ?? '', /1 hop is dated before the hop before/);
  assert.equal((await page.locator('tr.header-hop').nth(2).locator('.hop-id').textContent())?.trim(), 'id 15.20.8901.19');

  assert.equal((await page.locator('.analysis-message-id').textContent())?.trim(), '<20240319024909.1C8A87F7D7@smtp.subspace.kernel.org>');
  const protection = page.locator('.analysis-head .protection');
  assert.equal(await protection.getAttribute('data-known'), 'true');
  assert.equal((await protection.textContent())?.trim(), 'no protection seen');
  assert.equal(await page.locator('.analysis-head .badge-protection').count(), 0);
  assert.match((await page.locator('.analysis-head .protection-evidence').textContent()) ?? '', /no signature, encryption or rights management/);

  // authentication results as claims, one row per method, newest header first
  const claims = await page.locator('tr.auth-claim').evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-method')}=${tr.getAttribute('data-result')}`));
  assert.deepEqual(claims, ['spf=pass', 'dkim=none', 'dmarc=pass', 'dmarc=pass']);
  assert.match((await page.locator('.auth-claims').textContent()) ?? '', /not re-verified/);

  // the qmail comment and the forged value are no hops; the markup in the latter stays text
  const rejected = page.locator('li.received-rejected');
  assert.equal(await rejected.count(), 2);
  assert.match((await rejected.nth(0).textContent()) ?? '', /<img src=x onerror="document\.title='pwned'">/);
  assert.match((await rejected.nth(1).textContent()) ?? '', /qmail 90138 invoked from network/);
  assert.match((await rejected.nth(1).locator('.received-error').textContent()) ?? '', /no "by" clause/);
  assert.equal(await page.locator('#app img').count(), 0);
  assert.notEqual(await page.title(), 'pwned');

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-headers.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('header analyzer: a shared link or a reload lands on the page itself', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  const res = await page.goto(`${base}/headers`);
  assert.equal(res?.status(), 200);
  await page.locator('textarea[name="headers"]').waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

test('header analyzer: an .eml opened through the file input is read in the browser and its S/MIME protection shown', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await gotoAnalyzer(page, base);
  await page.setInputFiles('input[type="file"][name="eml"]', { name: 'signed.eml', mimeType: 'message/rfc822', buffer: Buffer.from(SIGNED_EML) });
  // choosing a file analyzes it at once: no button press
  await page.locator('.analysis-message-id', { hasText: '<signed-1@example.org>' }).waitFor();
  // a textarea's value has LF line ends whatever the file had (HTML's value normalization)
  assert.equal(await page.inputValue('textarea[name="headers"]'), SIGNED_EML.replace(/\r\n/g, '\n'));
  assert.match((await page.locator('.file-note').textContent()) ?? '', /^signed\.eml \(/);
  const badges = page.locator('.analysis-head .badge-protection');
  assert.deepEqual(await badges.evaluateAll((b) => b.map((x) => x.getAttribute('data-mechanism'))), ['smime-signed']);
  assert.equal((await badges.first().textContent())?.trim(), 'smime-signed');
  // a signature alone hides nothing from the servers on the way
  assert.equal(await page.locator('.analysis-head .badge-e2e').count(), 0);
  assert.match((await page.locator('.analysis-head .protection-evidence').textContent()) ?? '', /multipart\/signed; protocol=application\/pkcs7-signature/);
  assert.deepEqual((await headerHops(page)).map((x) => [x.by, x.tls, x.version]), [['mail.example.org', 'encrypted', 'TLSv1.3']]);

  // a second file replaces the first analysis
  await page.setInputFiles('input[type="file"][name="eml"]', { name: 'sealed.eml', mimeType: 'message/rfc822', buffer: Buffer.from(SEALED_EML) });
  await page.locator('.analysis-message-id', { hasText: '<sealed-1@example.org>' }).waitFor();
  assert.deepEqual(await badges.evaluateAll((b) => b.map((x) => x.getAttribute('data-mechanism'))), ['smime-encrypted']);
  assert.equal((await page.locator('.analysis-head .badge-e2e').textContent())?.trim(), 'end-to-end');
  assert.equal(await page.locator('tr.header-hop').count(), 0);
  assert.match((await page.locator('.header-hops .state-empty').textContent()) ?? '', /No Received header/);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-headers-eml.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('header analyzer: a message past the API body limit is analyzed by its header block, and the page says so', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await gotoAnalyzer(page, base);
  // 2 MiB of base64 in the signed part: past the 1 MiB the API takes (query/api/security.ts)
  const big = SIGNED_EML.replace('MIAGCSqGSIb3DQEHAqCA', `${'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n'.repeat(28_000)}MIAGCSqGSIb3DQEHAqCA`);
  assert.ok(big.length > 2 * 1024 * 1024);
  await page.setInputFiles('input[type="file"][name="eml"]', { name: 'big.eml', mimeType: 'message/rfc822', buffer: Buffer.from(big) });
  await page.locator('.analysis-message-id', { hasText: '<signed-1@example.org>' }).waitFor();
  assert.match((await page.locator('.header-result > .callout-warn').textContent()) ?? '', /only its header block was analyzed/);
  // the top-level Content-Type still says multipart/signed
  assert.deepEqual(await page.locator('.analysis-head .badge-protection').evaluateAll((b) => b.map((x) => x.getAttribute('data-mechanism'))), ['smime-signed']);
  assert.equal(await page.locator('tr.header-hop').count(), 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('header analyzer: with a token-protected API, the analysis asks for the token again when it is refused, then answers', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await signIn(page, tokenBase, TOKEN);
  await page.click('nav.nav a[data-nav="headers"]');
  await page.waitForURL(`${tokenBase}/headers`);

  // the token changed on the server since it was entered: the POST is refused, asked for, retried
  await page.evaluate(() => sessionStorage.setItem('mailtrace.token', 'rotated-away'));
  await page.fill('textarea[name="headers"]', HEADERS);
  await page.click('form.header-form button[type="submit"]');
  await page.locator('form.token-form .form-error').waitFor();
  await page.fill('form.token-form input[name="token"]', TOKEN);
  await page.click('form.token-form button[type="submit"]');
  assert.equal((await headerHops(page)).length, 4);
  assert.equal(await page.locator('form.token-form').count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('mailtrace.token')), TOKEN);
  assert.deepEqual(problems, []);
  await page.close();
});

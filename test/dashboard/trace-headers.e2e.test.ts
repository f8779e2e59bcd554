import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { requireComponent } from '../helpers/component.ts';
import { plantTlsClaim } from '../harness/received.ts';
import { FIXTURES } from '../helpers/store.ts';
import { ARTIFACTS, type World, chromiumAvailable, openPage, startWorld } from './browser.ts';

/**
 * The trace page when a delivered copy's Received headers were ingested beside the logs: the
 * three logs of one real Postfix run (test/fixtures/postfix/real-3hop) and alice's delivered copy
 * with two plants — the mailbox's header claims TLS on the hub → mailbox hop that its log shows
 * plaintext (a conflict), and a first header by the sender's own server outside our logs (a hop
 * only the header shows). Bob's copy is not ingested: his hops stay `log`.
 */
const REAL = join(FIXTURES, 'postfix', 'real-3hop');
const MESSAGE_ID = '<two-recipients.mx17gj3j.8320@client.mt.test>';

let world: World | undefined;
let browser: Browser | undefined;
let base = '';
let inputs = '';

function plantedAlice(): string {
  const alice = readFileSync(join(REAL, 'delivered', 'alice@example.test.1.eml'), 'utf8');
  const claimsTls = plantTlsClaim(alice);
  // the oldest header stands last, just above the message's own fields
  const outside = claimsTls.replace(/^Date: /m,
    'Received: from laptop.partner.example (laptop.partner.example [192.0.2.44])\n\tby client.mt.test (Postfix) with ESMTPSA id 3C0FFEE1234;\n\tSun, 29 Nov 2026 02:13:41 +0000 (UTC)\nDate: ');
  assert.ok(claimsTls !== alice && outside !== claimsTls, 'both plants took');
  return outside;
}

before(async () => {
  if (!chromiumAvailable.ok) return;
  inputs = mkdtempSync(join(tmpdir(), 'mailtrace-trace-headers-'));
  writeFileSync(join(inputs, 'alice.eml'), plantedAlice());
  for (const host of ['edge', 'hub', 'mailbox']) copyFileSync(join(REAL, `${host}.log`), join(inputs, `${host}.log`));
  world = await startWorld({ prefix: 'mailtrace-trace-headers-', inputs: [inputs] });
  ({ browser, base } = world);
});

after(async () => {
  await world?.close();
  if (inputs) rmSync(inputs, { recursive: true, force: true });
});

test('trace page: hops seen in the logs, in a header too, or only in a header are told apart; a disagreement is flagged', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  const { page, problems } = await openPage(browser);
  await page.goto(`${base}/message/${encodeURIComponent(MESSAGE_ID)}`);
  const rows = page.locator('section.recipient[data-address="alice@example.test"] tr.hop-row');
  await rows.first().waitFor();
  const seen = await rows.evaluateAll((trs) => trs.map((tr) => ({
    path: `${tr.getAttribute('data-from')} → ${tr.getAttribute('data-to')}`,
    tls: tr.getAttribute('data-tls'),
    provenance: (tr.querySelector('.provenance')?.textContent ?? '').trim(),
    protocol: (tr.querySelector('.hop-protocol')?.textContent ?? '').trim(),
    conflict: tr.classList.contains('hop-conflict'),
  })));
  assert.deepEqual(seen.map((x) => [x.path, x.provenance]), [
    ['laptop.partner.example → client.mt.test', 'header only'],
    ['localhost → edge', 'log + header'],
    ['edge → hub', 'log + header'],
    ['hub → mailbox', 'log + header'],
  ]);
  assert.deepEqual(seen.map((x) => x.protocol), ['with ESMTPSA', 'with ESMTPS', 'with ESMTPS', 'with ESMTPS']);
  // the log's verdict stands on the hub → mailbox hop, and the header's claim is shown beside it
  assert.deepEqual(seen.map((x) => [x.tls, x.conflict]), [['encrypted', false], ['encrypted', false], ['encrypted', false], ['plaintext', true]]);
  const clash = page.locator('section.recipient[data-address="alice@example.test"] tr.hop-conflict .hop-conflict-text');
  assert.match((await clash.textContent()) ?? '', /^header and log disagree: .*claims TLS/);
  assert.match((await page.locator('tr.hop-row[data-provenance="header"] .link').textContent()) ?? '', /Received header only/);

  // bob's copy was not read: his path is the logs' alone
  const bob = page.locator('section.recipient[data-address="bob@example.test"] tr.hop-row');
  assert.deepEqual(await bob.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-provenance'))), ['log', 'log', 'log']);
  assert.equal(await page.locator('section.recipient[data-address="bob@example.test"] .hop-protocol').count(), 0);

  // alice's copy was read and shows no protection: "none seen", not "unknown"
  const protection = page.locator('.trace-head .protection');
  assert.equal(await protection.getAttribute('data-known'), 'true');
  assert.equal((await protection.textContent())?.trim(), 'no protection seen');
  assert.match((await page.locator('.trace-head .protection-evidence').textContent()) ?? '', /no signature, encryption or rights management/);

  await page.locator('.chart-path canvas').first().waitFor();
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-trace-headers.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

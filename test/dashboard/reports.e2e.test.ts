import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runReport } from '../../query/index.ts';
import { requireComponent } from '../helpers/component.ts';
import { ARTIFACTS, chromiumAvailable, openPage, signIn, startWorld, type World } from './browser.ts';

/**
 * The Reports page: a report written into the reports folder is listed, and its files download
 * through the page — also from a token-protected server, where a plain link could not send the token.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const TOKEN = 'e2e-reports-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'mailtrace-reports-page-'));
let world: World | undefined;
let id = '';

before(async () => {
  if (!chromiumAvailable.ok) return;
  world = await startWorld({ prefix: 'mailtrace-reports-', inputs: [join(ROOT, 'bench', 'sample', 'maillog')], token: TOKEN, reportsDir: dir });
  id = (await runReport(world.store, { kind: 'tls-compliance', from: '2026-11-27T00:00:00Z', to: '2026-11-28T00:00:00Z', dir, name: 'weekly' })).id;
});
after(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('reports page: the written report is listed and its files download, with the token when the server wants one', { timeout: 60_000 }, async (t) => {
  if (!requireComponent(t, chromiumAvailable)) return;
  assert.ok(world);
  for (const [base, token] of [[world.base, undefined], [world.tokenBase, TOKEN]] as const) {
    const { page, problems } = await openPage(world.browser);
    if (token) {
      await signIn(page, base, token);
      await page.click('nav.nav a[data-nav="reports"]');
    } else {
      await page.goto(`${base}/reports`);
    }
    const row = page.locator(`tr.report-row[data-id="${id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-kind'), 'tls-compliance');
    const files = await row.locator('button.report-file').evaluateAll((b) => b.map((x) => x.getAttribute('data-file')));
    assert.ok(files.includes('report.html') && files.includes('report.json'), files.join(', '));
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('button.report-file[data-file="report.json"]').click()]);
    const saved = await download.path();
    const json = JSON.parse(readFileSync(saved, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(json, JSON.parse(readFileSync(join(dir, id, 'report.json'), 'utf8')));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-reports${token ? '-token' : ''}.png`), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  }
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * What the dashboard's browser tests share: Debian's chromium driven by playwright-core (no
 * browser download), an app listening on a free loopback port, and pages that record every
 * script error. A test that finds no chromium goes through requireComponent (fails in CI).
 */
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots are kept here as test artifacts (the repository ignores .tmp/). */
export const ARTIFACTS = join(fileURLToPath(new URL('../../', import.meta.url)), '.tmp');

export const chromiumAvailable = existsSync(CHROMIUM)
  ? { ok: true } as const
  : { ok: false, why: `${CHROMIUM} not found (apt-get install -y chromium)` } as const;

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh page that records script errors and console errors (CSP violations among them). */
export async function openPage(browser: Browser | undefined): Promise<{ page: Page; problems: string[] }> {
  assert.ok(browser);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // a 401, 404 or 413 answer is logged by the browser too; some tests expect one
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  return { page, problems };
}

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { buildDashboard } from '../../dashboard/build.ts';
import { runIngest } from '../../ingest/index.ts';
import { buildApp, type AppOptions } from '../../query/index.ts';
import { Store } from '../../store/index.ts';

/**
 * What the dashboard's browser tests share: Debian's chromium driven by playwright-core (no
 * browser download), an app listening on a free loopback port, and pages that record every
 * script error. A test that finds no chromium goes through requireComponent (fails in CI).
 */
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots are kept here as test artifacts (the repository ignores .tmp/). */
export const ARTIFACTS = join(fileURLToPath(new URL('../../', import.meta.url)), '.tmp');

/** The bundled sample (bench/sample): a Postfix log, an Exchange organisation, delivered copies. */
export const SAMPLE_INPUTS = ['maillog', 'exchange', 'maildir'].map((x) => fileURLToPath(new URL(`../../bench/sample/${x}`, import.meta.url)));

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

/** The view pages' paths (dashboard/src/router.ts VIEW_PAGES). */
export const VIEW_PATHS = ['/overview', '/topology', '/security', '/hops', '/delivery', '/protection', '/ingestion'];

/**
 * A view page loaded by its URL (a reload, a shared link) needs the server to answer its path
 * with index.html (query/api/static.ts). Where the server answers 404 for one, the page gets
 * what `/` answers instead — index.html with the same headers — so that the dashboard itself is
 * tested; once the server serves the path this passes its answer through untouched.
 */
async function serveViewPaths(page: Page): Promise<void> {
  await page.route((url) => VIEW_PATHS.includes(url.pathname), async (route) => {
    const response = await route.fetch();
    if (response.status() !== 404 || route.request().resourceType() !== 'document') return route.fulfill({ response });
    return route.fulfill({ response: await route.fetch({ url: new URL('/', route.request().url()).href }) });
  });
}

/** A fresh page that records script errors and console errors (CSP violations among them). */
export async function openPage(browser: Browser | undefined, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  assert.ok(browser);
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(15_000);
  await serveViewPaths(page);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // a 401, 404 or 413 answer is logged by the browser too; some tests expect one
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  return { page, problems };
}

/**
 * What a browser test file starts in `before` and ends in `after`: a freshly built dashboard, one
 * embedded store (one data directory per process) with `inputs` ingested, an app on a loopback
 * port — and a second one requiring `token` when one is given — and chromium. `policy` is what
 * `serve` gives the app from the config file's policy section (none: no rules).
 */
export interface World { base: string; tokenBase: string; browser: Browser; store: Store; /** scratch folder, removed by close() */ dir: string; close(): Promise<void> }

export async function startWorld(opts: { prefix: string; inputs?: string[]; token?: string; analyzeHeaders?: AppOptions['analyzeHeaders']; reportsDir?: string; policy?: AppOptions['policy'] }): Promise<World> {
  const tmp = mkdtempSync(join(tmpdir(), opts.prefix));
  const dashboardDir = join(tmp, 'dist');
  await buildDashboard({ outDir: dashboardDir });
  const store = await Store.open({ kind: 'embedded', dataDir: join(tmp, 'data') });
  if (opts.inputs) await runIngest({ inputs: opts.inputs, store });
  const shared = { store, dashboardDir, analyzeHeaders: opts.analyzeHeaders, reportsDir: opts.reportsDir, policy: opts.policy };
  const app = await buildApp(shared);
  const tokenApp = opts.token ? await buildApp({ ...shared, token: opts.token }) : undefined;
  const base = await listen(app);
  const tokenBase = tokenApp ? await listen(tokenApp) : '';
  const browser = await launchChromium();
  return {
    base, tokenBase, browser, store, dir: tmp,
    async close() {
      await browser.close();
      await app.close();
      await tokenApp?.close();
      await store.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Open the dashboard of a token-protected app and give it the token, as a user does at the prompt. */
export async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.locator('form.token-form').waitFor();
  await page.fill('form.token-form input[name="token"]', token);
  await page.click('form.token-form button[type="submit"]');
  await page.locator('[data-stat="messages"] .stat-value').waitFor();
}

/** How many pixels of a chart's canvas are painted: a drawn chart has many. */
export async function paintedPixels(canvas: Locator): Promise<number> {
  await canvas.waitFor();
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
    return n;
  });
}

/** GET an API path of the app (no token) and parse it with its contract. */
export async function apiGet<T>(base: string, path: string, schema: { parse(v: unknown): T }): Promise<T> {
  const res = await fetch(`${base}${path}`);
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return schema.parse(await res.json());
}

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { readSettings } from '../../cli/config.ts';
import { buildApp, buildOpsApp } from '../../query/index.ts';
import { METRIC } from '../../ingest/index.ts';
import { EnvConfig, ERROR_CODES, MailtraceError } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';

/**
 * The README is the user's catalogue: every route, environment variable and error code the
 * product has is in it, and nothing it names is missing from the product.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** the rows of the README table that follows a `## heading` (first column, backticks removed) */
function tableAfter(heading: string): string[] {
  const start = README.indexOf(`## ${heading}`);
  assert.ok(start >= 0, `README has a ## ${heading} section`);
  const next = README.indexOf('\n## ', start + 3);
  const section = README.slice(start, next < 0 ? undefined : next);
  return section.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split('|')[1].trim().replace(/`/g, ''));
}

function productFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (n === 'node_modules' || n === 'dist') return [];
    return statSync(p).isDirectory() ? productFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every error code is in the README with its HTTP status, and the product uses no code outside the catalogue', () => {
  const documented = tableAfter('API').filter((c) => c.startsWith('MT_ERR_'));
  assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
  const used = new Set<string>();
  for (const dir of ['schemas', 'store', 'stitch', 'ingest', 'query', 'dashboard', 'cli']) {
    for (const f of productFiles(join(ROOT, dir))) for (const m of readFileSync(f, 'utf8').matchAll(/MT_ERR_[A-Z_]+/g)) used.add(m[0]);
  }
  for (const m of README.matchAll(/MT_ERR_[A-Z_]+/g)) used.add(m[0]);
  assert.deepEqual([...used].filter((c) => !(c in ERROR_CODES)), []);
});

test('every environment variable is in the README configuration table, and the table names no other', () => {
  assert.deepEqual(tableAfter('Configuration').sort(), Object.keys(EnvConfig.shape).sort());
});

test('every route of the server is in the README route table, and the table names no route the server lacks', async () => {
  const routes: string[] = [];
  const app = await buildApp({
    store: {} as Store, metrics: () => '', ingest: { spoolDir: '/nonexistent', run: async () => ({}) }, analyzeHeaders: async () => ({ messageId: '', protection: { mechanisms: [], endToEnd: false, evidence: '', known: true }, hops: [], rejected: [], authentication: [] }), dashboardDir: join(ROOT, 'dashboard', 'dist'),
    onRoute: (r) => { if (r.method !== 'HEAD' && (r.url.startsWith('/api/') || r.url.startsWith('/docs') || r.url === '/health' || r.url === '/metrics')) routes.push(`${r.method} ${r.url}`); },
  });
  await app.ready();
  await app.close();
  const documented = tableAfter('API').filter((r) => /^(GET|POST|PUT|DELETE) \//.test(r)).map((r) => r.split('?')[0]);
  assert.deepEqual([...documented].sort(), [...routes].sort());
  // the sink's operations endpoints are among them
  const ops: string[] = [];
  const sinkApp = await buildOpsApp({ ready: async () => {}, metrics: () => '', onRoute: (r) => { if (r.method !== 'HEAD') ops.push(`${r.method} ${r.url}`); } });
  await sinkApp.ready();
  await sinkApp.close();
  for (const r of ops) assert.ok(routes.includes(r), `${r} of the sink is a documented route`);
});

test('every metric is in the README metrics table, and the table names no other', () => {
  assert.deepEqual(tableAfter('The stream (Kafka)').filter((r) => r.startsWith('mailtrace_')).sort(), Object.values(METRIC).map(([name]) => name).sort());
});

test('configuration is read once and a bad value names its variable and what it allows', () => {
  const bad = (env: Record<string, string>, re: RegExp) => assert.throws(() => readSettings(env), (e: unknown) => e instanceof MailtraceError && e.code === 'MT_ERR_BAD_CONFIG' && re.test(e.message));
  bad({ MAILTRACE_TZ_OFFSET: 'abc' }, /MAILTRACE_TZ_OFFSET="abc": must be whole minutes/);
  bad({ MAILTRACE_TZ_OFFSET: '1.5' }, /MAILTRACE_TZ_OFFSET="1\.5": must be whole minutes/);
  bad({ MAILTRACE_TZ_OFFSET: '900' }, /between -840 and 840/);
  bad({ MAILTRACE_LOG_LEVEL: 'loud' }, /MAILTRACE_LOG_LEVEL="loud": must be one of fatal, error, warn/);
  bad({ MAILTRACE_TOKEN: 'short' }, /MAILTRACE_TOKEN="short": must be at least 16 characters/);
  bad({ MAILTRACE_CLICKHOUSE_URL: 'not a url' }, /MAILTRACE_CLICKHOUSE_URL/);
  bad({ MAILTRACE_EXCHANGE_ROLES: 'EDGE1=router' }, /MAILTRACE_EXCHANGE_ROLES="EDGE1=router": "EDGE1=router" is not SERVER=edge\|hub\|mailbox\|frontend/);
  const ok = readSettings({ MAILTRACE_TZ_OFFSET: '-300', MAILTRACE_LOG_LEVEL: 'INFO', MAILTRACE_EXCHANGE_ROLES: 'EDGE1.corp.example=edge, MBX1=mailbox', MAILTRACE_TOKEN: '' });
  assert.equal(ok.tzOffsetMin, -300);
  assert.equal(ok.logLevel, 'info');
  assert.deepEqual([...ok.exchangeRoles], [['edge1', 'edge'], ['mbx1', 'mailbox']]);
  assert.equal(ok.token, undefined, 'an empty variable is unset');
  assert.ok(Object.isFrozen(ok));
  const none = readSettings({});
  assert.equal(none.tzOffsetMin, 0);
  assert.equal(none.logLevel, 'warn');
});

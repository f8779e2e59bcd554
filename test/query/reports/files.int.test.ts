import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { deliveryView, listHops, overviewView, protectionView, securityView, summarize } from '../../../query/index.ts';
import { listReports, reportFile, runReport, timeReport } from '../../../query/reports/index.ts';
import { MESSAGES_TABLE, ReportList, type ReportKind } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { tempStore } from '../../helpers/store.ts';
import { readCsv } from '../../helpers/csv.ts';

/**
 * Reports from a real embedded store holding the bundled sample (bench/sample: a three-host
 * Postfix log of 400 messages and 40 delivered copies): what the report says is what the views
 * say, written whole, listed, and served only by what the listing holds.
 */
const ROOT = new URL('../../..', import.meta.url).pathname;
let store: Store;
let cleanup: () => Promise<void>;
let dir: string;
let period: { from: string; to: string };

before(async () => {
  const t = await tempStore();
  store = t.store;
  cleanup = t.cleanup;
  dir = mkdtempSync(join(tmpdir(), 'mailtrace-reports-'));
  await runIngest({ inputs: [join(ROOT, 'bench', 'sample', 'maillog'), join(ROOT, 'bench', 'sample', 'maildir')], store });
  // the sample's year comes from the file's modification time: the period is found, not assumed
  const [span] = await store.query<{ lo: string }>(`SELECT toString(toStartOfDay(min(firstSeen))) AS lo FROM ${store.table(MESSAGES_TABLE)} FINAL`);
  const from = new Date(`${span.lo.replace(' ', 'T')}Z`);
  period = { from: from.toISOString(), to: new Date(from.getTime() + 7 * 86_400_000).toISOString() };
});

after(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});


const csvOf = (path: string, name: string) => readCsv(readFileSync(join(path, name), 'utf8'));
const jsonOf = (path: string) => JSON.parse(readFileSync(join(path, 'report.json'), 'utf8')) as { kind: string; period: typeof period; data: unknown };

test('volume summary: the overview of the period, and its totals agree with the store-wide summary', async () => {
  const w = await runReport(store, { kind: 'volume-summary', ...period, dir });
  const view = await overviewView(store, period);
  assert.deepEqual(jsonOf(w.path).data, view);
  const summary = await summarize(store);
  assert.ok(summary.messages >= 400, 'the 400 logged messages, and copies read beside them');
  const totals = Object.fromEntries(w.report.totals);
  assert.equal(totals.messages, summary.messages, 'every message of the sample lies in the week');
  assert.equal(totals.delivered, summary.recipientsByStatus.delivered);
  assert.equal(totals.bounced, summary.recipientsByStatus.bounced);
  assert.equal(totals['hand-offs'], summary.hopsByTls.encrypted + summary.hopsByTls.plaintext + summary.hopsByTls.unknown - (await headerOnlyHops()));
  assert.ok(w.report.html.includes(`<dt>messages</dt><dd>${summary.messages}</dd>`));
  assert.deepEqual(csvOf(w.path, 'outcome.csv').slice(1), Object.entries(view.outcome).map(([s, n]) => [s, String(n)]));
  assert.deepEqual(csvOf(w.path, 'volume.csv').slice(1), view.volume.map((b) => [b.t, String(b.messages), String(b.recipients)]));
  assert.deepEqual(readdirSync(w.path).sort(), ['outcome.csv', 'outcome.svg', 'report.html', 'report.json', 'tls-share.svg', 'tls.csv', 'volume.csv', 'volume.svg']);
});

/** the views leave out hops only a Received header claims; the summary counts them */
async function headerOnlyHops(): Promise<number> {
  const [r] = await store.query<{ n: string }>(`SELECT countIf(firstOfHop = 1 AND provenance = 'header') AS n FROM ${store.table('hops')} FINAL`);
  return Number(r.n);
}

test('TLS compliance: the security view per route and domain, plaintext routes, plaintext hand-offs', async () => {
  const w = await runReport(store, { kind: 'tls-compliance', ...period, dir, name: 'weekly' });
  const security = await securityView(store, period);
  const overview = await overviewView(store, period);
  const plaintextHops = await listHops(store, { ...period, filter: 'plaintext', limit: 500, offset: 0 });
  // no policy given: the report says so (test/query/reports/policy.int.test.ts covers one)
  assert.deepEqual(jsonOf(w.path).data, { security, overview, plaintextHops, policy: { rules: [], findings: [] } });
  assert.ok(security.totals.plaintext > 0, 'the sample has plaintext hand-offs');
  const totals = Object.fromEntries(w.report.totals);
  assert.equal(totals['hand-offs'], security.totals.handoffs);
  assert.equal(totals.plaintext, security.totals.plaintext);
  assert.equal(totals['weak TLS'], security.totals.weakTls);
  assert.equal(totals['unverified certificate'], security.totals.unverified);
  const routes = csvOf(w.path, 'routes.csv');
  assert.equal(routes.length - 1, security.byPair.length);
  assert.equal(routes.slice(1).reduce((a, r) => a + Number(r[3]), 0), security.totals.plaintext, 'the plaintext column adds up to the total');
  const plain = csvOf(w.path, 'plaintext-routes.csv').slice(1);
  assert.deepEqual(plain.map((r) => `${r[0]} → ${r[1]}`), security.byPair.filter((r) => r.plaintext > 0).map((r) => r.key));
  assert.equal(csvOf(w.path, 'plaintext-handoffs.csv').length - 1, Math.min(500, plaintextHops.total));
  assert.equal(csvOf(w.path, 'domains.csv').length - 1, security.byDomain.length);
  for (const r of security.byPair.filter((p) => p.plaintext > 0)) assert.ok(w.report.html.includes(`<td>${r.from}</td><td>${r.to}</td><td class="n">${r.plaintext}</td>`), r.key);
});

test('delivery failures and protection coverage: the delivery and protection views', async () => {
  const d = await runReport(store, { kind: 'delivery-failures', ...period, dir });
  const delivery = await deliveryView(store, period);
  assert.deepEqual(jsonOf(d.path).data, { delivery, overview: await overviewView(store, period) });
  assert.ok(delivery.reasons.length > 0);
  assert.deepEqual(csvOf(d.path, 'reasons.csv').slice(1).map((r) => Number(r[3])), delivery.reasons.map((r) => r.recipients));
  assert.deepEqual(csvOf(d.path, 'latency.csv').slice(1).map((r) => [r[0], r[1], Number(r[4])]), delivery.latency.map((l) => [l.from, l.to, l.p95]));

  const p = await runReport(store, { kind: 'protection-coverage', ...period, dir });
  const protection = await protectionView(store, period);
  assert.deepEqual(jsonOf(p.path).data, protection);
  const totals = Object.fromEntries(p.report.totals);
  assert.equal(totals.messages, protection.bySenderDomain.reduce((a, r) => a + r.messages, 0));
  assert.ok(Number(totals['copy read']) > 0, 'the delivered copies of the sample were read');
  assert.equal(csvOf(p.path, 'recipient-domains.csv').length - 1, protection.byRecipientDomain.length);
});

test('listing: every report once, by id, newest first; a re-run replaces its report whole; temp and foreign entries are left out', async () => {
  const again = await runReport(store, { kind: 'volume-summary', ...period, dir });
  mkdirSync(join(dir, '.tmp-half-written'));
  mkdirSync(join(dir, 'not-a-report'));
  writeFileSync(join(dir, 'stray.txt'), 'x');
  const impossible = join(dir, 'report-volume-summary-20261399T000000Z_20261400T000000Z');
  mkdirSync(impossible);
  writeFileSync(join(impossible, 'report.json'), '{}');
  const list = ReportList.parse({ reports: await listReports(dir) }).reports;
  assert.deepEqual(list.map((r) => r.id).sort(), [
    `report-delivery-failures-${stampOf(period)}`, `report-protection-coverage-${stampOf(period)}`, `report-volume-summary-${stampOf(period)}`, `weekly-tls-compliance-${stampOf(period)}`,
  ]);
  const v = list.find((r) => r.id === again.id);
  assert.ok(v);
  assert.deepEqual({ name: v.name, kind: v.kind, from: v.from, to: v.to }, { name: 'report', kind: 'volume-summary' as ReportKind, from: period.from, to: period.to });
  assert.deepEqual(v.files.map((f) => f.name), readdirSync(again.path).sort());
  assert.equal(list[0].id, again.id, 'the newest first');
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.old-') || (n.startsWith('.tmp-') && n !== '.tmp-half-written')), [], 'nothing left over from writing');
  assert.deepEqual(await listReports(join(dir, 'does-not-exist')), []);
});

const stampOf = (p: { from: string; to: string }) => `${p.from.slice(0, 19).replace(/[-:]/g, '')}Z_${p.to.slice(0, 19).replace(/[-:]/g, '')}Z`;

test('reportFile serves only what the listing holds: ../, absolute paths, encodings and links are refused', async () => {
  const id = `report-volume-summary-${stampOf(period)}`;
  const ok = await reportFile(dir, id, 'volume.csv');
  assert.equal(ok.path, join(dir, id, 'volume.csv'));
  assert.equal(ok.contentType, 'text/csv; charset=utf-8');
  assert.equal((await reportFile(dir, id, 'report.html')).contentType, 'text/html; charset=utf-8');
  // a secret beside the reports directory, and links planted inside it
  const secret = join(dir, '..', `secret-${process.pid}.txt`);
  writeFileSync(secret, 'secret');
  symlinkSync(secret, join(dir, id, 'leak.csv'));
  symlinkSync(join(dir, id), join(dir, `evil-volume-summary-${stampOf(period)}`));
  try {
    const attempts: [string, string][] = [
      [id, '../report.json'], [id, '../../secret.txt'], [id, `../${id}/report.json`], [id, '..%2Freport.json'], [id, '/etc/passwd'], [id, 'report.html/..'],
      [id, '.'], [id, ''], [id, 'missing.csv'], [id, 'leak.csv'], [id, 'REPORT.HTML'],
      ['..', 'report.html'], [`../${id}`, 'report.html'], [`${id}/..`, 'report.html'], [`${id}/../${id}`, 'report.html'], [`..%2F${id}`, 'report.html'],
      [join(dir, id), 'report.html'], ['', 'report.html'], [`evil-volume-summary-${stampOf(period)}`, 'report.html'], [`${id}\0`, 'report.html'],
    ];
    for (const [badId, file] of attempts) {
      await assert.rejects(reportFile(dir, badId, file), (err: Error & { code?: string }) => err.code === 'MT_ERR_NOT_FOUND' && err.message === 'no such report file', `${badId} / ${file}`);
    }
    assert.ok(!(await listReports(dir)).some((r) => r.id.startsWith('evil-')), 'a linked directory is not a report');
  } finally {
    rmSync(secret, { force: true });
    rmSync(join(dir, id, 'leak.csv'), { force: true });
    rmSync(join(dir, `evil-volume-summary-${stampOf(period)}`), { force: true });
  }
});

test('bad periods and names are refused before anything is written; timeReport times a week', async () => {
  const bad = mkdtempSync(join(tmpdir(), 'mailtrace-reports-bad-'));
  try {
    await assert.rejects(runReport(store, { kind: 'volume-summary', from: period.to, to: period.from, dir: bad }), /must end after it starts/);
    await assert.rejects(runReport(store, { kind: 'volume-summary', from: 'last week', to: period.to, dir: bad }), /ISO 8601/);
    await assert.rejects(runReport(store, { kind: 'volume-summary', ...period, dir: bad, name: '../up' }), /letters, digits/);
    await assert.rejects(runReport(store, { kind: 'everything' as ReportKind, ...period, dir: bad }), (e: Error & { code?: string }) => e.code === 'MT_ERR_BAD_INPUT' && /unknown kind of report "everything"/.test(e.message));
    assert.deepEqual(readdirSync(bad), []);
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
  const ms = await timeReport(store, 'tls-compliance', period.from, period.to);
  assert.ok(ms > 0 && existsSync(dir));
});

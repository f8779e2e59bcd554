import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { runIngest } from '../../../ingest/index.ts';
import { evaluatePolicy } from '../../../query/policy/index.ts';
import { groupsSql, samplesSql } from '../../../query/policy/sql.ts';
import { HOPS_TABLE, TlsPolicy, type PolicyFinding } from '../../../schemas/index.ts';
import type { QueryParams, Store } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/**
 * Policy evaluation on real data, one store (chDB: one data directory per process):
 *  - the real Postfix run (test/fixtures/postfix/real-3hop, 2026-11-29): hub → mailbox is plaintext
 *    by design, TLS elsewhere; plus a copy of alice's delivered mail with a planted Received header
 *    claiming a plaintext hop hub.mt.test → edge.mt.test that no log saw (a header-only hop);
 *  - a generated three-host log (bench/generate/postfix.ts, seed 7, 2026-03-01): plaintext and
 *    TLS 1.0 clients, a share of plaintext hub → mailbox hand-offs, outbound hand-offs whose TLS
 *    the logs do not record (unknown), untrusted and trusted peers.
 * Every expectation is checked against a direct count of the stored hops.
 */
const REAL = join(FIXTURES, 'postfix', 'real-3hop');
const NOV29 = { from: '2026-11-29T00:00:00Z', to: '2026-11-30T00:00:00Z' };
const MAR1 = { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' };
const OURS = ['edge', 'hub', 'mailbox'];
let store: Store;
let cleanup: () => Promise<void>;

before(async () => {
  const t = await tempStore();
  store = t.store;
  cleanup = t.cleanup;
  const dir = join(t.dir, 'real');
  mkdirSync(dir);
  for (const h of OURS) copyFileSync(join(REAL, `${h}.log`), join(dir, `${h}.log`));
  const alice = readFileSync(join(REAL, 'delivered', 'alice@example.test.1.eml'), 'utf8');
  writeFileSync(join(dir, 'alice.eml'), alice.replace(/(Received: from edge\.mt\.test)/,
    'Received: from hub.mt.test (localhost [127.0.0.1])\n\tby edge.mt.test (Postfix) with ESMTP id 9F00000PLANT;\n\tSun, 29 Nov 2026 02:13:42 +0000 (UTC)\n$1'));
  const generated = join(t.dir, 'generated.log');
  await writePostfixLog(generated, { messages: 1500, seed: 7, timestampStyle: 'iso' });
  await runIngest({ inputs: [dir, generated], store });
}, { timeout: 120_000 });

after(() => cleanup());

const evaluate = (rules: unknown[], range: { from: string; to: string }) => evaluatePolicy(store, TlsPolicy.parse({ rules }), range);
const only = (fs: PolicyFinding[], verdict: PolicyFinding['verdict']) => fs.filter((f) => f.verdict === verdict);
const routes = (fs: PolicyFinding[]) => Object.fromEntries(fs.map((f) => [`${f.from}>${f.to}${f.domain ? `:${f.domain}` : ''}`, f.handoffs]));

/** hand-offs among stored hops: `cond` over the hops table, our logs' hops only */
async function direct(cond: string, params: QueryParams, range: { from: string; to: string }, distinct = false): Promise<number> {
  const n = distinct ? 'uniqExact(messageKey, `from`, `to`, fromQueueId, toQueueId, rule)' : 'countIf(firstOfHop = 1)';
  const [row] = await store.query<{ n: string }>(`SELECT ${n} AS n FROM ${store.table(HOPS_TABLE)} FINAL
    WHERE provenance != 'header' AND start >= parseDateTime64BestEffort({rf:String}, 3) AND start < parseDateTime64BestEffort({rt:String}, 3) AND ${cond}`, { ...params, rf: range.from, rt: range.to });
  return Number(row?.n ?? 0);
}

test('no-plaintext between our servers finds exactly the plaintext hub → mailbox hand-offs of the real run', async () => {
  const fs = await evaluate([{ name: 'internal-plaintext', kind: 'no-plaintext', internal: true }], NOV29);
  const plain = await direct("tls = 'plaintext' AND `from` IN {ours:Array(String)} AND `to` IN {ours:Array(String)}", { ours: OURS }, NOV29);
  // two-recipients (alice, bob: one hand-off), mixed (carol), and the hub's two bounce notifications
  assert.equal(plain, 4);
  assert.deepEqual(routes(only(fs, 'violation')), { 'hub>mailbox': plain });
  assert.deepEqual(only(fs, 'unknown'), [], 'every hop between our servers has TLS evidence in this run');
  const [f] = fs;
  assert.equal(f.key, 'internal-plaintext:hub>mailbox');
  assert.equal(f.firstSeen, '2026-11-29T02:13:42.000Z');
  assert.equal(f.samples.length, 4, 'one sample per hand-off');
  assert.ok(f.samples.every((s) => s.tls === 'plaintext' && s.tlsEvidence === 'smtpd-counters' && s.tlsTrust === 'none'), JSON.stringify(f.samples));
  const ids = f.samples.map((s) => s.messageId);
  assert.ok(ids.some((id) => id.startsWith('<two-recipients.')) && ids.some((id) => id.startsWith('<mixed.')), ids.join(' '));
  assert.equal(ids.filter((id) => id.endsWith('@hub.mt.test>')).length, 2, 'the bounce notifications');
});

test('min-tls-version: plaintext and TLS 1.0 hand-offs into the edge from outside, counted as stored', async () => {
  const rules = [
    { name: 'internal-tls12', kind: 'min-tls-version', internal: true, minVersion: 'TLSv1.2' },
    { name: 'inbound-tls12', kind: 'min-tls-version', to: ['edge'], internal: false, minVersion: 'TLSv1.2' },
  ];
  const real = await evaluate(rules, NOV29);
  assert.deepEqual(only(real, 'violation').map((f) => f.key), ['internal-tls12:hub>mailbox', 'inbound-tls12:localhost>edge'], 'TLS 1.3 edge → hub passes');
  const fs = await evaluate(rules, MAR1);
  const internal = fs.filter((f) => f.rule === 'internal-tls12');
  const internalPlain = await direct("tls = 'plaintext' AND `from` IN {ours:Array(String)} AND `to` IN {ours:Array(String)}", { ours: OURS }, MAR1);
  assert.ok(internalPlain > 50, `the generator makes plaintext hub → mailbox hand-offs (${internalPlain})`);
  assert.deepEqual(routes(internal), { 'hub>mailbox': internalPlain });
  const inbound = only(fs, 'violation').filter((f) => f.rule === 'inbound-tls12');
  const weakIn = await direct("`to` = 'edge' AND `from` NOT IN {ours:Array(String)} AND (tls = 'plaintext' OR (tls = 'encrypted' AND tlsVersion IN ('TLSv1', 'TLSv1.0', 'TLSv1.1')))", { ours: OURS }, MAR1);
  const tls10 = await direct("`to` = 'edge' AND tls = 'encrypted' AND tlsVersion = 'TLSv1'", {}, MAR1);
  assert.ok(tls10 > 0, 'the generator has TLS 1.0 clients');
  assert.equal(inbound.reduce((n, f) => n + f.handoffs, 0), weakIn);
  const samples = inbound.flatMap((f) => f.samples);
  assert.ok(samples.some((s) => s.tls === 'encrypted' && s.tlsVersion === 'TLSv1'), 'TLS 1.0 is a violation with its evidence');
  assert.ok(samples.every((s) => s.tls === 'plaintext' || s.tlsVersion === 'TLSv1'), 'nothing else is');
  assert.ok(inbound.every((f) => f.samples.length === Math.min(5, f.handoffs)));
});

test('TLS the logs did not record is reported as unknown for the rule, never as a violation', async () => {
  const fs = await evaluate([
    { name: 'shop-plain', kind: 'no-plaintext', domains: ['shop.example'], domainMatch: 'host', from: ['edge'] },
    { name: 'shop-tls12', kind: 'min-tls-version', domains: ['shop.example'], domainMatch: 'host', from: ['edge'], minVersion: 'TLSv1.2' },
  ], MAR1);
  const unknownOut = await direct("`from` = 'edge' AND `to` = 'mx.shop.example' AND tls = 'unknown'", {}, MAR1);
  const anyOut = await direct("`from` = 'edge' AND `to` = 'mx.shop.example'", {}, MAR1);
  assert.ok(unknownOut > 0 && unknownOut === anyOut, `all hand-offs to the shop's MX have unknown TLS (${unknownOut}/${anyOut})`);
  assert.deepEqual(only(fs, 'violation'), []);
  for (const rule of ['shop-plain', 'shop-tls12']) {
    const u = fs.filter((f) => f.rule === rule);
    assert.deepEqual(routes(u), { 'edge>mx.shop.example:shop.example': unknownOut }, rule);
    assert.equal(u[0].verdict, 'unknown');
    assert.ok(u[0].samples.every((s) => s.tls === 'unknown' && s.tlsEvidence === ''));
  }
});

test('verified-tls: an untrusted certificate violates, trusted and verified pass, by host suffix and by recipient domain', async () => {
  const fs = await evaluate([{ name: 'partners', kind: 'verified-tls', domains: ['mail.example', 'partner.example', 'bank.example'], from: ['edge'], severity: 'critical' }], MAR1);
  const untrusted = await direct("`from` = 'edge' AND `to` = 'mx.mail.example' AND tls = 'encrypted' AND tlsTrust = 'untrusted'", {}, MAR1, true);
  assert.ok(untrusted > 0);
  assert.deepEqual(routes(only(fs, 'violation')), { 'edge>mx.mail.example:mail.example': untrusted });
  assert.equal(only(fs, 'violation')[0].severity, 'critical');
  // partner.example's MX is under another name: only its recipients tie it to the rule, and it is trusted
  const partner = await direct("`from` = 'edge' AND endsWith(recipient, '@partner.example') AND tlsTrust IN ('trusted', 'verified')", {}, MAR1, true);
  assert.ok(partner > 0, 'hand-offs to partner.example happened, with a trusted certificate');
  assert.ok(!fs.some((f) => f.domain === 'partner.example' || f.domain === 'bank.example'), JSON.stringify(routes(fs)));
});

test('a hop only a Received header claims is no evidence: the planted plaintext hop is ignored', async () => {
  const claimed = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table(HOPS_TABLE)} FINAL WHERE provenance = 'header' AND tls = 'plaintext' AND \`from\` = 'hub.mt.test'`);
  assert.equal(Number(claimed[0]?.n), 1, 'the planted hop is stored, as header-only');
  assert.deepEqual(await evaluate([{ name: 'mt', kind: 'no-plaintext', domains: ['mt.test'], domainMatch: 'host' }], NOV29), []);
  const fs = await evaluate([{ name: 'to-example', kind: 'no-plaintext', domains: ['example.test'], domainMatch: 'recipient' }], NOV29);
  const expected = await direct("tls = 'plaintext' AND endsWith(recipient, '@example.test')", {}, NOV29, true);
  assert.deepEqual(routes(fs), { 'hub>mailbox:example.test': 4, 'localhost>mailbox:example.test': 1 });
  assert.equal(expected, 5);
});

test('the time range selects hops by their start: nothing of one day leaks into another', async () => {
  const rules = [{ name: 'internal-plaintext', kind: 'no-plaintext', internal: true }];
  assert.deepEqual(await evaluate(rules, { from: '2026-11-29T02:13:43Z', to: '2026-11-30T00:00:00Z' }), []);
  const fs = await evaluate(rules, { from: '2026-03-01T00:00:00Z', to: '2026-11-30T00:00:00Z' });
  const both = await direct("tls = 'plaintext' AND `from` = 'hub' AND `to` = 'mailbox'", {}, { from: '2026-03-01T00:00:00Z', to: '2026-11-30T00:00:00Z' });
  assert.deepEqual(routes(fs), { 'hub>mailbox': both });
  assert.equal(fs[0].firstSeen.slice(0, 10), '2026-03-01');
  assert.equal(fs[0].lastSeen, '2026-11-29T02:13:42.000Z');
});

test('configured values travel as query parameters, never in the SQL text', async () => {
  const hostile = "o'Brien\\');DROP/**/TABLE/**/hops;--";
  const policy = TlsPolicy.parse({ rules: [{ name: 'odd', kind: 'verified-tls', servers: [hostile], from: [hostile], to: [hostile], domains: ['partner.example'], internal: true }] });
  const range = { ...NOV29, resume: new Map([[`${hostile} x `, '2026-11-28T00:00:00Z']]) };
  const odd = policy.rules[0];
  assert.ok(odd.kind === 'verified-tls');
  for (const q of [groupsSql(store, odd, range), samplesSql(store, odd, range)]) {
    assert.ok(!q.sql.includes("o'b") && !q.sql.includes('partner.example') && !q.sql.includes('2026-11'), q.sql);
    assert.deepEqual(q.params.servers, [hostile.toLowerCase()]);
  }
  assert.deepEqual(await evaluatePolicy(store, policy, NOV29), []);
});

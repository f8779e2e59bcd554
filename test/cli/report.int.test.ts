import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readSettings } from '../../cli/config.ts';
import { REPORT_HELP, reportCommand } from '../../cli/report.ts';
import { runIngest } from '../../ingest/index.ts';
import { ReportKind } from '../../schemas/index.ts';
import { Store } from '../../store/index.ts';
import { FIXTURES } from '../helpers/store.ts';

/**
 * `mailtrace report` (cli/report.ts), called as cli/main.ts will call it, on a real store.
 * (Kept here with the reports' tests until the command is wired into cli/main.ts; its place then
 * is test/cli/.)
 */
let work: string;
let data: string;
const settings = () => readSettings({});

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'mailtrace-report-cli-'));
  data = join(work, 'data');
  const store = await Store.open({ kind: 'embedded', dataDir: data });
  try {
    await runIngest({ inputs: [join(FIXTURES, 'postfix', 'handmade-3hop.log')], store });
  } finally {
    await store.close();
  }
});

after(() => rmSync(work, { recursive: true, force: true }));

/** run the command with its output captured */
async function report(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await reportCommand(args, settings, (cfg) => Store.open(cfg), { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

test('--help is the truth: every kind and every option the command reads is in it', async () => {
  const r = await report(['--help']);
  assert.equal(r.code, 0);
  assert.equal(r.out, `${REPORT_HELP}\n`);
  for (const k of ReportKind.options) assert.match(REPORT_HELP, new RegExp(`^  ${k} `, 'm'));
  for (const o of ['--from', '--to', '--out', '--name', '--mail', '--config', '--data', '--clickhouse', '--help']) assert.ok(REPORT_HELP.includes(o), o);
});

test('usage errors exit 2 and say what is wrong', async () => {
  const cases: [string[], RegExp][] = [
    [[], /exactly one kind/],
    [['weekly-everything', '--from', '2026-03-01', '--to', '2026-03-02'], /unknown kind "weekly-everything"/],
    [['volume-summary', '--from', '2026-03-01'], /--from and --to/],
    [['volume-summary', '--from', 'yesterday', '--to', '2026-03-02'], /--from "yesterday" is not an ISO 8601/],
    [['volume-summary', '--from', '2026-03-01T00:00:00', '--to', '2026-03-02'], /--from .* with an offset/],
    [['volume-summary', '--from', '2026-03-01', '--to', '2026-03-02', '--mail', 'ops@example.test,nope'], /--mail: "nope" is not an e-mail address/],
    [['volume-summary', '--from', '2026-03-01', '--to', '2026-03-02', '--name', '../x'], /--name "..\/x"/],
  ];
  for (const [args, why] of cases) {
    const r = await report(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, why);
  }
  await assert.rejects(report(['volume-summary', '--from', '2026-03-01', '--to', '2026-03-02', '--mail', 'ops@example.test', '--data', data]), (e: Error & { code?: string }) => e.code === 'MT_ERR_BAD_CONFIG' && /smtp section/.test(e.message));
  await assert.rejects(report(['volume-summary', '--from', '2026-03-01', '--to', '2026-03-02', '--data', join(work, 'nothing')]), (e: Error & { code?: string }) => e.code === 'MT_ERR_NOT_FOUND');
});

test('a report is written where --out says, named by --name, and its files are listed', async () => {
  const out = join(work, 'out');
  const r = await report(['volume-summary', '--from', '2026-03-01', '--to', '2026-03-08T01:00:00+01:00', '--out', out, '--name', 'march', '--data', data]);
  assert.equal(r.code, 0, r.err);
  const id = 'march-volume-summary-20260301T000000Z_20260308T000000Z';
  assert.deepEqual(readdirSync(out), [id]);
  assert.match(r.out, new RegExp(`^Volume summary, 2026-03-01T00:00:00.000Z – 2026-03-08T00:00:00.000Z: ${join(out, id)}\n`));
  for (const f of ['report.html', 'report.json', 'volume.csv', 'outcome.csv', 'tls.csv']) assert.ok(r.out.includes(join(out, id, f)), f);
});

test('the config file gives the directory when --out does not', async () => {
  const dir = join(work, 'from-config');
  const config = join(work, 'config.json');
  writeFileSync(config, JSON.stringify({ reports: { dir } }));
  const r = await report(['delivery-failures', '--from', '2026-03-01', '--to', '2026-03-02', '--config', config, '--data', data]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(dir, 'report-delivery-failures-20260301T000000Z_20260302T000000Z', 'report.html')));
});

test('the config file\'s TLS policy reaches the TLS compliance report; without one the report says none is configured', async () => {
  const config = join(work, 'policy.json');
  writeFileSync(config, JSON.stringify({ policy: { rules: [{ name: 'internal-plaintext', kind: 'no-plaintext', internal: true, severity: 'critical' }] } }));
  const out = join(work, 'policy-out');
  const id = 'report-tls-compliance-20260301T000000Z_20260302T000000Z';
  const withPolicy = await report(['tls-compliance', '--from', '2026-03-01', '--to', '2026-03-02', '--config', config, '--out', out, '--data', data]);
  assert.equal(withPolicy.code, 0, withPolicy.err);
  for (const f of ['policy-rules.csv', 'policy-violations.csv', 'policy-unknown.csv']) assert.ok(withPolicy.out.includes(join(out, id, f)), f);
  const violations = readFileSync(join(out, id, 'policy-violations.csv'), 'utf8').split('\r\n');
  assert.match(violations[1], /^internal-plaintext,no-plaintext,critical,hub,mailbox,,1,/, 'the fixture\'s one plaintext hand-off between our servers');
  const json = JSON.parse(readFileSync(join(out, id, 'report.json'), 'utf8')) as { data: { policy: { rules: { name: string }[]; findings: { rule: string }[] } } };
  assert.deepEqual(json.data.policy.rules.map((r) => r.name), ['internal-plaintext']);

  const without = await report(['tls-compliance', '--from', '2026-03-01', '--to', '2026-03-02', '--out', out, '--data', data]);
  assert.equal(without.code, 0, without.err);
  assert.doesNotMatch(without.out, /\/policy-[a-z]+\.csv/);
  assert.ok(!existsSync(join(out, id, 'policy-violations.csv')), 'the report made with the policy was replaced whole');
  assert.match(readFileSync(join(out, id, 'report.html'), 'utf8'), /<h2>TLS policy<\/h2>\n<p>No TLS policy is configured/);
});

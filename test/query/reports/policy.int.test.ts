import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { evaluatePolicy } from '../../../query/policy/index.ts';
import { escapeHtml, runReport } from '../../../query/reports/index.ts';
import { NO_POLICY_TEXT, SAMPLES_SHOWN } from '../../../query/reports/kinds/tls-policy.ts';
import { TlsPolicy, type PolicyFinding } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';
import { readCsv } from '../../helpers/csv.ts';

/**
 * The TLS compliance report's policy part on the real recorded Postfix runs: real-3hop
 * (2026-11-29; hub → mailbox is plaintext by design) and tls-loglevel2 (2026-12-02; certificates
 * logged, their validity not: a certificate-expiry rule cannot judge them). What the report says is
 * what evaluatePolicy says for its period.
 */
const PERIOD = { from: '2026-11-29T00:00:00.000Z', to: '2026-12-03T00:00:00.000Z' };
const POLICY = TlsPolicy.parse({ rules: [
  { name: 'internal-plaintext', kind: 'no-plaintext', internal: true, severity: 'critical' },
  { name: 'certificates-30d', kind: 'certificate-expiry', withinDays: 30 },
  { name: 'partner-verified', kind: 'verified-tls', domains: ['partner.example'] },
] });
let store: Store;
let cleanup: () => Promise<void>;
let dir: string;

before(async () => {
  const t = await tempStore();
  store = t.store;
  cleanup = t.cleanup;
  dir = mkdtempSync(join(tmpdir(), 'mailtrace-policy-report-'));
  await runIngest({ inputs: [join(FIXTURES, 'postfix', 'real-3hop'), join(FIXTURES, 'postfix', 'tls-loglevel2')], store });
});

after(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});


/** the page from one heading to the next of the same level */
function part(html: string, heading: string): string {
  const start = html.indexOf(heading);
  assert.ok(start >= 0, heading);
  const level = heading.slice(0, 4);
  const end = html.indexOf(level, start + heading.length);
  return html.slice(start, end < 0 ? undefined : end);
}

test('with rules: each rule\'s violating routes with their hand-offs and evidence, and apart what the logs cannot judge', async () => {
  const w = await runReport(store, { kind: 'tls-compliance', ...PERIOD, dir, name: 'policy', policy: POLICY });
  const findings = await evaluatePolicy(store, POLICY, PERIOD);
  const violations = findings.filter((f) => f.verdict === 'violation');
  const unknown = findings.filter((f) => f.verdict === 'unknown');
  // the real run: hub → mailbox is the one plaintext route between our servers
  const plain = violations.filter((f) => f.rule === 'internal-plaintext');
  assert.deepEqual(plain.map((f) => `${f.from} → ${f.to}`), ['hub → mailbox']);
  const [hub] = plain;
  assert.ok(hub.handoffs >= 4, `two-recipients, mixed and the two bounce notifications (${hub.handoffs})`);
  assert.ok(unknown.length > 0 && unknown.every((f) => f.rule === 'certificates-30d' && f.samples[0]?.certificate), 'Postfix logs no validity: every certificate is unknown for expiry');

  // report.json: the rules and every finding, samples and all
  const json = JSON.parse(readFileSync(w.files.json, 'utf8')) as { data: { policy: { rules: unknown[]; findings: PolicyFinding[] } } };
  assert.deepEqual(json.data.policy.rules, POLICY.rules.map((r) => ({ name: r.name, kind: r.kind, severity: r.severity })));
  assert.deepEqual(json.data.policy.findings, findings);

  // the page: the rule and its route with the hand-offs, among the violations and not among the unknown
  const html = w.report.html;
  const policyPart = part(html, '<h2>TLS policy</h2>');
  const violationsPart = part(policyPart, '<h3>Violations');
  const unknownPart = part(policyPart, '<h3>Not judged');
  assert.ok(violationsPart.includes(`<td>internal-plaintext</td><td>no-plaintext</td><td>critical</td><td>hub</td><td>mailbox</td><td></td><td class="n">${hub.handoffs}</td>`), violationsPart);
  for (const s of hub.samples.slice(0, SAMPLES_SHOWN)) assert.ok(violationsPart.includes(escapeHtml(s.messageId)) && violationsPart.includes(s.recipient), s.messageId);
  assert.match(violationsPart, /plaintext, trust none, evidence smtpd-counters/);
  assert.doesNotMatch(violationsPart, /certificates-30d/);
  for (const f of unknown) {
    const cert = f.samples[0].certificate;
    assert.ok(cert && unknownPart.includes(`<td>${escapeHtml(f.from)}</td><td>${escapeHtml(f.to)}</td>`) && unknownPart.includes(escapeHtml(cert.fingerprint)) && unknownPart.includes(escapeHtml(cert.subject)), f.key);
  }
  assert.match(unknownPart, /validity not logged, logged by (edge|hub)/);
  assert.doesNotMatch(unknownPart, /internal-plaintext/);
  assert.match(policyPart, /1 of 3 rule\(s\) of the configured TLS policy violated/);
  assert.deepEqual(w.report.totals.at(-1), ['policy rules violated', '1 of 3']);

  // the CSVs: the violating route's row, the unknown ones apart, and each rule counted (a rule without findings too)
  const csv = (name: string) => readCsv(readFileSync(join(w.path, name), 'utf8'));
  const v = csv('policy-violations.csv');
  assert.deepEqual(v[0], ['rule', 'kind', 'severity', 'from', 'to', 'domain', 'hand-offs', 'first seen', 'last seen', 'evidence']);
  assert.deepEqual(v.slice(1).map((r) => r.slice(0, 9)), violations.map((f) => [f.rule, f.kind, f.severity, f.from, f.to, f.domain, String(f.handoffs), f.firstSeen, f.lastSeen]));
  assert.equal(v[1][9].split(';\n').length, Math.min(SAMPLES_SHOWN, hub.samples.length) + (hub.samples.length > SAMPLES_SHOWN ? 1 : 0), 'one line per sample shown, and what is left out');
  assert.equal(csv('policy-unknown.csv').length - 1, unknown.length);
  const sum = (fs: PolicyFinding[]) => [fs.length, fs.reduce((n, f) => n + f.handoffs, 0)].map(String);
  assert.deepEqual(csv('policy-rules.csv').slice(1), POLICY.rules.map((r) => [r.name, r.kind, r.severity,
    ...sum(violations.filter((f) => f.rule === r.name)), ...sum(unknown.filter((f) => f.rule === r.name))]));
  assert.deepEqual(csv('policy-rules.csv')[3], ['partner-verified', 'verified-tls', 'warning', '0', '0', '0', '0']);
});

test('without rules: one line says no policy is configured and how to add one; no empty table, no policy CSV', async () => {
  for (const policy of [undefined, TlsPolicy.parse({})]) {
    const w = await runReport(store, { kind: 'tls-compliance', ...PERIOD, dir, name: policy ? 'empty' : 'none', policy });
    const policyPart = part(w.report.html, '<h2>TLS policy</h2>');
    assert.equal(policyPart.trim(), `<h2>TLS policy</h2>\n<p>${escapeHtml(NO_POLICY_TEXT)}</p>`);
    assert.match(NO_POLICY_TEXT, /policy section of the config file/);
    assert.deepEqual(w.files.csv.map((f) => basename(f)).filter((f) => f.startsWith('policy')), []);
    assert.equal(w.report.totals.find(([l]) => l.startsWith('policy')), undefined);
    const json = JSON.parse(readFileSync(w.files.json, 'utf8')) as { data: { policy: unknown } };
    assert.deepEqual(json.data.policy, { rules: [], findings: [] });
  }
});

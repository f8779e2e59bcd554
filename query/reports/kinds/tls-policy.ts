import type { PolicyFinding, PolicyRuleKind, PolicySample, Severity, TlsPolicy } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { evaluatePolicy } from '../../policy/index.ts';
import type { Cell, Period, ReportSection, ReportTable } from '../model.ts';

/**
 * The TLS compliance report's policy part: what the config file's TLS policy (passed in, never
 * read here) finds in the report's period — the same evaluation as GET /api/policy/violations and
 * the checks of `serve` (query/policy evaluatePolicy) — per rule, the violating routes with their
 * hand-offs and a few samples as evidence, and apart from them what the logs cannot judge.
 */
export interface PolicyPartData {
  /** the configured rules, in the config file's order; none: no policy is configured */
  rules: { name: string; kind: PolicyRuleKind; severity: Severity }[];
  /** every finding of the period, violations and unknown, with all their samples (up to 5 each) */
  findings: PolicyFinding[];
}

/** samples shown per finding in the page and the CSV; report.json has them all */
export const SAMPLES_SHOWN = 3;

export const NO_POLICY_TEXT = 'No TLS policy is configured, so no rule is checked here. Add rules to the policy section of the config file (--config FILE or MAILTRACE_CONFIG; see the README, "TLS policy and alerts") and this part lists each rule\'s violations in the period.';

export async function gatherPolicy(store: Store, policy: TlsPolicy | undefined, period: Period): Promise<PolicyPartData> {
  const rules = (policy?.rules ?? []).map((r) => ({ name: r.name, kind: r.kind, severity: r.severity }));
  if (!policy || rules.length === 0) return { rules, findings: [] };
  return { rules, findings: await evaluatePolicy(store, policy, { from: period.from, to: period.to }) };
}

/** one sample as a line of evidence: the hop's message, recipient and TLS, or the certificate */
export function evidenceLine(s: PolicySample): string {
  const c = s.certificate;
  if (c) {
    const validity = c.notAfter ? `not after ${c.notAfter}${c.daysLeft === null ? '' : ` (${c.daysLeft} days left)`}` : 'validity not logged';
    return `certificate ${c.subject || '(no subject)'}, issuer ${c.issuer || '(not logged)'}, ${c.issuance}, fingerprint ${c.fingerprint || '(not logged)'}, ${validity}, logged by ${c.loggedBy}, last presented ${s.start}`;
  }
  const tls = [s.tls, s.tlsVersion, s.tlsTrust && `trust ${s.tlsTrust}`, `evidence ${s.tlsEvidence || 'none'}`].filter(Boolean).join(', ');
  return `${s.start} ${s.messageId || '(no message-id)'} to ${s.recipient || '(no recipient)'}: ${tls}`;
}

function evidence(f: PolicyFinding): string {
  const lines = f.samples.slice(0, SAMPLES_SHOWN).map(evidenceLine);
  if (f.samples.length > SAMPLES_SHOWN) lines.push(`${f.samples.length - SAMPLES_SHOWN} more sample(s) in report.json`);
  return lines.join(';\n');
}

const FINDING_COLUMNS = ['rule', 'kind', 'severity', 'from', 'to', 'domain', 'hand-offs', 'first seen', 'last seen', 'evidence'] as const;
const CERTIFICATE_NOTE = 'for a certificate rule, from is the server that presented the certificate, to the connector it was seen on, and hand-offs are the sessions that showed it';

export function policySection(p: PolicyPartData): ReportSection {
  if (p.rules.length === 0) return { title: 'TLS policy', text: [NO_POLICY_TEXT], tables: [] };
  const order = new Map(p.rules.map((r, i) => [r.name, i]));
  // per rule in the config's order, most hand-offs first
  const sorted = [...p.findings].sort((a, b) => (order.get(a.rule) ?? 0) - (order.get(b.rule) ?? 0) || b.handoffs - a.handoffs || a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.domain.localeCompare(b.domain));
  const rowsOf = (verdict: PolicyFinding['verdict']): Cell[][] => sorted.filter((f) => f.verdict === verdict)
    .map((f) => [f.rule, f.kind, f.severity, f.from, f.to, f.domain, f.handoffs, f.firstSeen, f.lastSeen, evidence(f)]);
  const count = (rule: string, verdict: PolicyFinding['verdict']) => {
    const fs = p.findings.filter((f) => f.rule === rule && f.verdict === verdict);
    return [fs.length, fs.reduce((n, f) => n + f.handoffs, 0)];
  };
  const tables: ReportTable[] = [
    {
      file: 'policy-rules', title: 'Rules', note: 'a hand-off that breaks two rules counts under both',
      columns: ['rule', 'kind', 'severity', 'violating routes', 'violating hand-offs', 'routes not judged', 'hand-offs not judged'],
      rows: p.rules.map((r) => [r.name, r.kind, r.severity, ...count(r.name, 'violation'), ...count(r.name, 'unknown')]),
    },
    {
      file: 'policy-violations', title: 'Violations, per rule and route',
      note: `evidence: up to ${SAMPLES_SHOWN} samples per route, newest first; ${CERTIFICATE_NOTE}`,
      columns: FINDING_COLUMNS, rows: rowsOf('violation'),
    },
    {
      file: 'policy-unknown', title: 'Not judged: what the logs do not say',
      note: `hand-offs whose TLS the logs did not record, certificates whose issuer or validity they did not record: neither violations nor passes; ${CERTIFICATE_NOTE}`,
      columns: FINDING_COLUMNS, rows: rowsOf('unknown'),
    },
  ];
  return { title: 'TLS policy', text: [`${rulesViolated(p)} of ${p.rules.length} rule(s) of the configured TLS policy violated in this period (the findings GET /api/policy/violations lists for it).`], tables };
}

function rulesViolated(p: PolicyPartData): number {
  return new Set(p.findings.filter((f) => f.verdict === 'violation').map((f) => f.rule)).size;
}

/** the part's headline number, after the report's own (none when no policy is configured) */
export function policyTotals(p: PolicyPartData): [string, Cell][] {
  return p.rules.length === 0 ? [] : [['policy rules violated', `${rulesViolated(p)} of ${p.rules.length}`]];
}

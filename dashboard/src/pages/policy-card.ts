import type { PolicyFinding, PolicyIncident, PolicyReport, PolicySample } from '../../../schemas/policy.ts';
import type { ViewQuery } from '../../../schemas/views.ts';
import { fetchPolicyFindings, fetchPolicyIncidents } from '../api.ts';
import { fill, h, type Child } from '../dom.ts';
import { fmtCount, fmtDateTime } from '../format.ts';
import { traceHref } from '../router.ts';
import { tlsCell } from './hops.ts';
import { ALL_TIME, viewHref } from './view-scope.ts';
import { card, foldRows, loadInto, table } from './view-kit.ts';

/**
 * The Security page's Policy card: what the configured rules (config file, `policy.rules`) find
 * in the page's range — per rule, the routes that violate it and, apart, those the logs cannot
 * judge (unknown is neither a pass nor a failure) — each with its evidence: hop samples that open
 * their traces, or the certificate a certificate rule judged. Then the incidents open now.
 * Hooks: `.policy-range[data-from][data-to]`, `.policy-none`, `section.policy-rule[data-rule]`,
 * `tr.policy-finding[data-rule][data-verdict][data-from][data-to][data-domain]` with `.policy-verdict`, `a.policy-sample`,
 * `.policy-certificate[data-fingerprint]`, `a.policy-cert-link`, `tr.policy-incident[data-id][data-rule]`.
 */
export function renderPolicyCard(el: HTMLElement, q: ViewQuery, signal: AbortSignal): void {
  // without a start the API judges the last 24 h: the page's "all" (or an open start) means every stored hop
  const range = { from: q.from ?? ALL_FROM, to: q.to };
  void loadInto(el, 'the TLS policy', () => Promise.all([fetchPolicyFindings(range, signal), fetchPolicyIncidents('open', signal)]), signal)
    .then((got) => {
      if (got) fill(el, draw(got[0], got[1], q.host ?? ''));
    });
}

const ALL_FROM = '1970-01-01T00:00:00Z';
const CERTIFICATE_KINDS: readonly PolicyFinding['kind'][] = ['ca-issued-certificate', 'certificate-expiry'];
const isCertificateFinding = (f: PolicyFinding): boolean => CERTIFICATE_KINDS.includes(f.kind);
/** what the logs left out, per kind of rule, when a finding is unknown */
const UNKNOWN_WHY: Record<PolicyFinding['kind'], string> = {
  'no-plaintext': 'No log line says whether TLS was used.',
  'min-tls-version': 'No log line says whether TLS was used, or which version.',
  'verified-tls': 'No log line says whether TLS was used, or how far the peer certificate was checked.',
  'ca-issued-certificate': 'The log did not record who issued the certificate.',
  'certificate-expiry': 'The log did not record the certificate\'s validity (Postfix logs none).',
};
const EXAMPLE_RULE = '{ "name": "internal-tls", "kind": "no-plaintext", "internal": true }';

function draw(report: PolicyReport, incidents: PolicyIncident[], host: string): HTMLElement {
  // the server filter keeps the routes it is an end of; a finding's domain is the rule's, not the recipient's: the domain filter does not apply
  const hostLc = host.toLowerCase();
  const findings = host ? report.findings.filter((f) => f.from.toLowerCase() === hostLc || f.to.toLowerCase() === hostLc) : report.findings;
  const byRule = new Map<string, PolicyFinding[]>();
  for (const f of findings) byRule.set(f.rule, [...byRule.get(f.rule) ?? [], f]);
  const met = report.rules.filter((r) => !byRule.has(r.name));
  const violations = findings.filter((f) => f.verdict === 'violation');
  const aside = findings.length === 0 ? 'no findings'
    : `${fmtCount(violations.length)} violating · ${fmtCount(findings.length - violations.length)} unknown · ${fmtCount(byRule.size)} rules`;
  return card('Policy', aside,
    rangeLine(report, host),
    report.rules.length === 0
      ? h('p', { class: 'policy-none' }, ['No policy rules are configured. To add rules, give the config file (', h('code', null, '--config'), ') a ', h('code', null, 'policy.rules'), ' list, e.g. ', h('code', null, EXAMPLE_RULE), ' (README: "TLS policy and alerts").'])
      : [
        ...[...byRule.entries()].map(([rule, list]) => ruleSection(rule, list)),
        met.length ? h('p', { class: 'policy-met' }, `Met${host ? ` on routes with ${host}` : ''} in this range (no violation, nothing unknown): `, met.flatMap((r, i) => [i ? ', ' : '', h('code', { 'data-rule': r.name }, r.name), ` (${r.kind})`])) : null,
      ],
    incidentSection(incidents));
}

function rangeLine(r: PolicyReport, host: string): HTMLElement {
  const span = r.from.startsWith('1970-01-01') ? `all stored hand-offs up to ${fmtDateTime(r.to)} UTC` : `hand-offs from ${fmtDateTime(r.from)} to ${fmtDateTime(r.to)} UTC`;
  return h('p', { class: 'muted small policy-range', 'data-from': r.from, 'data-to': r.to },
    `Judged: ${span}; certificates: the newest each server presented, as of ${fmtDateTime(r.to)} UTC.`,
    host ? ` Routes with ${host} at either end; the domain filter does not apply to policy findings.` : ' The domain filter does not apply to policy findings.');
}

function ruleSection(rule: string, list: PolicyFinding[]): HTMLElement {
  const first = list[0];
  const bad = list.filter((f) => f.verdict === 'violation');
  const unknown = list.filter((f) => f.verdict === 'unknown');
  const handoffs = (fs: PolicyFinding[]) => fmtCount(fs.reduce((a, f) => a + f.handoffs, 0));
  const cert = first ? isCertificateFinding(first) : false;
  const unit = cert ? 'sessions' : 'hand-offs';
  return h('section', { class: 'policy-rule', 'data-rule': rule },
    h('h3', { class: 'section-title policy-rule-head' },
      h('span', { class: 'mono' }, rule), ' ',
      first ? h('span', { class: 'badge badge-neutral' }, first.kind) : null, ' ',
      first ? h('span', { class: `badge severity-${first.severity}` }, first.severity) : null,
      h('span', { class: 'muted small policy-rule-counts' },
        ` ${fmtCount(bad.length)} violating (${handoffs(bad)} ${unit}) · ${fmtCount(unknown.length)} unknown (${handoffs(unknown)} ${unit})`)),
    findingTable('policy-violations', bad, cert),
    unknown.length ? h('p', { class: 'small policy-unknown-note' }, h('span', { class: 'badge badge-unknown' }, 'UNKNOWN'),
      ' The logs cannot tell: neither a pass nor a failure. ', first ? UNKNOWN_WHY[first.kind] : null) : null,
    findingTable('policy-unknown', unknown, cert));
}

function findingTable(cls: string, list: PolicyFinding[], cert: boolean): HTMLElement[] {
  if (list.length === 0) return [];
  const rows = list.map(findingRow);
  const out: (HTMLElement | null)[] = [
    table(`policy-findings ${cls}`, [
      { label: 'Verdict' }, { label: cert ? 'Server → connector' : 'Route' }, { label: cert ? 'Sessions' : 'Hand-offs', num: true },
      { label: 'Seen (UTC)', title: 'first and last in the range' }, { label: 'Evidence' },
    ], rows),
    foldRows(rows, 10),
  ];
  return out.filter((x): x is HTMLElement => x !== null);
}

function findingRow(f: PolicyFinding): HTMLTableRowElement {
  const violation = f.verdict === 'violation';
  return h('tr', { class: `policy-finding${violation ? ' row-alert' : ''}`, 'data-rule': f.rule, 'data-verdict': f.verdict, 'data-from': f.from, 'data-to': f.to, 'data-domain': f.domain },
    h('td', null, violation ? h('span', { class: 'badge badge-violation policy-verdict' }, 'VIOLATION') : h('span', { class: 'badge badge-unknown policy-verdict', title: 'the logs cannot tell' }, 'UNKNOWN')),
    h('td', { class: 'mono hop-path' }, route(f.from, f.to, f.domain)),
    h('td', { class: 'num' }, fmtCount(f.handoffs)),
    h('td', { class: 'mono small nowrap' }, seen(f.firstSeen, f.lastSeen)),
    h('td', { class: 'policy-evidence' }, isCertificateFinding(f) ? certificate(f) : samples(f.samples)));
}

function route(from: string, to: string, domain: string): Child[] {
  return [h('span', null, from || '(unnamed)'), h('span', { class: 'arrow' }, ' → '), h('span', null, to || '(unnamed)'),
    domain ? h('span', { class: 'muted' }, ` · ${domain}`) : null];
}

function seen(a: string, b: string): string {
  const x = fmtDateTime(a);
  const y = fmtDateTime(b);
  return x === y ? x : `${x} → ${y.slice(x.slice(0, 10) === y.slice(0, 10) ? 11 : 0)}`;
}

/** The first sample in view, the others (up to four more) folded. */
function samples(list: PolicySample[]): Child {
  if (list.length === 0) return h('span', { class: 'muted' }, 'no sample');
  const [first, ...rest] = list;
  return h('div', null, sampleLine(first),
    rest.length ? h('details', { class: 'policy-more' }, h('summary', { class: 'small muted' }, `${rest.length} more sample${rest.length > 1 ? 's' : ''}`), rest.map(sampleLine)) : null);
}

function sampleLine(s: PolicySample | undefined): Child {
  if (!s) return null;
  return h('div', { class: 'policy-sample-line' },
    h('a', { class: 'policy-sample mono small', href: traceHref(s.traceId), 'data-trace-id': s.traceId, title: s.messageId || s.traceId }, fmtDateTime(s.start)),
    h('span', { class: 'mono small muted' }, ` ${s.recipient} `),
    h('span', { class: 'tls-cell', title: s.tlsEvidence ? `evidence: ${s.tlsEvidence}` : 'no log line states the TLS state of this hop' },
      tlsCell({ tls: s.tls, tlsVersion: s.tlsVersion, cipher: '', tlsTrust: s.tlsTrust }, s.tls === 'encrypted' ? '' : 'not logged')),
    s.tlsEvidence ? h('span', { class: 'mono small muted' }, ` ${s.tlsEvidence}`) : null);
}

function certificate(f: PolicyFinding): Child {
  const c = f.samples[0]?.certificate;
  if (!c) return h('span', { class: 'muted' }, 'no certificate recorded');
  const validity = c.notAfter ? `${fmtDateTime(c.notAfter)} UTC${c.daysLeft === null ? '' : ` (${c.daysLeft < 0 ? `expired ${-c.daysLeft} d ago` : `${c.daysLeft} d left`})`}` : 'not logged';
  return h('div', { class: 'policy-certificate', 'data-fingerprint': c.fingerprint },
    h('div', { class: 'small' }, h('span', { class: 'muted' }, 'subject '), h('span', { class: 'mono' }, c.subject || '—'),
      h('span', { class: 'muted' }, ' · issuer '), h('span', { class: 'mono' }, c.issuer || '—'), ' ', h('span', { class: 'badge badge-neutral' }, c.issuance)),
    h('div', { class: 'small' }, h('span', { class: 'muted' }, 'fingerprint '), h('span', { class: 'mono policy-fingerprint' }, c.fingerprint || '—')),
    h('div', { class: 'small' }, h('span', { class: 'muted' }, 'valid until '), validity, h('span', { class: 'muted' }, ` · logged by ${c.loggedBy} · last presented ${fmtDateTime(f.samples[0]?.start ?? '')}`)),
    h('a', { class: 'policy-cert-link small', href: viewHref('/certificates', { ...ALL_TIME, host: f.from }) }, `certificates of ${f.from} →`));
}

function incidentSection(list: PolicyIncident[]): Child[] {
  const head = h('h3', { class: 'section-title' }, 'Open incidents', h('span', { class: 'muted small' }, ' opened by the policy checks, whatever the range above'));
  if (list.length === 0) return [head, h('p', { class: 'muted policy-no-incidents' }, 'No open incidents.')];
  const rows = list.map(incidentRow);
  return [head, table('policy-incidents', [
    { label: 'Incident' }, { label: 'Rule' }, { label: 'Scope' }, { label: 'Opened (UTC)' },
    { label: 'Violating (UTC)', title: 'first and last violating hop' }, { label: 'Hand-offs', num: true }, { label: 'Pending notices', title: 'notices not yet delivered, retried at every check' },
  ], rows), foldRows(rows, 20)];
}

function incidentRow(i: PolicyIncident): HTMLTableRowElement {
  return h('tr', { class: 'policy-incident', 'data-id': i.id, 'data-rule': i.rule },
    h('td', { class: 'mono small policy-incident-id' }, i.id),
    h('td', null, h('span', { class: 'mono' }, i.rule), ' ', h('span', { class: `badge severity-${i.severity}` }, i.severity), h('div', { class: 'muted small' }, i.kind)),
    h('td', { class: 'mono small' }, scope(i)),
    h('td', { class: 'mono small nowrap' }, fmtDateTime(i.openedAt)),
    h('td', { class: 'mono small nowrap' }, seen(i.firstSeen, i.lastSeen)),
    h('td', { class: 'num' }, fmtCount(i.handoffs)),
    h('td', { class: 'small', title: i.lastError ? `${i.failures} failed deliveries; last: ${i.lastError}` : null },
      i.pending.length === 0 ? h('span', { class: 'muted' }, 'none') : i.pending.map((p) => h('span', { class: 'badge badge-neutral policy-pending' }, p)),
      i.failures > 0 ? h('div', { class: 'muted' }, `${fmtCount(i.failures)} failed`) : null));
}

/** One route, or the grouped routes (the rule's groupBy) with the parts they share. */
function scope(i: PolicyIncident): Child {
  if (i.groupBy === 'route') return h('span', { class: 'hop-path' }, route(i.from, i.to, i.domain));
  const shared = i.groupBy === 'rule' ? 'the whole rule' : `${i.groupBy} ${i[i.groupBy] || '(unnamed)'}`;
  const more = i.routeCount - i.routes.length;
  return h('details', { class: 'policy-routes' },
    h('summary', null, `${shared}: ${fmtCount(i.routeCount)} route${i.routeCount === 1 ? '' : 's'}`),
    h('ul', { class: 'plain-list' }, i.routes.map((r) => h('li', { class: 'hop-path' }, route(r.from, r.to, r.domain), h('span', { class: 'muted' }, ` · ${fmtCount(r.handoffs)}`))),
      more > 0 ? h('li', { class: 'muted' }, `and ${fmtCount(more)} more`) : null));
}

import { z } from 'zod';
import { incidentKey, isCertificateRule, PolicyFinding, type IncidentScope, type TlsPolicy, type TlsRule } from '../../schemas/index.ts';
import { isoFromStore, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';
import { evaluateCertificateRule } from './certificates.ts';
import { groupOf, groupsSql, resumeKeyOf, samplesSql, type RuleRange } from './sql.ts';

/**
 * The findings of a policy in a time range (hops by their start, `from` inclusive, `to`
 * exclusive): per rule, per server pair (and matched domain), the hand-offs that broke the rule
 * (`violation`) and those the logs cannot judge (`unknown`), each with up to 5 samples.
 */
export interface EvaluationRange {
  /** ISO 8601 */
  from: string;
  to: string;
  /**
   * Groups counted from an earlier time than `from`: an open incident counts its hand-offs from
   * its first violation, while what is violating *now* is still judged on the range alone.
   */
  resume?: readonly ResumePoint[];
}

export interface ResumePoint {
  rule: string;
  /** the incident's scope: it resumes every route of the rule that falls into it */
  groupBy: IncidentScope;
  /** the incident's parts of a route ('' for those its scope does not keep) */
  from: string;
  to: string;
  domain: string;
  /** ISO 8601: count this group's hops from here */
  since: string;
}

interface GroupRow { from: string; to: string; domain: string; verdict: string; handoffs: number | string; firstSeen: string; lastSeen: string }
interface SampleRow {
  from: string; to: string; domain: string; verdict: string; messageId: string; recipient: string; startText: string;
  tls: string; tlsVersion: string; tlsTrust: string; tlsEvidence: string; fromQueueId: string; toQueueId: string;
}

export async function evaluatePolicy(store: Store, policy: TlsPolicy, range: EvaluationRange): Promise<PolicyFinding[]> {
  const out: unknown[] = [];
  for (const rule of policy.rules) out.push(...await (isCertificateRule(rule) ? evaluateCertificateRule(store, rule, range) : evaluateRule(store, rule, range)));
  // parsed, not cast: a stored value outside the contract (a TLS word of another version) says so
  return fromStore(z.array(PolicyFinding), out, 'policy findings');
}

async function evaluateRule(store: Store, rule: TlsRule, range: EvaluationRange): Promise<unknown[]> {
  const resume = new Map<string, string>();
  for (const p of range.resume ?? []) {
    // a resume point can only widen the range: a later one is the range's own start. An incident
    // opened under another groupBy gets no findings of this one any more: it heals.
    if (p.rule === rule.name && p.groupBy === rule.groupBy && Date.parse(p.since) < Date.parse(range.from)) resume.set(resumeKeyOf(p.groupBy, p), p.since);
  }
  const r: RuleRange = { from: range.from, to: range.to, resume };
  const g = groupsSql(store, rule, r);
  const groups = await store.query<GroupRow>(g.sql, g.params);
  if (groups.length === 0) return [];
  const s = samplesSql(store, rule, r);
  const samples = new Map<string, unknown[]>();
  for (const row of await store.query<SampleRow>(s.sql, s.params)) {
    const k = `${row.verdict} ${groupOf(row.from, row.to, row.domain)}`;
    const list = samples.get(k) ?? [];
    list.push(sampleOf(row));
    samples.set(k, list);
  }
  return groups.map((row) => ({
    key: incidentKey(rule.name, row.from, row.to, row.domain),
    rule: rule.name,
    kind: rule.kind,
    severity: rule.severity,
    verdict: row.verdict === 'violation' ? 'violation' : 'unknown',
    from: row.from,
    to: row.to,
    domain: row.domain,
    handoffs: Number(row.handoffs),
    firstSeen: isoFromStore(row.firstSeen),
    lastSeen: isoFromStore(row.lastSeen),
    samples: samples.get(`${row.verdict} ${groupOf(row.from, row.to, row.domain)}`) ?? [],
  }));
}

function sampleOf(r: SampleRow): unknown {
  return {
    messageId: r.messageId,
    traceId: r.messageId || r.toQueueId || r.fromQueueId,
    recipient: r.recipient,
    start: isoFromStore(r.startText),
    tls: r.tls,
    tlsVersion: r.tlsVersion,
    tlsTrust: r.tlsTrust,
    tlsEvidence: r.tlsEvidence,
  };
}

import {
  groupedIncidentKey, incidentScopeOf, ROUTES_LISTED, type IncidentRoute, type IncidentScope, type PolicyFinding, type PolicyIncident, type PolicyRule, type PolicySample,
} from '../../schemas/index.ts';

/**
 * Violation findings (one per rule and route) gathered into what an incident is about: one per
 * key of the rule's groupBy. A `route` rule keeps one finding per incident, as before; a grouped
 * one sums its routes' hand-offs, lists the routes with the most of them (at most ROUTES_LISTED,
 * routeCount says how many there are) and keeps the newest samples, one route after another.
 */
export type IncidentFinding = Pick<PolicyIncident, 'key' | 'rule' | 'kind' | 'severity' | 'groupBy' | 'from' | 'to' | 'domain' | 'routes' | 'routeCount' | 'handoffs' | 'firstSeen' | 'lastSeen' | 'samples'>;

const SAMPLES = 5;

export function groupFindings(violations: readonly PolicyFinding[], rules: readonly Pick<PolicyRule, 'name' | 'groupBy'>[]): IncidentFinding[] {
  const scopeOf = new Map<string, IncidentScope>(rules.map((r) => [r.name, r.groupBy]));
  const groups = new Map<string, { scope: IncidentScope; findings: PolicyFinding[] }>();
  for (const f of violations) {
    const scope = scopeOf.get(f.rule) ?? 'route';
    const key = groupedIncidentKey(f.rule, scope, f);
    const g = groups.get(key) ?? { scope, findings: [] };
    g.findings.push(f);
    groups.set(key, g);
  }
  return [...groups].map(([key, g]) => incidentFinding(key, g.scope, g.findings));
}

function incidentFinding(key: string, scope: IncidentScope, findings: readonly PolicyFinding[]): IncidentFinding {
  const [first] = findings;
  const routes: IncidentRoute[] = findings
    .map((f) => ({ from: f.from, to: f.to, domain: f.domain, handoffs: f.handoffs, firstSeen: f.firstSeen, lastSeen: f.lastSeen }))
    .sort((a, b) => b.handoffs - a.handoffs || Date.parse(b.lastSeen) - Date.parse(a.lastSeen) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.domain.localeCompare(b.domain));
  return {
    key, rule: first.rule, kind: first.kind, severity: first.severity, groupBy: scope, ...incidentScopeOf(scope, first),
    routes: routes.slice(0, ROUTES_LISTED),
    routeCount: routes.length,
    handoffs: findings.reduce((n, f) => n + f.handoffs, 0),
    firstSeen: findings.map((f) => f.firstSeen).reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a)),
    lastSeen: findings.map((f) => f.lastSeen).reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)),
    samples: samplesAcross(findings),
  };
}

/** The newest sample of each route first (so the evidence shows several routes), then the next newest of each. */
function samplesAcross(findings: readonly PolicyFinding[]): PolicySample[] {
  if (findings.length === 1) return findings[0].samples;
  const out: PolicySample[] = [];
  for (let rank = 0; out.length < SAMPLES && findings.some((f) => f.samples.length > rank); rank++) {
    const round = findings.flatMap((f) => f.samples.slice(rank, rank + 1)).sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
    out.push(...round.slice(0, SAMPLES - out.length));
  }
  return out;
}

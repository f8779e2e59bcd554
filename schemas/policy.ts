import { z } from 'zod';
import { TlsStatus, TlsTrust } from './tls.ts';

/**
 * TLS policy and alert sinks (the `policy` and `alerts` sections of the config file), what an
 * evaluation finds, and the incidents a check keeps. Every rule is judged on stored data only
 * (query/policy/): evidence or unknown — a hop whose TLS the logs did not record, or a certificate
 * whose issuer or validity they did not record, is reported as `unknown` for the rule, never as a
 * violation. TLS rules judge hops; certificate rules judge the certificates the logs show
 * (query/sql/certificates.ts), each server and connector by the newest certificate it presented.
 */
export const TLS_RULE_KINDS = ['min-tls-version', 'verified-tls', 'no-plaintext'] as const;
export const CERTIFICATE_RULE_KINDS = ['ca-issued-certificate', 'certificate-expiry'] as const;
export const POLICY_RULE_KINDS = [...TLS_RULE_KINDS, ...CERTIFICATE_RULE_KINDS] as const;
export const PolicyRuleKind = z.enum(POLICY_RULE_KINDS);
export type PolicyRuleKind = z.infer<typeof PolicyRuleKind>;

export const Severity = z.enum(['warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

/**
 * TLS versions oldest first, as stored (ingest/formats/tls-version.ts; Postfix writes 1.0 as
 * `TLSv1`). The weak list of schemas/views.ts is exactly what ranks below TLSv1.2 here (pinned by a test).
 */
export const TLS_VERSION_RANK: Readonly<Record<string, number>> = Object.freeze({ SSLv2: 0, SSLv3: 1, TLSv1: 2, 'TLSv1.0': 2, 'TLSv1.1': 3, 'TLSv1.2': 4, 'TLSv1.3': 5 });
export const MinTlsVersion = z.enum(['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
/** what verified-tls accepts: the peer's chain checked against a trust anchor (and, for verified, its name) */
export const VERIFIED_TRUST: readonly TlsTrust[] = ['trusted', 'verified'];

const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;
/**
 * What one incident covers (a rule's `groupBy`): every violating route (server pair, and matched
 * domain) on its own — the default, as before — or all of a rule's routes that share the sending
 * server, the receiving server or the matched domain, or all of the rule's routes at once. A broad
 * rule (every outside client to the edge) otherwise opens one incident, and sends one alert, per
 * client. Add a value here and in INCIDENT_SCOPE_PARTS (and the SQL of query/policy/sql.ts).
 */
export const INCIDENT_SCOPES = ['route', 'from', 'to', 'domain', 'rule'] as const;
export const IncidentScope = z.enum(INCIDENT_SCOPES, {
  error: (iss) => `groupBy ${JSON.stringify(iss.input)} is not one of ${INCIDENT_SCOPES.join(', ')} (route: one incident per server pair; from / to: per sending / receiving server; domain: per matched domain; rule: one for the whole rule)`,
});
export type IncidentScope = z.infer<typeof IncidentScope>;
/** which of a route's parts an incident of each scope keeps (the others read as '') */
export const INCIDENT_SCOPE_PARTS: Readonly<Record<IncidentScope, readonly ('from' | 'to' | 'domain')[]>> = Object.freeze({
  route: ['from', 'to', 'domain'], from: ['from'], to: ['to'], domain: ['domain'], rule: [],
});

const server = z.string().min(1).max(255).regex(/^\S+$/, 'a server name has no spaces').transform((s) => s.toLowerCase());
const servers = z.array(server).min(1, 'list at least one server').max(1000);

/** Where a rule applies: every field given must hold (AND); at least one is required. */
const scope = {
  /** a name of 1–64 letters, digits, . _ - : part of incident keys and of mail headers */
  name: z.string().regex(RULE_NAME, 'a rule name is 1 to 64 letters, digits, . _ - (it becomes part of incident keys and mail headers)'),
  severity: Severity.default('warning'),
  /** true: both ends are servers whose logs we hold; false: at least one end is not */
  internal: z.boolean().optional(),
  /** either end is one of these servers (names as the trace shows them, e.g. `edge`) */
  servers: servers.optional(),
  /** the sending end is one of these */
  from: servers.optional(),
  /** the receiving end is one of these */
  to: servers.optional(),
  /** recipients in these domains (or their subdomains) and/or hops to or from hosts under them */
  domains: z.array(z.string().regex(DOMAIN, 'a domain such as partner.example').transform((d) => d.toLowerCase())).min(1, 'list at least one domain').max(1000).optional(),
  /** how `domains` match: the recipient's domain, a hop end's host name suffix, or either (default) */
  domainMatch: z.enum(['recipient', 'host', 'either']).optional(),
  /** what one incident (and its one alert) covers; default route, one per server pair */
  groupBy: IncidentScope.default('route'),
};

const MinTlsVersionRule = z.object({ kind: z.literal('min-tls-version'), ...scope, minVersion: MinTlsVersion }).strict();
const VerifiedTlsRule = z.object({ kind: z.literal('verified-tls'), ...scope }).strict();
const NoPlaintextRule = z.object({ kind: z.literal('no-plaintext'), ...scope }).strict();

/**
 * Where a certificate rule applies: certificates presented by these servers (names as the
 * certificates page shows them) and/or by servers of these roles (known where the server's own
 * logs say: Exchange); neither: every certificate the logs show. An incident covers one server
 * and connector (groupBy route, the default), one server (from) or the whole rule (rule).
 */
const certificateScope = {
  name: scope.name,
  severity: scope.severity,
  servers: servers.optional(),
  roles: z.array(z.enum(['edge', 'hub', 'mailbox', 'frontend'])).min(1, 'list at least one role').optional(),
  groupBy: z.enum(['route', 'from', 'rule'], { error: (iss) => `groupBy ${JSON.stringify(iss.input)} is not one of route, from, rule for a certificate rule (route: per server and connector; from: per server; rule: one incident)` }).default('route'),
};
/** "the edge presents a CA-issued certificate": a self-signed one (issuer = subject) violates */
const CaIssuedCertificateRule = z.object({ kind: z.literal('ca-issued-certificate'), ...certificateScope }).strict();
/** "no certificate expires within N days": expired or expiring within withinDays (default 30) violates */
const CertificateExpiryRule = z.object({ kind: z.literal('certificate-expiry'), ...certificateScope, withinDays: z.number().int().min(1).max(3650).default(30) }).strict();

const TlsRule = z.discriminatedUnion('kind', [MinTlsVersionRule, VerifiedTlsRule, NoPlaintextRule]);
export type TlsRule = z.infer<typeof TlsRule>;
export const CertificateRule = z.discriminatedUnion('kind', [CaIssuedCertificateRule, CertificateExpiryRule]);
export type CertificateRule = z.infer<typeof CertificateRule>;

export function isCertificateRule(r: PolicyRule): r is CertificateRule {
  return (CERTIFICATE_RULE_KINDS as readonly string[]).includes(r.kind);
}

export const PolicyRule = z.discriminatedUnion('kind', [MinTlsVersionRule, VerifiedTlsRule, NoPlaintextRule, CaIssuedCertificateRule, CertificateExpiryRule], {
  error: (iss) => iss.code === 'invalid_union'
    ? `unknown rule kind ${JSON.stringify((iss.input as { kind?: unknown } | undefined)?.kind)}: one of ${POLICY_RULE_KINDS.join(', ')}`
    : undefined,
}).superRefine((r, ctx) => {
  if (r.kind === 'ca-issued-certificate' || r.kind === 'certificate-expiry') return;
  // a rule without a scope would judge every hop of the world, including the internet's first hops
  if (r.internal === undefined && !r.servers && !r.from && !r.to && !r.domains) {
    ctx.addIssue({ code: 'custom', message: `rule ${r.name} needs a scope: internal, servers, from, to or domains` });
  }
  if (r.domainMatch && !r.domains) ctx.addIssue({ code: 'custom', path: ['domainMatch'], message: 'domainMatch needs domains' });
  if (r.groupBy === 'domain' && !r.domains) ctx.addIssue({ code: 'custom', path: ['groupBy'], message: 'groupBy domain needs domains (a rule without them matches no domain)' });
});
export type PolicyRule = z.infer<typeof PolicyRule>;

/** Minutes a check looks back, and without a violation before an incident is closed. */
export const POLICY_DEFAULTS = Object.freeze({ windowMinutes: 15, healAfterMinutes: 60 });

/**
 * The `policy` section. The timing keys are optional in the parsed value (config-file.ts defaults
 * the section to `{ rules: [] }`): read them through POLICY_DEFAULTS.
 */
export const TlsPolicy = z.object({
  rules: z.array(PolicyRule).max(200).default([]),
  windowMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
  healAfterMinutes: z.number().int().min(1).max(30 * 24 * 60).optional(),
}).strict().superRefine((p, ctx) => {
  const seen = new Set<string>();
  for (const [i, r] of p.rules.entries()) {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `the rule name ${r.name} is used twice (incident keys start with it)` });
    seen.add(r.name);
  }
});
export type TlsPolicy = z.infer<typeof TlsPolicy>;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Notices sent per check at most (see AlertSinks.maxPerCheck); read through ALERT_DEFAULTS. */
export const ALERT_DEFAULTS = Object.freeze({ maxPerCheck: 20 });

/** The `alerts` section: where an incident's alert and its resolved notice go. */
export const AlertSinks = z.object({
  /**
   * Notices (an alert or a resolved notice, each to every sink) one check sends at most; the rest
   * go out as one digest that lists them (0: every notice goes into the digest). A safety net
   * under groupBy: a storm of incidents costs a mailbox maxPerCheck + 1 mails, not thousands.
   */
  maxPerCheck: z.number().int('maxPerCheck is a whole number of notices').min(0, 'maxPerCheck is 0 or more (0: every notice goes into the digest)').max(1000, 'maxPerCheck is at most 1000').optional(),
  /** POST of the notice as JSON (AlertNotice), 10 s timeout; a failure is retried at the next check */
  webhook: z.object({
    url: z.url({ protocol: /^https?$/, error: 'webhook.url is an http:// or https:// URL' }),
    headers: z.record(z.string().regex(HEADER_NAME, 'a header name'), z.string().max(4096).regex(/^[^\r\n]*$/, 'a header value is one line')).optional(),
  }).strict().optional(),
  /** mail through the `smtp` section's relay, with X-Mailtrace-Incident: <incident id> */
  email: z.object({ to: z.array(z.email()).min(1, 'list at least one address').max(100) }).strict().optional(),
}).strict();
export type AlertSinks = z.infer<typeof AlertSinks>;
export const AlertSink = z.enum(['webhook', 'email']);
export type AlertSink = z.infer<typeof AlertSink>;

const count = z.number().int().nonnegative();

/** The certificate a certificate rule's finding is about (query/sql/certificates.ts CertificateRow). */
export const CertificateEvidence = z.object({
  subject: z.string(),
  issuer: z.string(),
  serial: z.string(),
  fingerprint: z.string(),
  notAfter: z.string(),
  daysLeft: z.number().int().nullable(),
  issuance: z.enum(['self-signed', 'ca-issued', 'unknown']),
  /** the server whose log recorded it */
  loggedBy: z.string(),
});
export type CertificateEvidence = z.infer<typeof CertificateEvidence>;

/**
 * One hop that shows a finding, with the evidence its TLS verdict rests on — or, for a
 * certificate rule, the certificate (messageId, recipient and TLS fields then empty/unknown,
 * start = when the certificate was last presented).
 */
export const PolicySample = z.object({
  messageId: z.string(),
  /** what /api/messages/:id/trace takes (the message id, or a queue id when no line names one) */
  traceId: z.string(),
  recipient: z.string(),
  start: z.string(),
  tls: TlsStatus,
  tlsVersion: z.string(),
  tlsTrust: TlsTrust,
  tlsEvidence: z.string(),
  certificate: CertificateEvidence.optional(),
});
export type PolicySample = z.infer<typeof PolicySample>;

/** One route of an incident, with its violating hand-offs since the incident's first violation. */
export const IncidentRoute = z.object({
  from: z.string(),
  to: z.string(),
  domain: z.string(),
  handoffs: count,
  firstSeen: z.string(),
  lastSeen: z.string(),
});
export type IncidentRoute = z.infer<typeof IncidentRoute>;
/** routes an incident lists at most (most hand-offs first); routeCount says how many there are */
export const ROUTES_LISTED = 20;

/**
 * What one rule found on one server pair (and domain, for a rule with domains) in a time range:
 * `violation` (evidence that the requirement was broken) or `unknown` (the logs do not say).
 */
export const PolicyFinding = z.object({
  /** incidentKey(rule, from, to, domain) */
  key: z.string(),
  rule: z.string(),
  kind: PolicyRuleKind,
  severity: Severity,
  verdict: z.enum(['violation', 'unknown']),
  from: z.string(),
  to: z.string(),
  /** which of the rule's domains matched ('' for a rule without domains) */
  domain: z.string(),
  /** hand-offs, each counted once however many recipients crossed it */
  handoffs: count,
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** up to 5, newest first, one per hand-off */
  samples: z.array(PolicySample).max(5),
});
export type PolicyFinding = z.infer<typeof PolicyFinding>;

/** GET /api/policy/violations?from&to (ISO 8601): the findings of every configured rule. */
/** a time range; without one, the last 24 hours */
export const PolicyQuery = z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() }).strict();
export type PolicyQuery = z.infer<typeof PolicyQuery>;
export const PolicyReport = z.object({
  from: z.string(),
  to: z.string(),
  /** the configured rules (a rule without findings met the policy in the range; none: no policy configured) */
  rules: z.array(z.object({ name: z.string(), kind: PolicyRuleKind, severity: Severity })),
  findings: z.array(PolicyFinding),
});
export type PolicyReport = z.infer<typeof PolicyReport>;

/** A notice still owed to a sink: `opened:webhook`, `resolved:email`, … */
export const PendingNotice = z.enum(['opened:webhook', 'opened:email', 'resolved:webhook', 'resolved:email']);
export type PendingNotice = z.infer<typeof PendingNotice>;

/**
 * One violation episode of a key: opened when the key starts violating, resolved after
 * healAfterMinutes without a violation on any of its routes.
 */
export const PolicyIncident = z.object({
  /** `<key>@<openedAt>`: the X-Mailtrace-Incident header, the same on the alert and on its resolved notice */
  id: z.string(),
  key: z.string(),
  rule: z.string(),
  kind: PolicyRuleKind,
  severity: Severity,
  /** the rule's groupBy when the incident opened */
  groupBy: IncidentScope,
  /** the parts of a route the scope keeps; '' for the parts its routes differ in */
  from: z.string(),
  to: z.string(),
  domain: z.string(),
  /** the violating routes, most hand-offs first, at most ROUTES_LISTED */
  routes: z.array(IncidentRoute).max(ROUTES_LISTED),
  /** how many routes violated in this incident (listed or not) */
  routeCount: count,
  state: z.enum(['open', 'resolved']),
  openedAt: z.string(),
  /** '' while open */
  resolvedAt: z.string(),
  /** the first and last violating hop (hop times, not check times) */
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** violating hand-offs from firstSeen to lastSeen */
  handoffs: count,
  samples: z.array(PolicySample).max(5),
  /** notices not yet delivered (retried at every check until they are) */
  pending: z.array(PendingNotice),
  /** failed deliveries so far, and the last failure's words */
  failures: count,
  lastError: z.string(),
});
export type PolicyIncident = z.infer<typeof PolicyIncident>;


/**
 * The deterministic key of a violation: rule + server pair (+ matched domain). Parts are
 * percent-encoded, so the key is one header-safe line and two different pairs never share one.
 */
export function incidentKey(rule: string, from: string, to: string, domain: string): string {
  const e = encodeURIComponent;
  return `${rule}:${e(from)}>${e(to)}${domain ? `:${e(domain)}` : ''}`;
}

/** What an incident of `scope` keeps of one of its routes: the parts the scope names, '' for the rest. */
export function incidentScopeOf(scope: IncidentScope, route: { from: string; to: string; domain: string }): { from: string; to: string; domain: string } {
  const keep = INCIDENT_SCOPE_PARTS[scope];
  return { from: keep.includes('from') ? route.from : '', to: keep.includes('to') ? route.to : '', domain: keep.includes('domain') ? route.domain : '' };
}

/**
 * The key of the incident a route's violation belongs to under the rule's groupBy. `route` keeps
 * incidentKey (stores made before groupBy keep their keys); the grouped keys contain a `/`, which
 * a rule name cannot, so they never meet a route key: `rule/to:edge`, `rule/all`.
 */
export function groupedIncidentKey(rule: string, scope: IncidentScope, route: { from: string; to: string; domain: string }): string {
  if (scope === 'route') return incidentKey(rule, route.from, route.to, route.domain);
  if (scope === 'rule') return `${rule}/all`;
  return `${rule}/${scope}:${encodeURIComponent(route[scope])}`;
}

/** What an incident covers, in words (mail subjects, the CLI): `hub -> mailbox`, `* -> edge (30 routes)`. */
export function scopeWords(i: Pick<PolicyIncident, 'groupBy' | 'from' | 'to' | 'domain' | 'routeCount'>): string {
  if (i.groupBy === 'route') return `${i.from || '?'} -> ${i.to || '?'}${i.domain ? ` (${i.domain})` : ''}`;
  if (i.groupBy === 'rule') return `all routes of the rule (${i.routeCount})`;
  const n = `${i.routeCount} route${i.routeCount === 1 ? '' : 's'}`;
  // a grouped incident keeps one end (or the domain): the other reads as any
  return i.groupBy === 'domain' ? `domain ${i.domain} (${n})` : `${i.from || '*'} -> ${i.to || '*'} (${n})`;
}

export const INCIDENTS_TABLE = 'policy_incidents';

/** Incident columns added after the first release (groupBy): stores made before get them at start. */
const ADDED_INCIDENT_COLUMNS: readonly (readonly [string, string])[] = [['groupBy', "LowCardinality(String) DEFAULT 'route'"], ['routes', 'String'], ['routeCount', 'UInt64 DEFAULT 1']];

/**
 * One row per incident, replaced by a higher version at each change (ReplacingMergeTree: read
 * with FINAL). Ordered by key then opening time: a key's history stays, one row per episode.
 */
export function policyDdl(db: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${INCIDENTS_TABLE} (
      id String,
      key String,
      rule LowCardinality(String),
      kind LowCardinality(String),
      severity LowCardinality(String),
      \`from\` String,
      \`to\` String,
      domain String,
      ${ADDED_INCIDENT_COLUMNS.map(([c, t]) => `${c} ${t},`).join('\n      ')}
      state LowCardinality(String),
      openedAt DateTime64(3, 'UTC'),
      resolvedAt DateTime64(3, 'UTC'),
      firstSeen DateTime64(3, 'UTC'),
      lastSeen DateTime64(3, 'UTC'),
      handoffs UInt64,
      samples String,
      pending Array(LowCardinality(String)),
      failures UInt32,
      lastError String,
      version UInt64
    ) ENGINE = ReplacingMergeTree(version)
    ORDER BY (key, openedAt)`,
    // added with groupBy: a row written before reads as its one route (incidents.ts fills `routes` from it)
    ...ADDED_INCIDENT_COLUMNS.map(([c, t]) => `ALTER TABLE ${db}.${INCIDENTS_TABLE} ADD COLUMN IF NOT EXISTS ${c} ${t}`),
  ];
}

/** GET /api/policy/incidents */
export const IncidentQuery = z.object({ state: z.enum(['open', 'resolved']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();
export type IncidentQuery = z.infer<typeof IncidentQuery>;
export const IncidentList = z.object({ incidents: z.array(PolicyIncident) });
/** POST /api/admin/policy/check: whether a check ran, and what it did (incidents opened and resolved, notices delivered or failed) */
export const PolicyCheckAnswer = z.object({ ran: z.boolean(), reason: z.string().optional(), result: z.record(z.string(), z.unknown()).optional() });

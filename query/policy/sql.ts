import { EVENTS_TABLE, HOPS_TABLE, TLS_VERSION_RANK, UNVERIFIED_TRUST, VERIFIED_TRUST, type IncidentScope, type TlsRule } from '../../schemas/index.ts';
import type { QueryParams, Store } from '../../store/index.ts';

/**
 * The SQL of the TLS policy: one rule → the WHERE of its hops and the verdict of each. Every value
 * is a {name:Type} parameter; the only spliced text is table names from the DDL module and the
 * fixed fragments below. Only hops our logs saw count (provenance log or both): a header-only hop
 * is a claim by a server outside them, no evidence against us.
 */

/** A hand-off's identity: right when the rows of one hand-off may fall into different groups. */
const IDENTITY = '(messageKey, `from`, `to`, fromQueueId, toQueueId, rule)';

/** The time range, and per incident scope an earlier start (an open incident counts from its first violation). */
export interface RuleRange {
  from: string;
  to: string;
  /** resumeKeyOf(the rule's groupBy, the incident's scope) → ISO start */
  resume?: ReadonlyMap<string, string>;
}

export const groupOf = (from: string, to: string, domain: string): string => `${from} ${to} ${domain}`;

/**
 * What names an incident's routes, in TypeScript and as the SQL of a row (one fixed fragment per
 * scope, the two side by side): every hop of a route that belongs to an open incident counts from
 * the incident's first violation, a route that joins a grouped incident later too.
 */
export function resumeKeyOf(scope: IncidentScope, s: { from: string; to: string; domain: string }): string {
  return scope === 'route' ? groupOf(s.from, s.to, s.domain) : scope === 'rule' ? '' : s[scope];
}
const RESUME_KEY_SQL: Readonly<Record<IncidentScope, string>> = {
  route: "concat(`from`, ' ', `to`, ' ', domain)", from: '`from`', to: '`to`', domain: 'domain', rule: "''",
};

/**
 * A server whose logs we hold: a host our ingested logs name (not a Received header's `by`), or an
 * end Exchange gave a role (it names roles only for its own servers; peers are `external`).
 */
function internalHop(store: Store): string {
  const ours = `(SELECT DISTINCT host FROM ${store.table(EVENTS_TABLE)} WHERE kind NOT IN ('received', 'content'))`;
  return `((fromRole NOT IN ('', 'external') AND toRole NOT IN ('', 'external')) OR (\`from\` IN ${ours} AND \`to\` IN ${ours}))`;
}

const under = (host: string) => `(${host} = d OR endsWith(${host}, concat('.', d)))`;
const RCPT_DOMAIN = "if(position(recipient, '@') > 0, lower(splitByChar('@', recipient)[-1]), '')";

/** The rule's domains that this row matches first, '' for none (a fixed fragment per domainMatch). */
function matchedDomain(rule: TlsRule): string {
  const by = rule.domainMatch ?? 'either';
  const parts: string[] = [];
  if (by !== 'host') parts.push(under(RCPT_DOMAIN));
  if (by !== 'recipient') parts.push(under('lower(`to`)'), under('lower(`from`)'));
  return `arrayFirst(d -> ${parts.join(' OR ')}, {domains:Array(String)})`;
}

/**
 * Violation and unknown, per kind. A requirement on an attribute of the TLS session (version,
 * trust) is broken by plaintext or by a value on the bad list; an encrypted hop whose value is on
 * neither list (not recorded, or a spelling we do not rank) is unknown, like a hop of unknown TLS.
 */
function verdict(rule: TlsRule, params: QueryParams): { violation: string; unknown: string } {
  if (rule.kind === 'no-plaintext') return { violation: "tls = 'plaintext'", unknown: "tls = 'unknown'" };
  let column: string;
  if (rule.kind === 'min-tls-version') {
    const min = TLS_VERSION_RANK[rule.minVersion] ?? 0;
    params.bad = Object.keys(TLS_VERSION_RANK).filter((v) => (TLS_VERSION_RANK[v] ?? 0) < min);
    params.good = Object.keys(TLS_VERSION_RANK).filter((v) => (TLS_VERSION_RANK[v] ?? 0) >= min);
    column = 'tlsVersion';
  } else {
    // '' is no verdict on the certificate: the logs did not say how far it was checked
    params.bad = UNVERIFIED_TRUST.filter((t) => t !== '');
    params.good = [...VERIFIED_TRUST];
    column = 'tlsTrust';
  }
  return {
    violation: `(tls = 'plaintext' OR (tls = 'encrypted' AND ${column} IN {bad:Array(String)}))`,
    unknown: `(tls = 'unknown' OR (tls = 'encrypted' AND ${column} NOT IN {bad:Array(String)} AND ${column} NOT IN {good:Array(String)}))`,
  };
}

/** The rows of one rule in a range, with `domain` and `verdict` columns; '' verdicts left out. */
function ruleRows(store: Store, rule: TlsRule, range: RuleRange): { source: string; params: QueryParams; byRecipient: boolean } {
  const params: QueryParams = { from: range.from, to: range.to };
  const where = ["provenance IN ('log', 'both')", 'start < parseDateTime64BestEffort({to:String}, 3)'];
  const resume = range.resume && range.resume.size > 0 ? range.resume : undefined;
  if (resume) {
    params.resumeKeys = [...resume.keys()];
    params.resumeAt = [...resume.values()];
    where.push(`start >= parseDateTime64BestEffort(transform(${RESUME_KEY_SQL[rule.groupBy]}, {resumeKeys:Array(String)}, {resumeAt:Array(String)}, {from:String}), 3)`);
  } else {
    where.push('start >= parseDateTime64BestEffort({from:String}, 3)');
  }
  if (rule.internal !== undefined) where.push(rule.internal ? internalHop(store) : `NOT ${internalHop(store)}`);
  if (rule.servers) {
    where.push('(lower(`from`) IN {servers:Array(String)} OR lower(`to`) IN {servers:Array(String)})');
    params.servers = rule.servers;
  }
  if (rule.from) {
    where.push('lower(`from`) IN {fromServers:Array(String)}');
    params.fromServers = rule.from;
  }
  if (rule.to) {
    where.push('lower(`to`) IN {toServers:Array(String)}');
    params.toServers = rule.to;
  }
  let domain = "''";
  if (rule.domains) {
    domain = matchedDomain(rule);
    params.domains = rule.domains;
    where.push("domain != ''");
  }
  const v = verdict(rule, params);
  where.push("verdict != ''");
  const source = `(SELECT *, ${domain} AS domain, multiIf(${v.violation}, 'violation', ${v.unknown}, 'unknown', '') AS verdict
    FROM ${store.table(HOPS_TABLE)} FINAL WHERE ${where.join(' AND ')})`;
  return { source, params, byRecipient: !!rule.domains && (rule.domainMatch ?? 'either') !== 'host' };
}

/** Per group (server pair, domain, verdict): hand-offs and the first and last hop time. */
export function groupsSql(store: Store, rule: TlsRule, range: RuleRange): { sql: string; params: QueryParams } {
  const r = ruleRows(store, rule, range);
  // narrowed by recipient domain, the first recipient's row of a hand-off may be another domain's
  const handoffs = r.byRecipient ? `uniqExact${IDENTITY}` : 'countIf(firstOfHop = 1)';
  const sql = `SELECT \`from\`, \`to\`, domain, verdict, ${handoffs} AS handoffs, toString(min(start)) AS firstSeen, toString(max(start)) AS lastSeen
    FROM ${r.source} GROUP BY \`from\`, \`to\`, domain, verdict ORDER BY verdict DESC, handoffs DESC, \`from\`, \`to\`, domain`;
  return { sql, params: r.params };
}

/** Up to 5 samples per group, newest first, one row per hand-off. */
export function samplesSql(store: Store, rule: TlsRule, range: RuleRange): { sql: string; params: QueryParams } {
  const r = ruleRows(store, rule, range);
  const cols = '`from`, `to`, domain, verdict, messageId, recipient, tls, tlsVersion, tlsTrust, tlsEvidence, fromQueueId, toQueueId';
  const order = 'ORDER BY start DESC, messageId, recipient';
  const sql = `SELECT ${cols}, toString(start) AS startText FROM (
      SELECT ${cols}, start FROM ${r.source} ${order} LIMIT 1 BY ${IDENTITY.slice(1, -1)}
    ) ${order} LIMIT 5 BY \`from\`, \`to\`, domain, verdict`;
  return { sql, params: r.params };
}

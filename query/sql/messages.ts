import { z } from 'zod';
import { EVENTS_TABLE, HOPS_TABLE, MessageList, MESSAGES_TABLE, ProtectionMechanism, Rejection, REJECTED_TABLE, RecipientStatus, Summary, type MessageSearch } from '../../schemas/index.ts';

const MECHANISMS = new Set<string>(ProtectionMechanism.options);
import { isoFromStore as isoOf, type QueryParams, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';
import { messageScope } from './scope.ts';

/**
 * SQL for search and summary. Both read what stitching stored (the messages and hops tables):
 * a recipient's status and a hop's TLS are decided once, there, and read the same way here as by
 * the trace. Values always travel as {name:Type} parameters; the only spliced text is table names
 * from the DDL module and fixed fragments chosen below.
 */
export function buildSearch(store: Store, s: MessageSearch): { sql: string; countSql: string; params: QueryParams } {
  const where: string[] = ['1'];
  const params: QueryParams = { limit: s.limit, offset: s.offset };
  if (s.messageId) {
    where.push('messageId = {messageId:String}');
    params.messageId = s.messageId.startsWith('<') ? s.messageId : `<${s.messageId}>`;
  }
  if (s.sender) {
    where.push(addressMatch(s.sender, 'sender = {sender:String}', 'endsWith(lower(sender), {senderDomain:String})'));
    Object.assign(params, { sender: s.sender, senderDomain: domainSuffix(s.sender) });
  }
  if (s.recipient) {
    where.push(addressMatch(s.recipient, 'has(recipients, {recipient:String})', 'arrayExists(r -> endsWith(lower(r), {recipientDomain:String}), recipients)'));
    Object.assign(params, { recipient: s.recipient, recipientDomain: domainSuffix(s.recipient) });
  }
  if (s.queueId) {
    where.push('has(queueIds, {queueId:String})');
    params.queueId = s.queueId;
  }
  // a time range selects messages seen at any time within it: the views' rule (scope.ts)
  const range = messageScope({ from: s.from, to: s.to });
  where.push(range.where);
  Object.assign(params, range.params);
  if (s.status) {
    where.push('status = {status:String}');
    params.status = s.status;
  }
  if (s.protection) {
    // fixed fragments per filter value; a mechanism travels as a parameter
    if (s.protection === 'any') where.push('notEmpty(protection)');
    else if (s.protection === 'none') where.push('protectionKnown = 1 AND empty(protection)');
    else if (s.protection === 'unknown') where.push('protectionKnown = 0');
    else {
      where.push('has(protection, {protection:String})');
      params.protection = s.protection;
    }
  }
  const from = `${store.table(MESSAGES_TABLE)} FINAL WHERE ${where.join(' AND ')}`;
  const sql = `SELECT messageKey, messageId, sender, recipients, hosts, queueIds, toString(firstSeen) AS firstSeenText, toString(lastSeen) AS lastSeenText, plaintextHops, status, protection, protectionKnown
    FROM ${from} ORDER BY firstSeen DESC, messageKey LIMIT {limit:UInt32} OFFSET {offset:UInt32}`;
  return { sql, countSql: `SELECT count() AS total FROM ${from}`, params };
}

/**
 * A sender or recipient filter: a whole address matches itself; `@example.org` matches every address
 * at that domain (not its subdomains), and so does `example.org` — which also matches itself, as a
 * sender logged without a domain (`MAILER-DAEMON`) still must. A domain search is how a viewer
 * searches while local parts are redacted (query/api/access.ts). Fixed fragments; values are
 * parameters.
 */
function addressMatch(value: string, exact: string, byDomain: string): string {
  if (value.startsWith('@')) return byDomain;
  return value.includes('@') ? exact : `(${exact} OR ${byDomain})`;
}

/** what a domain search's addresses end with: `@` and the domain, lower case */
function domainSuffix(value: string): string {
  return `@${value.replace(/^@/, '').toLowerCase()}`;
}

interface RawRow {
  messageKey: string;
  messageId: string;
  sender: string;
  recipients: string[];
  hosts: string[];
  queueIds: string[];
  firstSeenText: string;
  lastSeenText: string;
  plaintextHops: number | string;
  status: string;
  protection: string[];
  protectionKnown: number | string;
}

export async function searchMessages(store: Store, s: MessageSearch): Promise<MessageList> {
  const { sql, countSql, params } = buildSearch(store, s);
  const rows = await store.query<RawRow>(sql, params);
  const total = await store.query<{ total: string | number }>(countSql, params);
  return fromStore(MessageList, {
    total: Number(total[0]?.total ?? 0),
    limit: s.limit,
    offset: s.offset,
    messages: rows.map((r) => ({
      messageId: r.messageId,
      // what the trace route takes: the message id, or a queue id when no ingested line names one
      traceId: r.messageId || (r.queueIds[0] ?? ''),
      sender: r.sender,
      recipients: r.recipients,
      hosts: r.hosts,
      firstSeen: isoOf(r.firstSeenText),
      lastSeen: isoOf(r.lastSeenText),
      status: RecipientStatus.catch('unknown').parse(r.status),
      plaintextHops: Number(r.plaintextHops),
      protection: r.protection.filter((m): m is ProtectionMechanism => MECHANISMS.has(m)),
      protectionKnown: Number(r.protectionKnown) === 1,
    })),
  }, 'message rows');
}

export async function summarize(store: Store): Promise<Summary> {
  const messages = store.table(MESSAGES_TABLE);
  const [counts] = await store.query<{ messages: string }>(`SELECT count() AS messages FROM ${messages} FINAL`);
  const byStatus = await store.query<{ status: string; n: string }>(
    `SELECT arrayJoin(recipientStatuses) AS status, count() AS n FROM ${messages} FINAL GROUP BY status`);
  // refusals in sessions that never queued a message: no message to count them under
  const [refused] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table(EVENTS_TABLE)} FINAL WHERE kind = 'reject' AND messageId = '' AND queueId = ''`);
  // one hand-off counted once, however many recipients crossed it (as stitching keys it)
  const hops = await store.query<{ tls: string; n: string }>(
    `SELECT tls, countIf(firstOfHop = 1) AS n FROM ${store.table(HOPS_TABLE)} FINAL GROUP BY tls`);
  const byProtection = await store.query<{ m: string; n: string }>(
    `SELECT arrayJoin(protection) AS m, count() AS n FROM ${messages} FINAL GROUP BY m`);
  const [protectionCounts] = await store.query<{ none: string; unknown: string }>(
    `SELECT countIf(protectionKnown = 1 AND empty(protection)) AS none, countIf(protectionKnown = 0) AS unknown FROM ${messages} FINAL`);
  const provenance = await store.query<{ provenance: string; n: string }>(
    `SELECT provenance, countIf(firstOfHop = 1) AS n FROM ${store.table(HOPS_TABLE)} FINAL GROUP BY provenance`);
  const rejected = await store.query<{ reason: string; n: string }>(`SELECT reason, count() AS n FROM ${store.table(REJECTED_TABLE)} FINAL GROUP BY reason`);
  const recipientsByStatus: Summary['recipientsByStatus'] = { delivered: 0, deferred: 0, bounced: 0, rejected: 0, unknown: 0 };
  for (const r of byStatus) recipientsByStatus[RecipientStatus.catch('unknown').parse(r.status)] += Number(r.n);
  const hopsByTls: Summary['hopsByTls'] = { encrypted: 0, plaintext: 0, unknown: 0 };
  for (const h of hops) if (h.tls === 'encrypted' || h.tls === 'plaintext' || h.tls === 'unknown') hopsByTls[h.tls] += Number(h.n);
  const rejectedByReason: Record<string, number> = {};
  let rejectedLines = 0;
  for (const r of rejected) {
    rejectedByReason[r.reason] = Number(r.n);
    rejectedLines += Number(r.n);
  }
  const messagesByProtection = Object.fromEntries(ProtectionMechanism.options.map((m) => [m, 0])) as Summary['messagesByProtection'];
  for (const r of byProtection) if (MECHANISMS.has(r.m)) messagesByProtection[r.m as ProtectionMechanism] = Number(r.n);
  const hopsByProvenance: Summary['hopsByProvenance'] = { log: 0, header: 0, both: 0 };
  for (const p of provenance) if (p.provenance === 'log' || p.provenance === 'header' || p.provenance === 'both') hopsByProvenance[p.provenance] += Number(p.n);
  return fromStore(Summary, {
    messages: Number(counts?.messages ?? 0), recipientsByStatus, refusedWithoutMessage: Number(refused?.n ?? 0), hopsByTls,
    messagesByProtection, messagesUnprotected: Number(protectionCounts?.none ?? 0), messagesProtectionUnknown: Number(protectionCounts?.unknown ?? 0), hopsByProvenance,
    rejectedLines, rejectedByReason,
  }, 'counts');
}

export async function listRejected(store: Store, limit: number): Promise<Rejection[]> {
  const rows = await store.query<Record<string, unknown>>(`SELECT reason, detail, sourceFile, sourceOffset, lineNumber, excerpt FROM ${store.table(REJECTED_TABLE)} FINAL ORDER BY ingestedAt DESC, sourceFile, sourceOffset LIMIT {limit:UInt32}`, { limit });
  return fromStore(z.array(Rejection), rows.map((r) => ({ ...r, sourceOffset: Number(r.sourceOffset), lineNumber: Number(r.lineNumber) })), 'rejected lines');
}

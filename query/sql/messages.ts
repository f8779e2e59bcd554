import { EVENTS_TABLE, REJECTED_TABLE, type MessageList, type MessageSearch, type MessageSummaryRow, type RecipientStatus, type Summary } from '../../schemas/index.ts';
import type { QueryParams, Store } from '../../store/index.ts';
import { FINAL_PROGRAMS, isoOf } from '../trace/reconstruct.ts';

/**
 * SQL for search and summary. Values always travel as {name:Type} parameters; the only spliced
 * text is table names from the DDL module and fixed fragments chosen below.
 */
/**
 * Which outcome is the later word on a recipient when log times tie (whole-second syslog stamps
 * put a whole relay chain in one second): a hand-off to a next queue is never final, then a
 * refusal (the sender's own line says what it did about it), a deferral, a final delivery, and a
 * bounce or expiry, after which nothing more happens to that recipient.
 */
export const OUTCOME_RANK = `multiIf(kind = 'delivery' AND status = 'sent' AND nextQueueId != '', 0, kind = 'reject', 1, status = 'deferred', 2, status = 'sent', 3, 4)`;

export function buildSearch(store: Store, s: MessageSearch): { sql: string; countSql: string; params: QueryParams } {
  const events = store.table(EVENTS_TABLE);
  const where: string[] = [`messageId != ''`];
  const params: QueryParams = { limit: s.limit, offset: s.offset };
  const sub = (cond: string): string => `messageId IN (SELECT messageId FROM ${events} WHERE ${cond} AND messageId != '')`;
  if (s.messageId) {
    where.push('messageId = {messageId:String}');
    params.messageId = s.messageId.startsWith('<') ? s.messageId : `<${s.messageId}>`;
  }
  if (s.sender) {
    where.push(sub('sender = {sender:String}'));
    params.sender = s.sender;
  }
  if (s.recipient) {
    where.push(sub('(recipient = {recipient:String} OR origRecipient = {recipient:String})'));
    params.recipient = s.recipient;
  }
  if (s.queueId) {
    where.push(sub('queueId = {queueId:String}'));
    params.queueId = s.queueId;
  }
  // a time range selects messages with any line in it; their other lines still count
  const range: string[] = [];
  if (s.from) {
    range.push(`ts >= parseDateTime64BestEffort({from:String}, 3)`);
    params.from = s.from;
  }
  if (s.to) {
    range.push(`ts < parseDateTime64BestEffort({to:String}, 3)`);
    params.to = s.to;
  }
  if (range.length > 0) where.push(sub(range.join(' AND ')));
  const grouped = `
    SELECT messageId,
      anyIf(sender, sender != '') AS sender,
      groupUniqArrayIf(recipient, kind IN ('delivery', 'reject') AND recipient != '') AS recipients,
      arraySort(x -> x.1, groupArray((ts, host))) AS hostSeen,
      groupUniqArrayIf((host, nextQueueId), kind = 'delivery' AND nextQueueId != '') AS links,
      groupUniqArrayIf((host, queueId), queueId != '') AS queues,
      toString(min(ts)) AS firstSeen,
      toString(max(ts)) AS lastSeen,
      countIf(kind = 'receive' AND tls = 'plaintext') AS plaintextHops,
      arraySort(x -> (x.1, x.2), groupArrayIf((ts, ${OUTCOME_RANK}, recipient, status), kind IN ('delivery', 'reject') AND recipient != '')) AS outcomes
    FROM ${events} FINAL
    WHERE ${where.join(' AND ')}
    GROUP BY messageId`;
  const statusExpr = `multiIf(
      has(last, 'bounced') OR has(last, 'expired'), 'bounced',
      has(last, 'rejected'), 'rejected',
      has(last, 'deferred'), 'deferred',
      length(last) > 0 AND arrayAll(x -> x = 'sent', last), 'delivered',
      'unknown')`;
  // last status per recipient = the status of its latest outcome across hosts, ties by OUTCOME_RANK
  const withStatus = `
    SELECT messageId, sender, recipients, hostSeen, links, queues, firstSeen, lastSeen, plaintextHops,
      arrayMap(r -> arrayFilter(x -> x.3 = r, outcomes)[-1].4, recipients) AS last,
      ${statusExpr} AS status
    FROM (${grouped})`;
  const statusFilter = s.status ? 'WHERE status = {status:String}' : '';
  if (s.status) params.status = s.status;
  const sql = `SELECT messageId, sender, recipients, hostSeen, links, queues, firstSeen, lastSeen, plaintextHops, status FROM (${withStatus}) ${statusFilter}
    ORDER BY firstSeen DESC, messageId LIMIT {limit:UInt32} OFFSET {offset:UInt32}`;
  const countSql = `SELECT count() AS total FROM (${withStatus}) ${statusFilter}`;
  return { sql, countSql, params };
}

interface RawRow extends Omit<MessageSummaryRow, 'plaintextHops' | 'hosts'> {
  plaintextHops: number | string;
  hostSeen: [string, string][];
  links: [string, string][];
  queues: [string, string][];
}

/**
 * Hosts in path order: a host whose delivery names a next queue id comes before the host that
 * holds that queue; otherwise by first appearance (log times alone tie within a second).
 */
export function pathOrder(hostSeen: readonly (readonly [string, string])[], links: readonly (readonly [string, string])[], queues: readonly (readonly [string, string])[]): string[] {
  const seen = [...new Set(hostSeen.map(([, h]) => h))];
  const holder = new Map<string, string[]>();
  for (const [h, q] of queues) holder.set(q, [...(holder.get(q) ?? []), h]);
  const before = new Map<string, Set<string>>(seen.map((h) => [h, new Set<string>()]));
  for (const [from, next] of links) for (const to of holder.get(next) ?? []) if (to !== from) before.get(to)?.add(from);
  const out: string[] = [];
  const placed = new Set<string>();
  while (out.length < seen.length) {
    // the first host (by appearance) whose predecessors are all placed; on a cycle, the first left
    const next = seen.find((h) => !placed.has(h) && [...(before.get(h) ?? [])].every((p) => placed.has(p))) ?? seen.find((h) => !placed.has(h))!;
    out.push(next);
    placed.add(next);
  }
  return out;
}

export async function searchMessages(store: Store, s: MessageSearch): Promise<MessageList> {
  const { sql, countSql, params } = buildSearch(store, s);
  const rows = await store.query<RawRow>(sql, params);
  const total = await store.query<{ total: string | number }>(countSql, params);
  return {
    total: Number(total[0]?.total ?? 0),
    limit: s.limit,
    offset: s.offset,
    messages: rows.map(({ hostSeen, links, queues, ...r }) => ({ ...r, hosts: pathOrder(hostSeen, links, queues), firstSeen: isoOf(r.firstSeen), lastSeen: isoOf(r.lastSeen), plaintextHops: Number(r.plaintextHops), status: r.status as RecipientStatus })),
  };
}

export async function summarize(store: Store): Promise<Summary> {
  const events = store.table(EVENTS_TABLE);
  const [counts] = await store.query<{ messages: string }>(`SELECT uniqExact(messageId) AS messages FROM ${events} WHERE messageId != ''`);
  const byStatus = await store.query<{ status: string; n: string }>(`
    SELECT status, count() AS n FROM (
      SELECT messageId, recipient, argMax(status, (ts, ${OUTCOME_RANK})) AS status
      FROM ${events} FINAL WHERE kind IN ('delivery', 'reject') AND recipient != '' AND messageId != ''
        -- a list or alias that was expanded is not a recipient of its own: its members are
        AND (messageId, recipient) NOT IN (SELECT messageId, origRecipient FROM ${events} WHERE kind = 'expand' AND messageId != '')
      GROUP BY messageId, recipient)
    GROUP BY status`);
  // refusals in sessions that never queued a message: no message to count them under
  const [refused] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${events} FINAL WHERE kind = 'reject' AND messageId = ''`);
  // A hop is a receipt by an ingested host, or a hand-off to a host we have no logs of. A receipt
  // silent on TLS takes its SMTP session's word (Exchange protocol logs), then the sender's; a
  // send takes its own, then its session's (by the queue id or the reply the next hop gave).
  const hops = await store.query<{ tls: string; n: string }>(`
    WITH sends AS (
      SELECT host, queueId, nextQueueId, reply, tls FROM ${events} FINAL
      WHERE kind = 'delivery' AND status = 'sent' AND program NOT IN {notHops:Array(String)}
    ), send_sessions AS (
      SELECT host, nextQueueId, reply, tls FROM ${events} WHERE kind = 'session' AND program = 'smtpsend'
    ), sends_tls AS (
      SELECT s.host AS host, s.queueId AS queueId, s.nextQueueId AS nextQueueId,
        if(s.tls != 'unknown', s.tls, coalesce(x.tls, y.tls, 'unknown')) AS tls
      FROM sends AS s
      LEFT JOIN (SELECT host, nextQueueId, any(tls) AS tls FROM send_sessions WHERE nextQueueId != '' GROUP BY host, nextQueueId) AS x
        ON x.host = s.host AND x.nextQueueId = s.nextQueueId
      LEFT JOIN (SELECT host, reply, any(tls) AS tls FROM send_sessions WHERE reply != '' GROUP BY host, reply) AS y
        ON y.host = s.host AND y.reply = s.reply
    ), receipts AS (
      SELECT r.host AS host, r.queueId AS queueId, if(r.tls != 'unknown', r.tls, coalesce(z.tls, 'unknown')) AS tls
      FROM (SELECT host, queueId, sessionId, tls FROM ${events} FINAL
            WHERE kind = 'receive' AND client != 'pickup' AND tlsEvidence != 'local-submission') AS r
      LEFT JOIN (SELECT host, sessionId, any(tls) AS tls FROM ${events}
                 WHERE kind = 'session' AND program = 'smtpreceive' AND sessionId != '' GROUP BY host, sessionId) AS z
        ON z.host = r.host AND z.sessionId = r.sessionId
    )
    SELECT tls, count() AS n FROM (
      SELECT if(r.tls != 'unknown', r.tls, coalesce(s.tls, 'unknown')) AS tls
      FROM receipts AS r LEFT JOIN (SELECT nextQueueId, any(tls) AS tls FROM sends_tls WHERE nextQueueId != '' GROUP BY nextQueueId) AS s
        ON s.nextQueueId = r.queueId
      UNION ALL
      SELECT tls FROM sends_tls WHERE nextQueueId = '' OR nextQueueId NOT IN (SELECT queueId FROM receipts)
    ) GROUP BY tls
    SETTINGS join_use_nulls = 1`,
    // an Exchange submission is counted once, by the transport's receipt of it
    { notHops: [...FINAL_PROGRAMS, 'submit'] });
  const rejected = await store.query<{ reason: string; n: string }>(`SELECT reason, count() AS n FROM ${store.table(REJECTED_TABLE)} FINAL GROUP BY reason`);
  const recipientsByStatus: Summary['recipientsByStatus'] = { delivered: 0, deferred: 0, bounced: 0, rejected: 0, unknown: 0 };
  for (const r of byStatus) {
    const key: RecipientStatus = r.status === 'sent' ? 'delivered' : r.status === 'expired' ? 'bounced' : r.status === 'deferred' || r.status === 'bounced' || r.status === 'rejected' ? r.status : 'unknown';
    recipientsByStatus[key] += Number(r.n);
  }
  const hopsByTls: Summary['hopsByTls'] = { encrypted: 0, plaintext: 0, unknown: 0 };
  for (const h of hops) if (h.tls === 'encrypted' || h.tls === 'plaintext' || h.tls === 'unknown') hopsByTls[h.tls] += Number(h.n);
  const rejectedByReason: Record<string, number> = {};
  let rejectedLines = 0;
  for (const r of rejected) {
    rejectedByReason[r.reason] = Number(r.n);
    rejectedLines += Number(r.n);
  }
  return { messages: Number(counts?.messages ?? 0), recipientsByStatus, refusedWithoutMessage: Number(refused?.n ?? 0), hopsByTls, rejectedLines, rejectedByReason };
}

export async function listRejected(store: Store, limit: number): Promise<{ reason: string; detail: string; sourceFile: string; sourceOffset: number; lineNumber: number; excerpt: string }[]> {
  return store.query(`SELECT reason, detail, sourceFile, sourceOffset, lineNumber, excerpt FROM ${store.table(REJECTED_TABLE)} FINAL ORDER BY ingestedAt DESC, sourceFile, sourceOffset LIMIT {limit:UInt32}`, { limit });
}

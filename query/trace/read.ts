import { HOPS_TABLE, MailtraceError, MessageDetail, MESSAGES_TABLE, Trace, unknownProtection, type Hop } from '../../schemas/index.ts';
import { isoFromStore as isoOf, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';

/**
 * A message's trace, read from what stitching stored: its message row and its hop rows. Nothing
 * is concluded here (the TLS of a hop, a recipient's status and every join were decided once, by
 * stitch/); this only puts the rows back into the trace shape.
 */
interface MessageRow {
  messageKey: string;
  messageId: string;
  sender: string;
  size: string | number;
  firstSeenText: string;
  lastSeenText: string;
  detail: string;
}

type HopRow = Omit<Hop, 'start' | 'end'> & { recipient: string; seq: number; startText: string; endText: string };


/** Normalize what a user types for a message id: `abc@host` and `<abc@host>` are the same. */
export function normalizeMessageId(id: string): string {
  const t = id.trim();
  return t.startsWith('<') ? t : `<${t}>`;
}

export function looksLikeMessageId(id: string): boolean {
  return id.includes('@') || id.startsWith('<');
}

const MESSAGE_COLUMNS = 'messageKey, messageId, sender, size, toString(firstSeen) AS firstSeenText, toString(lastSeen) AS lastSeenText, detail';
const HOP_COLUMNS = `recipient, seq, \`from\`, \`to\`, fromRole, toRole, tls, tlsVersion, cipher, tlsTrust, tlsEvidence, toString(start) AS startText, toString(\`end\`) AS endText,
  fromQueueId, toQueueId, link, rule, status, eventIds, provenance, protocol, conflict, fromConnector, toConnector`;

/**
 * By Message-ID, or by any host's queue id. Point reads by the tables' sort key, without FINAL
 * (merging at read time costs more than the lookup at 10M events): the latest version of each row
 * wins here, and a deleted one hides what it replaces.
 */
export async function traceMessage(store: Store, idOrQueueId: string): Promise<Trace> {
  const messages = store.table(MESSAGES_TABLE);
  let key: string;
  if (looksLikeMessageId(idOrQueueId)) {
    key = normalizeMessageId(idOrQueueId);
  } else {
    const keys = await store.query<{ messageKey: string }>(
      `SELECT DISTINCT messageKey FROM ${messages} WHERE has(queueIds, {q:String}) LIMIT 100`, { q: idOrQueueId.trim() });
    const rows = (await Promise.all(keys.map((k) => latestMessage(store, k.messageKey)))).filter((r): r is MessageRow => r !== undefined);
    // a message id over a queue of its own when both exist; then the earliest
    rows.sort((a, b) => Number(a.messageId === '') - Number(b.messageId === '') || (a.firstSeenText < b.firstSeenText ? -1 : 1));
    if (!rows[0]) throw new MailtraceError('MT_ERR_NOT_FOUND', `no message or queue id ${idOrQueueId} in the store`);
    key = rows[0].messageKey;
  }
  const row = await latestMessage(store, key);
  if (!row) throw new MailtraceError('MT_ERR_NOT_FOUND', looksLikeMessageId(idOrQueueId) ? `no message ${key} in the store` : `no message or queue id ${idOrQueueId} in the store`);
  const all = await store.query<HopRow & { version: string; deleted: number }>(
    `SELECT ${HOP_COLUMNS}, version, deleted FROM ${store.table(HOPS_TABLE)} WHERE messageKey = {k:String} SETTINGS ${POINT_READ}`, { k: row.messageKey });
  const latest = new Map<string, HopRow & { version: string; deleted: number }>();
  for (const h of all) {
    const k = `${h.recipient}\u0000${h.seq}`;
    const have = latest.get(k);
    if (!have || BigInt(h.version) > BigInt(have.version)) latest.set(k, h);
  }
  const hops = [...latest.values()].filter((h) => Number(h.deleted) === 0).sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : Number(a.seq) - Number(b.seq)));
  const detail = fromStore(MessageDetail, JSON.parse(row.detail), `a message row (${row.messageKey})`);
  const byRecipient = new Map<string, Hop[]>();
  for (const { recipient, seq: _seq, startText, endText, version: _v, deleted: _d, ...h } of hops) {
    const list = byRecipient.get(recipient) ?? [];
    list.push({ ...h, start: isoOf(startText), end: isoOf(endText) });
    byRecipient.set(recipient, list);
  }
  return fromStore(Trace, {
    messageId: row.messageId,
    sender: row.sender,
    size: Number(row.size),
    firstSeen: isoOf(row.firstSeenText),
    lastSeen: isoOf(row.lastSeenText),
    queues: detail.queues,
    servers: detail.servers,
    recipients: detail.recipients.map((r) => ({ ...r, hops: byRecipient.get(r.address) ?? [] })),
    related: detail.related,
    protection: detail.protection ?? unknownProtection(),
    notes: detail.notes,
  }, `the hops of ${row.messageKey}`);
}

/** a point read touches a granule or two: one thread sets up faster than a parallel pipeline */
const POINT_READ = 'max_threads = 1';

async function latestMessage(store: Store, key: string): Promise<MessageRow | undefined> {
  const rows = await store.query<MessageRow & { deleted: number; version: string }>(
    `SELECT ${MESSAGE_COLUMNS}, deleted, version FROM ${store.table(MESSAGES_TABLE)} WHERE messageKey = {k:String} SETTINGS ${POINT_READ}`, { k: key });
  let row: (typeof rows)[number] | undefined;
  for (const r of rows) if (!row || BigInt(r.version) > BigInt(row.version)) row = r;
  return row && Number(row.deleted) === 0 ? row : undefined;
}

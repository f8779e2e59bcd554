import { HOPS_TABLE, MailtraceError, MESSAGES_TABLE, type Hop, type Trace } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';

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

interface StoredDetail {
  queues: Trace['queues'];
  servers: Trace['servers'];
  related: Trace['related'];
  notes: string[];
  recipients: Omit<Trace['recipients'][number], 'hops'>[];
}

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
  fromQueueId, toQueueId, link, rule, status, eventIds`;

/** By Message-ID, or by any host's queue id. */
export async function traceMessage(store: Store, idOrQueueId: string): Promise<Trace> {
  const messages = store.table(MESSAGES_TABLE);
  let row: MessageRow | undefined;
  if (looksLikeMessageId(idOrQueueId)) {
    const id = normalizeMessageId(idOrQueueId);
    [row] = await store.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${messages} FINAL WHERE messageKey = {k:String}`, { k: id });
    if (!row) throw new MailtraceError('MT_ERR_NOT_FOUND', `no message ${id} in the store`);
  } else {
    [row] = await store.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${messages} FINAL WHERE has(queueIds, {q:String}) ORDER BY messageId = '', firstSeen LIMIT 1`, { q: idOrQueueId.trim() });
  }
  if (!row) throw new MailtraceError('MT_ERR_NOT_FOUND', `no message or queue id ${idOrQueueId} in the store`);
  const hops = await store.query<HopRow>(`SELECT ${HOP_COLUMNS} FROM ${store.table(HOPS_TABLE)} FINAL WHERE messageKey = {k:String} ORDER BY recipient, seq`, { k: row.messageKey });
  const detail = JSON.parse(row.detail) as StoredDetail;
  const byRecipient = new Map<string, Hop[]>();
  for (const { recipient, seq: _seq, startText, endText, ...h } of hops) {
    const list = byRecipient.get(recipient) ?? [];
    list.push({ ...h, start: isoOf(startText), end: isoOf(endText) });
    byRecipient.set(recipient, list);
  }
  return {
    messageId: row.messageId,
    sender: row.sender,
    size: Number(row.size),
    firstSeen: isoOf(row.firstSeenText),
    lastSeen: isoOf(row.lastSeenText),
    queues: detail.queues,
    servers: detail.servers,
    recipients: detail.recipients.map((r) => ({ ...r, hops: byRecipient.get(r.address) ?? [] })),
    related: detail.related,
    notes: detail.notes,
  };
}

/** The store returns `2026-03-01 08:00:00.123`; the API speaks ISO 8601 UTC. The epoch stands for "not known". */
export function isoOf(ts: string): string {
  if (!ts || ts.startsWith('1970-01-01')) return '';
  if (ts.endsWith('Z')) return ts;
  return `${ts.replace(' ', 'T')}${ts.includes('.') ? '' : '.000'}Z`;
}

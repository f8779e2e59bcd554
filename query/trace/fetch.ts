import { EVENTS_TABLE, MailtraceError, type Trace } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { isoOf, reconstruct, type StoredEvent } from './reconstruct.ts';

type FetchedEvent = StoredEvent & { id: string };

const TRACE_COLUMNS = `id, toString(ts) AS ts, host, kind, program, queueId, messageId, sender, recipient, origRecipient, client, clientIp,
  relay, relayIp, relayPort, nextQueueId, status, dsn, reply, delayConnect, delayTransmit, size, tls, tlsVersion, cipher, tlsTrust, tlsEvidence,
  source, sessionId, role`;

/** Normalize what a user types for a message id: `abc@host` and `<abc@host>` are the same. */
export function normalizeMessageId(id: string): string {
  const t = id.trim();
  return t.startsWith('<') ? t : `<${t}>`;
}

export function looksLikeMessageId(id: string): boolean {
  return id.includes('@') || id.startsWith('<');
}

/**
 * Fetch every event of the message from all hosts, then reconstruct its path.
 * Two or three point queries: by message id (the table's sort key), then any queue that the
 * message's deliveries name (`queued as`) but whose lines had no message id yet.
 */
export async function traceMessage(store: Store, idOrQueueId: string): Promise<Trace> {
  const events = store.table(EVENTS_TABLE);
  let messageId = '';
  if (looksLikeMessageId(idOrQueueId)) {
    messageId = normalizeMessageId(idOrQueueId);
  } else {
    const rows = await store.query<{ messageId: string }>(
      `SELECT messageId FROM ${events} WHERE queueId = {q:String} AND messageId != '' ORDER BY ts LIMIT 1`,
      { q: idOrQueueId },
    );
    messageId = rows[0]?.messageId ?? '';
    if (!messageId) {
      const any = await store.query<FetchedEvent>(`SELECT ${TRACE_COLUMNS} FROM ${events} WHERE queueId = {q:String} ORDER BY ts`, { q: idOrQueueId });
      if (any.length === 0) throw new MailtraceError('MT_ERR_NOT_FOUND', `no message or queue id ${idOrQueueId} in the store`);
      return reconstruct('', unique(any));
    }
  }
  const found = await store.query<FetchedEvent>(`SELECT ${TRACE_COLUMNS} FROM ${events} WHERE messageId = {m:String} ORDER BY ts`, { m: messageId });
  if (found.length === 0) throw new MailtraceError('MT_ERR_NOT_FOUND', `no message ${messageId} in the store`);
  // Lines of the same queues written before the message id was known (smtpd's receipt at an early
  // disconnect, a refused recipient), and queues named by `queued as` / DSN links whose own lines
  // carry no message id (yet). Own queues match on host + queue id; a next queue on its id alone,
  // since the relay name in `queued as` lines need not be the next host's log name.
  const known = new Set(found.filter((e) => e.queueId).map((e) => `${e.host} ${e.queueId}`));
  const ownQids = new Set(found.filter((e) => e.queueId).map((e) => e.queueId));
  const wanted = new Set(found.filter((e) => e.nextQueueId && !ownQids.has(e.nextQueueId)).map((e) => e.nextQueueId));
  const ask = [...new Set([...ownQids, ...wanted])];
  // Skipped when it cannot find anything: every queue already has its receipt, and every next
  // queue named by a reply is among them (a bloom-index read costs more than the key lookup).
  const received = new Set(found.filter((e) => e.kind === 'receive').map((e) => `${e.host} ${e.queueId}`));
  const incomplete = wanted.size > 0 || [...known].some((k) => !received.has(k));
  if (ask.length > 0 && incomplete) {
    const more = await store.query<FetchedEvent>(
      `SELECT ${TRACE_COLUMNS} FROM ${events} WHERE queueId IN {q:Array(String)} AND messageId != {m:String} ORDER BY ts`,
      { q: ask, m: messageId },
    );
    for (const e of more) {
      const key = `${e.host} ${e.queueId}`;
      if (known.has(key) || wanted.has(e.queueId)) found.push(e);
    }
    for (const e of more) known.add(`${e.host} ${e.queueId}`);
  }
  // Is this message itself a notification? The parent's bounce line names our queue id. Postfix
  // sends notifications from the null sender, so a message with a known sender skips the lookup.
  const ownQueues = [...new Set(found.filter((e) => e.messageId === messageId).map((e) => e.queueId).filter(Boolean))];
  const hasSender = found.some((e) => e.messageId === messageId && e.sender !== '');
  if (ownQueues.length > 0 && !hasSender) {
    const parents = await store.query<FetchedEvent>(
      `SELECT ${TRACE_COLUMNS} FROM ${events} WHERE kind = 'dsn' AND nextQueueId IN {q:Array(String)} ORDER BY ts`,
      { q: ownQueues },
    );
    for (const e of parents) if (!known.has(`${e.host} ${e.queueId}`)) found.push(e);
  }
  // Exchange: sessions that carried the message to a next hop outside Exchange are known only by
  // the reply it gave, which the tracking row quotes. They sit under the empty message id in the
  // sort key, by host and time: a range read, not a scan.
  const outward = found.filter((e) => e.source === 'exchange' && e.kind === 'delivery' && e.status === 'sent' && !e.nextQueueId && e.reply);
  if (outward.length > 0) {
    const times = outward.map((e) => Date.parse(isoOf(e.ts))).filter((t) => !Number.isNaN(t));
    const sessions = await store.query<FetchedEvent>(
      `SELECT ${TRACE_COLUMNS} FROM ${events} AS e WHERE messageId = '' AND host IN {h:Array(String)} AND queueId = '' AND kind = 'session'
         AND e.ts BETWEEN parseDateTime64BestEffort({from:String}, 3) AND parseDateTime64BestEffort({to:String}, 3) AND reply IN {r:Array(String)}`,
      { h: [...new Set(outward.map((e) => e.host))], r: [...new Set(outward.map((e) => e.reply))], from: new Date(Math.min(...times) - 600_000).toISOString(), to: new Date(Math.max(...times) + 60_000).toISOString() },
    );
    found.push(...sessions);
  }
  return reconstruct(messageId, unique(found));
}

/**
 * The trace queries read without FINAL (merging parts at read time cost more than the lookups
 * themselves at 10M events); a line stored twice, before the merges collapse it, is dropped here.
 */
function unique(rows: FetchedEvent[]): StoredEvent[] {
  const seen = new Set<string>();
  const out: StoredEvent[] = [];
  for (const e of rows) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    e.delayConnect = Number(e.delayConnect);
    e.delayTransmit = Number(e.delayTransmit);
    e.size = Number(e.size);
    out.push(e);
  }
  return out;
}

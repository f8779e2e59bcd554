import { DeliveryStatus, EventKind, EVENTS_TABLE, Program, ProtectionMechanism, TlsStatus, TlsTrust } from '../schemas/index.ts';
import type { QueryParams, Store } from '../store/index.ts';
import { isoOf, type StoredEvent } from './queue.ts';

/**
 * The events stitching needs for a batch of messages, loaded in a handful of queries, then handed
 * out per message. A message's events are: every line that names its message id (the table's
 * sort key), lines of the same queues written before the message id was known (smtpd's receipt,
 * a refused recipient), queues named by `queued as` / DSN links whose own lines carry no message
 * id, the parent whose bounce names one of its queues, and Exchange send sessions known only by
 * the reply the next hop gave (the tracking row quotes it).
 */
const FIELDS = ['id', 'ts', 'host', 'kind', 'program', 'queueId', 'messageId', 'sender', 'recipient', 'origRecipient', 'client', 'clientIp',
  'relay', 'relayIp', 'relayPort', 'nextQueueId', 'status', 'dsn', 'reply', 'delayConnect', 'delayTransmit', 'size', 'tls', 'tlsVersion', 'cipher',
  'tlsTrust', 'tlsEvidence', 'source', 'sessionId', 'role', 'networkMessageId', 'protocol', 'protection', 'protectionEvidence', 'sourceFile', 'sourceOffset', 'connector'] as const;
const COLUMNS = FIELDS.map((f) => (f === 'ts' ? 'toString(ts)' : f)).join(', ');
/** how far before / after a send its protocol-log session may lie (the session starts before the tracking row) */
const SESSION_BEFORE_MS = 600_000;
const SESSION_AFTER_MS = 60_000;
/** the lines nothing in stitching reads (Postfix `removed`, tracking rows kept for the record, certificates) */
const SKIP = `kind NOT IN ('removed', 'other', 'certificate')`;

const KINDS = new Set<string>(EventKind.options);
const STATUSES = new Set<string>(DeliveryStatus.options);
const TLS = new Set<string>(TlsStatus.options);
const TRUST = new Set<string>(TlsTrust.options);

/** Rows as TabSeparated fields (JSON cost several times the query) → events of one fixed shape. */
async function read(store: Store, sql: string, params: QueryParams): Promise<StoredEvent[]> {
  const rows = await store.queryFields(sql, params, 300_000);
  const out: StoredEvent[] = [];
  for (const r of rows) {
    // parsed, not cast: a row whose enums this version does not know (another version wrote it,
    // or it is damaged) is left out rather than read as something it is not
    if (r.length !== FIELDS.length || !KINDS.has(r[3]) || !STATUSES.has(r[16]) || !TLS.has(r[22]) || !TRUST.has(r[25])) continue;
    out.push({
      id: r[0], ts: r[1], host: r[2], kind: r[3] as StoredEvent['kind'], program: r[4], queueId: r[5], messageId: r[6], sender: r[7],
      recipient: r[8], origRecipient: r[9], client: r[10], clientIp: r[11], relay: r[12], relayIp: r[13], relayPort: Number(r[14]) || 0,
      nextQueueId: r[15], status: r[16] as StoredEvent['status'], dsn: r[17], reply: r[18], delayConnect: Number(r[19]) || 0,
      delayTransmit: Number(r[20]) || 0, size: Number(r[21]) || 0, tls: r[22] as StoredEvent['tls'], tlsVersion: r[23], cipher: r[24],
      tlsTrust: r[25] as StoredEvent['tlsTrust'], tlsEvidence: r[26], source: r[27], sessionId: r[28], role: r[29], networkMessageId: r[30],
      protocol: r[31], protection: mechanisms(r[32]), protectionEvidence: r[33], sourceFile: r[34], sourceOffset: Number(r[35]) || 0, connector: r[36],
    });
  }
  return out;
}

/** `['irm','smime-signed']` as the engine writes an array of strings → the mechanisms this version knows */
function mechanisms(text: string): ProtectionMechanism[] {
  if (text === '[]') return []; // nearly every row
  const out: ProtectionMechanism[] = [];
  for (const m of text.matchAll(/'([a-z-]+)'/g)) if (MECHANISMS.has(m[1])) out.push(m[1] as ProtectionMechanism);
  return out;
}
const MECHANISMS = new Set<string>(ProtectionMechanism.options);

export class EventPool {
  readonly byMessage = new Map<string, StoredEvent[]>();
  readonly byQueue = new Map<string, StoredEvent[]>();
  readonly dsnByNext = new Map<string, StoredEvent[]>();
  readonly sessionsByHostReply = new Map<string, StoredEvent[]>();
  /** parts of SMTP sessions that carried no message (an earlier file's part of a session) */
  readonly sessionParts = new Map<string, StoredEvent[]>();
  readonly #ids = new Set<string>();

  add(rows: readonly StoredEvent[]): void {
    for (const e of rows) {
      if (this.#ids.has(e.id)) continue;
      // read without FINAL (merging at read time costs more than the lookups): a line stored
      // twice, before the merges collapse it, is dropped here
      this.#ids.add(e.id);
      if (e.messageId) push(this.byMessage, e.messageId, e);
      if (e.queueId) push(this.byQueue, e.queueId, e);
      if (e.kind === 'dsn' && e.nextQueueId) push(this.dsnByNext, e.nextQueueId, e);
      if (e.kind === 'session' && !e.messageId && !e.queueId && e.reply) push(this.sessionsByHostReply, `${e.host}\u0000${e.reply}`, e);
      if (e.kind === 'session' && !e.messageId && e.sessionId) push(this.sessionParts, `${e.host}\u0000${e.sessionId}`, e);
    }
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Load what the messages (and the queues no message id names) need. */
export async function loadPool(store: Store, messageIds: readonly string[], orphanQueueIds: readonly string[] = []): Promise<EventPool> {
  const pool = new EventPool();
  const events = store.table(EVENTS_TABLE);
  const ids = [...messageIds];
  if (ids.length > 0) {
    pool.add(await read(store, `SELECT ${COLUMNS} FROM ${events} WHERE messageId IN {m:Array(String)} AND ${SKIP}`, { m: ids }));
  }
  const own = new Set<string>(orphanQueueIds);
  const wanted = new Set<string>();
  for (const id of ids) {
    for (const e of pool.byMessage.get(id) ?? []) {
      if (e.queueId) own.add(e.queueId);
      if (e.nextQueueId) wanted.add(e.nextQueueId);
    }
  }
  const ask = [...new Set([...own, ...wanted])];
  if (ask.length > 0) {
    // lines of these queues written before their message id was known: they sit under the empty
    // message id at the head of the sort key (a short range, not a scan)
    pool.add(await read(store, `SELECT ${COLUMNS} FROM ${events} WHERE messageId = '' AND queueId IN {q:Array(String)} AND ${SKIP}`, { q: ask }));
  }
  // next queues under another message id: the notifications a message caused (their own id)
  const notices = [...new Set(ids.flatMap((id) => (pool.byMessage.get(id) ?? []).filter((e) => e.kind === 'dsn' && e.nextQueueId).map((e) => e.nextQueueId)))];
  if (notices.length > 0) {
    pool.add(await read(store, `SELECT ${COLUMNS} FROM ${events} WHERE queueId IN {q:Array(String)} AND kind = 'message' AND messageId != ''`, { q: notices }));
  }
  // a message without a sender may itself be a notification: its parent's bounce names its queue
  const orphanNotices = ids.filter((id) => !(pool.byMessage.get(id) ?? []).some((e) => e.sender !== '')).flatMap((id) => (pool.byMessage.get(id) ?? []).map((e) => e.queueId).filter(Boolean));
  const parentAsk = [...new Set([...orphanNotices, ...orphanQueueIds])];
  if (parentAsk.length > 0) {
    pool.add(await read(store, `SELECT ${COLUMNS} FROM ${events} WHERE kind = 'dsn' AND nextQueueId IN {q:Array(String)}`, { q: parentAsk }));
  }
  // Exchange sends whose next hop is not Exchange: the session is found by host, time and the reply text
  const outward = [...pool.byMessage.values()].flat().filter(isOutwardSend);
  if (outward.length > 0) {
    const times = outward.map((e) => Date.parse(isoOf(e.ts))).filter((t) => !Number.isNaN(t));
    pool.add(await read(store, `SELECT ${COLUMNS} FROM ${events} AS e WHERE messageId = '' AND queueId = '' AND kind = 'session' AND host IN {h:Array(String)}
         AND e.ts BETWEEN parseDateTime64BestEffort({from:String}, 3) AND parseDateTime64BestEffort({to:String}, 3) AND reply IN {r:Array(String)}`,
      {
        h: [...new Set(outward.map((e) => e.host))], r: [...new Set(outward.map((e) => e.reply))],
        from: new Date(Math.min(...times) - SESSION_BEFORE_MS).toISOString(), to: new Date(Math.max(...times) + SESSION_AFTER_MS).toISOString(),
      }));
  }
  // every stored part of the SMTP sessions seen so far (a session split over files and runs)
  const sessionIds = new Set<string>();
  for (const id of ids) for (const e of pool.byMessage.get(id) ?? []) if (e.sessionId) sessionIds.add(e.sessionId);
  for (const list of pool.sessionsByHostReply.values()) for (const e of list) if (e.sessionId) sessionIds.add(e.sessionId);
  if (sessionIds.size > 0) {
    pool.add(await read(store, `SELECT ${COLUMNS} FROM ${events} WHERE messageId = '' AND kind = 'session' AND sessionId IN {s:Array(String)}`, { s: [...sessionIds] }));
  }
  return pool;
}

function isOutwardSend(e: StoredEvent): boolean {
  return e.source === 'exchange' && e.kind === 'delivery' && e.status === 'sent' && !e.nextQueueId && e.reply !== '' && e.program !== Program.storeDriver;
}

/** One message's events out of the pool (empty when the pool holds none). */
export function eventsOfMessage(pool: EventPool, messageId: string): StoredEvent[] {
  const found = [...(pool.byMessage.get(messageId) ?? [])];
  if (found.length === 0) return found;
  const known = new Set(found.filter((e) => e.queueId).map((e) => `${e.host} ${e.queueId}`));
  const ownQids = new Set(found.filter((e) => e.queueId).map((e) => e.queueId));
  const wanted = new Set(found.filter((e) => e.nextQueueId && !ownQids.has(e.nextQueueId)).map((e) => e.nextQueueId));
  const extra: StoredEvent[] = [];
  // own queues match on host + queue id; a next queue on its id alone, since the relay name in
  // `queued as` lines need not be the next host's log name
  for (const qid of new Set([...ownQids, ...wanted])) {
    for (const e of pool.byQueue.get(qid) ?? []) {
      if (e.messageId === messageId) continue;
      if (known.has(`${e.host} ${e.queueId}`) || wanted.has(e.queueId)) extra.push(e);
    }
  }
  for (const e of extra) known.add(`${e.host} ${e.queueId}`);
  found.push(...extra);
  // is this message itself a notification? The parent's bounce line names our queue id (Postfix
  // sends notifications from the null sender, so a message with a known sender is none)
  if (!found.some((e) => e.messageId === messageId && e.sender !== '')) {
    for (const qid of ownQids) for (const e of pool.dsnByNext.get(qid) ?? []) if (!known.has(`${e.host} ${e.queueId}`)) found.push(e);
  }
  const have = new Set(found);
  for (const e of found.filter(isOutwardSend)) {
    const t = Date.parse(isoOf(e.ts));
    for (const s of pool.sessionsByHostReply.get(`${e.host}\u0000${e.reply}`) ?? []) {
      const st = Date.parse(isoOf(s.ts));
      if (st >= t - SESSION_BEFORE_MS && st <= t + SESSION_AFTER_MS && !have.has(s)) {
        found.push(s);
        have.add(s);
      }
    }
  }
  // every other stored part of the SMTP sessions found (a session split over files and runs)
  for (const e of [...found]) {
    if (!e.sessionId) continue;
    for (const p of pool.sessionParts.get(`${e.host}\u0000${e.sessionId}`) ?? []) {
      if (have.has(p)) continue;
      found.push(p);
      have.add(p);
    }
  }
  return found;
}

/** The events of a queue that no line names a message id for, and of the queues it handed to. */
export function eventsOfQueue(pool: EventPool, host: string, queueId: string): StoredEvent[] {
  const own = (pool.byQueue.get(queueId) ?? []).filter((e) => e.host === host);
  const next = new Set(own.filter((e) => e.nextQueueId).map((e) => e.nextQueueId));
  const found = [...own];
  const have = new Set(found);
  for (const q of next) {
    for (const e of pool.byQueue.get(q) ?? []) {
      if (have.has(e)) continue;
      found.push(e);
      have.add(e);
    }
  }
  return found;
}

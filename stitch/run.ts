import { EVENTS_TABLE, HOPS_TABLE, MESSAGES_TABLE, type MailEvent, type Trace } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import { eventsOfMessage, eventsOfQueue, loadPool } from './gather.ts';
import { reconstruct } from './reconstruct.ts';
import { hopRows, hopTombstone, messageKey, messageRow, messageTombstone, queueKeyOf } from './rows.ts';

/**
 * The stitching stage: events of the messages an ingest touched → rows of the hops and messages
 * tables. Incremental and order-free: a message is always stitched from every stored event of
 * it, so the same events give the same rows whatever run, order or file split they came in.
 *
 * Bump STITCH_VERSION when the rules change: a store stitched by other rules is re-stitched as a
 * whole when it is opened by the command line (stitch/upgrade.ts).
 */
export const STITCH_VERSION = '7';

/** What an ingest touched, as the events went by: message ids, and queues whose lines named none. */
export class Touched {
  readonly messageIds = new Set<string>();
  /** `host\0queueId` of lines without a message id */
  readonly queues = new Set<string>();
  /** Exchange send sessions without a message id: the tracking row that quotes their reply finds them */
  readonly replies = new Set<string>();
  /** Exchange receive sessions: the tracking receipt that names their session id */
  readonly sessionIds = new Set<string>();

  add(e: MailEvent): void {
    if (e.messageId) this.messageIds.add(e.messageId);
    else if (e.queueId) this.queues.add(`${e.host}\u0000${e.queueId}`);
    else if (e.kind === 'session' && e.reply) this.replies.add(e.reply);
    if (e.kind === 'session' && e.sessionId && !e.messageId) this.sessionIds.add(e.sessionId);
  }

  get size(): number {
    return this.messageIds.size + this.queues.size + this.replies.size + this.sessionIds.size;
  }

  /** Add what another touched set (or its lists, sent from a parse worker) names. */
  merge(other: { messageIds: Iterable<string>; queues: Iterable<string>; replies: Iterable<string>; sessionIds: Iterable<string> }): void {
    for (const id of other.messageIds) this.messageIds.add(id);
    for (const q of other.queues) this.queues.add(q);
    for (const r of other.replies) this.replies.add(r);
    for (const s of other.sessionIds) this.sessionIds.add(s);
  }
}

export interface StitchOptions {
  /** messages per batch of queries (default 2000) */
  batchSize?: number;
  onProgress?: (p: { messages: number; total: number }) => void;
}

export interface StitchSummary {
  messages: number;
  hops: number;
  seconds: number;
}

const IN_CHUNK = 5_000;

/** Re-stitch what the touched set names (and the messages its loose lines belong to). */
export async function stitchTouched(store: Store, touched: Touched, opts: StitchOptions = {}): Promise<StitchSummary> {
  const started = performance.now();
  const ids = new Set(touched.messageIds);
  const orphans = await resolveLoose(store, touched, ids);
  await addRelatives(store, ids);
  return stitchKeys(store, [...ids].sort(), orphans, opts, started);
}

/**
 * A bounce and the message it bounced are stitched together: each one's row names the other (the
 * parent's related notifications, the notification's parent), so when either is touched the other
 * is stitched again — whichever of their lines came first (another file, run, or stream batch).
 */
async function addRelatives(store: Store, ids: Set<string>): Promise<void> {
  const events = store.table(EVENTS_TABLE);
  for (const chunk of chunks([...ids])) {
    const rows = await store.query<{ m: string }>(
      `SELECT DISTINCT messageId AS m FROM ${events} WHERE kind = 'message' AND messageId != ''
         AND queueId IN (SELECT nextQueueId FROM ${events} WHERE messageId IN {m:Array(String)} AND kind = 'dsn' AND nextQueueId != '')
       UNION ALL
       SELECT DISTINCT messageId AS m FROM ${events} WHERE kind = 'dsn' AND messageId != ''
         AND nextQueueId IN (SELECT queueId FROM ${events} WHERE messageId IN {m:Array(String)} AND queueId != '')`, { m: chunk }, 600_000);
    for (const r of rows) ids.add(r.m);
  }
}

/** Stitch every message in the store (an upgrade, or `mailtrace stitch`). */
export async function stitchAll(store: Store, opts: StitchOptions = {}): Promise<StitchSummary> {
  const started = performance.now();
  const events = store.table(EVENTS_TABLE);
  const ids = (await store.query<{ m: string }>(`SELECT DISTINCT messageId AS m FROM ${events} WHERE messageId != ''`, {}, 600_000)).map((r) => r.m);
  const loose = await store.query<{ host: string; queueId: string }>(
    `SELECT DISTINCT host, queueId FROM ${events} WHERE messageId = '' AND queueId != ''`, {}, 600_000);
  const touched = new Touched();
  for (const q of loose) touched.queues.add(`${q.host}\u0000${q.queueId}`);
  const known = new Set(ids);
  const orphans = await resolveLoose(store, touched, known);
  return stitchKeys(store, [...known].sort(), orphans, opts, started);
}

/**
 * Lines without a message id belong to the message that another line of the same queue names, or
 * to the message whose delivery announced that queue; what stays unclaimed is stitched per queue.
 */
async function resolveLoose(store: Store, touched: Touched, ids: Set<string>): Promise<{ host: string; queueId: string }[]> {
  const events = store.table(EVENTS_TABLE);
  const byQid = new Map<string, Set<string>>();
  for (const k of touched.queues) {
    const [host, qid] = k.split('\u0000');
    const hosts = byQid.get(qid) ?? new Set<string>();
    hosts.add(host);
    byQid.set(qid, hosts);
  }
  const claimed = new Set<string>();
  for (const chunk of chunks([...byQid.keys()])) {
    const rows = await store.query<{ host: string; queueId: string; messageId: string; nextOf: number }>(
      `SELECT DISTINCT host, queueId, messageId, 0 AS nextOf FROM ${events} WHERE queueId IN {q:Array(String)} AND messageId != ''
       UNION ALL SELECT DISTINCT '' AS host, nextQueueId AS queueId, messageId, 1 AS nextOf FROM ${events}
         WHERE kind IN ('delivery', 'dsn') AND nextQueueId IN {q:Array(String)} AND messageId != ''`, { q: chunk }, 600_000);
    for (const r of rows) {
      if (Number(r.nextOf) === 1) {
        ids.add(r.messageId);
        for (const h of byQid.get(r.queueId) ?? []) claimed.add(`${h}\u0000${r.queueId}`);
      } else if (byQid.get(r.queueId)?.has(r.host)) {
        ids.add(r.messageId);
        claimed.add(`${r.host}\u0000${r.queueId}`);
      }
    }
  }
  // an earlier part of an SMTP session: the message its other parts (or the receipt) name, or the
  // reply its other part got, which the tracking row quotes
  const replies = new Set(touched.replies);
  for (const chunk of chunks([...touched.sessionIds])) {
    const rows = await store.query<{ m: string; reply: string }>(
      `SELECT DISTINCT messageId AS m, if(messageId = '', reply, '') AS reply FROM ${events} WHERE kind IN ('receive', 'session') AND sessionId IN {s:Array(String)}`, { s: chunk }, 600_000);
    for (const r of rows) {
      if (r.m) ids.add(r.m);
      else if (r.reply) replies.add(r.reply);
    }
  }
  for (const chunk of chunks([...replies])) {
    const rows = await store.query<{ m: string }>(
      `SELECT DISTINCT messageId AS m FROM ${events} WHERE kind = 'delivery' AND source = 'exchange' AND reply IN {r:Array(String)} AND messageId != ''`, { r: chunk }, 600_000);
    for (const r of rows) ids.add(r.m);
  }
  return [...touched.queues].filter((k) => !claimed.has(k)).map((k) => {
    const [host, queueId] = k.split('\u0000');
    return { host, queueId };
  });
}

function* chunks<T>(items: readonly T[], size = IN_CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

let lastVersion = 0;
/** Row versions grow even within one millisecond: a later stitch always replaces an earlier one. */
function nextVersion(): number {
  lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
  return lastVersion;
}

async function stitchKeys(store: Store, ids: string[], orphans: { host: string; queueId: string }[], opts: StitchOptions, started: number): Promise<StitchSummary> {
  const size = opts.batchSize ?? 2_000;
  const summary: StitchSummary = { messages: 0, hops: 0, seconds: 0 };
  const total = ids.length + orphans.length;
  // a store with no message rows yet has nothing to replace (the engine answers count() as a number:
  // the comparison with '0' here never held, and every stitch looked for old rows it could not have)
  const fresh = Number((await store.query<{ n: string | number }>(`SELECT count() AS n FROM ${store.table(MESSAGES_TABLE)}`))[0]?.n ?? 0) === 0;
  const batch = (i: number) => ({ ids: ids.slice(i, i + size), orphans: orphans.slice(Math.max(0, i - ids.length), Math.max(0, i + size - ids.length)) });
  const load = (i: number) => {
    const b = batch(i);
    return loadPool(store, b.ids, b.orphans.map((o) => o.queueId)).then((pool) => ({ ...b, pool }));
  };
  // the engine reads the next batch while this one is stitched and written
  let next = total > 0 ? load(0) : undefined;
  let writing: Promise<number> | undefined;
  for (let i = 0; next; i += size) {
    const { ids: batchIds, orphans: batchOrphans, pool } = await next;
    next = i + size < total ? load(i + size) : undefined;
    const traces: Trace[] = [];
    for (const id of batchIds) {
      const events = eventsOfMessage(pool, id);
      if (events.length > 0) traces.push(reconstruct(id, events));
    }
    for (const o of batchOrphans) {
      const events = eventsOfQueue(pool, o.host, o.queueId);
      if (events.length > 0) traces.push(reconstruct('', events));
    }
    // the engine writes this batch while the next one is reconstructed (one write in flight)
    const write = writeTraces(store, traces, fresh);
    write.catch(() => {}); // awaited below: a failure surfaces there, not as an unhandled rejection
    if (writing) summary.hops += await writing;
    writing = write;
    summary.messages += traces.length;
    opts.onProgress?.({ messages: Math.min(total, i + size), total });
  }
  if (writing) summary.hops += await writing;
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** Write the rows of a batch of traces, with deleted rows for what they no longer have. */
async function writeTraces(store: Store, traces: readonly Trace[], fresh: boolean): Promise<number> {
  const version = nextVersion();
  let hops = '';
  let messages = '';
  let count = 0;
  const keys: string[] = [];
  const now = new Map<string, Set<string>>();
  for (const t of traces) {
    const key = messageKey(t);
    if (!key) continue;
    keys.push(key);
    hops += hopRows(key, t, version);
    messages += messageRow(key, t, version);
    const have = new Set<string>();
    for (const r of t.recipients) r.hops.forEach((_, seq) => have.add(`${r.address}\u0000${seq}`));
    count += have.size;
    now.set(key, have);
  }
  if (!fresh && keys.length > 0) {
    // what these messages had before and no longer have (fewer hops, another recipient list).
    // Read without FINAL (merging at read time cost ~0.3 s per lookup on a large store): a row
    // that was ever live is enough, since a deleted row written again for one already deleted
    // changes nothing, and a row the message still has is never deleted.
    for (const chunk of chunks(keys)) {
      const old = await store.query<{ messageKey: string; recipient: string; seq: number }>(
        `SELECT DISTINCT messageKey, recipient, seq FROM ${store.table(HOPS_TABLE)} WHERE messageKey IN {k:Array(String)} AND deleted = 0`, { k: chunk }, 600_000);
      for (const o of old) if (!now.get(o.messageKey)?.has(`${o.recipient}\u0000${o.seq}`)) hops += hopTombstone(o.messageKey, o.recipient, Number(o.seq), version);
    }
    // queues stitched on their own before a later line named their message
    const queueKeys = traces.filter((t) => t.messageId).flatMap((t) => t.queues.map((q) => queueKeyOf(q.host, q.queueId)));
    for (const chunk of chunks(queueKeys)) {
      const stale = await store.query<{ messageKey: string }>(
        `SELECT DISTINCT messageKey FROM ${store.table(MESSAGES_TABLE)} WHERE messageKey IN {k:Array(String)} AND deleted = 0`, { k: chunk }, 600_000);
      for (const s of stale) messages += messageTombstone(s.messageKey, version);
      if (stale.length === 0) continue;
      const oldHops = await store.query<{ messageKey: string; recipient: string; seq: number }>(
        `SELECT DISTINCT messageKey, recipient, seq FROM ${store.table(HOPS_TABLE)} WHERE messageKey IN {k:Array(String)} AND deleted = 0`, { k: stale.map((s) => s.messageKey) }, 600_000);
      for (const o of oldHops) hops += hopTombstone(o.messageKey, o.recipient, Number(o.seq), version);
    }
  }
  await store.insertRows(HOPS_TABLE, hops);
  await store.insertRows(MESSAGES_TABLE, messages);
  return count;
}

const VERSION_KEY = 'stitch-version';
/** meta key: '1' while an ingest has stored events whose hops are not built yet (ingest/pipeline sets and clears it) */
export const STITCH_PENDING = 'stitch-pending';

/**
 * A store whose hops were built by other rules (or by a version before hops were data) gets them
 * rebuilt from its events, with progress; nothing is re-ingested. Returns undefined when the store
 * was already current.
 */
export async function ensureStitched(store: Store, opts: StitchOptions = {}): Promise<StitchSummary | undefined> {
  // also a store whose last ingest died after storing events but before building their hops
  if ((await store.getMeta(VERSION_KEY)) === STITCH_VERSION && (await store.getMeta(STITCH_PENDING)) !== '1') return undefined;
  const [any] = await store.query<{ n: string }>(`SELECT count() AS n FROM (SELECT 1 FROM ${store.table(EVENTS_TABLE)} LIMIT 1)`);
  const summary = Number(any?.n ?? 0) > 0 ? await stitchAll(store, opts) : undefined;
  await store.setMeta(VERSION_KEY, STITCH_VERSION);
  await store.setMeta(STITCH_PENDING, '0');
  return summary;
}

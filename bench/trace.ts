import { EVENT_COLUMNS, EVENTS_TABLE, HOP_COLUMNS, HOPS_TABLE, MESSAGE_COLUMNS, MESSAGES_TABLE, type Trace } from '../schemas/index.ts';
import { buildApp, traceMessage } from '../query/index.ts';
import type { Store } from '../store/index.ts';
import type { TruthMessage } from './generate/postfix.ts';

/** What the accuracy check needs of a generator's truth (Postfix and Exchange generators both give it). */
export interface AccuracyTruth {
  messageId: string;
  recipients: { address: string; status: string; hops: { from: string; to: string; tls: string; fromRole?: string; toRole?: string }[] }[];
}

/** Compare reconstructed paths with the generator's truth: hosts in order, TLS per hop, status per recipient. */
export async function checkAccuracy(store: Store, truth: readonly AccuracyTruth[], sample: number): Promise<{ checked: number; exact: number; mismatches: string[] }> {
  const step = Math.max(1, Math.floor(truth.length / sample));
  const mismatches: string[] = [];
  let checked = 0;
  let exact = 0;
  for (let i = 0; i < truth.length && checked < sample; i += step) {
    const t = truth[i];
    checked++;
    let trace: Trace;
    try {
      trace = await traceMessage(store, t.messageId);
    } catch (err) {
      mismatches.push(`${t.messageId}: ${(err as Error).message}`);
      continue;
    }
    const problems: string[] = [];
    for (const want of t.recipients) {
      const got = trace.recipients.find((r) => r.address === want.address);
      // roles are compared where the truth has them (the Exchange generator's)
      const withRoles = want.hops.some((h) => 'fromRole' in h);
      const fmt = (h: { from: string; to: string; tls: string; fromRole?: string; toRole?: string }) =>
        withRoles ? `${h.from}(${h.fromRole ?? ''})>${h.to}(${h.toRole ?? ''}):${h.tls}` : `${h.from}>${h.to}:${h.tls}`;
      const wantPath = want.hops.map(fmt).join(' ');
      const gotPath = got?.hops.map(fmt).join(' ') ?? '(recipient missing)';
      if (!got || got.status !== want.status || gotPath !== wantPath) problems.push(`${want.address} want ${want.status} [${wantPath}] got ${got?.status} [${gotPath}]`);
    }
    if (problems.length === 0) exact++;
    else mismatches.push(`${t.messageId}: ${problems.join('; ')}`);
  }
  return { checked, exact, mismatches };
}

/**
 * Scale the store to ≥ target events by cloning what is there under new message and queue ids
 * (the engine does this in SQL, fast), then time warm trace lookups over HTTP at the API.
 */
/** The pages' reads, as the dashboard asks for them (the whole store, and a day of it). */
const VIEW_URLS = ['overview', 'topology', 'security', 'connectors', 'delivery', 'protection', 'certificates', 'ingestion', 'hops?filter=plaintext&limit=100'];

export async function measureTrace(store: Store, truth: TruthMessage[], target: number): Promise<{ events: number; messages: number; samples: number; medianMs: number; p95Ms: number; summaryMs: number; views: Record<string, { p50: number; p95: number }> }> {
  const events = store.table(EVENTS_TABLE);
  const count = async () => Number((await store.query<{ n: string }>(`SELECT count() AS n FROM ${events}`))[0].n);
  const have = await count();
  const copies = Math.ceil(target / Math.max(have, 1)) - 1;
  if (copies > 0) {
    const cols = EVENT_COLUMNS.map((c) => {
      switch (c) {
        case 'id': return `concat(e.id, '-', toString(n.number)) AS id`;
        case 'messageId': return `if(e.messageId = '', '', concat(e.messageId, '#', toString(n.number))) AS messageId`;
        case 'queueId': case 'nextQueueId': return `if(e.${c} = '', '', concat(e.${c}, 'C', toString(n.number))) AS ${c}`;
        default: return `e.${c} AS ${c}`;
      }
    });
    await store.command(`INSERT INTO ${events} (${EVENT_COLUMNS.join(', ')}) SELECT ${cols.join(', ')} FROM ${events} AS e CROSS JOIN numbers(1, {copies:UInt32}) AS n`, { copies });
    // the stitched rows of the copies, as stitching would write them (the trace and summary read these)
    const renamed = (col: string): string => (col === 'messageKey' || col === 'messageId' ? `if(e.${col} = '', '', concat(e.${col}, '#', toString(n.number)))` : `e.\`${col}\``);
    const hopCols = HOP_COLUMNS.map(renamed);
    await store.command(`INSERT INTO ${store.table(HOPS_TABLE)} (${HOP_COLUMNS.map((c) => `\`${c}\``).join(', ')}) SELECT ${hopCols.join(', ')} FROM ${store.table(HOPS_TABLE)} AS e CROSS JOIN numbers(1, {copies:UInt32}) AS n`, { copies });
    const msgCols = MESSAGE_COLUMNS.map((c) => (c === 'queueIds' ? `arrayMap(q -> concat(q, 'C', toString(n.number)), e.queueIds)` : renamed(c)));
    await store.command(`INSERT INTO ${store.table(MESSAGES_TABLE)} (${MESSAGE_COLUMNS.map((c) => `\`${c}\``).join(', ')}) SELECT ${msgCols.join(', ')} FROM ${store.table(MESSAGES_TABLE)} AS e CROSS JOIN numbers(1, {copies:UInt32}) AS n`, { copies });
  }
  const messages = Number((await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table(MESSAGES_TABLE)}`))[0].n);
  const total = await count();
  const app = await buildApp({ store });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const ids = truth.filter((_, i) => i % Math.max(1, Math.floor(truth.length / 60)) === 0).slice(0, 60).map((t) => t.messageId);
    for (const id of ids.slice(0, 5)) await fetch(`${base}/api/messages/${encodeURIComponent(id)}/trace`); // warm up
    const times: number[] = [];
    for (const id of ids) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/messages/${encodeURIComponent(id)}/trace`);
      await res.json();
      times.push(performance.now() - t0);
      if (!res.ok) throw new Error(`trace ${id}: HTTP ${res.status}`);
    }
    times.sort((a, b) => a - b);
    // the first call: a later one within two seconds is answered from the summary's short cache
    const s0 = performance.now();
    const summary = await fetch(`${base}/api/summary`);
    await summary.json();
    const summaryMs = performance.now() - s0;
    if (!summary.ok) throw new Error(`summary: HTTP ${summary.status}`);
    // every page's read: 1 warm-up, then 10 timed, over the whole store
    const views: Record<string, { p50: number; p95: number }> = {};
    for (const v of VIEW_URLS) {
      const url = `${base}/api/views/${v}`;
      const once = async () => {
        const t0 = performance.now();
        const res = await fetch(url);
        await res.json();
        if (!res.ok) throw new Error(`${v}: HTTP ${res.status}`);
        return performance.now() - t0;
      };
      await once();
      const ts: number[] = [];
      for (let i = 0; i < 10; i++) ts.push(await once());
      ts.sort((a, b) => a - b);
      views[v.split('?')[0]] = { p50: ts[4], p95: ts[9] };
    }
    return { events: total, messages, samples: times.length, medianMs: times[Math.floor(times.length / 2)], p95Ms: times[Math.floor(times.length * 0.95)], summaryMs, views };
  } finally {
    await app.close();
  }
}

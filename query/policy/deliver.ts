import type { AlertNotice, AlertSink, PendingNotice } from '../../schemas/index.ts';
import { digestOf, noticeOf, type Deliver, type HeldNotice } from './alerts.ts';
import type { StoredIncident } from './incidents.ts';
import type { PolicyLog } from './log.ts';

/**
 * Sending what the incidents of a check owe, under a cap: at most maxPerCheck notices (an alert
 * or a resolved notice of one incident, to each of its sinks) per check, most severe and oldest
 * first; the rest are held back and go to each sink as one digest that counts and lists them,
 * and to the log. Nothing is dropped silently: a held-back notice leaves the incident's owed list
 * only once a digest naming it was taken by its sink; if the digest fails it stays owed and
 * competes again at the next check. Per sink, a resolved notice still waits for its alert.
 */
export interface DeliveryContext {
  sinks: readonly AlertSink[];
  send: Deliver;
  /** the check's time (ISO): the digest's id is `digest@<now>` */
  now: string;
  maxPerCheck: number;
  log: PolicyLog;
}

export interface DigestOutcome {
  id: string;
  sink: AlertSink;
  /** the notices it stands for */
  heldBack: number;
  receipt?: string;
  error?: string;
}

export interface Delivery {
  /** incidents whose owed list or failures changed, with the next version (to be written) */
  changed: StoredIncident[];
  delivered: { id: string; notice: PendingNotice; receipt: string }[];
  failed: { id: string; notice: PendingNotice; error: string }[];
  /** owed to a sink that is no longer configured: given up, and said so */
  dropped: { id: string; notice: PendingNotice }[];
  heldBack: { id: string; notice: PendingNotice }[];
  digests: DigestOutcome[];
}

const PARTS: Record<PendingNotice, readonly [AlertNotice['type'], AlertSink]> = {
  'opened:webhook': ['opened', 'webhook'], 'opened:email': ['opened', 'email'], 'resolved:webhook': ['resolved', 'webhook'], 'resolved:email': ['resolved', 'email'],
};
const SEVERITY_FIRST: Record<StoredIncident['severity'], number> = { critical: 0, warning: 1 };

interface Progress {
  inc: StoredIncident;
  owed: PendingNotice[];
  failures: number;
  lastError: string;
}

export async function deliverAll(incidents: readonly StoredIncident[], ctx: DeliveryContext): Promise<Delivery> {
  const out: Delivery = { changed: [], delivered: [], failed: [], dropped: [], heldBack: [], digests: [] };
  // when the cap bites, what waits for the digest is the least urgent
  const order = [...incidents].sort((a, b) => SEVERITY_FIRST[a.severity] - SEVERITY_FIRST[b.severity] || Date.parse(a.openedAt) - Date.parse(b.openedAt) || a.key.localeCompare(b.key));
  let budget = ctx.maxPerCheck;
  const progress: Progress[] = [];
  /** per sink, the held notices in order */
  const held = new Map<AlertSink, { p: Progress; notice: PendingNotice; type: AlertNotice['type'] }[]>();
  for (const inc of order) {
    const p: Progress = { inc, owed: [], failures: 0, lastError: '' };
    progress.push(p);
    const blocked = new Set<AlertSink>();
    // a notice is admitted once for all its sinks: the cap counts notices, each sink gets each one
    const admitted = new Map<AlertNotice['type'], boolean>();
    for (const notice of inc.pending) {
      const [type, sink] = PARTS[notice];
      if (!ctx.sinks.includes(sink)) {
        out.dropped.push({ id: inc.id, notice });
        continue;
      }
      if (blocked.has(sink)) {
        p.owed.push(notice);
        continue;
      }
      let admit = admitted.get(type);
      if (admit === undefined) {
        admit = budget > 0;
        if (admit) budget--;
        admitted.set(type, admit);
      }
      if (!admit) {
        p.owed.push(notice);
        out.heldBack.push({ id: inc.id, notice });
        held.set(sink, [...held.get(sink) ?? [], { p, notice, type }]);
        continue;
      }
      try {
        const receipt = await ctx.send(sink, noticeOf(inc, type));
        out.delivered.push({ id: inc.id, notice, receipt });
      } catch (err) {
        p.lastError = `${sink}: ${(err as Error).message}`;
        p.failures++;
        p.owed.push(notice);
        blocked.add(sink);
        out.failed.push({ id: inc.id, notice, error: p.lastError });
      }
    }
  }
  if (held.size > 0) await sendDigests(held, ctx, out);
  for (const p of progress) {
    const same = p.failures === 0 && p.owed.length === p.inc.pending.length;
    if (same) continue;
    out.changed.push({ ...p.inc, pending: p.owed, failures: p.inc.failures + p.failures, lastError: p.owed.length > 0 ? p.lastError || p.inc.lastError : '', version: p.inc.version + 1 });
  }
  return out;
}

async function sendDigests(held: ReadonlyMap<AlertSink, { p: Progress; notice: PendingNotice; type: AlertNotice['type'] }[]>, ctx: DeliveryContext, out: Delivery): Promise<void> {
  ctx.log.warn(
    { maxPerCheck: ctx.maxPerCheck, heldBack: out.heldBack.length, notices: out.heldBack.map((h) => `${h.notice} ${h.id}`) },
    `policy check ${ctx.now}: ${out.heldBack.length} notice(s) past alerts.maxPerCheck (${ctx.maxPerCheck}) held back, sent as one digest per sink`,
  );
  for (const [sink, list] of held) {
    const units: HeldNotice[] = list.map((h) => ({ type: h.type, incident: h.p.inc }));
    const digest = digestOf(ctx.now, ctx.maxPerCheck, units);
    try {
      const receipt = await ctx.send(sink, digest);
      out.digests.push({ id: digest.id, sink, heldBack: list.length, receipt });
      // the digest stands for them: no longer owed to this sink
      for (const h of list) h.p.owed = h.p.owed.filter((n) => n !== h.notice);
    } catch (err) {
      const error = `${sink}: ${(err as Error).message}`;
      out.digests.push({ id: digest.id, sink, heldBack: list.length, error });
      ctx.log.warn({ sink, heldBack: list.length, error }, `policy check ${ctx.now}: the digest could not be delivered; its ${list.length} notice(s) stay owed`);
    }
  }
}

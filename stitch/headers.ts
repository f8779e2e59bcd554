import { isEndToEnd, linkOfRule, ProtectionMechanism, type Hop, type HopStatus, type Protection, type RecipientTrace, type Trace } from '../schemas/index.ts';
import { isoOf, shortName, type StoredEvent } from './queue.ts';

/**
 * What delivered copies of a message say about its path, joined to what our logs say (the one
 * place that decides a hop's provenance). A copy's Received headers (events of kind `received`,
 * one per header, its owner in `recipient`) are matched to the recipient's log hops, oldest first:
 *   1. the receiving server and its queue id agree (Postfix writes `by HOST (Postfix) … id QUEUEID`,
 *      log-formats §4.5): the same hand-off, seen twice → provenance `both`;
 *   2. the receiving server agrees, one side names no id, and the times lie within MATCH_WINDOW_MS;
 * everything else a header claims is a hop of its own (`header`), placed where the chain puts it.
 * The log's TLS verdict stands (it is the servers' own record); a header fills a verdict the logs
 * left unknown, and where both have one and they differ the hop carries a conflict. A hop between
 * two servers whose logs we hold that no log saw is a conflict too. Nothing a header says
 * replaces a status: a recipient known only from a copy stays `unknown`.
 */
const MATCH_WINDOW_MS = 15 * 60_000;

export function mergeHeaders(trace: Trace, received: readonly StoredEvent[], content: readonly StoredEvent[]): Trace {
  if (received.length === 0 && content.length === 0) return trace;
  const notes = [...trace.notes];
  const recipients = trace.recipients.map((r) => ({ ...r, hops: [...r.hops] }));
  const ours = new Set(trace.queues.map((q) => shortName(q.host)));
  const logged = new Set(trace.queues.map((q) => `${shortName(q.host)}\u0000${q.queueId.toLowerCase()}`));
  for (const copy of copies(received)) {
    const rt = recipientFor(recipients, copy);
    rt.hops = joinCopy(rt, copy, { ours, logged }, notes);
  }
  const times = [...received, ...content].map((e) => isoOf(e.ts)).filter(Boolean).sort();
  const first = content[0];
  return {
    ...trace,
    sender: trace.sender || first?.sender || '',
    size: trace.size || first?.size || 0,
    firstSeen: trace.firstSeen || times[0] || '',
    lastSeen: trace.lastSeen || times[times.length - 1] || '',
    recipients,
    protection: content.length > 0 ? protectionOf(content) : trace.protection,
    notes: [...new Set(notes)],
  };
}

/** The Received events of each copy (owner + file), oldest hop first: headers are prepended, so the lowest in the file is the oldest. */
function copies(received: readonly StoredEvent[]): StoredEvent[][] {
  const by = new Map<string, StoredEvent[]>();
  for (const e of received) {
    const k = `${e.recipient.toLowerCase()}\u0000${e.sourceFile ?? ''}`;
    const list = by.get(k);
    if (list) list.push(e);
    else by.set(k, [e]);
  }
  return [...by.keys()].sort().map((k) => by.get(k)!.sort((a, b) => (b.sourceOffset ?? 0) - (a.sourceOffset ?? 0) || (a.id < b.id ? -1 : 1)));
}

function recipientFor(recipients: RecipientTrace[], copy: readonly StoredEvent[]): RecipientTrace {
  const owner = copy[0]?.recipient ?? '';
  const found = recipients.find((r) => r.address.toLowerCase() === owner.toLowerCase())
    // a copy that does not say whose it is belongs to the only recipient there is
    ?? (owner === '' && recipients.length === 1 ? recipients[0] : undefined);
  if (found) return found;
  const rt: RecipientTrace = { address: owner, status: 'unknown', hops: [], lastHost: '', dsn: '', reply: '', relay: '', lastSeen: '' };
  recipients.push(rt);
  return rt;
}

function sameServer(logHost: string, byHost: string): boolean {
  return logHost !== '' && byHost !== '' && (logHost.toLowerCase() === byHost.toLowerCase() || shortName(logHost) === shortName(byHost));
}

interface Known {
  /** servers whose logs show this message (short names) */
  ours: ReadonlySet<string>;
  /** `server\0queue id` of every queue the logs show for it */
  logged: ReadonlySet<string>;
}

function joinCopy(rt: RecipientTrace, copy: readonly StoredEvent[], known: Known, notes: string[]): Hop[] {
  const { ours, logged } = known;
  const log = rt.hops;
  const out: Hop[] = [];
  let next = 0;
  let prevTime = '';
  for (const h of copy) {
    const at = matchIndex(log, next, h);
    const hTime = isoOf(h.ts);
    if (at >= 0) {
      out.push(...log.slice(next, at));
      out.push(both(log[at], h, notes));
      next = at + 1;
    } else if (!h.client && !h.clientIp && logged.has(`${shortName(h.host)}\u0000${h.queueId.toLowerCase()}`)) {
      // `by HOST (Postfix) id X` with no sender: where the message was made (a bounce, a local
      // submission), a queue the log shows — a start, not a transfer
    } else {
      const hop = headerHop(h, prevTime, hTime);
      const from = h.client || h.clientIp;
      const byOurs = ours.has(shortName(h.host));
      if (byOurs && from && ours.has(shortName(from))) hop.conflict = `a hop between two of our servers (${from} → ${h.host}) that no ingested log shows`;
      // only where that server's log does show this message: a log that ends early is a gap, not a contradiction
      else if (byOurs && from) hop.conflict = `${h.host}'s Received header claims a receipt from ${from} that its log (which shows this message) does not`;
      if (hop.conflict) notes.push(`${rt.address || 'a copy'}: ${hop.conflict}`);
      out.push(hop);
    }
    if (prevTime && hTime && hTime < prevTime) notes.push(`${rt.address || 'a copy'}: the Received header of ${h.host} is dated before the hop before it (the two servers' clocks disagree)`);
    if (hTime) prevTime = hTime;
  }
  out.push(...log.slice(next));
  // the path's end keeps the recipient's final word; hops a header added before it relay on
  const last = out.length - 1;
  return out.map((hop, i) => (i < last && hop.provenance === 'header' ? { ...hop, status: 'relayed' as HopStatus } : hop));
}

function matchIndex(log: readonly Hop[], from: number, h: StoredEvent): number {
  const t = Date.parse(isoOf(h.ts));
  for (let i = from; i < log.length; i++) {
    const l = log[i];
    if (l.provenance !== 'log' || !sameServer(l.to, h.host)) continue;
    // Exchange writes its build number where Postfix writes the queue id (`with Microsoft SMTP Server … id 15.20.7452.28`, §5.2)
    if (h.queueId && l.toQueueId && h.protocol !== 'Microsoft SMTP Server') {
      if (h.queueId.toLowerCase() === l.toQueueId.toLowerCase()) return i;
      continue;
    }
    const lt = Date.parse(l.end || l.start);
    if (!Number.isNaN(t) && !Number.isNaN(lt) && Math.abs(lt - t) <= MATCH_WINDOW_MS) return i;
  }
  return -1;
}

/** A log hop a Received header also describes: the log's TLS stands; the header fills what the log left unknown. */
function both(l: Hop, h: StoredEvent, notes: string[]): Hop {
  const out: Hop = { ...l, provenance: 'both', protocol: h.protocol ?? '', eventIds: [...l.eventIds, h.id] };
  if (l.tls === 'unknown' && h.tls !== 'unknown') {
    Object.assign(out, { tls: h.tls, tlsVersion: h.tlsVersion, cipher: h.cipher, tlsEvidence: `received-header:${h.tlsEvidence}` });
  } else if (l.tls !== 'unknown' && h.tls !== 'unknown' && l.tls !== h.tls) {
    out.conflict = `${h.host}'s Received header claims ${h.tls === 'encrypted' ? 'TLS' : 'no TLS'} (${h.protocol || h.tlsEvidence}) but the log shows the session ${l.tls} (${l.tlsEvidence})`;
    notes.push(`hop ${l.from} → ${l.to}: ${out.conflict}`);
  }
  return out;
}

function headerHop(h: StoredEvent, prevTime: string, time: string): Hop {
  return {
    from: h.client || h.clientIp, to: h.host, fromRole: '', toRole: '',
    tls: h.tls, tlsVersion: h.tlsVersion, cipher: h.cipher, tlsTrust: '', tlsEvidence: h.tlsEvidence ? `received-header:${h.tlsEvidence}` : '',
    start: prevTime, end: time, fromQueueId: '', toQueueId: h.queueId,
    link: linkOfRule('received-header'), rule: 'received-header', status: 'unknown', eventIds: [h.id],
    provenance: 'header', protocol: h.protocol ?? '', conflict: '', fromConnector: '', toConnector: '',
  };
}

/** Every mechanism any copy showed, each with the copy's evidence. */
function protectionOf(content: readonly StoredEvent[]): Protection {
  const found = new Set<ProtectionMechanism>();
  const evidence = new Set<string>();
  for (const c of content) {
    for (const m of c.protection ?? []) found.add(m);
    if (c.protectionEvidence) evidence.add(c.protectionEvidence);
  }
  const mechanisms = ProtectionMechanism.options.filter((m) => found.has(m));
  return { mechanisms, endToEnd: isEndToEnd(mechanisms), evidence: [...evidence].sort().join('; '), known: true };
}

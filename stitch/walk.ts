import { Program, type Hop, type LinkRule, type RecipientStatus, type RecipientTrace } from '../schemas/index.ts';
import { firstHop, gapHop, receiptHop, storeHop, transferHop } from './hop.ts';
import { inTree, LOCAL_PROGRAMS } from './link.ts';
import { isoOf, PROXY_PROGRAM, shortName, type Queue, type StoredEvent } from './queue.ts';


/**
 * One recipient's path. Its trail may come in segments: queues that no join reached (a row rotated
 * away, a server not ingested, a connector without logs). Segments are walked in time order; a
 * missing link costs that link only: where the next segment's receipt names the host the previous
 * one ended on, that receipt is the hop; otherwise a gap hop (unknown end) stands between them and
 * a note says why. The recipient's status is the last word of the last segment.
 */
export function traceRecipient(address: string, roots: Queue[], aliases: Map<string, Set<string>>, notes: string[]): RecipientTrace {
  const hops: Hop[] = [];
  const out: RecipientTrace = { address, status: 'unknown', hops, lastHost: '', dsn: '', reply: '', relay: '', lastSeen: '' };
  const names = new Set([address, ...(aliases.get(address) ?? [])]);
  // a hand-off that names no recipient (a Front End proxy, an Exchange 2007 SUBMIT) carried them all
  const matches = (d: StoredEvent): boolean => d.program === PROXY_PROGRAM || (d.recipient === '' && d.program === Program.submit) || names.has(d.recipient) || names.has(d.origRecipient);
  // segments: roots that name this recipient, and roots that name nobody (the message passed there)
  const segments = roots.filter((q) => q.deliveries.some(matches) || q.rejects.some((r) => r.recipient === address) || q.receivedFor.has(address)
    || (q.deliveries.length === 0 && q.rejects.length === 0 && q.receivedFor.size === 0));
  if (segments.length === 0 && roots[0]) segments.push(roots[0]);
  let ended: { host: string; role: string; queueId: string; at: string; handedOff: boolean } | undefined;
  for (const root of segments) {
    if (ended) {
      const prev = hops[hops.length - 1];
      const names = prev ? new Set([prev.to, shortName(prev.to)]) : new Set<string>();
      const joinsPrev = root.receive && (shortName(root.receive.client) === ended.host || (ended.handedOff && names.has(root.host)));
      if (joinsPrev && ended.handedOff && prev) {
        // the unmatched hand-off and this receipt are the same transfer
        const joined = receiptHop(ended.host, ended.role, ended.queueId, root);
        hops[hops.length - 1] = { ...joined, start: prev.start, eventIds: [...prev.eventIds, ...joined.eventIds] };
        if (prev.tls !== 'unknown' && hops[hops.length - 1].tls === 'unknown') Object.assign(hops[hops.length - 1], pickTls(prev));
      } else if (joinsPrev) {
        hops.push(receiptHop(ended.host, ended.role, ended.queueId, root));
      } else {
        if (!ended.handedOff) hops.push(gapHop(ended.host, ended.role, ended.at, ended.queueId));
        notes.push(`the path of ${address} breaks after ${ended.host}: the logs do not show how the message reached ${root.host}`);
        if (root.receive && usableReceipt(root)) hops.push(firstHop(root));
      }
    } else if (root.receive && usableReceipt(root)) {
      hops.push(firstHop(root));
    }
    ended = walk(root, address, matches, out, hops);
    if (ended === undefined) break;
  }
  if (hops.length > 0) {
    const last = hops[hops.length - 1];
    last.status = out.status === 'delivered' && last.rule === 'unmatched' ? 'relayed' : out.status;
  }
  return out;
}

/** What a pickup or store submission hands in has no network hop before it. */
function usableReceipt(q: Queue): boolean {
  return !!q.receive && q.receive.tlsEvidence !== 'local-submission' && q.receive.client !== 'pickup';
}

function pickTls(h: Hop): Pick<Hop, 'tls' | 'tlsVersion' | 'cipher' | 'tlsTrust' | 'tlsEvidence'> {
  return { tls: h.tls, tlsVersion: h.tlsVersion, cipher: h.cipher, tlsTrust: h.tlsTrust, tlsEvidence: h.tlsEvidence };
}

/**
 * Follow one segment from its root. Returns where it ended when a later segment may go on
 * (handed to a server whose logs we lack, or no word for the recipient), undefined when the
 * recipient's story is over (delivered, bounced, refused, deferred).
 */
function walk(root: Queue, address: string, matches: (d: StoredEvent) => boolean, out: RecipientTrace, hops: Hop[]):
  { host: string; role: string; queueId: string; at: string; handedOff: boolean } | undefined {
  const reject = root.rejects.find((r) => r.recipient === address);
  if (reject) Object.assign(out, { status: 'rejected', lastHost: root.host, dsn: reject.dsn, reply: reject.reply, lastSeen: isoOf(reject.ts) });
  let q: Queue | undefined = root;
  const visited = new Set<Queue>();
  while (q && !visited.has(q)) {
    visited.add(q);
    out.lastHost = q.host;
    // the address itself first; a list it was expanded from only where the address is not named
    const own = q.deliveries.filter((d) => d.recipient === address || d.origRecipient === address);
    const attempts: StoredEvent[] = own.length > 0 ? own : q.deliveries.filter(matches);
    const last: StoredEvent | undefined = attempts[attempts.length - 1];
    if (!last) {
      if (reject) return undefined;
      out.status = 'unknown';
      return { host: q.host, role: q.role, queueId: q.queueId, at: q.firstTs, handedOff: false };
    }
    Object.assign(out, { status: toRecipientStatus(last.status), dsn: last.dsn, reply: last.reply, relay: last.relay, lastSeen: isoOf(last.ts) });
    if (last.status === 'deferred' && q.expiredAt && q.expiredAt >= last.ts) {
      // the queue manager gave up after the last attempt and returned the message: it bounced (§4.4 facts)
      Object.assign(out, { status: 'bounced', reply: `expired, returned to sender (last attempt: ${last.reply})`, lastSeen: isoOf(q.expiredAt) });
      return undefined;
    }
    const linked: { queue: Queue; rule: LinkRule } | undefined = q.children.get(last) ?? [...q.children.entries()].find(([d]) => matches(d) && d.status === 'sent')?.[1];
    if (last.status !== 'sent') return undefined;
    if (LOCAL_PROGRAMS.has(last.program) && !linked) {
      // Exchange 2007/2010: the hub's store driver delivered into another (mailbox) server
      const target = last.program === Program.storeDriver ? shortName(last.relay) : '';
      if (target && target !== q.host && target !== 'mailbox') {
        hops.push({ ...storeHop(q, last, target), start: hops.length > 0 && hops[hops.length - 1].end > isoOf(last.ts) ? hops[hops.length - 1].end : isoOf(last.ts) });
        out.lastHost = target;
      }
      return undefined;
    }
    const prevEnd = hops.length > 0 ? hops[hops.length - 1].end : '';
    if (linked && (linked.rule === 'transfer' || (linked.rule === 'forwarded-as' && linked.queue.host === q.host))) {
      // a fork or a forward inside the same server: the path goes on from the new queue, no hop
      q = linked.queue;
      continue;
    }
    if (linked) {
      hops.push(transferHop(q, last, linked.queue, linked.rule, prevEnd));
      q = linked.queue;
      continue;
    }
    // handed to a server whose logs we do not have
    hops.push(transferHop(q, last, undefined, 'unmatched', prevEnd));
    return { host: q.host, role: q.role, queueId: q.queueId, at: isoOf(last.ts), handedOff: true };
  }
  return undefined;
}

export function toRecipientStatus(s: string): RecipientStatus {
  switch (s) {
    case 'sent': case 'deliverable': return 'delivered';
    case 'deferred': return 'deferred';
    case 'bounced': case 'expired': case 'undeliverable': return 'bounced';
    case 'rejected': return 'rejected';
    default: return 'unknown';
  }
}

/**
 * Recipients of the message: every address a queue in its tree delivered to or refused, except
 * lists and aliases that were expanded into members (each member gets its own path).
 */
export function collectRecipients(roots: Queue[], queues: Map<string, Queue>, aliases: Map<string, Set<string>>): string[] {
  const seen = new Set<string>();
  const expanded = new Set<string>();
  for (const lists of aliases.values()) for (const l of lists) expanded.add(l);
  const add = (a: string): void => {
    if (a && !expanded.has(a)) seen.add(a);
  };
  for (const q of roots) {
    for (const d of q.deliveries) add(d.recipient);
    for (const r of q.rejects) add(r.recipient);
  }
  for (const q of queues.values()) {
    if (!inTree(q, roots)) continue;
    for (const d of q.deliveries) add(d.recipient);
    // a receipt's own recipient list: the message may be seen nowhere else (rotated, not ingested)
    for (const a of q.receivedFor) add(a);
  }
  return [...seen];
}

/** member → every list or alias it was expanded from (transitively). */
export function aliasMap(events: readonly StoredEvent[]): Map<string, Set<string>> {
  const direct = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.kind !== 'expand' || !e.recipient || !e.origRecipient || e.recipient === e.origRecipient) continue;
    const set = direct.get(e.recipient) ?? new Set<string>();
    set.add(e.origRecipient);
    direct.set(e.recipient, set);
  }
  const out = new Map<string, Set<string>>();
  for (const member of direct.keys()) {
    const all = new Set<string>();
    const stack = [...(direct.get(member) ?? [])];
    while (stack.length > 0 && all.size < 100) {
      const a = stack.pop()!;
      if (all.has(a)) continue;
      all.add(a);
      stack.push(...(direct.get(a) ?? []));
    }
    out.set(member, all);
  }
  return out;
}

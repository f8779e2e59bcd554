import { TRANSPORT_DEFAULT_ROLE_REASON, type Hop, type RecipientStatus, type RecipientTrace, type RelatedMessage, type TlsInfo, type Trace } from '../../schemas/index.ts';
import { PROXY_PROGRAM, queueKey, shortName, type Queue, type StoredEvent } from './queue.ts';
import { applySessions } from './sessions.ts';

export { queueKey, type StoredEvent } from './queue.ts';

/**
 * Events of one message (from every host that held it) → its path per recipient.
 * Pure: no I/O. Queue ids are unique only per host, so a queue is (host, queueId); the link from a
 * delivery to the next host's queue is the `queued as` id the next host announced (exact), or —
 * when the next hop is not Postfix — the same message id received soon after on another host
 * (inferred, and said so). Whatever the logs do not show stays unknown.
 */
/** delivery agents that end a path on their host (no next hop): Postfix local agents, Exchange's store driver */
export const FINAL_PROGRAMS: readonly string[] = ['local', 'virtual', 'pipe', 'discard', 'error', 'retry', 'storedriver'];
const LOCAL_PROGRAMS = new Set(FINAL_PROGRAMS);
/** how long after a hand-off the next host may log its receipt (clock skew + queueing) */
const LINK_WINDOW_MS = 10 * 60_000;


export function reconstruct(messageId: string, events: readonly StoredEvent[]): Trace {
  const queues = groupQueues(events);
  const notes: string[] = [];
  applySessions(queues, events.filter((e) => e.kind === 'session'));
  promoteEdges(queues, events);
  linkQueues(queues, notes);
  const aliases = aliasMap(events);

  const roots = [...queues.values()].filter((q) => !q.parent && q.messageId === messageId).sort(byFirstTime);
  const primaryRoots = roots.length > 0 ? roots : [...queues.values()].filter((q) => !q.parent).sort(byFirstTime);
  const recipients = collectRecipients(primaryRoots, queues, aliases);
  const traces: RecipientTrace[] = [];
  for (const address of recipients) traces.push(traceRecipient(address, primaryRoots, aliases));

  const related: RelatedMessage[] = [];
  const notifications = new Set<string>();
  for (const q of queues.values()) {
    for (const d of q.dsns) {
      if (!d.nextQueueId) {
        // Exchange names the notification by its message id (reference), not by a queue
        // a DSN row is the notification's own (its reference is the original); a FAIL's
        // reference is the notification it caused
        if (d.reply.startsWith('<')) {
          const own = d.program === 'dsn';
          if (own) notifications.add(q.key);
          related.push({ kind: own ? 'dsn-for' : 'dsn', host: q.host, queueId: own ? q.queueId : '', parentQueueId: own ? '' : q.queueId, messageId: d.reply });
        }
        continue;
      }
      const child = queues.get(queueKey(q.host, d.nextQueueId));
      notifications.add(queueKey(q.host, d.nextQueueId));
      if (q.messageId === messageId || !child || child.messageId !== messageId) {
        related.push({ kind: 'dsn', host: q.host, queueId: d.nextQueueId, parentQueueId: q.queueId, messageId: child?.messageId ?? '' });
      } else {
        related.push({ kind: 'dsn-for', host: q.host, queueId: q.queueId, parentQueueId: q.queueId, messageId: q.messageId });
      }
    }
  }
  // a notification is made on its host by the bounce daemon: it has no receipt to miss
  if (primaryRoots.some((q) => !q.receive && !notifications.has(q.key))) notes.push('the receipt of this message is not in the ingested logs (the first hop is unknown)');

  const all = [...queues.values()].filter((q) => q.messageId === messageId || inTree(q, primaryRoots));
  const times = events.map((e) => e.ts).sort();
  const anyQueue = primaryRoots[0] ?? all[0];
  return {
    messageId,
    sender: anyQueue?.sender ?? '',
    size: anyQueue?.size ?? 0,
    firstSeen: isoOf(times[0] ?? ''),
    lastSeen: isoOf(times[times.length - 1] ?? ''),
    queues: all.sort(byFirstTime).map((q) => ({ host: q.host, queueId: q.queueId })),
    servers: serversOf(all),
    recipients: traces,
    related: [...new Map(related.map((r) => [JSON.stringify(r), r])).values()],
    notes: [...new Set(notes)],
  };
}

function groupQueues(events: readonly StoredEvent[]): Map<string, Queue> {
  const queues = new Map<string, Queue>();
  const sorted = [...events].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  for (const e of sorted) {
    if (!e.queueId) continue;
    const key = queueKey(e.host, e.queueId);
    let q = queues.get(key);
    if (!q) {
      q = { key, host: e.host, queueId: e.queueId, messageId: '', sender: '', size: 0, receive: undefined, queuedAt: '', deliveries: [], rejects: [], dsns: [], role: '', roleReason: '', children: new Map(), parent: undefined };
      queues.set(key, q);
    }
    if (e.messageId) q.messageId = e.messageId;
    if (e.sender) q.sender = e.sender;
    if (e.role && (!q.role || e.kind === 'receive')) [q.role, q.roleReason] = splitRole(e.role);
    if (e.size && !q.size) q.size = e.size;
    switch (e.kind) {
      case 'receive': q.receive = mergeReceipt(q.receive, e); break;
      case 'queued': q.size = e.size; q.queuedAt ||= e.ts; break;
      case 'message': q.queuedAt ||= e.ts; break;
      case 'delivery': q.deliveries.push(e); break;
      case 'reject': q.rejects.push(e); break;
      case 'dsn': q.dsns.push(e); break;
      default: break;
    }
  }
  return queues;
}

/**
 * A server is an Edge if any of its lines says so (its Edge protocol logs may have been ingested in
 * another run than its tracking logs): its Transport queues, given the hub role by default, are edge.
 */
function promoteEdges(queues: Map<string, Queue>, events: readonly StoredEvent[]): void {
  const edge = new Map<string, string>();
  for (const e of events) if (e.role?.startsWith('edge:') && !edge.has(e.host)) edge.set(e.host, splitRole(e.role)[1]);
  for (const q of queues.values()) {
    if (q.role === 'hub' && q.roleReason === TRANSPORT_DEFAULT_ROLE_REASON && edge.has(q.host)) [q.role, q.roleReason] = ['edge', edge.get(q.host)!];
  }
}

/**
 * One receipt per queue. A second line about the same receipt (Exchange Online's summary gives
 * the client, its detail export the TLS) adds what the first lacks; it never replaces what is known.
 */
function mergeReceipt(have: StoredEvent | undefined, e: StoredEvent): StoredEvent {
  if (!have) return e;
  let out = have;
  if (!out.client && !out.clientIp && (e.client || e.clientIp)) out = { ...out, client: e.client, clientIp: e.clientIp };
  if (out.tls === 'unknown' && e.tls !== 'unknown') out = { ...out, tls: e.tls, tlsVersion: e.tlsVersion, cipher: e.cipher, tlsTrust: e.tlsTrust, tlsEvidence: e.tlsEvidence };
  return out;
}

function linkQueues(queues: Map<string, Queue>, notes: string[]): void {
  const byQueueId = new Map<string, Queue[]>();
  for (const q of queues.values()) {
    const list = byQueueId.get(q.queueId);
    if (list) list.push(q);
    else byQueueId.set(q.queueId, [q]);
  }
  for (const q of queues.values()) {
    for (const d of q.deliveries) {
      if (d.status !== 'sent' || LOCAL_PROGRAMS.has(d.program)) continue;
      let child: Queue | undefined;
      let link: Hop['link'] = 'queued-as';
      if (d.nextQueueId) {
        // the next queue may be on the same host (a content filter re-injecting, or another
        // Exchange service on the same server): only the queue itself is excluded
        const candidates = (byQueueId.get(d.nextQueueId) ?? []).filter((c) => c !== q && near(c, d));
        child = candidates.find((c) => relayNames(d).has(c.host)) ?? candidates[0];
      }
      if (!child && !d.nextQueueId && q.messageId) {
        // next hop not Postfix (or its reply not logged): same message id, received on another host soon after
        child = [...queues.values()].find((c) => c !== q && (c.host !== q.host || relayNames(d).has(c.host)) && (!c.parent || c.parent === q) && c.messageId === q.messageId && c.receive && near(c, d) && relayMatches(c, d, q));
        link = 'message-id';
        if (child) notes.push(`${q.host} → ${child.host} joined by message id and time (no queue id in the reply)`);
      }
      if (child && child.parent === undefined && !isAncestor(child, q)) {
        child.parent = q;
        q.children.set(d, { queue: child, link });
      } else if (child && child.parent === q) {
        q.children.set(d, { queue: child, link });
      }
    }
  }
}

function near(c: Queue, d: StoredEvent): boolean {
  const t = Date.parse(isoOf(c.receive?.ts ?? c.queuedAt));
  const dt = Date.parse(isoOf(d.ts));
  return Number.isNaN(t) || Math.abs(t - dt) <= LINK_WINDOW_MS;
}

/** Names the relay may be known by on the other side: `hub.example.net` → {hub.example.net, hub}. */
function relayNames(d: StoredEvent): Set<string> {
  return new Set([d.relay, d.relay.toLowerCase(), shortName(d.relay)]);
}

/** The next host is the one the sender named as relay, or the one that names the sender as its client. */
function relayMatches(c: Queue, d: StoredEvent, sender: Queue): boolean {
  if (!c.receive) return false;
  // the relay the sender named decides; only when it named none, the receiver's word for its client
  if (d.relay && !/^[\d.:[\]]+$/.test(d.relay)) return relayNames(d).has(c.host);
  return shortName(c.receive.client) === sender.host;
}

function isAncestor(a: Queue, q: Queue): boolean {
  for (let p: Queue | undefined = q; p; p = p.parent) if (p === a) return true;
  return false;
}

function inTree(q: Queue, roots: Queue[]): boolean {
  for (let p: Queue | undefined = q; p; p = p.parent) if (roots.includes(p)) return true;
  return false;
}

/**
 * Recipients of the message: every address a queue in its tree delivered to or refused, except
 * lists and aliases that were expanded into members (each member gets its own path).
 */
function collectRecipients(roots: Queue[], queues: Map<string, Queue>, aliases: Map<string, Set<string>>): string[] {
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
  }
  return [...seen];
}

/** member → every list or alias it was expanded from (transitively). */
function aliasMap(events: readonly StoredEvent[]): Map<string, Set<string>> {
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

function traceRecipient(address: string, roots: Queue[], aliases: Map<string, Set<string>>): RecipientTrace {
  const hops: Hop[] = [];
  const out: RecipientTrace = { address, status: 'unknown', hops, lastHost: '', dsn: '', reply: '', relay: '', lastSeen: '' };
  const names = new Set([address, ...(aliases.get(address) ?? [])]);
  const matches = (d: StoredEvent): boolean => d.program === PROXY_PROGRAM || names.has(d.recipient) || names.has(d.origRecipient);
  const root = roots.find((q) => q.deliveries.some((d) => matches(d)) || q.rejects.some((r) => r.recipient === address)) ?? roots[0];
  if (!root) return out;
  const reject = root.rejects.find((r) => r.recipient === address);
  if (reject) {
    Object.assign(out, { status: 'rejected', lastHost: root.host, dsn: reject.dsn, reply: reject.reply, lastSeen: isoOf(reject.ts) });
  }
  if (root.receive && root.receive.tlsEvidence !== 'local-submission' && root.receive.client !== 'pickup') hops.push(firstHop(root));
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
      if (!reject) out.status = 'unknown';
      break;
    }
    Object.assign(out, { status: toRecipientStatus(last.status), dsn: last.dsn, reply: last.reply, relay: last.relay, lastSeen: isoOf(last.ts) });
    const linked: { queue: Queue; link: Hop['link'] } | undefined = q.children.get(last) ?? [...q.children.entries()].find(([d]) => matches(d) && d.status === 'sent')?.[1];
    if (last.status !== 'sent' || LOCAL_PROGRAMS.has(last.program)) break;
    const prevEnd = hops.length > 0 ? hops[hops.length - 1].end : '';
    if (linked && last.program === 'transfer') {
      // a fork inside the same server (Exchange TRANSFER): the path goes on from the copy, no hop
      q = linked.queue;
      continue;
    }
    if (linked) {
      hops.push(transferHop(q, last, linked.queue, linked.link, prevEnd));
      q = linked.queue;
      continue;
    }
    // handed to a server whose logs we do not have
    hops.push(transferHop(q, last, undefined, 'unmatched', prevEnd));
    break;
  }
  return out;
}

function forRecipient(d: StoredEvent, address: string): boolean {
  return d.recipient === address || d.origRecipient === address;
}

function toRecipientStatus(s: string): RecipientStatus {
  switch (s) {
    case 'sent': case 'deliverable': return 'delivered';
    case 'deferred': return 'deferred';
    case 'bounced': case 'expired': case 'undeliverable': return 'bounced';
    case 'rejected': return 'rejected';
    default: return 'unknown';
  }
}

function tlsOf(e: StoredEvent | undefined): TlsInfo & { tlsEvidence: string } {
  if (!e) return { tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: '' };
  return { tls: e.tls, tlsVersion: e.tlsVersion, cipher: e.cipher, cipherBits: 0, tlsTrust: e.tlsTrust, tlsEvidence: e.tlsEvidence };
}

/** Both ends may have logged the same connection: take the richer evidence; a plaintext word beats silence. */
function mergeTls(sender: StoredEvent | undefined, receiver: StoredEvent | undefined): Pick<Hop, 'tls' | 'tlsVersion' | 'cipher' | 'tlsTrust' | 'tlsEvidence'> {
  const a = tlsOf(sender);
  const b = tlsOf(receiver);
  const pick = (x: typeof a) => ({ tls: x.tls, tlsVersion: x.tlsVersion, cipher: x.cipher, tlsTrust: x.tlsTrust, tlsEvidence: x.tlsEvidence });
  if (a.tls === 'encrypted' && a.tlsVersion) return pick(a);
  if (b.tls === 'encrypted' && b.tlsVersion) return b.tls === 'encrypted' && a.tls === 'encrypted' ? { ...pick(b), tlsTrust: a.tlsTrust || b.tlsTrust } : pick(b);
  if (a.tls !== 'unknown') return pick(a);
  return pick(b);
}

/** Events carry `role:reason` (the parser says why it gave the role). */
export function splitRole(value: string): [string, string] {
  const i = value.indexOf(':');
  return i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
}

/** Exchange knows its own servers' roles; a host with no logs of its own is external to it. */
function outsideRole(q: Queue): string {
  return q.receive?.source === 'exchange' || q.deliveries[0]?.source === 'exchange' ? 'external' : '';
}

function firstHop(root: Queue): Hop {
  const r = root.receive!;
  return {
    from: r.client || r.clientIp || 'unknown',
    to: root.host,
    fromRole: outsideRole(root),
    toRole: root.role,
    ...mergeTls(undefined, r),
    // a receipt joined to its SMTP session knows how long the client took (Exchange)
    start: r.delayTransmit > 0 ? new Date(Date.parse(isoOf(r.ts)) - Math.round(r.delayTransmit * 1000)).toISOString() : isoOf(r.ts),
    end: isoOf(root.queuedAt || r.ts),
    fromQueueId: '',
    toQueueId: root.queueId,
    link: 'first-hop',
  };
}

/**
 * A hand-off from q's host. The delivery line is written when the next server has answered, so it
 * marks the end; the start is that minus connection setup and transmission (delays c + d), but
 * never before the message reached q (log stamps are often whole seconds).
 */
function transferHop(q: Queue, d: StoredEvent, child: Queue | undefined, link: Hop['link'], notBefore: string): Hop {
  const endMs = Date.parse(isoOf(d.ts));
  const floor = notBefore ? Date.parse(notBefore) : Number.NEGATIVE_INFINITY;
  const startMs = Math.min(endMs, Math.max(floor, endMs - Math.round((d.delayConnect + d.delayTransmit) * 1000)));
  return {
    from: q.host,
    to: child ? child.host : d.relay || 'unknown',
    fromRole: q.role,
    toRole: child ? child.role : outsideRole(q),
    ...mergeTls(d, child?.receive),
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    fromQueueId: q.queueId,
    toQueueId: child ? child.queueId : d.nextQueueId,
    link,
  };
}

/** Each server's role(s) in this trace and why: one line per host and role. */
function serversOf(queues: readonly Queue[]): Trace['servers'] {
  const seen = new Map<string, Trace['servers'][number]>();
  for (const q of queues) {
    if (!q.role) continue;
    const key = `${q.host}\u0000${q.role}`;
    if (!seen.has(key)) seen.set(key, { host: q.host, role: q.role, reason: q.roleReason });
  }
  return [...seen.values()];
}

function byFirstTime(a: Queue, b: Queue): number {
  const ta = a.receive?.ts ?? a.queuedAt ?? '';
  const tb = b.receive?.ts ?? b.queuedAt ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** The store returns `2026-03-01 08:00:00.123`; the API speaks ISO 8601 UTC. */
export function isoOf(ts: string): string {
  if (!ts) return '';
  if (ts.endsWith('Z')) return ts;
  return `${ts.replace(' ', 'T')}${ts.includes('.') ? '' : '.000'}Z`;
}

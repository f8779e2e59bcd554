import { Program, TRANSPORT_DEFAULT_ROLE_REASON, unknownProtection, type RecipientTrace, type RelatedMessage, type Trace } from '../schemas/index.ts';
import { mergeHeaders } from './headers.ts';
import { splitRole } from './hop.ts';
import { inTree, linkQueues } from './link.ts';
import { isoOf, queueKey, type Queue, type StoredEvent } from './queue.ts';
import { applySessions } from './sessions.ts';
import { aliasMap, collectRecipients, traceRecipient } from './walk.ts';

export { isoOf, queueKey, type StoredEvent } from './queue.ts';

/**
 * Events of one message (from every host that held it) → its path per recipient.
 * Pure: no I/O. Queue ids are unique only per host, so a queue is (host, queueId); the link from a
 * delivery to the next host's queue is the `queued as` id the next host announced (exact), or —
 * when the next hop is not Postfix — the same message id received soon after on another host
 * (inferred, and said so). Whatever the logs do not show stays unknown.
 */


export function reconstruct(messageId: string, all: readonly StoredEvent[]): Trace {
  // what delivered copies say (Received headers, MIME protection) joins the log path at the end
  // only this message's copies: a notification's copy shares a queue id with the message that caused it
  const received = all.filter((e) => e.kind === 'received' && e.messageId === messageId);
  const content = all.filter((e) => e.kind === 'content' && e.messageId === messageId);
  const input = all.filter((e) => e.kind !== 'received' && e.kind !== 'content');
  return mergeHeaders(fromLogs(messageId, input), received, content);
}

function fromLogs(messageId: string, input: readonly StoredEvent[]): Trace {
  // one canonical order (time, then id): the rows come back from the store in whatever order its
  // parts hold them, and every tie below (which of two equal candidates, which queue first) must
  // fall the same way whatever run or crash left those parts
  const events = [...input].sort(canonical);
  const queues = groupQueues(events);
  const notes: string[] = [];
  applySessions(queues, events.filter((e) => e.kind === 'session'));
  promoteEdges(queues, events);
  linkQueues(queues, notes);
  const aliases = aliasMap(events);

  const roots = [...queues.values()].filter((q) => !q.parent && q.messageId === messageId).sort(byFirstTime);
  const primaryRoots = roots.length > 0 ? roots : [...queues.values()].filter((q) => !q.parent).sort(byFirstTime);
  // the first log we hold may not be the first server: a private sender is often a relay of
  // one's own whose log was not given (the README promises the path says where it starts)
  for (const root of primaryRoots) {
    const r = root.receive;
    if (!r || !isPrivateAddress(r.clientIp)) continue;
    const who = r.client && r.client !== r.clientIp ? `${r.client} [${r.clientIp}]` : r.clientIp;
    notes.push(`the path begins at ${root.host}, which received the message from ${who}: a private address whose log is not in the store — if that is one of your relays, ingest its log to see the hops before ${root.host}`);
  }
  const recipients = collectRecipients(primaryRoots, queues, aliases);
  const traces: RecipientTrace[] = [];
  for (const address of recipients) traces.push(traceRecipient(address, primaryRoots, aliases, notes));

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
  // nor has a message submitted from a mailbox (its first line is the submission itself)
  const submitted = (q: Queue): boolean => q.deliveries.length > 0 && q.deliveries.every((d) => d.program === Program.submit);
  if (primaryRoots.some((q) => !q.receive && !notifications.has(q.key) && !submitted(q))) notes.push('the receipt of this message is not in the ingested logs (the first hop is unknown)');

  const all = [...queues.values()].filter((q) => q.messageId === messageId || inTree(q, primaryRoots));
  // the message's own lines: a protocol-log session (or one part of it) is evidence about a hop, not a sighting
  const own = events.filter((e) => e.kind !== 'session');
  const times = (own.length > 0 ? own : events).map((e) => e.ts).sort();
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
    protection: unknownProtection(),
    notes: [...new Set(notes)],
  };
}

function groupQueues(events: readonly StoredEvent[]): Map<string, Queue> {
  const queues = new Map<string, Queue>();
  const senderFromQmgr = new Set<Queue>();
  const sorted = [...events].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  for (const e of sorted) {
    if (!e.queueId) continue;
    const key = queueKey(e.host, e.queueId);
    let q = queues.get(key);
    if (!q) {
      q = { key, host: e.host, queueId: e.queueId, messageId: '', sender: '', size: 0, receive: undefined, queuedAt: '', expiredAt: '', firstTs: e.ts, deliveries: [], receivedFor: new Set(), rejects: [], dsns: [], role: '', roleReason: '', children: new Map(), parent: undefined };
      queues.set(key, q);
    }
    if (e.messageId) q.messageId = e.messageId;
    // the queue manager's envelope sender is the full address; pickup's `from=<root>` is the login
    if (e.sender && (e.kind === 'queued' || !senderFromQmgr.has(q))) q.sender = e.sender;
    if (e.sender && e.kind === 'queued') senderFromQmgr.add(q);
    if (e.role && (!q.role || e.kind === 'receive')) [q.role, q.roleReason] = splitRole(e.role);
    if (e.size && !q.size) q.size = e.size;
    switch (e.kind) {
      case 'receive':
        q.receive = mergeReceipt(q.receive, e);
        if (e.recipient) q.receivedFor.add(e.recipient);
        break;
      case 'queued': q.size = e.size; q.queuedAt ||= e.ts; break;
      case 'message': q.queuedAt ||= e.ts; break;
      case 'delivery': q.deliveries.push(e); break;
      case 'reject': q.rejects.push(e); break;
      case 'dsn': q.dsns.push(e); break;
      case 'expired': q.expiredAt = e.ts; break;
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
  const ta = a.receive?.ts ?? a.firstTs;
  const tb = b.receive?.ts ?? b.firstTs;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.host < b.host ? -1 : a.host > b.host ? 1 : a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0;
}

function canonical(a: StoredEvent, b: StoredEvent): number {
  return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}


/**
 * RFC 1918, shared (RFC 6598), link-local; IPv6 unique-local and link-local; IPv4-mapped forms.
 * Not loopback: a sender on the same host is a local program (a submission, a content filter),
 * not a relay whose log could be missing.
 */
export function isPrivateAddress(ip: string): boolean {
  const a = ip.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/^::ffff:/, '').replace(/%.*$/, '');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(a);
  if (v4) {
    const [x, y] = [Number(v4[1]), Number(v4[2])];
    return x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 100 && y >= 64 && y <= 127) || (x === 169 && y === 254);
  }
  return /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a);
}

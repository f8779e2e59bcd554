import { FINAL_PROGRAMS, Program, type LinkRule } from '../schemas/index.ts';
import { isoOf, shortName, type Queue, type StoredEvent } from './queue.ts';

/**
 * Joins between queues, best evidence first; each join names its rule (schemas/hop.ts LinkRule):
 *  1. the next queue's id from the next server's own reply: `queued as` (Postfix), `forwarded as`
 *     (same host), `[InternalId=N]` (Exchange), a TRANSFER's fork id;
 *  2. mailbox-delivery: an Exchange send with no id in its reply, and a store-driver delivery of the
 *     same message id and recipient on the server it named (same server on 2013+) within the window;
 *  3. message-id+recipient+time: another server received the same message id soon after, and it is
 *     the relay the sender named (or names the sender as its client).
 * Ties: the candidate on the named relay first, then the earliest. A queue has one parent.
 */
/** delivery agents whose hand-off ends the path on their host (unless it names a next queue) */
export const LOCAL_PROGRAMS: ReadonlySet<string> = new Set(FINAL_PROGRAMS);
/** how long after a hand-off the next host may log its receipt (clock skew + queueing) */
export const LINK_WINDOW_MS = 10 * 60_000;

export function linkQueues(queues: Map<string, Queue>, notes: string[]): void {
  const byQueueId = new Map<string, Queue[]>();
  for (const q of queues.values()) {
    const list = byQueueId.get(q.queueId);
    if (list) list.push(q);
    else byQueueId.set(q.queueId, [q]);
  }
  const ordered = [...queues.values()].sort((a, b) => (a.firstTs !== b.firstTs ? (a.firstTs < b.firstTs ? -1 : 1) : a.host < b.host ? -1 : a.host > b.host ? 1 : a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0));
  for (const q of queues.values()) {
    for (const d of q.deliveries) {
      if (d.status !== 'sent' || (LOCAL_PROGRAMS.has(d.program) && !d.nextQueueId)) continue;
      let child: Queue | undefined;
      let rule: LinkRule = ruleOfReply(d);
      if (d.nextQueueId) {
        // the next queue may be on the same host (a content filter re-injecting, a forward, or
        // another Exchange service on the same server): only the queue itself is excluded
        const candidates = (byQueueId.get(d.nextQueueId) ?? []).filter((c) => c !== q && near(c, d));
        child = candidates.find((c) => relayNames(d).has(c.host)) ?? candidates[0];
      }
      if (!child && !d.nextQueueId && q.messageId && d.source === 'exchange') {
        // Transport → Mailbox Transport Delivery: `250 2.0.0 OK <id> [Hostname=…]`, no InternalId (§1.9a)
        child = ordered.find((c) => c !== q && !c.receive && (!c.parent || c.parent === q) && c.messageId === q.messageId
          && relayNames(d).has(c.host) && c.deliveries.some((x) => x.program === Program.storeDriver && sameRecipient(x, d)) && after(c, d));
        rule = 'mailbox-delivery';
      }
      if (!child && !d.nextQueueId && q.messageId) {
        // next hop not Postfix (or its reply not logged): same message id, received on another host soon after
        child = ordered.find((c) => c !== q && (c.host !== q.host || relayNames(d).has(c.host)) && (!c.parent || c.parent === q) && c.messageId === q.messageId && c.receive && near(c, d) && relayMatches(c, d, q));
        rule = 'message-id+recipient+time';
        if (child) notes.push(`${q.host} → ${child.host} joined by message id and time (no queue id in the reply)`);
      }
      if (child && child.parent === undefined && !isAncestor(child, q)) {
        child.parent = q;
        q.children.set(d, { queue: child, rule });
      } else if (child && child.parent === q) {
        q.children.set(d, { queue: child, rule });
      }
    }
  }
}

function ruleOfReply(d: StoredEvent): LinkRule {
  if (d.program === Program.transfer) return 'transfer';
  if (d.reply.startsWith('forwarded as ')) return 'forwarded-as';
  return d.source === 'exchange' ? 'internal-id' : 'queued-as';
}

function sameRecipient(a: StoredEvent, b: StoredEvent): boolean {
  return a.recipient === b.recipient || (a.origRecipient !== '' && a.origRecipient === b.recipient) || (b.origRecipient !== '' && b.origRecipient === a.recipient);
}

function near(c: Queue, d: StoredEvent): boolean {
  const t = Date.parse(isoOf(c.receive?.ts ?? (c.queuedAt || c.firstTs)));
  const dt = Date.parse(isoOf(d.ts));
  return Number.isNaN(t) || Math.abs(t - dt) <= LINK_WINDOW_MS;
}

/** the child's first line is no earlier than a few seconds before the send (clock and stamp granularity) and within the window */
function after(c: Queue, d: StoredEvent): boolean {
  const t = Date.parse(isoOf(c.firstTs));
  const dt = Date.parse(isoOf(d.ts));
  return Number.isNaN(t) || (t >= dt - 5_000 && t - dt <= LINK_WINDOW_MS);
}

/** Names the relay may be known by on the other side: `hub.example.net` → {hub.example.net, hub}. */
export function relayNames(d: StoredEvent): Set<string> {
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

export function inTree(q: Queue, roots: Queue[]): boolean {
  for (let p: Queue | undefined = q; p; p = p.parent) if (roots.includes(p)) return true;
  return false;
}

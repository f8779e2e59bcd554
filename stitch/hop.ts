import { linkOfRule, type Hop, type LinkRule, type TlsInfo } from '../schemas/index.ts';
import { isoOf, shortName, type Queue, type StoredEvent } from './queue.ts';

/**
 * Building one hop: the TLS verdict of a hop is made here and nowhere else. Both ends may have
 * logged the same connection; the richer evidence wins, and a plaintext word from one end beats
 * the other's silence. Neither end saying anything leaves the hop `unknown`.
 */
type HopTls = Pick<Hop, 'tls' | 'tlsVersion' | 'cipher' | 'tlsTrust' | 'tlsEvidence'>;

function tlsOf(e: StoredEvent | undefined): TlsInfo & { tlsEvidence: string } {
  if (!e) return { tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: '' };
  return { tls: e.tls, tlsVersion: e.tlsVersion, cipher: e.cipher, cipherBits: 0, tlsTrust: e.tlsTrust, tlsEvidence: e.tlsEvidence };
}

export function mergeTls(sender: StoredEvent | undefined, receiver: StoredEvent | undefined): HopTls {
  const a = tlsOf(sender);
  const b = tlsOf(receiver);
  const pick = (x: typeof a): HopTls => ({ tls: x.tls, tlsVersion: x.tlsVersion, cipher: x.cipher, tlsTrust: x.tlsTrust, tlsEvidence: x.tlsEvidence });
  // one end proved encryption: a plaintext claim of the other end cannot stand against it
  if (a.tls === 'encrypted' && a.tlsVersion) return pick(a);
  if (b.tls === 'encrypted' && b.tlsVersion) return a.tls === 'encrypted' ? { ...pick(b), tlsTrust: a.tlsTrust || b.tlsTrust } : pick(b);
  if (a.tls === 'encrypted') return pick(a);
  if (b.tls === 'encrypted') return pick(b);
  if (a.tls !== 'unknown') return pick(a);
  return pick(b);
}

/** Events carry `role:reason` (the parser says why it gave the role). */
export function splitRole(value: string): [string, string] {
  const i = value.indexOf(':');
  return i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
}

/** Exchange knows its own servers' roles; a host with no logs of its own is external to it. */
export function outsideRole(q: Queue): string {
  return q.receive?.source === 'exchange' || q.deliveries[0]?.source === 'exchange' ? 'external' : '';
}

const ids = (...events: (StoredEvent | undefined)[]): string[] => [...new Set(events.filter((e): e is StoredEvent => !!e).map((e) => e.id).filter(Boolean))];

/** A hop concluded from logs (stitch/headers.ts adds what delivered copies' Received headers say). */
function hop(f: Omit<Hop, 'link' | 'status' | 'provenance' | 'protocol' | 'conflict' | 'fromConnector' | 'toConnector'>, from?: StoredEvent, to?: StoredEvent): Hop {
  // every field named (a spread of the caller's object cost ~15 µs per hop: its shape was a dictionary)
  return {
    from: f.from, to: f.to, fromRole: f.fromRole, toRole: f.toRole, tls: f.tls, tlsVersion: f.tlsVersion, cipher: f.cipher, tlsTrust: f.tlsTrust,
    tlsEvidence: f.tlsEvidence, start: f.start, end: f.end, fromQueueId: f.fromQueueId, toQueueId: f.toQueueId, link: linkOfRule(f.rule), rule: f.rule,
    status: 'relayed', eventIds: f.eventIds, provenance: 'log', protocol: '', conflict: '', fromConnector: from?.connector ?? '', toConnector: to?.connector ?? '',
  };
}

export function firstHop(root: Queue): Hop {
  const r = root.receive!;
  return hop({
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
    rule: 'first-hop',
    eventIds: ids(r),
  }, undefined, r);
}

/**
 * A hand-off from q's host. The delivery line is written when the next server has answered, so it
 * marks the end; the start is that minus connection setup and transmission (delays c + d), but
 * never before the message reached q (log stamps are often whole seconds).
 */
export function transferHop(q: Queue, d: StoredEvent, child: Queue | undefined, rule: LinkRule, notBefore: string): Hop {
  const endMs = Date.parse(isoOf(d.ts));
  const floor = notBefore ? Date.parse(notBefore) : Number.NEGATIVE_INFINITY;
  const startMs = Math.min(endMs, Math.max(floor, endMs - Math.round((d.delayConnect + d.delayTransmit) * 1000)));
  // a hand-off to another service of the same server (Exchange Transport → Mailbox Transport
  // Delivery) whose other side's logs we lack is not a hop to the outside
  const self = !child && d.source === 'exchange' && shortName(d.relay) === q.host;
  return hop({
    from: q.host,
    to: child ? child.host : self ? q.host : d.relay || 'unknown',
    fromRole: q.role,
    toRole: child ? child.role : self ? '' : outsideRole(q),
    ...mergeTls(d, child?.receive),
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    fromQueueId: q.queueId,
    toQueueId: child ? child.queueId : d.nextQueueId,
    rule,
    eventIds: ids(d, child?.receive),
  }, d, child?.receive);
}

/**
 * Exchange 2007/2010: the hub's store driver writes into a mailbox server's database itself
 * (log-formats §1.9a). That is a hop (MAPI/RPC, no protocol log: its TLS is unknown, never plaintext).
 */
export function storeHop(q: Queue, d: StoredEvent, mailboxHost: string): Hop {
  const at = isoOf(d.ts);
  return hop({
    from: q.host, to: mailboxHost, fromRole: q.role, toRole: 'mailbox',
    tls: 'unknown', tlsVersion: '', cipher: '', tlsTrust: '', tlsEvidence: '',
    start: at, end: at, fromQueueId: q.queueId, toQueueId: '', rule: 'mailbox-delivery', eventIds: ids(d),
  }, d);
}

/** Where a recipient's trail breaks: the logs show the message on `from`, and nothing of where it went next. */
export function gapHop(fromHost: string, fromRole: string, at: string, fromQueueId: string): Hop {
  return hop({
    from: fromHost, to: '', fromRole, toRole: '', tls: 'unknown', tlsVersion: '', cipher: '', tlsTrust: '', tlsEvidence: '',
    start: isoOf(at), end: '', fromQueueId, toQueueId: '', rule: 'unmatched', eventIds: [],
  });
}

/** The next segment's receipt names the host where the previous one broke off: that receipt is the missing hop. */
export function receiptHop(fromHost: string, fromRole: string, fromQueueId: string, child: Queue): Hop {
  const first = firstHop(child);
  return { ...first, from: fromHost, fromRole, fromQueueId, rule: 'message-id+recipient+time', link: linkOfRule('message-id+recipient+time') };
}

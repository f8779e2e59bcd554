import { z } from 'zod';

/**
 * The rule that joined two ends of a hop, strongest evidence first. Every hop names the one it
 * used; a weaker rule is tried only where no stronger evidence exists (stitch/ documents windows
 * and tie-breaking). `link` (the coarse word the API has always had) is derived from it.
 *   first-hop            the client → first server hop: the receipt itself
 *   queued-as            Postfix `250 … queued as NEXTID` names the next server's queue
 *   forwarded-as         Postfix `status=sent (forwarded as NEWID)`: a new queue on the same host
 *   internal-id          Exchange `[InternalId=N, Hostname=H]` in the next hop's reply
 *   transfer             Exchange TRANSFER: a fork inside one server (no hop of its own)
 *   mailbox-delivery     Exchange Transport → Mailbox Transport Delivery / store driver on the same
 *                        or the named server: server + message id + recipient + time (§1.9a)
 *   message-id+recipient+time  another server received the same message id for the recipient soon after
 *   unmatched            handed to a server whose logs were not ingested (the gap is shown, not invented)
 *   received-header      only a Received header of a delivered copy claims this hop: no ingested log saw it
 */
export const LinkRule = z.enum([
  'first-hop', 'queued-as', 'forwarded-as', 'internal-id', 'transfer', 'mailbox-delivery', 'message-id+recipient+time', 'unmatched', 'received-header',
]);
export type LinkRule = z.infer<typeof LinkRule>;
export const LINK_RULES = LinkRule.options;

/** The coarse link word of the trace contract (kept as it always was). */
export const HopLink = z.enum(['first-hop', 'queued-as', 'message-id', 'unmatched', 'header']);
export type HopLink = z.infer<typeof HopLink>;

export function linkOfRule(rule: LinkRule): HopLink {
  switch (rule) {
    case 'first-hop': return 'first-hop';
    case 'unmatched': return 'unmatched';
    case 'received-header': return 'header';
    case 'message-id+recipient+time': case 'mailbox-delivery': return 'message-id';
    default: return 'queued-as';
  }
}

/**
 * Where a hop was seen: in our servers' logs, only in a Received header of a delivered copy (a
 * claim by the receiving server, e.g. outside our organisation), or both (the same hand-off:
 * receiving server and its queue id, or server and time, agree).
 */
export const HopProvenance = z.enum(['log', 'header', 'both']);
export type HopProvenance = z.infer<typeof HopProvenance>;

/**
 * What a stored hop row says about where the recipient stood after it: `relayed` (the next hop
 * took over), or the recipient's final status at the last hop.
 */
export const HopStatus = z.enum(['relayed', 'delivered', 'deferred', 'bounced', 'rejected', 'unknown']);
export type HopStatus = z.infer<typeof HopStatus>;

/** The Exchange/Postfix program names a stitch rule treats specially (one spelling, here). */
export const Program = {
  /** Exchange Front End proxy hand-off, synthesised by stitching from a protocol-log session */
  proxy: 'proxy',
  /** Exchange TRANSFER row: recipients moved to a forked copy on the same server */
  transfer: 'transfer',
  /** Exchange STOREDRIVER DELIVER: into the mailbox store */
  storeDriver: 'storedriver',
  /** Exchange 2007/2010 SUBMIT on a mailbox server: handed to a hub's store driver */
  submit: 'submit',
  smtpReceive: 'smtpreceive',
  smtpSend: 'smtpsend',
} as const;

/** delivery agents that end a path on their host (no next hop): Postfix local agents, Exchange's store driver */
export const FINAL_PROGRAMS: readonly string[] = ['local', 'virtual', 'pipe', 'discard', 'error', 'retry', Program.storeDriver];

/**
 * The TLS evidence of one part of an SMTP session that proves nothing alone (its STARTTLS or its
 * mail may lie in another file): `exchange-session-part:<first seq>-<last seq>:<mail 0|1>`, no
 * STARTTLS seen. One spelling, written by the parser and read by stitching.
 */
const PART_PREFIX = 'exchange-session-part:';
export function sessionPart(first: number, last: number, mail: boolean): string {
  return `${PART_PREFIX}${first}-${last}:${mail ? 1 : 0}`;
}
export function readSessionPart(evidence: string): { first: number; last: number; mail: boolean } | undefined {
  if (!evidence.startsWith(PART_PREFIX)) return undefined;
  const m = /^(-?\d+)-(-?\d+):([01])$/.exec(evidence.slice(PART_PREFIX.length));
  return m ? { first: Number(m[1]), last: Number(m[2]), mail: m[3] === '1' } : undefined;
}

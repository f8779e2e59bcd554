import { z } from 'zod';
import { HopLink, HopProvenance, HopStatus, LinkRule } from './hop.ts';
import { Protection } from './protection.ts';
import { TlsStatus, TlsTrust } from './tls.ts';

/** Final outcome for one recipient, as far as the ingested logs tell. */
export const RecipientStatus = z.enum(['delivered', 'deferred', 'bounced', 'rejected', 'unknown']);
export type RecipientStatus = z.infer<typeof RecipientStatus>;

/** One transfer of the message between two servers (or from the first client to the first server). */
export const Hop = z.object({
  from: z.string(),
  to: z.string(),
  /** what each end is, when the logs say: edge, hub, mailbox, frontend, external ('' unknown) */
  fromRole: z.string(),
  toRole: z.string(),
  tls: TlsStatus,
  tlsVersion: z.string(),
  cipher: z.string(),
  tlsTrust: TlsTrust,
  /** which log line told us the TLS state ('' when unknown) */
  tlsEvidence: z.string(),
  /** ISO times: when the sending side started handing over, when the receiving side had it */
  start: z.string(),
  end: z.string(),
  /** queue ids on each side, when logged */
  fromQueueId: z.string(),
  toQueueId: z.string(),
  /** how the two sides were joined: 'queued-as' (exact), 'message-id' (inferred), 'first-hop', 'unmatched' */
  link: HopLink,
  /** the join rule that made this hop (finer than link; see LinkRule) */
  rule: LinkRule,
  /** where the recipient stood after this hop: relayed on, or its final status at the last hop */
  status: HopStatus,
  /** ids of the stored events this hop was concluded from */
  eventIds: z.array(z.string()),
  /** seen in our logs, only in a Received header, or both */
  provenance: HopProvenance,
  /** the transfer protocol the receiving server's Received header names (`ESMTPS`, `LMTP`, …; '' when no header was read) */
  protocol: z.string(),
  /** what the header and the log disagree about on this hop ('' when they agree or only one saw it) */
  conflict: z.string(),
  /**
   * the connector (Exchange connector-id) or service (Postfix syslog tag) that sent and that
   * received the hand-off, as each end's log names it ('' where that end's log is not held)
   */
  fromConnector: z.string(),
  toConnector: z.string(),
});
export type Hop = z.infer<typeof Hop>;

export const RecipientTrace = z.object({
  address: z.string(),
  status: RecipientStatus,
  hops: z.array(Hop),
  /** last host whose logs show the message, and what it said last for this recipient */
  lastHost: z.string(),
  dsn: z.string(),
  reply: z.string(),
  relay: z.string(),
  /** time of the last event for this recipient */
  lastSeen: z.string(),
});
export type RecipientTrace = z.infer<typeof RecipientTrace>;

/**
 * A message linked to the traced one: `dsn` — a bounce or delay notification it caused (its own
 * queue id on the same host); `dsn-for` — the traced message is itself such a notification, for
 * the message in `parentQueueId`.
 */
export const RelatedMessage = z.object({
  kind: z.enum(['dsn', 'dsn-for']),
  host: z.string(),
  queueId: z.string(),
  parentQueueId: z.string(),
  messageId: z.string(),
});
export type RelatedMessage = z.infer<typeof RelatedMessage>;

export const Trace = z.object({
  messageId: z.string(),
  sender: z.string(),
  size: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** every (host, queue id) that held this message */
  queues: z.array(z.object({ host: z.string(), queueId: z.string() })),
  /** every server of the trace with its role and the evidence for it (Exchange; empty for Postfix) */
  servers: z.array(z.object({ host: z.string(), role: z.string(), reason: z.string() })),
  recipients: z.array(RecipientTrace),
  related: z.array(RelatedMessage),
  /** end-to-end content protection seen in a delivered copy of the message (known: false when no copy was ingested) */
  protection: Protection,
  /** human-readable caveats: missing logs, inferred links */
  notes: z.array(z.string()),
});
export type Trace = z.infer<typeof Trace>;

/**
 * What the stitched message row's `detail` column holds: everything of a trace that is not a hop
 * (stitch/ writes it, query/ reads it back next to the hop rows).
 */
export const MessageDetail = Trace.pick({ queues: true, servers: true, related: true, notes: true }).extend({
  recipients: z.array(RecipientTrace.omit({ hops: true })),
  /** absent in rows stitched before protection was read (stitch version < 4) */
  protection: Protection.optional(),
});
export type MessageDetail = z.infer<typeof MessageDetail>;

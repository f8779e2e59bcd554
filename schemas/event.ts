import { z } from 'zod';
import { TlsStatus, TlsTrust } from './tls.ts';

/**
 * What a normalized event records. One log line can yield at most one event; lines that only
 * feed correlation state (connect, TLS summaries) yield none of their own.
 *
 * - receive:  a host accepted a message into its queue from a client (smtpd client=, pickup);
 *             emitted when the SMTP session closes, so it carries the session's TLS evidence
 * - message:  the message id of a queue file (cleanup message-id=)
 * - queued:   envelope sender, size and recipient count (qmgr from=, queue active)
 * - delivery: one attempt for one recipient (smtp/lmtp/local/virtual/pipe/error/discard to=)
 * - dsn:      the host created a bounce/delay notification with a new queue id (bounce[pid])
 * - expired:  the queue manager gave up and returned the message (qmgr status=expired)
 * - removed:  the queue file is gone (qmgr removed)
 * - reject:   smtpd refused a recipient before a queue file existed (NOQUEUE: reject)
 * - session:  one SMTP session of a protocol log (Exchange RECV/SEND) with its TLS outcome; one
 *             event per message it carried (the `Queued mail for delivery` reply names the
 *             receiving queue in nextQueueId/relay), or one for a session that carried none
 * - expand:   a distribution list or alias became a member (recipient, origRecipient = list)
 * - other:    a tracking row kept for the record that no path needs (shadow copies, agents, …)
 */
export const EventKind = z.enum(['receive', 'message', 'queued', 'delivery', 'dsn', 'expired', 'removed', 'reject', 'session', 'expand', 'other']);
export type EventKind = z.infer<typeof EventKind>;

/** Delivery outcome per recipient, as the source logs it (Postfix status=, Exchange event-id). */
export const DeliveryStatus = z.enum(['', 'sent', 'deferred', 'bounced', 'expired', 'rejected', 'undeliverable', 'deliverable', 'discarded']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/**
 * The normalized event: every parser emits this shape and the store keeps exactly these columns.
 * Strings are '' and numbers 0 where the source did not record the field.
 */
export const MailEvent = z.object({
  /** deterministic: same source line, same id; re-ingesting never double-counts */
  id: z.string().min(1),
  /** ISO 8601 UTC */
  ts: z.string(),
  /** the host name as the log names it (Postfix: first label of myhostname) */
  host: z.string().min(1),
  /** source format: 'postfix', later 'exchange', 'headers', … */
  source: z.string(),
  /** program that wrote the line, without instance prefix: smtpd, smtp, cleanup, … */
  program: z.string(),
  /** syslog_name instance prefix, e.g. postfix-edge */
  instance: z.string(),
  pid: z.number().int().nonnegative(),
  kind: EventKind,
  queueId: z.string(),
  messageId: z.string(),
  sender: z.string(),
  recipient: z.string(),
  origRecipient: z.string(),
  /** the SMTP client that handed the message over (receive) */
  client: z.string(),
  clientIp: z.string(),
  /** the next hop (delivery): name, address, port as logged; transport name for local deliveries */
  relay: z.string(),
  relayIp: z.string(),
  relayPort: z.number().int().nonnegative(),
  /** queue id the next hop announced (`250 … queued as X`), or the DSN's queue id (dsn) */
  nextQueueId: z.string(),
  status: DeliveryStatus,
  dsn: z.string(),
  reply: z.string(),
  delay: z.number().nonnegative(),
  delayBefore: z.number().nonnegative(),
  delayQueue: z.number().nonnegative(),
  delayConnect: z.number().nonnegative(),
  delayTransmit: z.number().nonnegative(),
  size: z.number().int().nonnegative(),
  nrcpt: z.number().int().nonnegative(),
  tls: TlsStatus,
  tlsVersion: z.string(),
  cipher: z.string(),
  cipherBits: z.number().int().nonnegative(),
  tlsTrust: TlsTrust,
  /** why tls is what it is: 'smtpd-tls-line', 'smtpd-counters', 'smtp-tls-line', … ('' when unknown) */
  tlsEvidence: z.string(),
  sourceFile: z.string(),
  sourceOffset: z.number().int().nonnegative(),
  /** SMTP session id that joins a tracking row to its protocol-log session (Exchange) */
  sessionId: z.string(),
  /** the role the logging service plays, when the source says: edge, hub, mailbox, frontend ('' unknown) */
  role: z.string(),
  /** org-wide id that survives forks and expansion (Exchange network-message-id) */
  networkMessageId: z.string(),
});
export type MailEvent = z.infer<typeof MailEvent>;

/** Column order of the events table; the store writes rows in this order. */
export const EVENT_COLUMNS = Object.keys(MailEvent.shape) as (keyof MailEvent)[];

/**
 * A new event with every column in schema order (strings '', numbers 0, TLS unknown). Parsers set
 * the fields they know on it: assigning existing keys keeps every event one object shape, which
 * a spread followed by overrides does not (that cost the Postfix parser a third of its time).
 */
export function newEvent(id: string, ts: string, host: string, kind: EventKind): MailEvent {
  return {
    id, ts, host, source: '', program: '', instance: '', pid: 0, kind, queueId: '', messageId: '', sender: '', recipient: '',
    origRecipient: '', client: '', clientIp: '', relay: '', relayIp: '', relayPort: 0, nextQueueId: '',
    status: '', dsn: '', reply: '', delay: 0, delayBefore: 0, delayQueue: 0, delayConnect: 0, delayTransmit: 0,
    size: 0, nrcpt: 0, tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: '',
    sourceFile: '', sourceOffset: 0, sessionId: '', role: '', networkMessageId: '',
  };
}

/** The columns a parser did not set, without the identifying ones (for tests and fixtures). */
export function blankEvent(): Omit<MailEvent, 'id' | 'ts' | 'host' | 'kind'> {
  const { id: _id, ts: _ts, host: _host, kind: _kind, ...rest } = newEvent('', '', '', 'other');
  return rest;
}

/**
 * The reason a plain Transport tracking log's rows get the hub role: the weakest evidence, which
 * any edge evidence about the same server (its protocol logs, ingested before or after) overrides.
 */
export const TRANSPORT_DEFAULT_ROLE_REASON = 'Transport service tracking log';

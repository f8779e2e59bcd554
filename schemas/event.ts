import { z } from 'zod';
import { CertSide } from './certificate.ts';
import { ProtectionMechanism } from './protection.ts';
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
 * - received: one Received header of a delivered copy of the message: the hop its receiving server
 *             (host, the `by` name as written) claims, from client/clientIp, with protocol, id as
 *             queueId, TLS as the header's shape proves it; recipient is the copy's owner
 * - content:  what a delivered copy's MIME structure shows (protection, protectionEvidence); one per copy
 * - certificate: one certificate a TLS handshake showed (cert* columns; certSide says who presented it),
 *             with the session's peer in client/clientIp (receiving side) or relay/relayIp (sending side)
 * - other:    a tracking row kept for the record that no path needs (shadow copies, agents, …)
 */
export const EventKind = z.enum(['receive', 'message', 'queued', 'delivery', 'dsn', 'expired', 'removed', 'reject', 'session', 'expand', 'received', 'content', 'certificate', 'other']);
export type EventKind = z.infer<typeof EventKind>;

/** Delivery outcome per recipient, as the source logs it (Postfix status=, Exchange event-id). */
export const DeliveryStatus = z.enum(['', 'sent', 'deferred', 'bounced', 'expired', 'rejected', 'undeliverable', 'deliverable', 'discarded']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/**
 * The event columns, declared once: each with its zod schema (the contract), its ClickHouse type
 * (schemas/ddl.ts builds the table from it), its blank value (newEvent) and how the fast check
 * tests it. The zod object, the table, the TSV writer (store/tsv.ts) and the validator all derive
 * from this list, so adding, renaming or retyping a column is one edit the compiler follows.
 * Strings are '' and numbers 0 where the source did not record the field.
 */
type Check = 'str' | 'nonempty' | 'iso' | 'enum' | 'uint' | 'float' | 'enumlist';
interface Column<S extends z.ZodType> { schema: S; type: string; blank: string | number | readonly never[]; check: Check; max?: number; values?: readonly string[] }

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const str = (type = 'String'): Column<z.ZodString> => ({ schema: z.string(), type, blank: '', check: 'str' });
const lc = (): Column<z.ZodString> => str('LowCardinality(String)');
const nonEmpty = (type: string): Column<z.ZodString> => ({ schema: z.string().min(1), type, blank: '', check: 'nonempty' });
const oneOf = <E extends z.ZodEnum>(e: E): Column<E> => ({ schema: e, type: 'LowCardinality(String)', blank: e.options[0] as string, check: 'enum', values: e.options as readonly string[] });
const uint = (type: 'UInt16' | 'UInt32' | 'UInt64', max: number): Column<z.ZodNumber> => ({ schema: z.number().int().nonnegative().max(max), type, blank: 0, check: 'uint', max });
const enumList = <E extends z.ZodEnum>(e: E): Column<z.ZodArray<E>> => ({ schema: z.array(e), type: 'Array(LowCardinality(String))', blank: [], check: 'enumlist', values: e.options as readonly string[] });
const float = (): Column<z.ZodNumber> => ({ schema: z.number().nonnegative().finite(), type: 'Float32', blank: 0, check: 'float' });

export const EVENT_FIELDS = {
  /** deterministic: same source line, same id; re-ingesting never double-counts */
  id: nonEmpty('String'),
  /** ISO 8601 UTC with milliseconds, `2026-03-01T08:00:00.000Z` */
  ts: { schema: z.string().regex(ISO_UTC, 'an ISO 8601 UTC time with milliseconds'), type: "DateTime64(3, 'UTC')", blank: '', check: 'iso' } as Column<z.ZodString>,
  /** the host name as the log names it (Postfix: first label of myhostname) */
  host: nonEmpty('LowCardinality(String)'),
  /** source format: 'postfix', 'exchange', … */
  source: lc(),
  /** program that wrote the line, without instance prefix: smtpd, smtp, cleanup, … */
  program: lc(),
  /** syslog_name instance prefix, e.g. postfix-edge */
  instance: lc(),
  pid: uint('UInt32', 4294967295),
  kind: { ...oneOf(EventKind), blank: 'other' } as Column<typeof EventKind>,
  queueId: str(),
  messageId: str(),
  sender: str(),
  recipient: str(),
  origRecipient: str(),
  /** the SMTP client that handed the message over (receive) */
  client: str(),
  clientIp: str(),
  /** the next hop (delivery): name, address, port as logged; transport name for local deliveries */
  relay: str(),
  relayIp: str(),
  relayPort: uint('UInt16', 65535),
  /** queue id the next hop announced (`250 … queued as X`), or the DSN's queue id (dsn) */
  nextQueueId: str(),
  status: oneOf(DeliveryStatus),
  dsn: lc(),
  reply: str(),
  delay: float(),
  delayBefore: float(),
  delayQueue: float(),
  delayConnect: float(),
  delayTransmit: float(),
  size: uint('UInt64', Number.MAX_SAFE_INTEGER),
  nrcpt: uint('UInt32', 4294967295),
  tls: { ...oneOf(TlsStatus), blank: 'unknown' } as Column<typeof TlsStatus>,
  tlsVersion: lc(),
  cipher: lc(),
  cipherBits: uint('UInt16', 65535),
  tlsTrust: oneOf(TlsTrust),
  /** why tls is what it is: 'smtpd-tls-line', 'smtpd-counters', 'smtp-tls-line', … ('' when unknown) */
  tlsEvidence: lc(),
  sourceFile: lc(),
  sourceOffset: uint('UInt64', Number.MAX_SAFE_INTEGER),
  /** SMTP session id that joins a tracking row to its protocol-log session (Exchange) */
  sessionId: str(),
  /** the role the logging service plays, when the source says: edge, hub, mailbox, frontend ('' unknown) */
  role: lc(),
  /** org-wide id that survives forks and expansion (Exchange network-message-id) */
  networkMessageId: str(),
  /** the transfer protocol a Received header names (`ESMTPS`, `LMTP`, `Microsoft SMTP Server`, …) */
  protocol: lc(),
  /** content protection a delivered copy shows (content events) */
  protection: enumList(ProtectionMechanism),
  protectionEvidence: str(),
  /**
   * the connector or service that handled the line: Exchange `connector-id` (tracking and
   * protocol logs: `EDGE1\Default internal receive connector EDGE1`, `Outbound to Office 365`),
   * Postfix the syslog tag without pid (`postfix-edge/relay-tls/smtp`, `postfix/smtpd`)
   */
  connector: lc(),
  /** certificate events (schemas/certificate.ts): who presented it, and what it says */
  certSide: oneOf(CertSide),
  certSubject: str(),
  certIssuer: str(),
  certSerial: lc(),
  /** uppercase hex without separators */
  certFingerprint: lc(),
  /** ISO 8601 as logged, '' when not logged */
  certNotBefore: lc(),
  certNotAfter: lc(),
  /** subject alternative names, ';'-joined as Exchange logs them */
  certNames: str(),
};

type Shape<T extends Record<string, { schema: z.ZodType }>> = { [K in keyof T]: T[K]['schema'] };
function shapeOf<T extends Record<string, { schema: z.ZodType }>>(fields: T): Shape<T> {
  return Object.fromEntries(Object.entries(fields).map(([k, c]) => [k, c.schema])) as Shape<T>;
}

/** The normalized event: every parser emits this shape and the store keeps exactly these columns. */
export const MailEvent = z.object(shapeOf(EVENT_FIELDS));
export type MailEvent = z.infer<typeof MailEvent>;

/** Column order of the events table; the store writes rows in this order. */
export const EVENT_COLUMNS = Object.keys(EVENT_FIELDS) as (keyof MailEvent)[];

/** The events table's columns in EVENT_COLUMNS order with their ClickHouse types (also the structure of the TSV batch files). */
export const EVENT_COLUMN_TYPES: readonly (readonly [keyof MailEvent, string])[] = EVENT_COLUMNS.map((c) => [c, EVENT_FIELDS[c].type] as const);

/**
 * A new event with every column in schema order (blank values, TLS unknown). Parsers set the
 * fields they know on it: assigning existing keys keeps every event one object shape, which a
 * spread followed by overrides does not (that cost the Postfix parser a third of its time). Made
 * from the declaration as one object literal, compiled once.
 */
export const newEvent: (id: string, ts: string, host: string, kind: EventKind) => MailEvent = (() => {
  const parts = EVENT_COLUMNS.map((c) => {
    if (!/^[A-Za-z]+$/.test(c)) throw new Error(`unexpected column name ${c}`);
    if (c === 'id' || c === 'ts' || c === 'host' || c === 'kind') return `${c}: ${c}`;
    return `${c}: ${JSON.stringify(EVENT_FIELDS[c].blank)}`;
  });
  return new Function('id', 'ts', 'host', 'kind', `return { ${parts.join(', ')} };`) as (id: string, ts: string, host: string, kind: EventKind) => MailEvent;
})();

/**
 * The contract checked at the boundary, fast: '' for a valid event, else the first column that is
 * not what MailEvent says and why. Compiled from the same declaration as the zod schema (a test
 * holds the two to the same verdicts); zod per event would cost more than the parser.
 */
export const checkEvent: (e: MailEvent) => string = (() => {
  const sets: Set<string>[] = [];
  const tests = EVENT_COLUMNS.map((c) => {
    const col: Column<z.ZodType> = EVENT_FIELDS[c];
    const v = `e.${c}`;
    switch (col.check) {
      case 'str': return `if (typeof ${v} !== 'string') return '${c}: not a string';`;
      case 'nonempty': return `if (typeof ${v} !== 'string' || ${v} === '') return '${c}: empty';`;
      case 'iso': return `if (typeof ${v} !== 'string' || !iso.test(${v})) return '${c}: not an ISO 8601 UTC time with milliseconds';`;
      case 'enum': sets.push(new Set(col.values)); return `if (!sets[${sets.length - 1}].has(${v})) return '${c}: ' + JSON.stringify(${v}) + ' is not one of ${(col.values ?? []).join('|')}';`;
      case 'uint': return `if (typeof ${v} !== 'number' || !Number.isInteger(${v}) || ${v} < 0 || ${v} > ${col.max}) return '${c}: not a whole number from 0 to ${col.max}';`;
      case 'float': return `if (typeof ${v} !== 'number' || !Number.isFinite(${v}) || ${v} < 0) return '${c}: not a finite number ≥ 0';`;
      case 'enumlist': sets.push(new Set(col.values)); return `if (!Array.isArray(${v}) || !${v}.every((x) => sets[${sets.length - 1}].has(x))) return '${c}: not a list of ${(col.values ?? []).join('|')}';`;
    }
  });
  return new Function('iso', 'sets', `return (e) => { ${tests.join(' ')} return ''; };`)(ISO_UTC, sets) as (e: MailEvent) => string;
})();

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

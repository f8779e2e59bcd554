import type { Envelope } from './envelope.ts';
import type { TlsRecord } from './records.ts';
import type { MailEvent } from '../../../schemas/index.ts';

/** The state Postfix correlation (ingest/formats/postfix/correlate.ts) holds per host. */

export interface Session {
  client: string;
  ip: string;
  startMs: number;
  tls: TlsRecord | undefined;
  tlsFailed: boolean;
  receipts: Receipt[];
  /** NOQUEUE refusals not yet tied to a queue file: a later `QID: client=` in the same session is
   * the transaction they were part of (Postfix creates the queue file at the first accepted RCPT) */
  pending: PendingReject[];
}

export interface PendingReject {
  event: MailEvent;
  /** queue id of the transaction that followed in this session ('' if none did) */
  qid: string;
  /** the line itself named the queue id */
  fixed: boolean;
  queue: QueueEntry | undefined;
}

export interface Receipt {
  qid: string;
  ms: number;
  env: Envelope;
  client: string;
  ip: string;
  file: string;
  offset: number;
  queue: QueueEntry;
}

export interface QueueEntry {
  messageId: string;
  sender: string;
  lastMs: number;
  /** a delivery of it was deferred: it stays queued and is retried (qmgr's `from=` touches it again) */
  deferred?: boolean;
}

export interface OutboundTls {
  tls: TlsRecord;
  /** when the summary was logged */
  ms: number;
  /** first queue id delivered on this connection; later ones need conn_use > 1 to share it */
  boundQid: string;
}


/**
 * What a host's correlation holds between two follow cycles, as plain data: open smtpd sessions
 * (with the receipts and refusals that wait for their end), smtp connections' TLS summaries, and
 * the queue entries those receipts name. Saved with the checkpoints so a restarted follower goes
 * on as if it had never stopped (ingest/pipeline/follow.ts).
 */
export interface HostContext {
  host: string;
  lastMs: number;
  sessions: [number, Omit<Session, 'receipts' | 'pending'> & { receipts: Omit<Receipt, 'queue'>[]; pending: (Omit<PendingReject, 'queue'> & { queued: boolean })[] }][];
  outbound: [number, OutboundTls][];
  queues: [string, QueueEntry][];
}

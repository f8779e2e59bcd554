import { z } from 'zod';
import { RecipientStatus } from './trace.ts';
import { TlsStatus } from './tls.ts';

const isoTime = z.iso.datetime({ offset: true });

/** GET /api/messages query string */
export const MessageSearch = z.object({
  sender: z.string().max(320).optional(),
  recipient: z.string().max(320).optional(),
  messageId: z.string().max(998).optional(),
  queueId: z.string().max(64).optional(),
  status: RecipientStatus.optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
}).strict();
export type MessageSearch = z.infer<typeof MessageSearch>;

export const MessageSummaryRow = z.object({
  messageId: z.string(),
  /** what /api/messages/:id/trace takes for this row: the message id, or a queue id when no ingested line names one */
  traceId: z.string(),
  sender: z.string(),
  recipients: z.array(z.string()),
  hosts: z.array(z.string()),
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** worst-first aggregate of the last delivery status per recipient */
  status: RecipientStatus,
  plaintextHops: z.number(),
});
export type MessageSummaryRow = z.infer<typeof MessageSummaryRow>;

export const MessageList = z.object({
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
  messages: z.array(MessageSummaryRow),
});
export type MessageList = z.infer<typeof MessageList>;

export const Summary = z.object({
  messages: z.number(),
  /** final status per recipient of every message (the same rule as search and trace) */
  recipientsByStatus: z.record(RecipientStatus, z.number()),
  /** recipients refused in SMTP sessions that never queued a message (no message id to count them under) */
  refusedWithoutMessage: z.number(),
  hopsByTls: z.record(TlsStatus, z.number()),
  /** input lines kept aside as unusable (binary, too long, unknown format…), see /api/rejected */
  rejectedLines: z.number(),
  rejectedByReason: z.record(z.string(), z.number()),
});
export type Summary = z.infer<typeof Summary>;

export const ApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ApiError>;

/** One hop a Received header claims (ingest/formats/headers/received.ts), oldest first. */
export const HeaderHop = z.object({
  from: z.string(), fromName: z.string(), fromIp: z.string(), by: z.string(), byIp: z.string(),
  with: z.string(), id: z.string(), for: z.string(), via: z.string(),
  tls: TlsStatus, tlsVersion: z.string(), cipher: z.string(),
  /** the header shape that decided `tls` ('' when unknown) */
  tlsEvidence: z.string(),
  /** ISO 8601 UTC, '' when missing or unreadable */
  date: z.string(),
  /** seconds since the previous dated hop; null for the first or an undated hop */
  delay: z.number().nullable(),
  /** dated before the hop before it: the two servers' clocks disagree */
  skew: z.boolean(),
});
export type HeaderHop = z.infer<typeof HeaderHop>;

/** End-to-end protection a message's MIME structure shows (log-formats §6); claims, not verified */
export const ProtectionMechanism = z.enum(['smime-signed', 'smime-encrypted', 'pgp-signed', 'pgp-encrypted', 'irm']);
export type ProtectionMechanism = z.infer<typeof ProtectionMechanism>;
export const Protection = z.object({
  mechanisms: z.array(ProtectionMechanism),
  /** the content is encrypted or rights-protected */
  endToEnd: z.boolean(),
  evidence: z.string(),
});
export type Protection = z.infer<typeof Protection>;

/** POST /api/headers/analyze: what a message's headers claim, without anything stored. */
export const HeaderAnalysis = z.object({
  messageId: z.string(),
  /** from the whole message when one was given (headers alone show only what their Content-Type says) */
  protection: Protection,
  hops: z.array(HeaderHop),
  /** Received values that are no hop, with the reason */
  rejected: z.array(z.object({ value: z.string(), error: z.string() })),
});
export type HeaderAnalysis = z.infer<typeof HeaderAnalysis>;

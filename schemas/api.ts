import { z } from 'zod';
import { RecipientStatus } from './trace.ts';
import { HopProvenance } from './hop.ts';
import { Protection, ProtectionFilter, ProtectionMechanism } from './protection.ts';
import { TlsStatus } from './tls.ts';

const isoTime = z.iso.datetime({ offset: true });

/** GET /api/messages query string */
export const MessageSearch = z.object({
  /** an address, or a domain (`@example.org`: every address there) */
  sender: z.string().max(320).optional().describe('an address, or a domain: @example.org matches every address there'),
  recipient: z.string().max(320).optional().describe('an address, or a domain: @example.org matches every address there'),
  messageId: z.string().max(998).optional(),
  queueId: z.string().max(64).optional(),
  status: RecipientStatus.optional(),
  /** a mechanism, `any`, `none` (a copy was read and showed none) or `unknown` (no copy read) */
  protection: ProtectionFilter.optional(),
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
  /** mechanisms seen in a delivered copy (empty: none seen, or no copy read — see protectionKnown) */
  protection: z.array(ProtectionMechanism),
  protectionKnown: z.boolean(),
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
  /** messages per protection mechanism seen in a delivered copy (a message can count under several) */
  messagesByProtection: z.record(ProtectionMechanism, z.number()),
  /** messages whose content was read and showed no mechanism; messages whose content no input showed */
  messagesUnprotected: z.number(),
  messagesProtectionUnknown: z.number(),
  /** hand-offs by where they were seen: our logs, a Received header only, or both */
  hopsByProvenance: z.record(HopProvenance, z.number()),
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


/** One method result an Authentication-Results / ARC-Authentication-Results header claims (not re-verified). */
export const AuthClaim = z.object({
  header: z.enum(['Authentication-Results', 'ARC-Authentication-Results', 'X-MS-Exchange-Authentication-Results']),
  /** ARC instance (i=N); 0 for Authentication-Results */
  instance: z.number().int().nonnegative(),
  /** the server that stamped the result */
  authserv: z.string(),
  /** spf, dkim, dmarc, arc, … */
  method: z.string(),
  /** pass, fail, softfail, neutral, none, temperror, permerror, … */
  result: z.string(),
  /** the rest of the result: reason and properties as written */
  detail: z.string(),
});
export type AuthClaim = z.infer<typeof AuthClaim>;

/** POST /api/headers/analyze: what a message's headers claim, without anything stored. */
export const HeaderAnalysis = z.object({
  messageId: z.string(),
  /** from the whole message when one was given (headers alone show only what their Content-Type says) */
  protection: Protection,
  hops: z.array(HeaderHop),
  /** Received values that are no hop, with the reason */
  rejected: z.array(z.object({ value: z.string(), error: z.string() })),
  /** SPF, DKIM, DMARC and ARC results as the stamping servers claim them, newest header first */
  authentication: z.array(AuthClaim),
});
export type HeaderAnalysis = z.infer<typeof HeaderAnalysis>;

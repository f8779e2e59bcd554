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

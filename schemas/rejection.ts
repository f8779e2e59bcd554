import { z } from 'zod';

/**
 * Why an input line was kept aside. A closed set, so counters and the UI can group by it.
 * 'unparsed' is the honest bucket for mail-system lines we do not model (yet): they are counted,
 * not stored, unless the caller asks to keep them.
 */
export const RejectReason = z.enum([
  'binary',            // NUL bytes or mostly non-text
  'invalid-utf8',      // bytes that are not UTF-8 (kept, decoded with replacement characters)
  'line-too-long',     // longer than the line limit; the excess is dropped, the head is kept here
  'truncated',         // the line ends before its fields do
  'unknown-format',    // no known log envelope (syslog, RFC 5424, ISO)
  'bad-timestamp',     // envelope found but the time cannot be read
  'out-of-order',      // time runs backwards by more than the tolerance; the event is still stored
  'schema',            // the parser produced an event that failed its schema
  'no-header',         // a W3C-style log row (Exchange) before any #Fields line: its columns are unknown
  'bad-row',           // a row whose column count differs from its file's #Fields line
  'unterminated-quote', // a CSV quote left open until the end of the file (or past the row limit)
  'no-server',         // a complete Exchange tracking row that names no server, outside a server's log tree
  'bad-header',        // a message header that says nothing usable (a Received value without a receiving server, a header block that cannot be read)
  'bad-message',       // a message (or a part of a mailbox) that is not one: no header block, broken MIME, a .msg that is not a message, a broken mbox separator
  'bad-input',         // a whole input that could not be read to its end (MT_ERR_BAD_INPUT): unreadable, vanished,
                       // truncated or corrupt compressed data, a damaged zip entry, shrunk while read
]);
export type RejectReason = z.infer<typeof RejectReason>;

export const Rejection = z.object({
  reason: RejectReason,
  detail: z.string(),
  sourceFile: z.string(),
  sourceOffset: z.number().int().nonnegative(),
  lineNumber: z.number().int().nonnegative(),
  /** the first bytes of the line, as text */
  excerpt: z.string(),
});
export type Rejection = z.infer<typeof Rejection>;

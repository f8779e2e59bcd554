import { PassThrough, type Readable } from 'node:stream';
import { newEvent, type MailEvent, type Protection } from '../../../schemas/index.ts';
import { eventId } from '../../event-id.ts';
import { addressOf, fieldValue, headerFields, messageIdOf } from './fields.ts';
import { protectionFromStream } from './protection.ts';
import { parseReceived, receivedDate } from './received.ts';

/**
 * One delivered copy of a message (an .eml, a maildir file, one message of an mbox, the headers
 * of a .msg) → events: one `received` event per Received header (the hop its receiving server
 * claims) and one `content` event (its protection). Stitching joins them to the logged path by
 * message id (stitch/headers.ts). Memory: the header block is kept (at most MAX_HEAD bytes); the
 * body streams through the MIME reader and is dropped.
 */
export const MAX_HEAD = 1 << 20;

export interface CopyRead {
  /** the header block up to (not including) the empty line that ends it */
  head: Buffer;
  /** false when no empty line ended the header block within MAX_HEAD bytes or before the end */
  headComplete: boolean;
  size: number;
  protection: Protection;
  /** why the MIME structure could not be read ('' when it could) */
  mimeError: string;
  /** what is wrong with a structure that could still be read ('' when nothing) */
  mimeProblem: string;
}

/** Read one message's bytes: the header block is cut out as it passes, the whole goes to the MIME reader. */
export async function readCopy(input: Readable): Promise<CopyRead> {
  const tee = new PassThrough({ highWaterMark: 1 << 20 });
  let head = Buffer.alloc(0);
  let headDone = false;
  let headComplete = false;
  let size = 0;
  // a multipart body must contain its boundary (RFC 2046 §5.1.1); looked for as the bytes pass
  let boundary: Buffer | undefined;
  let boundarySeen = false;
  let carry: Buffer = Buffer.alloc(0);
  const seek = (chunk: Buffer): void => {
    if (!boundary || boundarySeen) return;
    const look = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    if (look.includes(boundary)) boundarySeen = true;
    carry = look.subarray(Math.max(0, look.length - boundary.length));
  };
  input.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (headDone) return seek(chunk);
    head = Buffer.concat([head, chunk]);
    const at = endOfHead(head);
    if (at >= 0) {
      const body = head.subarray(at);
      head = head.subarray(0, at);
      headDone = headComplete = true;
      boundary = boundaryOf(head);
      seek(body);
    } else if (head.length > MAX_HEAD) {
      headDone = true;
    }
  });
  const protection = protectionFromStream(tee).then((p) => ({ p, err: '' }), (err: Error) => ({ p: undefined, err: err.message }));
  input.pipe(tee);
  await new Promise<void>((resolve, reject) => {
    input.on('end', resolve);
    input.on('error', reject);
  });
  const { p, err } = await protection;
  return {
    head: head.subarray(0, Math.min(head.length, MAX_HEAD)),
    headComplete: headComplete || size === head.length,
    size,
    protection: p ?? { mechanisms: [], endToEnd: false, evidence: `the MIME structure could not be read (${err})`, known: false },
    mimeError: err,
    mimeProblem: boundary && !boundarySeen ? `multipart boundary "${boundary.subarray(2).toString()}" never appears in the body: the MIME structure is broken (hops kept; protection as the top-level Content-Type claims it)` : '',
  };
}

/** `--boundary` of a multipart Content-Type in a header block, or undefined. */
function boundaryOf(head: Buffer): Buffer | undefined {
  const type = fieldValue(headerFields(head).fields, 'content-type');
  if (!/^\s*multipart\//i.test(type)) return undefined;
  const m = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(type);
  const b = m?.[1] ?? m?.[2];
  return b ? Buffer.from(`--${b}`) : undefined;
}

/** Index of the first byte of the empty line that ends a header block (0: no header lines at all), or -1. */
function endOfHead(buf: Buffer): number {
  if (buf[0] === 10 || (buf[0] === 13 && buf[1] === 10)) return 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) {
    if (buf[i + 1] === 10 || (buf[i + 1] === 13 && buf[i + 2] === 10)) return i + 1;
  }
  return -1;
}

export interface CopyRef {
  file: string;
  /** byte offset of the message's first header byte in the file */
  offset: number;
  /** when nothing in the message is dated: the file's modification time */
  fallbackTs: string;
}

export interface CopyOutcome {
  events: MailEvent[];
  /** header values and lines that say nothing usable, each with its reason and file offset */
  problems: { offset: number; detail: string; excerpt: string }[];
}

/** A copy's header block (and what its MIME reader found) → its events. */
export function copyEvents(copy: CopyRead, ref: CopyRef): CopyOutcome {
  const problems: CopyOutcome['problems'] = [];
  const { fields, problems: lineProblems } = headerFields(copy.head);
  for (const p of lineProblems) problems.push({ offset: ref.offset, detail: p, excerpt: '' });
  const messageId = messageIdOf(fieldValue(fields, 'message-id'));
  // whose copy: the local delivery agent's Delivered-To (Postfix local/virtual, newest first), X-Original-To, else the newest `for`
  let recipient = addressOf(fieldValue(fields, 'delivered-to')) || addressOf(fieldValue(fields, 'x-original-to'));
  // a Received header written twice in a row (a relay that re-adds it, a copy-paste) is one hop
  const received = fields.filter((f, i) => {
    if (f.name !== 'received') return false;
    const prev = fields.slice(0, i).reverse().find((x) => x.name === 'received');
    if (prev && prev.value === f.value && fields.indexOf(prev) === i - 1) {
      problems.push({ offset: ref.offset + f.offset, detail: 'Received header repeated verbatim: read once', excerpt: f.value.slice(0, 512) });
      return false;
    }
    return true;
  });
  const hops = received.map((f) => ({ f, hop: parseReceived(f.value) }));
  if (!recipient) for (const { hop } of hops) if (!('error' in hop) && hop.for) { recipient = hop.for; break; }
  const dated = hops.map(({ hop }) => ('error' in hop ? '' : hop.date));
  const dateHeader = receivedDate(fieldValue(fields, 'date'));
  const events: MailEvent[] = [];
  hops.forEach(({ f, hop }, i) => {
    const at = ref.offset + f.offset;
    if ('error' in hop) {
      problems.push({ offset: at, detail: `Received header is no hop: ${hop.error}`, excerpt: f.value.slice(0, 512) });
      return;
    }
    // an undated hop takes the time of the next newer dated one (it happened no later), else the Date header's
    const ts = hop.date || dated.slice(0, i).reverse().find(Boolean) || dateHeader || ref.fallbackTs;
    const host = hop.by.toLowerCase();
    const e = newEvent(eventId(host, Date.parse(ts), 'received', 0, `${messageId}\u0000${recipient}\u0000${received.length - i}\u0000${f.value}`), ts, host, 'received');
    e.source = 'headers';
    e.program = 'received';
    e.messageId = messageId;
    e.recipient = recipient;
    e.queueId = hop.id;
    // the name the sending server gave itself (HELO): how our own servers are known; its rDNS name is often `localhost` on one machine
    e.client = (hop.from || hop.fromName).toLowerCase();
    e.clientIp = hop.fromIp;
    e.protocol = hop.with;
    e.tls = hop.tls;
    e.tlsVersion = hop.tlsVersion;
    e.cipher = hop.cipher;
    e.tlsEvidence = hop.tlsEvidence;
    e.sourceFile = ref.file;
    e.sourceOffset = at;
    events.push(e);
  });
  const newest = events[0];
  const ts = newest?.ts || dateHeader || ref.fallbackTs;
  const host = newest?.host || 'unknown';
  const c = newEvent(eventId(host, Date.parse(ts), 'content', 0, `${messageId}\u0000${recipient}\u0000${copy.size}\u0000${copy.protection.mechanisms.join(',')}`), ts, host, 'content');
  c.source = 'headers';
  c.program = 'mime';
  c.messageId = messageId;
  c.recipient = recipient;
  c.sender = addressOf(fieldValue(fields, 'return-path')) || addressOf(fieldValue(fields, 'from'));
  c.size = copy.size;
  c.protection = copy.protection.known ? [...copy.protection.mechanisms] : [];
  c.protectionEvidence = copy.protection.evidence;
  c.sourceFile = ref.file;
  c.sourceOffset = ref.offset;
  // a copy whose MIME could not be read says nothing about protection: no content event
  if (copy.protection.known) events.push(c);
  return { events, problems };
}

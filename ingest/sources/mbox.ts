/**
 * A streaming mbox splitter: one Readable per message, bounded memory whatever the message size.
 *
 * Format facts (written from the documents, no other implementation was copied):
 *  - RFC 4155 "The application/mbox Media Type", appendix A: every message is preceded by a separator
 *    line `From ` + the sender's addr-spec + ` ` + the UTC receive time in UNIX ctime/asctime form, and
 *    ends with an empty line; the default format uses LF (CRLF files exist and are accepted here).
 *  - qmail mbox(5): a From_ line is any line that begins with the five bytes `From `; it looks like
 *    `From envsender date moreinfo` (envsender one word, MAILER-DAEMON for bounces; date 24 characters of
 *    asctime; moreinfo optional); the message ends with a completely blank line (no spaces or tabs);
 *    `>From quoting` prepends `>` to every line of the form `>*From ` (the mboxrd convention), so a
 *    reader takes one `>` off such lines.
 *  - mboxo writers quote only `From ` lines and some omit the blank line before a separator, so a line
 *    with the full separator shape splits even without one; a `From ` line in a body without a readable
 *    sender and date splits only where the format's context says so (after a blank line, before headers).
 */
import { Readable } from 'node:stream';

export interface MboxMessage {
  /** byte offset in the file of the message's first header byte (the line after its `From ` separator) */
  offset: number;
  /** the separator line as read, without its line ending (e.g. `From alice@example.org Mon Dec  1 10:00:00 2026`) */
  fromLine: string;
  /** the message's bytes (CRLF or LF as in the file), mboxrd quoting undone (`>From ` → `From `, `>>From ` → `>From `); ends before the next separator; the blank line that precedes the next separator belongs to the mbox format, not the message, and is dropped */
  stream: Readable;
}
export interface MboxProblem { offset: number; reason: string }

/** the closed set of problem reasons, so a caller can count them */
export const MboxProblemReason = {
  noSeparatorAtStart: 'no mbox `From ` line at the start; bytes before the first separator skipped',
  malformedSeparator: 'malformed `From ` separator (no readable sender and asctime date); split because it follows a blank line and header lines follow',
  malformedFirstSeparator: 'malformed `From ` separator (no readable sender and asctime date) at the start; taken as the separator',
} as const;

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const F = 0x46;
const FROM_ = Buffer.from('From ');
/** a separator is a short line (RFC 5322's 998-byte line limit); longer `From ` lines are content */
const MAX_SEPARATOR = 1000;
/** how far into the line after a doubtful separator to look for a header field name */
const MAX_FIELD_NAME = 1000;
/** a `>` run this long is content: lookahead stays bounded (a longer quoted `From ` keeps its `>`) */
const MAX_QUOTE_DEPTH = 1000;

/** `From <sender> <asctime>[ moreinfo]`; also a zone before the year and missing seconds, which some exporters write */
const SEPARATOR = /^From (\S+) +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) +(\d{1,2}):(\d\d)(?::(\d\d))?(?: +(?:[A-Z]{1,5}|[+-]\d{4}))? +\d{4}(?:\s|$)/i;
/** RFC 5322 field-name: printable US-ASCII except `:`, then `:` */
const FIELD = /^[!-9;-~]+:/;

function isSeparatorLine(line: string): boolean {
  const m = SEPARATOR.exec(line);
  return m !== null && +m[2] >= 1 && +m[2] <= 31 && +m[3] <= 23 && +m[4] <= 59 && +(m[5] ?? 0) <= 60;
}

/** first lines of a file (as split by '\n') → is this an mbox? (first line is a `From ` separator followed by RFC 5322 header lines) */
export function looksLikeMbox(lines: readonly string[]): boolean {
  if (lines.length < 2 || !lines[0].startsWith('From ')) return false;
  // the last line of a sniffed prefix may be cut anywhere: it only counts when it is the only header line
  const n = lines.length > 2 ? lines.length - 1 : 2;
  let fields = 0;
  for (let i = 1; i < n; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line === '') break;
    if (fields > 0 && (line[0] === ' ' || line[0] === '\t')) continue;
    if (!FIELD.test(line)) return false;
    fields++;
  }
  // a doubtful first line needs more than one header line to be believed
  return fields >= (isSeparatorLine(lines[0].replace(/\r$/, '')) ? 1 : 2);
}

type Line =
  | { kind: 'more' | 'content' | 'quoted' }
  | { kind: 'blank'; length: number }
  | { kind: 'separator'; end: number; next: number; malformed: boolean };
const MORE: Line = { kind: 'more' };
const CONTENT: Line = { kind: 'content' };
const QUOTED: Line = { kind: 'quoted' };

/** buf[at…] starts with `From ` → true, cannot (false), or too few bytes to tell (undefined) */
function fromAt(buf: Buffer, at: number): boolean | undefined {
  for (let i = 0; i < 5; i++) {
    if (at + i >= buf.length) return undefined;
    if (buf[at + i] !== FROM_[i]) return false;
  }
  return true;
}

/** does the line at buf[at…] start with a header field name? undefined: too few bytes to tell */
function fieldAt(buf: Buffer, at: number, eof: boolean): boolean | undefined {
  for (let i = at; i < buf.length && i - at < MAX_FIELD_NAME; i++) {
    const c = buf[i];
    if (c === 0x3a) return i > at;
    if (c < 0x21 || c > 0x7e) return false;
  }
  return buf.length - at >= MAX_FIELD_NAME || eof ? false : undefined;
}

/**
 * The pull side: scans input chunks on demand and hands out the current message's bytes. Content passes
 * through as slices of the input chunks; only the undecided start of a line (at most a separator line
 * plus a field name, ~2 KB) is carried between chunks, so a long line never accumulates.
 */
class MboxReader {
  readonly #source: Readable;
  readonly #input: AsyncIterator<unknown>;
  readonly #onProblem: ((p: MboxProblem) => void) | undefined;
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  /** file offset of #buf[0] */
  #base: number;
  #eof = false;
  #failed: unknown;
  #atLineStart = true;
  /** what precedes the line at #pos: the start of the input, a blank line (held in #heldBlank), or anything else */
  #context: 'start' | 'blank' | 'other' = 'start';
  /** a blank line is the format's message terminator if a separator follows, else message content */
  #heldBlank: Buffer | undefined;
  #next: { fromLine: string; offset: number } | undefined;
  /** the current message (or the bytes before the first one) has been read to its end */
  ended = false;
  /** pulls from the message stream and from the generator's drain must not interleave */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(input: Readable, startOffset: number, onProblem?: (p: MboxProblem) => void) {
    this.#source = input;
    this.#input = input[Symbol.asyncIterator]();
    this.#base = startOffset;
    this.#onProblem = onProblem;
  }

  /** the current message's next bytes (never empty), or null at its end */
  pull(): Promise<Buffer | null> {
    const p = this.#lock.then(() => this.#pull());
    this.#lock = p.catch(() => undefined);
    return p;
  }

  /** after the end of a message: the separator that ended it (undefined at the end of the input) */
  nextMessage(): { fromLine: string; offset: number } | undefined {
    const next = this.#next;
    this.#next = undefined;
    this.ended = next === undefined;
    return next;
  }

  /** an early stop destroys the input (as a for-await over it would) without waiting for a pending read */
  close(): void {
    if (!this.#eof) this.#source.destroy();
  }

  async #pull(): Promise<Buffer | null> {
    for (;;) {
      if (this.#failed !== undefined) throw this.#failed;
      if (this.ended) return null;
      const got = this.#scan();
      if (got === 'end') return null;
      if (got !== 'more') return got;
      try {
        const r = await this.#input.next();
        if (r.done) this.#eof = true;
        else this.#append(r.value);
      } catch (err) {
        this.#failed = err;
      }
    }
  }

  #append(value: unknown): void {
    const chunk = Buffer.isBuffer(value) ? value : value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(String(value));
    const rest = this.#buf.length - this.#pos;
    this.#base += this.#pos;
    this.#buf = rest > 0 ? Buffer.concat([this.#buf.subarray(this.#pos), chunk]) : chunk;
    this.#pos = 0;
  }

  /** scan from #pos: message bytes, 'more' (needs input), or 'end' (a separator or the end of input was consumed) */
  #scan(): Buffer | 'more' | 'end' {
    const buf = this.#buf;
    const len = buf.length;
    const out: Buffer[] = [];
    let pos = this.#pos;
    let run = pos;
    const flush = (): void => {
      if (pos > run) out.push(buf.subarray(run, pos));
      run = pos;
    };
    const give = (): Buffer => (out.length === 1 ? out[0] : Buffer.concat(out));
    while (pos < len) {
      if (!this.#atLineStart) {
        const nl = buf.indexOf(LF, pos);
        pos = nl < 0 ? len : nl + 1;
        this.#atLineStart = nl >= 0;
        continue;
      }
      const c = buf[pos];
      // fast path: a line that cannot be a separator, a quoted line or a blank line
      const line = c !== F && c !== GT && c !== LF && c !== CR && this.#context === 'other' ? CONTENT : this.#classify(pos);
      if (line.kind === 'more' || line.kind === 'separator') {
        flush();
        this.#pos = pos;
        // bytes before the line go out first; the line is classified again on the next call (same answer)
        if (out.length > 0) return give();
        if (line.kind !== 'separator') return 'more';
        this.#takeSeparator(line, pos);
        return 'end';
      }
      if (this.#context === 'start') this.#problem(pos, MboxProblemReason.noSeparatorAtStart);
      if (this.#heldBlank) {
        flush();
        out.push(this.#heldBlank);
        this.#heldBlank = undefined;
      }
      if (line.kind === 'blank') {
        flush();
        pos += line.length;
        run = pos;
        this.#heldBlank = buf.subarray(pos - line.length, pos);
        this.#context = 'blank';
        continue;
      }
      this.#context = 'other';
      if (line.kind === 'quoted') {
        flush();
        run = pos + 1;
      }
      const nl = buf.indexOf(LF, pos);
      pos = nl < 0 ? len : nl + 1;
      this.#atLineStart = nl >= 0;
    }
    flush();
    this.#pos = pos;
    if (out.length > 0) return give();
    if (!this.#eof) return 'more';
    // end of input: a held blank line is the last message's terminator
    this.#heldBlank = undefined;
    this.ended = true;
    return 'end';
  }

  #classify(p: number): Line {
    const buf = this.#buf;
    const eof = this.#eof;
    const c = buf[p];
    if (c === LF) return { kind: 'blank', length: 1 };
    if (c === CR) {
      if (p + 1 >= buf.length) return eof ? CONTENT : MORE;
      return buf[p + 1] === LF ? { kind: 'blank', length: 2 } : CONTENT;
    }
    if (c === GT) {
      let q = p;
      while (q < buf.length && buf[q] === GT && q - p < MAX_QUOTE_DEPTH) q++;
      const from = fromAt(buf, q);
      if (from === undefined) return eof || q - p >= MAX_QUOTE_DEPTH ? CONTENT : MORE;
      return from ? QUOTED : CONTENT;
    }
    if (c !== F) return CONTENT;
    const from = fromAt(buf, p);
    if (from === undefined) return eof ? CONTENT : MORE;
    return from ? this.#fromLine(p) : CONTENT;
  }

  /** a line starting with `From `: a separator, or content */
  #fromLine(p: number): Line {
    const buf = this.#buf;
    let nl = buf.indexOf(LF, p);
    if (nl < 0) {
      if (buf.length - p > MAX_SEPARATOR) return CONTENT;
      if (!this.#eof) return MORE;
      nl = buf.length;
    } else if (nl - p > MAX_SEPARATOR) return CONTENT;
    const end = nl > p && buf[nl - 1] === CR ? nl - 1 : nl;
    const next = Math.min(nl + 1, buf.length);
    if (isSeparatorLine(buf.toString('latin1', p, end))) return { kind: 'separator', end, next, malformed: false };
    if (this.#context === 'start') return { kind: 'separator', end, next, malformed: true };
    if (this.#context !== 'blank') return CONTENT;
    const field = fieldAt(buf, next, this.#eof);
    if (field === undefined) return MORE;
    return field ? { kind: 'separator', end, next, malformed: true } : CONTENT;
  }

  #takeSeparator(line: Extract<Line, { kind: 'separator' }>, p: number): void {
    if (line.malformed) this.#problem(p, this.#context === 'start' ? MboxProblemReason.malformedFirstSeparator : MboxProblemReason.malformedSeparator);
    this.#next = { fromLine: this.#buf.toString('utf8', p, line.end), offset: this.#base + line.next };
    this.#heldBlank = undefined;
    this.#context = 'other';
    this.#pos = line.next;
    this.ended = true;
  }

  #problem(p: number, reason: string): void {
    this.#onProblem?.({ offset: this.#base + p, reason });
  }
}

/** the message's bytes, read from the input only as fast as the consumer reads them */
function messageStream(reader: MboxReader): Readable {
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      reader.pull().then((bytes) => this.push(bytes), (err: Error) => this.destroy(err));
    },
  });
}

/** the consumer MUST read each message's stream to its end (or destroy it) before asking for the next */
export async function* splitMbox(input: Readable, opts: { startOffset?: number; onProblem?: (p: MboxProblem) => void } = {}): AsyncGenerator<MboxMessage> {
  const reader = new MboxReader(input, opts.startOffset ?? 0, opts.onProblem);
  let current: Readable | undefined;
  try {
    // bytes before the first separator (reported by the reader) are skipped
    while ((await reader.pull()) !== null);
    for (let sep = reader.nextMessage(); sep; sep = reader.nextMessage()) {
      current = messageStream(reader);
      yield { offset: sep.offset, fromLine: sep.fromLine, stream: current };
      if (!reader.ended) {
        // asked for the next message first: the rest of this one is skipped; a reader still on it sees a
        // premature close (no error event: one nobody listens for would crash the process)
        current.destroy();
        while ((await reader.pull()) !== null);
      }
    }
  } finally {
    if (current && !reader.ended && !current.destroyed) current.destroy();
    reader.close();
  }
}

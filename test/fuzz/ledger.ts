import { Readable } from 'node:stream';
import type { LineRef, LogParser, ParseSink } from '../../ingest/formats/types.ts';
import { LineFlags, readLines } from '../../ingest/sources/lines.ts';
import { EVENT_COLUMNS, MailEvent, RejectReason } from '../../schemas/index.ts';
import { chunked } from './encode.ts';

/**
 * Drives a parser the way the ingest pipeline does (ingest/pipeline/run.ts), without a store: each
 * file through readLines in the given chunks; a line flagged TooLong or Binary is rejected before
 * any parser sees it, every other line (InvalidUtf8 included) goes to parseLine; endFile after each
 * file, flush at the end. Every outcome is written against the line it belongs to:
 *   - a rejection by its ref (file, byte offset);
 *   - an event by its sourceFile and sourceOffset;
 *   - skipped(), which names no line, to the parseLine call it happens in (the innermost one: the
 *     Exchange parser reads the lines of an abandoned multi-line row again through parseLine).
 * Anything that cannot be placed (a ref or offset the reader never gave, skipped() outside any
 * parseLine) is a problem in itself.
 */
export interface FuzzFile {
  path: string;
  bytes: Buffer;
  /** chunk boundaries of the stream (modulo its length) */
  cuts: number[];
  mtimeMs: number;
}

export interface LineFate {
  file: string;
  offset: number;
  lineNumber: number;
  text: string;
  flags: number;
  /** rejected by the reader stage for its flags, before any parser (as the pipeline does) */
  readerReject: 'line-too-long' | 'binary' | undefined;
  /** position among the lines of its file that reached the parser (-1: none) */
  index: number;
  /** rejections other than out-of-order (that one is a warning about a line still used) */
  rejects: RejectReason[];
  outOfOrder: number;
  skips: number;
  events: MailEvent[];
}

export interface Ledger {
  lines: LineFate[];
  /** per file, the lines that reached the parser, in order */
  parsed: Map<string, LineFate[]>;
  events: MailEvent[];
  problems: string[];
}

/** the pipeline's line limit is 64 KiB; a smaller one lets the fuzzer reach it */
export const FUZZ_MAX_LINE = 4096;

const key = (file: string, offset: number): string => `${file}\u0000${offset}`;

export async function drive(parser: LogParser, files: readonly FuzzFile[]): Promise<Ledger> {
  const ledger: Ledger = { lines: [], parsed: new Map(), events: [], problems: [] };
  const byKey = new Map<string, LineFate>();
  const calls: LineFate[] = [];
  const parseLine = parser.parseLine.bind(parser);
  // an own property shadows the method, so the parser's calls to this.parseLine come here too
  parser.parseLine = (line: string, ref: LineRef, sink: ParseSink): void => {
    const fate = byKey.get(key(ref.file, ref.offset));
    if (!fate) ledger.problems.push(`parseLine for a line the reader never gave: ${ref.file}@${ref.offset}`);
    else calls.push(fate);
    try {
      parseLine(line, ref, sink);
    } finally {
      if (fate) calls.pop();
    }
  };
  const sink: ParseSink = {
    event(e) {
      ledger.events.push(e);
      const fate = byKey.get(key(e.sourceFile, e.sourceOffset));
      if (!fate || fate.index < 0) ledger.problems.push(`an event from no line the parser was given: ${JSON.stringify(e).slice(0, 300)}`);
      else fate.events.push(e);
    },
    reject(reason, detail, ref, line) {
      const fate = byKey.get(key(ref.file, ref.offset));
      if (!RejectReason.safeParse(reason).success) ledger.problems.push(`a rejection with an unknown reason ${JSON.stringify(reason)}`);
      if (typeof detail !== 'string' || detail === '') ledger.problems.push(`a ${reason} rejection without a detail`);
      if (!fate || fate.index < 0) {
        ledger.problems.push(`a ${reason} rejection of no line the parser was given: ${ref.file}@${ref.offset}`);
        return;
      }
      if (ref.lineNumber !== fate.lineNumber) ledger.problems.push(`a ${reason} rejection names line ${ref.lineNumber}, the line at ${ref.offset} is ${fate.lineNumber}`);
      // the excerpt is the line (without a BOM), or the row it begins when a quoted field spans lines
      const own = fate.text.replace(/^\uFEFF/, '');
      if (line !== fate.text && !(line === own || line.startsWith(`${own}\n`))) ledger.problems.push(`a ${reason} rejection quotes ${JSON.stringify(line.slice(0, 80))} for the line ${JSON.stringify(fate.text.slice(0, 80))}`);
      if (reason === 'out-of-order') fate.outOfOrder++;
      else fate.rejects.push(reason);
    },
    skipped() {
      const fate = calls.at(-1);
      if (!fate) ledger.problems.push('skipped() outside any parseLine call');
      else fate.skips++;
    },
  };
  for (const file of files) {
    parser.beginFile(file.path, file.mtimeMs);
    const parsed: LineFate[] = [];
    ledger.parsed.set(file.path, parsed);
    await readLines(Readable.from(chunked(file.bytes, file.cuts)), {
      line(text, offset, lineNumber, flags) {
        const fate: LineFate = { file: file.path, offset, lineNumber, text, flags, readerReject: undefined, index: -1, rejects: [], outOfOrder: 0, skips: 0, events: [] };
        ledger.lines.push(fate);
        byKey.set(key(file.path, offset), fate);
        if (flags & LineFlags.TooLong) fate.readerReject = 'line-too-long';
        else if (flags & LineFlags.Binary) fate.readerReject = 'binary';
        else {
          fate.index = parsed.length;
          parsed.push(fate);
          parser.parseLine(text, { file: file.path, offset, lineNumber }, sink);
        }
      },
    }, { maxLineBytes: FUZZ_MAX_LINE });
    parser.endFile?.(sink);
  }
  parser.flush(sink);
  return ledger;
}

const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const COLUMNS = [...EVENT_COLUMNS].sort().join(',');

/**
 * The event contract (schemas/event.ts): the zod schema holds, exactly its columns are present,
 * ts is the 24-character ISO form ending in Z that reads back as the same instant (the store's
 * DateTime64 column and the pipeline's last check want that), the id is the 16-hex event id.
 */
export function eventProblems(e: MailEvent): string[] {
  const out: string[] = [];
  const parsed = MailEvent.safeParse(e);
  if (!parsed.success) out.push(`schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (${JSON.stringify((e as Record<string, unknown>)[String(i.path[0])])})`).join('; ')}`);
  if (Object.keys(e).sort().join(',') !== COLUMNS) out.push(`columns ${Object.keys(e).sort().join(',')}`);
  if (typeof e.ts !== 'string' || !ISO_TS.test(e.ts) || new Date(e.ts).toISOString() !== e.ts) out.push(`ts ${JSON.stringify(e.ts)} is no canonical ISO time`);
  if (!/^[0-9a-f]{16}$/.test(e.id)) out.push(`id ${JSON.stringify(e.id)}`);
  return out;
}

/** One line's outcomes in words, for failure messages. */
export function describe(f: LineFate): string {
  const fates = [
    f.readerReject && `reader:${f.readerReject}`, ...f.rejects.map((r) => `reject:${r}`), f.outOfOrder && `out-of-order×${f.outOfOrder}`,
    f.skips && `skipped×${f.skips}`, f.events.length && `events×${f.events.length}`,
  ].filter(Boolean);
  return `${f.file}:${f.lineNumber}@${f.offset} ${JSON.stringify(f.text.slice(0, 160))} → ${fates.join(', ') || 'nothing'}`;
}

/** How many of the four outcomes a line has: reader rejection, parser rejection, skipped, stored. */
export function outcomes(f: LineFate): number {
  return (f.readerReject ? 1 : 0) + f.rejects.length + f.skips + (f.events.length > 0 ? 1 : 0);
}

/**
 * What holds for every parser: no problems placing outcomes; events keep the contract; no line
 * has two outcomes (nothing counted twice); out-of-order is said at most once, and only of a line
 * that was read. Returns the failures (empty when all hold).
 */
export function commonFailures(ledger: Ledger): string[] {
  const out = [...ledger.problems];
  for (const e of ledger.events) {
    const p = eventProblems(e);
    if (p.length > 0) out.push(`event ${e.kind} from ${e.sourceFile}@${e.sourceOffset}: ${p.join('; ')}`);
  }
  for (const f of ledger.lines) {
    if (outcomes(f) > 1) out.push(`two outcomes for one line: ${describe(f)}`);
    if (f.outOfOrder > 1 || (f.outOfOrder > 0 && f.rejects.length > 0)) out.push(`out-of-order twice, or with a rejection: ${describe(f)}`);
  }
  return out;
}

/**
 * What a property's cases reached, over the whole run: outcomes by kind and reason. Asserted after
 * a run of the default size, so a generator that stops reaching a path fails loudly instead of
 * passing on inputs that test nothing.
 */
export class Coverage {
  readonly #seen = new Map<string, number>();

  add(ledger: Ledger): void {
    for (const f of ledger.lines) {
      const keys = [
        f.readerReject && `reader:${f.readerReject}`, ...f.rejects.map((r) => `reject:${r}`), f.outOfOrder > 0 && 'out-of-order',
        f.skips > 0 && 'skipped', ...new Set(f.events.map((e) => `event:${e.kind}`)), outcomes(f) === 0 && 'context',
        f.flags & LineFlags.InvalidUtf8 && 'invalid-utf8',
      ];
      for (const k of keys) if (k) this.#seen.set(k, (this.#seen.get(k) ?? 0) + 1);
    }
  }

  missing(expected: readonly string[]): string[] {
    return expected.filter((k) => !this.#seen.has(k));
  }

  toString(): string {
    return [...this.#seen].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  }
}

import type { MailEvent, RejectReason } from '../../schemas/index.ts';

/** Where a line came from: file, byte offset of its first byte, 1-based line number. */
export interface LineRef {
  file: string;
  offset: number;
  lineNumber: number;
}

/** What a format parser hands back: events, rejected lines with a reason, and a count of lines it does not model. */
export interface ParseSink {
  event(e: MailEvent): void;
  reject(reason: RejectReason, detail: string, ref: LineRef, line: string): void;
  /** a line in a known format that we do not model (statistics, warnings, other daemons) */
  skipped(): void;
}

/** The shape every format parser has; the pipeline drives it file by file, line by line. */
export interface LogParser {
  beginFile(file: string, referenceMs?: number): void;
  parseLine(line: string, ref: LineRef, sink: ParseSink): void;
  /** a file is done: emit what belongs to it alone (formats whose state ends with the file) */
  endFile?(sink: ParseSink): void;
  /** end of all input: emit what correlation still holds */
  flush(sink: ParseSink): void;
}

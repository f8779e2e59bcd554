import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';

/**
 * Splits a byte stream into lines with their byte offsets, and keeps bad input from hurting the
 * good lines around it: a line longer than `maxLineBytes` is cut (its head is reported, the rest
 * skipped up to the next newline), NUL bytes mark a line as binary, bytes that are not UTF-8 are
 * decoded with replacement characters and flagged. Memory stays bounded by chunk + max line.
 */
export interface LineSink {
  line(text: string, offset: number, lineNumber: number, flags: LineFlags): void;
}

export const LineFlags = { None: 0, InvalidUtf8: 1, Binary: 2, TooLong: 4 } as const;
export type LineFlags = number;

export interface LineReaderOptions {
  maxLineBytes?: number;
  /** byte offset of the stream's first byte in the file (when resuming) */
  startOffset?: number;
  /** called between chunks so a caller can apply backpressure (await a flush) */
  between?: () => Promise<void> | undefined;
}

export async function readLines(stream: Readable, sink: LineSink, opts: LineReaderOptions = {}): Promise<{ bytes: number; lines: number }> {
  const maxLine = opts.maxLineBytes ?? 64 * 1024;
  let carry: Buffer | undefined;
  let carryStart = opts.startOffset ?? 0;
  let base = carryStart;
  let lineNumber = 0;
  let skippingLong = false;
  let bytes = 0;

  const emitLine = (line: string, off: number, flags: number): void => {
    lineNumber++;
    if (skippingLong) {
      // the tail of an over-long line: already reported
      skippingLong = false;
      return;
    }
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0) return;
    if (line.includes('\u0000')) flags |= LineFlags.Binary;
    sink.line(line, off, lineNumber, flags);
  };

  /** A line longer than the limit: its head is reported and the rest dropped, whichever chunks it came in. */
  const emitLong = (head: string, off: number): void => {
    lineNumber++;
    sink.line(head, off, lineNumber, LineFlags.TooLong);
  };

  /** Emit the complete lines in buf[start, end); end is just past a '\n'. */
  const emitRegion = (buf: Buffer, start: number, end: number, regionOffset: number): void => {
    const text = buf.toString('utf8', start, end);
    if (text.length === end - start && !text.includes('\uFFFD')) {
      // fast path: pure ASCII, so character positions are byte positions
      let pos = 0;
      while (pos < text.length) {
        const nl = text.indexOf('\n', pos);
        const stop = nl < 0 ? text.length : nl;
        if (stop - pos > maxLine && !skippingLong) emitLong(text.slice(pos, Math.min(stop, pos + 256)), regionOffset + pos);
        else emitLine(text.slice(pos, stop), regionOffset + pos, LineFlags.None);
        pos = stop + 1;
      }
      return;
    }
    // multi-byte or invalid bytes: split on bytes so offsets stay exact, decode line by line
    let pos = start;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= end) nl = end;
      if (nl - pos > maxLine && !skippingLong) {
        emitLong(buf.toString('utf8', pos, Math.min(nl, pos + 256)), regionOffset + (pos - start));
      } else {
        const line = buf.toString('utf8', pos, nl);
        emitLine(line, regionOffset + (pos - start), line.includes('\uFFFD') && !isUtf8(buf.subarray(pos, nl)) ? LineFlags.InvalidUtf8 : LineFlags.None);
      }
      pos = nl + 1;
    }
  };

  for await (const raw of stream) {
    const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : raw;
    bytes += chunk.length;
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    const bufStart = carry ? carryStart : base;
    base += chunk.length;
    const lastNl = buf.lastIndexOf(10);
    if (lastNl >= 0) {
      emitRegion(buf, 0, lastNl + 1, bufStart);
      carry = lastNl + 1 < buf.length ? buf.subarray(lastNl + 1) : undefined;
      carryStart = bufStart + lastNl + 1;
    } else {
      carry = buf;
      carryStart = bufStart;
    }
    if (carry && carry.length > maxLine) {
      if (!skippingLong) {
        lineNumber++;
        const head = carry.subarray(0, Math.min(carry.length, 256)).toString('utf8');
        sink.line(head, carryStart, lineNumber, LineFlags.TooLong);
        skippingLong = true;
        // the rest of this line, up to its newline, is dropped; the newline's line is not counted again
        lineNumber--;
      }
      carryStart += carry.length;
      carry = undefined;
    }
    const wait = opts.between?.();
    if (wait) await wait;
  }
  if (skippingLong) {
    // an over-long last line without a newline: reported already, counted here (no newline restores its count)
    lineNumber++;
  } else if (carry && carry.length > 0) {
    // last line without a newline: still a line (a cut-off one is reported by the parser)
    emitRegion(Buffer.concat([carry, Buffer.from('\n')]), 0, carry.length + 1, carryStart);
  }
  return { bytes, lines: lineNumber };
}

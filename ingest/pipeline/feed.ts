import type { LogParser, LineRef, ParseSink } from '../formats/types.ts';
import { LineFlags } from '../sources/lines.ts';

/**
 * The line callback of a log file: the line-level checks (cut, binary, not UTF-8), then the parser.
 * Written once for the pipeline's own reading and for the parallel readers (ingest/pipeline/parallel.ts).
 * `counts.unmodeled` is what the sink's skipped() counts. `decides` is false in a parallel reader
 * that does not own lines the parser never attributes to a host (the line-level rejections).
 */
export function logLineHandler(parser: LogParser, file: string, sink: ParseSink, counts: { unmodeled: number }, decides: boolean, onLine: (offset: number, lineNumber: number) => void): (text: string, offset: number, lineNumber: number, flags: number) => void {
  return (text, offset, lineNumber, flags) => {
    onLine(offset, lineNumber);
    const ref: LineRef = { file, offset, lineNumber };
    if (flags & LineFlags.TooLong) {
      if (decides) sink.reject('line-too-long', 'line longer than 64 KiB: cut', ref, text);
      return;
    }
    if (flags & LineFlags.Binary) {
      if (decides) sink.reject('binary', 'line contains NUL bytes', ref, text.replace(/\u0000/g, '\\0'));
      return;
    }
    if (flags & LineFlags.InvalidUtf8) {
      // one outcome per line: a line the parser would only have counted as not modelled is
      // kept aside as invalid-utf8 instead, so that an encoding problem shows; a line it used
      // (an event now or later, state of a session) or kept aside itself is left to it
      const unmodeled0 = counts.unmodeled;
      parser.parseLine(text, ref, sink);
      if (counts.unmodeled === unmodeled0) return;
      counts.unmodeled = unmodeled0;
      sink.reject('invalid-utf8', 'not UTF-8 (shown with replacement characters)', ref, text);
      return;
    }
    parser.parseLine(text, ref, sink);
  };
}

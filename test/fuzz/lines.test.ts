/**
 * Property-based fuzzing of the line reader (ingest/sources/lines.ts).
 *
 * Property: for any bytes, cut into chunks anywhere, readLines never throws and reports exactly
 * what this specification says, whatever the chunking:
 *   - the input is a sequence of segments separated by LF; segment k (1-based) is line k, and the
 *     returned `lines` is the number of segments (a final LF opens no new segment; no bytes, none);
 *   - a segment longer than maxLineBytes is reported once, flagged TooLong (and nothing else), as the
 *     UTF-8 decoding of its first 256 bytes, at the byte offset where it starts;
 *   - any other segment loses one trailing CR; if nothing is left it is counted but not reported;
 *     otherwise it is reported once with its decoded text, its byte offset (plus startOffset), and
 *     the flags Binary (it holds a NUL byte) and InvalidUtf8 (its bytes are not UTF-8);
 *   - `bytes` is the input's length.
 * So every line of the input is accounted for: reported (to be parsed, or rejected by the pipeline
 * for its flags) or empty, and none twice.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { LineFlags, readLines } from '../../ingest/sources/lines.ts';
import { cases, fuzzParams, ran } from './settings.ts';
import { bytePieces, chunked } from './encode.ts';

interface Seen { text: string; offset: number; lineNumber: number; flags: number }

/** What readLines must report for these bytes: the specification above, segment by segment. */
function expected(bytes: Buffer, maxLine: number, start: number): { lines: Seen[]; count: number } {
  const lines: Seen[] = [];
  let count = 0;
  let pos = 0;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(10, pos);
    const end = nl < 0 ? bytes.length : nl;
    count++;
    const seg = bytes.subarray(pos, end);
    if (seg.length > maxLine) {
      lines.push({ text: seg.subarray(0, 256).toString('utf8'), offset: start + pos, lineNumber: count, flags: LineFlags.TooLong });
    } else {
      const body = seg.length > 0 && seg[seg.length - 1] === 13 ? seg.subarray(0, -1) : seg;
      if (body.length > 0) {
        const flags = (body.includes(0) ? LineFlags.Binary : 0) | (isUtf8(seg) ? 0 : LineFlags.InvalidUtf8);
        lines.push({ text: body.toString('utf8'), offset: start + pos, lineNumber: count, flags });
      }
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return { lines, count };
}

test(cases('readLines: any bytes in any chunking give exactly the specified lines, offsets, numbers and flags'), async () => {
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(
      bytePieces(),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.integer({ min: 256, max: 2048 }),
      fc.oneof(fc.constant(0), fc.nat({ max: 1 << 20 })),
      async (bytes, cuts, maxLine, start) => {
        const got: Seen[] = [];
        const result = await readLines(Readable.from(chunked(bytes, cuts)), {
          line: (text, offset, lineNumber, flags) => { got.push({ text, offset, lineNumber, flags }); },
        }, { maxLineBytes: maxLine, startOffset: start });
        const want = expected(bytes, maxLine, start);
        assert.deepEqual(got, want.lines);
        assert.deepEqual(result, { bytes: bytes.length, lines: want.count });
      },
    ),
    fuzzParams(),
  );
  ran('readLines specification', started);
});

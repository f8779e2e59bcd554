import fc from 'fast-check';

/**
 * Bytes for the fuzzers: lines written in mixed encodings and line endings, junk spliced into a
 * file, and streams cut into chunks anywhere (a chunk boundary may split a line, a CR LF or a
 * multi-byte character).
 */

/** Cut `bytes` into chunks at the given points (taken modulo the length; repeats give empty chunks). */
export function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Odd bytes: invalid UTF-8, a cut multi-byte character, a BOM, NULs, a UTF-16LE fragment, a lone CR or LF. */
export const junkBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom([0x00], [0xff, 0xfe], [0xef, 0xbb, 0xbf], [0xc3], [0xe2, 0x82], [0x80], [0x0d], [0x0a], [0xf0, 0x9f, 0x98]).map((b) => Buffer.from(b)),
  fc.constantFrom('Received', 'postfix', '#Fields', '2026').map((s) => Buffer.from(s, 'utf16le')),
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
);

/** Raw material for the line reader: text, line breaks, NULs, multi-byte and invalid sequences, long runs. */
export function bytePieces(): fc.Arbitrary<Buffer> {
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 24 }).map(utf8) },
    { weight: 6, arbitrary: fc.constantFrom('\n', '\n', '\r\n', '\r', '\n\n', '\u0000', 'ä', '€', '😀', '\uFEFF', '\uFFFD', ' ').map(utf8) },
    { weight: 3, arbitrary: junkBytes },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map(utf8) },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => Buffer.alloc(n, 0x78)) },
  );
  return fc.array(piece, { maxLength: 60 }).map((ps) => Buffer.concat(ps));
}

/** How one line is written to the file. */
export interface LineCoding {
  charset: 'utf8' | 'latin1' | 'utf16le';
  /** `''` runs the line into the next one; a bare CR is no line break to a reader that splits on LF */
  ending: '\n' | '\r\n' | '\r' | '\n\r' | '';
}

export interface FileCoding {
  /** per line, cycled; empty: every line UTF-8 with LF */
  lines: readonly LineCoding[];
  bom: boolean;
  /** junk spliced in at byte positions (modulo the length) */
  junk: readonly { at: number; bytes: Buffer }[];
  /** the last line's break; false leaves it without one (a file cut off while written) */
  finalBreak: boolean;
}

const lineCoding: fc.Arbitrary<LineCoding> = fc.record({
  charset: fc.oneof({ weight: 12, arbitrary: fc.constant('utf8' as const) }, { weight: 1, arbitrary: fc.constant('latin1' as const) }, { weight: 1, arbitrary: fc.constant('utf16le' as const) }),
  ending: fc.oneof(
    { weight: 10, arbitrary: fc.constant('\n' as const) },
    { weight: 5, arbitrary: fc.constant('\r\n' as const) },
    { weight: 1, arbitrary: fc.constantFrom('\r' as const, '\n\r' as const, '' as const) },
  ),
});

/** Mostly clean files (UTF-8, LF or CR LF), sometimes with lines in Latin-1 or UTF-16, junk, a BOM. */
export const fileCoding: fc.Arbitrary<FileCoding> = fc.record({
  lines: fc.oneof({ weight: 3, arbitrary: fc.constant<readonly LineCoding[]>([]) }, { weight: 2, arbitrary: fc.array(lineCoding, { minLength: 1, maxLength: 8 }) }),
  bom: fc.boolean(),
  junk: fc.oneof({ weight: 3, arbitrary: fc.constant<FileCoding['junk']>([]) }, { weight: 1, arbitrary: fc.array(fc.record({ at: fc.nat(), bytes: junkBytes }), { maxLength: 3 }) }),
  finalBreak: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

export function encodeFile(lines: readonly string[], coding: FileCoding): Buffer {
  const parts: Buffer[] = [];
  if (coding.bom) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  lines.forEach((line, i) => {
    const c = coding.lines.length > 0 ? coding.lines[i % coding.lines.length] : { charset: 'utf8' as const, ending: '\n' as const };
    parts.push(Buffer.from(line, c.charset));
    const last = i === lines.length - 1;
    if (!last || coding.finalBreak) parts.push(Buffer.from(last && c.ending === '' ? '\n' : c.ending, c.charset === 'utf16le' ? 'utf16le' : 'latin1'));
  });
  let bytes = Buffer.concat(parts);
  for (const j of coding.junk) {
    const at = j.at % (bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, at), j.bytes, bytes.subarray(at)]);
  }
  return bytes;
}

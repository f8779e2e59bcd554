import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { LineFlags, readLines } from '../../../ingest/sources/lines.ts';

interface Got { text: string; offset: number; lineNumber: number; flags: number }

async function collect(chunks: (string | Buffer)[], maxLineBytes?: number): Promise<Got[]> {
  const got: Got[] = [];
  await readLines(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), {
    line: (text, offset, lineNumber, flags) => got.push({ text, offset, lineNumber, flags }),
  }, { maxLineBytes });
  return got;
}

test('byte offsets are exact across chunk boundaries and multi-byte characters', async () => {
  const got = await collect(['ab\nc', 'ä\r\nde', 'f\n', 'last']);
  assert.deepEqual(got.map((g) => [g.text, g.offset, g.lineNumber]), [['ab', 0, 1], ['cä', 3, 2], ['def', 8, 3], ['last', 12, 4]]);
});

test('a line longer than the limit is cut and reported once; the next line is intact', async () => {
  const long = 'x'.repeat(5000);
  const got = await collect(['ok1\n', long.slice(0, 2000), long.slice(2000), '\nok2\n'], 1024);
  assert.deepEqual(got.map((g) => [g.text.slice(0, 3), g.flags, g.lineNumber]), [['ok1', 0, 1], ['xxx', LineFlags.TooLong, 2], ['ok2', 0, 3]]);
  assert.equal(got[2].offset, 4 + 5000 + 1);
});

test('a huge line without any newline does not grow memory without bound', async () => {
  const chunk = Buffer.alloc(1 << 20, 0x41);
  const chunks = Array.from({ length: 50 }, () => chunk);
  const before = process.memoryUsage().rss;
  const got = await collect(chunks, 64 * 1024);
  assert.equal(got.length, 1);
  assert.equal(got[0].flags, LineFlags.TooLong);
  assert.ok(process.memoryUsage().rss - before < 200 * (1 << 20));
});

test('invalid UTF-8 and NUL bytes are flagged, and valid lines keep their flags clear', async () => {
  const got = await collect([Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a]), 'bin\u0000ary\n', 'good\n']);
  assert.equal(got[0].flags, LineFlags.InvalidUtf8);
  assert.equal(got[1].flags, LineFlags.Binary);
  assert.equal(got[2].flags, 0);
  assert.equal(got[2].offset, 5 + 8);
});

test('empty lines are counted but not emitted', async () => {
  const got = await collect(['a\n\n\nb\n']);
  assert.deepEqual(got.map((g) => [g.text, g.lineNumber, g.offset]), [['a', 1, 0], ['b', 4, 4]]);
});

// found by test/fuzz/lines.test.ts: the limit held only when a chunk boundary fell inside the line
test('a line longer than the limit is cut even when it arrives whole in one chunk', async () => {
  const got = await collect(['x'.repeat(2000) + '\nok\n'], 1024);
  assert.deepEqual(got.map((g) => [g.text.length, g.flags, g.lineNumber, g.offset]), [[256, LineFlags.TooLong, 1, 0], [2, 0, 2, 2001]]);
  const last = await collect(['ok\n' + 'x'.repeat(300)], 256);
  assert.deepEqual(last.map((g) => [g.text.length, g.flags, g.lineNumber]), [[2, 0, 1], [256, LineFlags.TooLong, 2]], 'a last line without a newline too');
});

// found by test/fuzz/lines.test.ts: the count lost the over-long line when no newline ended it
test('an over-long last line without a newline is counted', async () => {
  const result = await readLines(Readable.from([Buffer.from('ok\n'), Buffer.alloc(3000, 0x78)]), { line: () => {} }, { maxLineBytes: 1024 });
  assert.deepEqual(result, { bytes: 3003, lines: 2 });
});

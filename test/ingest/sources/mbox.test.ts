import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { MboxProblemReason, looksLikeMbox, splitMbox, type MboxProblem } from '../../../ingest/sources/mbox.ts';

interface Got { offset: number; fromLine: string; text: string }

async function split(chunks: readonly Buffer[], startOffset?: number): Promise<{ messages: Got[]; problems: MboxProblem[] }> {
  const problems: MboxProblem[] = [];
  const messages: Got[] = [];
  for await (const m of splitMbox(Readable.from(chunks), { startOffset, onProblem: (p) => problems.push(p) })) {
    const parts: Buffer[] = [];
    for await (const c of m.stream) parts.push(c as Buffer);
    messages.push({ offset: m.offset, fromLine: m.fromLine, text: Buffer.concat(parts).toString('latin1') });
  }
  return { messages, problems };
}
const whole = (s: string) => split([Buffer.from(s, 'latin1')]);

const SEP1 = 'From alice@example.org Mon Dec  1 10:00:00 2026';
const SEP2 = 'From MAILER-DAEMON Tue Dec  2 09:05:07 2026';
const SEP3 = 'From bob@example.net Wed Dec 03 23:59:60 2026 +0100';
/** mboxrd quoting, a `From ` body line after a blank line that is not a separator, one without a blank line, a body-only message */
const SMALL = [
  SEP1, 'Subject: one', 'From: Alice <alice@example.org>', '', '>From the top', '>>From deeper', '> From: not quoted', '',
  'From here on, plain text', 'and more text', 'From again without a blank line', '', '',
  SEP2, 'Subject: two', '', 'body', '',
  SEP3, 'just a body, no headers', '',
].join('\n');
const SMALL_EXPECTED: Got[] = [
  { offset: SEP1.length + 1, fromLine: SEP1, text: 'Subject: one\nFrom: Alice <alice@example.org>\n\nFrom the top\n>From deeper\n> From: not quoted\n\nFrom here on, plain text\nand more text\nFrom again without a blank line\n\n' },
  { offset: SMALL.indexOf(SEP2) + SEP2.length + 1, fromLine: SEP2, text: 'Subject: two\n\nbody\n' },
  { offset: SMALL.indexOf(SEP3) + SEP3.length + 1, fromLine: SEP3, text: 'just a body, no headers\n' },
];

test('splits a small mbox: mboxrd unquoting, body `From ` lines that do not split, a body-only message', async () => {
  assert.deepEqual(await whole(SMALL), { messages: SMALL_EXPECTED, problems: [] });
});

test('every chunk boundary gives the same result (two chunks split at each byte, and one byte per chunk)', async () => {
  for (const text of [SMALL, SMALL.replaceAll('\n', '\r\n')]) {
    const bytes = Buffer.from(text, 'latin1');
    const expected = await split([bytes]);
    for (let i = 0; i <= bytes.length; i++) assert.deepEqual(await split([bytes.subarray(0, i), bytes.subarray(i)]), expected, `cut at ${i}`);
    assert.deepEqual(await split([...bytes].map((b) => Buffer.from([b]))), expected);
  }
});

test('CRLF files keep CRLF in the message and drop the CRLF blank line before the next separator', async () => {
  const { messages, problems } = await whole(SMALL.replaceAll('\n', '\r\n'));
  assert.deepEqual(problems, []);
  assert.deepEqual(messages.map((m) => m.fromLine), [SEP1, SEP2, SEP3]);
  assert.deepEqual(messages.map((m) => m.text), SMALL_EXPECTED.map((m) => m.text.replaceAll('\n', '\r\n')));
  assert.equal(messages[1].offset, SMALL.replaceAll('\n', '\r\n').indexOf(SEP2) + SEP2.length + 2);
});

test('a file that does not start with a separator: reported, skipped to the first separator', async () => {
  const text = `garbage line\n\nmore garbage\n${SEP1}\nSubject: x\n\nbody\n`;
  const { messages, problems } = await whole(text);
  assert.deepEqual(problems, [{ offset: 0, reason: MboxProblemReason.noSeparatorAtStart }]);
  assert.deepEqual(messages, [{ offset: text.indexOf('Subject'), fromLine: SEP1, text: 'Subject: x\n\nbody\n' }]);
  assert.deepEqual(await whole('no mbox at all\n'), { messages: [], problems: [{ offset: 0, reason: MboxProblemReason.noSeparatorAtStart }] });
  assert.deepEqual(await whole(''), { messages: [], problems: [] });
});

test('a broken `From ` line after a blank line and before headers is reported and still splits', async () => {
  const text = `${SEP1}\nSubject: a\n\nbody a\n\nFrom \nSubject: b\n\nbody b\n\nFrom someone yesterday\nnot a header line\n`;
  const { messages, problems } = await whole(text);
  assert.deepEqual(problems, [{ offset: text.indexOf('From \n'), reason: MboxProblemReason.malformedSeparator }]);
  assert.deepEqual(messages.map((m) => [m.fromLine, m.text]), [
    [SEP1, 'Subject: a\n\nbody a\n'],
    ['From ', 'Subject: b\n\nbody b\n\nFrom someone yesterday\nnot a header line\n'],
  ]);
  const first = await whole('From nobody\nSubject: c\n\nc\n');
  assert.deepEqual(first.problems, [{ offset: 0, reason: MboxProblemReason.malformedFirstSeparator }]);
  assert.deepEqual(first.messages, [{ offset: 12, fromLine: 'From nobody', text: 'Subject: c\n\nc\n' }]);
});

test('resuming at startOffset reports file offsets', async () => {
  const bytes = Buffer.from(SMALL, 'latin1');
  const at = SMALL.indexOf(SEP2);
  assert.deepEqual(await split([bytes.subarray(at)], at), { messages: SMALL_EXPECTED.slice(1), problems: [] });
});

test('a message stream destroyed early, or not read at all, is skipped; the next message is intact', async () => {
  const text = `${SEP1}\n${'x'.repeat(200_000)}\n\n${SEP2}\nSubject: two\n\n${SEP3}\nSubject: three\n`;
  const chunks = Array.from({ length: Math.ceil(text.length / 1000) }, (_, i) => Buffer.from(text.slice(i * 1000, i * 1000 + 1000)));
  const seen: string[] = [];
  let unread: Readable | undefined;
  for await (const m of splitMbox(Readable.from(chunks))) {
    seen.push(m.fromLine);
    if (m.fromLine === SEP1) {
      for await (const _ of m.stream) break; // for-await's break destroys the stream
    } else if (m.fromLine === SEP2) unread = m.stream;
    else assert.equal((await m.stream.toArray()).join(''), 'Subject: three\n');
  }
  assert.deepEqual(seen, [SEP1, SEP2, SEP3]);
  assert.equal(unread?.destroyed, true);
});

test('an input error fails the message stream and the generator; stopping early destroys an input that is still open', async () => {
  const failing = new Readable({ read() {} });
  failing.push(`${SEP1}\nSubject: x\n\npart`);
  setImmediate(() => failing.destroy(new Error('disk gone')));
  const it = splitMbox(failing)[Symbol.asyncIterator]();
  const first = await it.next();
  assert.ok(first.value);
  await assert.rejects(first.value.stream.toArray(), /disk gone/);
  await assert.rejects(it.next(), /disk gone/);

  const live = new Readable({ read() {} }); // a growing mbox that never ends
  live.push(`${SEP1}\nSubject: y\n\nmore to come`);
  for await (const m of splitMbox(live)) {
    for await (const _ of m.stream) break;
    break;
  }
  assert.equal(live.destroyed, true);
});

test('backpressure: the input is read only as fast as the message is consumed', async () => {
  let produced = 0;
  const block = Buffer.alloc(64 * 1024, 'QUJD\n');
  const input = new Readable({
    read() {
      if (produced === 0) this.push(`${SEP1}\nSubject: big\n\n`);
      produced += block.length;
      this.push(produced > 50 * 1024 * 1024 ? null : block);
    },
  });
  const it = splitMbox(input)[Symbol.asyncIterator]();
  const { value } = await it.next();
  assert.ok(value);
  const reader = value.stream[Symbol.asyncIterator]();
  await reader.next();
  await new Promise((r) => setImmediate(r));
  assert.ok(produced < 1024 * 1024, `read ${produced} bytes ahead of a consumer that took one chunk`);
  await it.return(undefined);
});

test('a very long line passes through in chunk-sized pieces, never buffered whole', async () => {
  const piece = Buffer.alloc(64 * 1024, 'F');
  const chunks = [Buffer.from(`${SEP1}\nSubject: long\n\n`), ...Array.from({ length: 480 }, () => piece), Buffer.from('\n')];
  let max = 0;
  let total = 0;
  for await (const m of splitMbox(Readable.from(chunks))) {
    for await (const c of m.stream) {
      max = Math.max(max, (c as Buffer).length);
      total += (c as Buffer).length;
    }
  }
  assert.equal(total, 'Subject: long\n\n'.length + 480 * piece.length + 1);
  assert.ok(max <= 2 * piece.length, `largest piece ${max} bytes`);
});

test('a 100 MB attachment streams through without the RSS growing by more than 64 MB', async () => {
  // fresh 64 KB input buffers churn ~35-40 MB of RSS before V8 collects them, with or without the
  // splitter (measured); a splitter that held the message would add its 100 MB on top
  const line = 'TWFpbHRyYWNlIGJlbmNoIGF0dGFjaG1lbnQgYnl0ZXMgZm9yIHRoZSBtYm94IG1lbW9yeSB0ZXN0\n';
  const block = Buffer.from(line.repeat(Math.floor(65536 / line.length)));
  const head = `${SEP1}\nSubject: big\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n`;
  const blocks = Math.ceil((100 * 1024 * 1024) / block.length);
  let n = 0;
  const input = new Readable({
    read() {
      if (n === 0) this.push(head);
      if (n++ < blocks) this.push(Buffer.from(block)); // a fresh buffer per chunk, as a file stream gives
      else {
        this.push(`--b--\n\n${SEP2}\nSubject: after\n\nok\n`);
        this.push(null);
      }
    },
  });
  const t0 = performance.now();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sizes: number[] = [];
  let i = 0;
  for await (const m of splitMbox(input)) {
    let size = 0;
    for await (const c of m.stream) {
      size += (c as Buffer).length;
      if ((++i & 63) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    sizes.push(size);
  }
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(sizes.length, 2);
  assert.ok(sizes[0] > 100 * 1024 * 1024);
  assert.ok(peak - before < 64 * 1024 * 1024, `RSS grew by ${((peak - before) / 2 ** 20).toFixed(1)} MB`);
  assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s`);
});

test('looksLikeMbox: a separator line followed by header lines', () => {
  assert.equal(looksLikeMbox([SEP1, 'Return-Path: <a@example.org>', 'Received: from a', '\tby b; Mon, 1 Dec 2026', 'Subj']), true);
  assert.equal(looksLikeMbox([`${SEP1}\r`, 'Subject: x\r', '\r', 'body']), true);
  assert.equal(looksLikeMbox(['From - Mon Dec 01 10:00:00 2026', 'X-Mozilla-Status: 0001']), true);
  assert.equal(looksLikeMbox(['From the desk of the editor', 'Note: x', 'more text', '']), false);
  assert.equal(looksLikeMbox([SEP1, 'just a body line', '']), false);
  assert.equal(looksLikeMbox(['Received: from a', 'Subject: x']), false);
  assert.equal(looksLikeMbox([SEP1]), false);
});

test('property: messages written as mboxrd (LF or CRLF) split back into exactly those messages, at any chunking', async () => {
  const unit = fc.constantFrom('F', 'r', 'o', 'm', ' ', '>', ':', 'x', 'S');
  const lineArb = fc.oneof(
    fc.constantFrom('', 'From ', 'From x', '>From y', '>>From z', SEP2, `>${SEP1}`, 'Subject: hi', 'X-A: b', '>'),
    fc.string({ unit, maxLength: 12 }),
  );
  const messageArb = fc.record({ sender: fc.constantFrom('alice@example.org', 'MAILER-DAEMON'), lines: fc.array(lineArb, { maxLength: 12 }) });
  await fc.assert(
    fc.asyncProperty(fc.array(messageArb, { maxLength: 5 }), fc.constantFrom('\n', '\r\n'), fc.array(fc.nat(), { maxLength: 6 }), async (msgs, eol, cuts) => {
      let file = '';
      const expected: Got[] = [];
      for (const { sender, lines } of msgs) {
        const fromLine = `From ${sender} Mon Dec  1 10:00:00 2026`;
        file += fromLine + eol;
        expected.push({ offset: file.length, fromLine, text: lines.map((l) => l + eol).join('') });
        file += lines.map((l) => (/^>*From /.test(l) ? `>${l}` : l) + eol).join('') + eol;
      }
      const bytes = Buffer.from(file, 'latin1');
      const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunks = [0, ...at].map((start, i) => bytes.subarray(start, i < at.length ? at[i] : bytes.length));
      assert.deepEqual(await split(chunks), { messages: expected, problems: [] });
    }),
    { numRuns: 500 },
  );
});

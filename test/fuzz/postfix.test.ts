/**
 * Property-based fuzzing of the Postfix parser (ingest/formats/postfix), driven as the pipeline
 * drives it: bytes → readLines (random chunking) → flags → parseLine → endFile → flush (ledger.ts).
 * Inputs: random bytes; windows of real lines (bench/sample/maillog, test/fixtures/postfix, the
 * shapes of log-formats §4) with mutations (cuts, edits, fields swapped and duplicated, timestamps
 * and numbers mangled, lines duplicated, dropped, moved), real message texts under other envelopes
 * (classic, ISO 8601, RFC 5424, odd program tags), mixed encodings and line endings, junk bytes;
 * several files in any order, interleaved, with lines of other formats among them.
 *
 * Properties, for every input:
 *   (a) nothing throws (readLines, beginFile, parseLine, endFile, flush);
 *   (b) every line is accounted for, exactly once. A line flagged TooLong or Binary is rejected by
 *       the reader stage. Every other line L gets exactly the outcome its own text calls for, where
 *       env = parseEnvelope(L) and rec = parseRecord(env.program, env.text) (the parser's pieces,
 *       which hold no state that changes what they return):
 *         env is an error        → one rejection of L with env's reason, nothing else;
 *         rec is undefined       → skipped() once during parseLine(L), nothing else (not modelled);
 *         rec is connect, disconnect, tls, tls-failed
 *                                → nothing of its own: context that correlation folds into the
 *                                  receive events of its session;
 *         any other rec          → exactly one event with sourceFile/sourceOffset = L, emitted
 *                                  during parseLine(L) or later (a session's receipts and held
 *                                  refusals come out at its disconnect, eviction, expiry or flush),
 *                                  no rejection, no skip.
 *       Besides, any line whose envelope was read may get one `out-of-order` rejection (a warning:
 *       the line is still used), and no event, rejection or skip names a line that was not given.
 *   (c) every event keeps the event contract: MailEvent (zod) parses, exactly its columns, ts the
 *       canonical 24-character ISO form ending in Z, a 16-hex id (ledger.ts eventProblems).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseEnvelope, parseRecord, PostfixParser, YearTracker } from '../../ingest/formats/postfix/index.ts';
import { exchangeFiles, POSTFIX_SHAPE_COUNT, postfixBodies, postfixLines } from './corpus.ts';
import { bytePieces, encodeFile, fileCoding } from './encode.ts';
import { commonFailures, Coverage, describe, drive, type FuzzFile, type Ledger } from './ledger.ts';
import { applyMutations, interleave, mutation, SPACE_FIELDS, WEIRD_NUMBERS } from './mutate.ts';
import { cases, fuzzParams, ran } from './settings.ts';

const CONTEXT = new Set(['connect', 'disconnect', 'tls', 'tls-failed']);

/**
 * (b) for Postfix: each line against the outcome its own text calls for. The envelope is read as
 * the parser reads it: per file, in order, years from the file's date, the same zone offset.
 */
function postfixFailures(ledger: Ledger, files: readonly FuzzFile[], tzOffsetMin: number): string[] {
  const out: string[] = [];
  for (const file of files) {
    const years = new YearTracker(file.mtimeMs);
    for (const f of ledger.parsed.get(file.path) ?? []) {
      const env = parseEnvelope(f.text, years, tzOffsetMin);
      let want: string;
      let ok: boolean;
      if ('error' in env) {
        want = `one ${env.error} rejection`;
        ok = f.rejects.length === 1 && f.rejects[0] === env.error && f.skips === 0 && f.events.length === 0 && f.outOfOrder === 0;
      } else {
        const rec = parseRecord(env.program, env.text);
        if (!rec) {
          want = 'skipped once';
          ok = f.skips === 1 && f.rejects.length === 0 && f.events.length === 0;
        } else if (CONTEXT.has(rec.t)) {
          want = `nothing (a ${rec.t} line is context)`;
          ok = f.skips === 0 && f.rejects.length === 0 && f.events.length === 0;
        } else {
          want = `one event (a ${rec.t} line)`;
          ok = f.events.length === 1 && f.skips === 0 && f.rejects.length === 0;
        }
      }
      if (!ok) out.push(`want ${want}: ${describe(f)}`);
    }
  }
  return out;
}

function check(ledger: Ledger, files: readonly FuzzFile[], tzOffsetMin: number): void {
  const failures = [...commonFailures(ledger), ...postfixFailures(ledger, files, tzOffsetMin)];
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failure(s)`);
}

/** What a classic, ISO or RFC 5424 stamp looks like when it is right, and when it is not. */
const STAMPS = [
  'Mar  1 08:00:00', 'Mar 01 08:00:00', 'Dec 31 23:59:59', 'Jan  1 00:00:00', 'Feb 29 12:00:00', 'Feb 30 12:00:00', 'Mar : 08:00:00',
  'Mar A 08:00:00', 'Mar 1 8:0:0', 'Foo  1 08:00:00', 'Mar  1 08:00:00.123456', 'Mar  1 24:60:60', '2026-03-01T08:00:00Z',
  '2026-03-01T08:00:00.137663+02:00', '9999-12-31T23:59:59-12:00', '0000-01-01T00:00:00+14:00', '0050-06-01T00:00:00Z',
  '2026-02-30T25:61:61Z', '2026-03-01T08:00:00.123456789+0200', '2026-03-01 08:00:00', '2026-03-01T08:00:00', '20260301T080000Z',
  '2026-13-01T00:00:00Z', '1', '', '<22>1 2026-03-01T08:00:00Z', '<9999>1 2026-03-01T08:00:00Z', '<22>2 2026-03-01T08:00:00Z',
];
const VALUES = ['', '-', 'postfix/smtpd[1]:', 'NOQUEUE:', 'client=x[1.2.3.4]', 'status=sent', 'relay=h[1.2.3.4]:-25', 'relay=h[1.2.3.4]:1.5', 'size=-5,', 'delay=-1,', 'delays=-1/-2/x/1e400,', 'nrcpt=-3', ...WEIRD_NUMBERS];
const MUTATION = mutation({ stamps: STAMPS, values: VALUES });

/** A real message text under another envelope and program tag, some of them wrong. */
const synthesized = fc.record({
  at: fc.nat(),
  body: fc.constantFrom(...postfixBodies()),
  kind: fc.constantFrom('classic', 'zero-padded', 'iso', 'rfc5424', 'rfc5424-sd'),
  host: fc.constantFrom('mx', 'edge', 'hub', 'MX.example.com', 'mail-1', ''),
  program: fc.constantFrom('postfix/smtpd', 'postfix-edge/smtp', 'postfix/qmgr', 'postfix/cleanup', 'postfix/bounce', 'postfix/local', 'postfix/smtp', 'postfix/pickup', 'smtpd', 'postfix/submission/smtpd'),
  pid: fc.constantFrom('10', '11', '12', '0', '1.5', '-1', '', '99999999999999999999', '0x1F', ' 7'),
  second: fc.nat({ max: 59 }),
}).map((s) => {
  const ss = String(s.second).padStart(2, '0');
  const tag = s.pid === '' ? s.program : `${s.program}[${s.pid}]`;
  const line = {
    classic: `Mar  1 08:00:${ss} ${s.host} ${tag}: ${s.body}`,
    'zero-padded': `Mar 01 08:00:${ss} ${s.host} ${tag}: ${s.body}`,
    iso: `2026-03-01T08:00:${ss}.000001+01:00 ${s.host} ${tag}: ${s.body}`,
    rfc5424: `<22>1 2026-03-01T08:00:${ss}Z ${s.host} ${s.program} ${s.pid || '-'} - - ${s.body}`,
    'rfc5424-sd': `<22>1 2026-03-01T08:00:${ss}Z ${s.host} ${s.program} ${s.pid || '-'} ID47 [x@1 a="b\\]c"] \uFEFF${s.body}`,
  }[s.kind];
  return { at: s.at, line };
});

/** Consecutive real lines (so correlation has sessions to follow), plus synthesized ones, mutated. */
const postfixText = fc.record({
  // now and then a window over the shapes the samples lack (refusals, expiry, notices, tls=)
  start: fc.oneof({ weight: 4, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.integer({ min: 1, max: POSTFIX_SHAPE_COUNT }).map((k) => postfixLines().length - k) }),
  len: fc.integer({ min: 1, max: 40 }),
  extra: fc.array(synthesized, { maxLength: 4 }),
  mutations: fc.array(MUTATION, { maxLength: 8 }),
}).map(({ start, len, extra, mutations }) => {
  const corpus = postfixLines();
  const from = start % corpus.length;
  const lines = corpus.slice(from, from + len);
  for (const x of extra) lines.splice(x.at % (lines.length + 1), 0, x.line);
  return applyMutations(lines, mutations, SPACE_FIELDS);
});

const mtime = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }) },
  { weight: 1, arbitrary: fc.constantFrom(0, Date.UTC(9999, 11, 31), 8.64e15, Date.UTC(1970, 0, 1, 0, 0, 1)) },
);

/** Small limits make eviction, expiry and reordering happen within a few lines. */
const parserOptions = fc.record({
  tzOffsetMin: fc.constantFrom(0, 120, -600, 14 * 60),
  small: fc.boolean(),
  reorderToleranceMs: fc.constantFrom(0, 1000, 3600_000),
}).map((o) => ({
  referenceMs: Date.UTC(2026, 5, 30),
  tzOffsetMin: o.tzOffsetMin,
  reorderToleranceMs: o.reorderToleranceMs,
  limits: o.small ? { maxQueues: 3, maxSessions: 2, expireMs: 30_000 } : undefined,
}));

/** Outcomes a run of mutated real lines reaches (coverage of the generators, asserted after the run). */
const EVERY_OUTCOME = [
  'event:receive', 'event:message', 'event:queued', 'event:delivery', 'event:removed', 'event:reject', 'event:dsn', 'event:expired', 'context', 'skipped',
  'reject:unknown-format', 'reject:truncated', 'reject:bad-timestamp', 'out-of-order',
];

const file = (path: string, bytes: Buffer, cuts: number[], mtimeMs: number): FuzzFile => ({ path, bytes, cuts, mtimeMs });
const cuts = fc.array(fc.nat(), { maxLength: 6 });

test(cases('postfix: random bytes never throw, every line is accounted for, events keep the contract'), async () => {
  const started = performance.now();
  const reached = new Coverage();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(bytePieces(), cuts), { minLength: 1, maxLength: 3 }), parserOptions, async (inputs, opts) => {
      const files = inputs.map(([bytes, c], i) => file(`random${i}.log`, bytes, c, Date.UTC(2026, 2, 1)));
      const ledger = await drive(new PostfixParser(opts), files);
      reached.add(ledger);
      check(ledger, files, opts.tzOffsetMin);
    }),
    fuzzParams(),
  );
  ran('postfix random bytes', started, reached, ['reject:unknown-format', 'reader:binary', 'reader:line-too-long', 'invalid-utf8']);
});

test(cases('postfix: mutated real lines in mixed encodings never throw, every line is accounted for, events keep the contract, the same input gives the same events'), async () => {
  const started = performance.now();
  const reached = new Coverage();
  await fc.assert(
    fc.asyncProperty(postfixText, fileCoding, cuts, mtime, parserOptions, async (lines, coding, c, mtimeMs, opts) => {
      const files = [file('/var/log/mail.log', encodeFile(lines, coding), c, mtimeMs)];
      const ledger = await drive(new PostfixParser(opts), files);
      reached.add(ledger);
      check(ledger, files, opts.tzOffsetMin);
      // no hidden state between parsers, no clock: reading it again gives the same events
      const again = await drive(new PostfixParser(opts), files);
      assert.deepEqual(again.events, ledger.events);
    }),
    fuzzParams(),
  );
  ran('postfix mutated lines', started, reached, [...EVERY_OUTCOME, 'reader:binary', 'invalid-utf8']);
});

test(cases('postfix: several files in any order, interleaved, with other formats among them: every line is accounted for'), async () => {
  const started = performance.now();
  const reached = new Coverage();
  const exchangeRows = exchangeFiles().flatMap((f) => [...f.head.slice(0, 2), ...f.rows.slice(0, 20)]);
  const source = fc.oneof(
    { weight: 4, arbitrary: postfixText },
    { weight: 1, arbitrary: fc.record({ start: fc.nat(), len: fc.integer({ min: 1, max: 10 }) }).map(({ start, len }) => exchangeRows.slice(start % exchangeRows.length, (start % exchangeRows.length) + len)) },
  );
  const layout = fc.record({
    sources: fc.array(source, { minLength: 1, maxLength: 4 }),
    /** lines of two sources merged into one file (a combined syslog), by this pattern */
    merge: fc.option(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 8 })),
    /** a file read backwards: time runs back */
    reverse: fc.nat({ max: 7 }),
    order: fc.array(fc.nat(), { maxLength: 4 }),
    coding: fileCoding,
  });
  await fc.assert(
    fc.asyncProperty(layout, cuts, parserOptions, async ({ sources, merge, reverse, order, coding }, c, opts) => {
      let texts = sources.map((s, i) => (i === reverse ? [...s].reverse() : s));
      if (merge && texts.length > 1) texts = [interleave(texts.slice(0, 2), merge), ...texts.slice(2)];
      // the files in another order than they were cut from the corpus
      const named = texts.map((t, i) => ({ path: ['edge.log', 'hub.log', 'mailbox.log', '/var/log/maillog.1'][i], t }));
      for (const [k, o] of order.entries()) {
        const a = k % named.length;
        const b = o % named.length;
        [named[a], named[b]] = [named[b], named[a]];
      }
      const files = named.map(({ path, t }, i) => file(path, encodeFile(t, i === 0 ? coding : { lines: [], bom: false, junk: [], finalBreak: true }), c, Date.UTC(2026, 10, 28)));
      const ledger = await drive(new PostfixParser(opts), files);
      reached.add(ledger);
      check(ledger, files, opts.tzOffsetMin);
    }),
    fuzzParams(),
  );
  ran('postfix reordered files', started, reached, EVERY_OUTCOME);
});

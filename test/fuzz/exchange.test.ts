/**
 * Property-based fuzzing of the Exchange parser (ingest/formats/exchange): message tracking logs,
 * SMTP protocol logs and Exchange Online CSV exports, driven as the pipeline drives it (ledger.ts:
 * bytes → readLines in random chunks → flags → parseLine → endFile per file → flush).
 * Inputs: random bytes; windows of the bundled sample organisation's logs and the fixtures with
 * broken header blocks (lines dropped, #Fields with a column dropped, added, duplicated, swapped or
 * emptied, another #Log-type or #Version, the header repeated mid-file, rows before it), rows
 * mutated (cuts, edits, lone and doubled quotes, fields swapped, duplicated or set to odd values,
 * quoted fields with line breaks, mangled times and numbers, rows duplicated, dropped, moved);
 * several files in any order, interleaved, a protocol log's sessions split over two files, Postfix
 * lines among them; Exchange Online exports (Get-MessageTrace, Get-MessageTraceDetail, the extended
 * report) with odd dates, columns in any order, quoted or not, in mixed encodings.
 *
 * Properties, for every input:
 *   (a) nothing throws;
 *   (b) every line is accounted for, and none twice (ledger.ts commonFailures): a line flagged
 *       TooLong or Binary is rejected by the reader stage; any other line has at most one outcome
 *       of: rejections (one, with a reason, naming the line), skipped() (once, in the parseLine
 *       call of the line, or of the last line of its row, see o) or events (one or more, whose
 *       sourceFile/sourceOffset is the line). A line with none of these must be one the parser
 *       legitimately consumes as context, which its text shows (L' is the line without a BOM):
 *         h  a directive: L' starts with `#` (#Software, #Version, #Log-type, #Date, #Fields, the
 *            #TYPE line of Export-Csv; in the W3C extended format any `#` line is a directive or
 *            a remark, never a row);
 *         e  L' is empty (a line that held only a BOM);
 *         c  the CSV header row of an Exchange Online export (its names make a known kind);
 *         p  a protocol-log row of a session that was told: one of its fields is the sessionId of
 *            an emitted smtpreceive/smtpsend event (a session is one event per message it
 *            carried, or one; its first row's offset is theirs);
 *         o  the first line of a row whose quoted field spans lines: a quote it opens is still open
 *            at its end (the row's events or rejection name this line; when the row is skipped,
 *            skipped() comes in the call of the line that completes it, the row's last);
 *         j  a later line of such a row: a quote opened on one of the 49 lines before it is still
 *            open at the end of the line before it.
 *       Unlike Postfix, the outcome a line calls for is not read from the line alone here (a row's
 *       meaning depends on the #Fields and #Log-type before it), so (b) checks that nothing is lost
 *       or counted twice, not which outcome each line gets; the parser tests pin those.
 *   (c) every event keeps the event contract (zod schema, columns, canonical 24-character ISO ts, id).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ExchangeParser, splitRow, type ExchangeRole } from '../../ingest/formats/exchange/index.ts';
import { headerRowKind } from '../../ingest/formats/exchange/online.ts';
import { Program } from '../../schemas/index.ts';
import { EXO_DETAIL_COLUMNS, EXO_EXTENDED_COLUMNS, EXO_TRACE_COLUMNS, EXO_VALUES, exchangeFiles, ODD_DATES, postfixLines, type CorpusFile } from './corpus.ts';
import { bytePieces, encodeFile, fileCoding } from './encode.ts';
import { commonFailures, Coverage, describe, drive, outcomes, type FuzzFile, type Ledger } from './ledger.ts';
import { applyMutations, CSV_FIELDS, interleave, mutation, WEIRD_NUMBERS } from './mutate.ts';
import { cases, fuzzParams, ran } from './settings.ts';

const own = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** (b) for Exchange: a line without an outcome is context its text shows (h, e, c, p, o, j above). */
function exchangeFailures(ledger: Ledger): string[] {
  const sessions = new Set(ledger.events.filter((e) => e.sessionId !== '' && (e.program === Program.smtpReceive || e.program === Program.smtpSend)).map((e) => e.sessionId));
  const out: string[] = [];
  for (const lines of ledger.parsed.values()) {
    const texts = lines.map((f) => own(f.text));
    for (const f of lines) {
      if (outcomes(f) > 0) continue;
      const text = texts[f.index];
      if (text.startsWith('#') || text === '') continue;
      const split = splitRow(text);
      if (!split.open && headerRowKind(split.fields) !== undefined) continue;
      if (!split.open && split.fields.some((v) => sessions.has(v))) continue;
      if (split.open) continue;
      let continued = false;
      for (let i = Math.max(0, f.index - 49); i < f.index && !continued; i++) continued = splitRow(texts.slice(i, f.index).join('\n')).open;
      if (continued) continue;
      out.push(`a line with no outcome that is no header, CSV header, told session row or part of a multi-line row: ${describe(f)}`);
    }
  }
  return out;
}

function check(ledger: Ledger): void {
  const failures = [...commonFailures(ledger), ...exchangeFailures(ledger)];
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failure(s)`);
}

const STAMPS = [
  '2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00Z', '2026-03-01T08:00:00.1234567Z', 'xZ', 'aaaaaaaaaaaaaaaaaaaaaaaZ', '2026-02-30T00:00:00.000Z',
  '+010000-01-01T00:00:00Z', '+010000-01-01T00:00:00', '2026-03-01T08:00:00+01:00', '2026-03-01 08:00:00', '9999-12-31T23:59:59.999Z',
  '0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00Z', 'Sun, 01 Mar 2026 08:00:00 GMT', ...ODD_DATES,
];
const VALUES = [
  '', '-', '+', '*', '<', '>', 'SEND', 'SENDEXTERNAL', 'RECEIVE', 'DELIVER', 'FAIL', 'DEFER', 'DSN', 'TRANSFER', 'EXPAND', 'REDIRECT', 'SUBMIT',
  'HARECEIVE', 'AGENTINFO', 'NOTIFYMAPI', 'STOREDRIVER', 'SMTP', '08DE0A008862BF31', '0', 'STARTTLS', 'X-ANONYMOUSTLS', 'EHLO mx.example',
  'EHLO [192.0.2.1]', 'MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', 'DATA', 'BDAT 100 LAST', '220 2.0.0 SMTP server ready', '354 go ahead',
  '250 2.6.0 <m@x> [InternalId=1, Hostname=MBX1.corp.example] Queued mail for delivery', '250 2.6.0 <m@x> Queued mail for redundancy',
  '250 2.0.0 OK <m@x> [Hostname=MBX2.corp.example]', '250 2.1.5 Recipient OK', '550 5.1.1 User unknown', '452 4.3.1 Insufficient system resources',
  'TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm AES with strength 99999999999999999999 bits',
  'TLS protocol SP_PROT_SSL3_CLIENT negotiation succeeded using bulk encryption algorithm RC4', 'TLS negotiation failed with error NoCredentials',
  "Received certificate chain validation status: Status='Valid'", 'sending message with RecordId 5 and InternetMessageId <m@x>',
  '10.0.0.1:-25', '[::1]:1.5', '10.0.0.1:99999', 'a@x.example;b@x.example', '<m@x>', 'm@x', '[InternalId=5, Hostname=h.x]',
  ';250 2.6.0 <m@x> [InternalId=7, Hostname=EDGE1.corp.example] Queued mail for delivery;ClientSubmitTime:', '08DE0A008862BF31;2026-03-01T07:59:59.000Z;0',
  'S:E2ELatency=-1;S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=CertificateValidation', 'MBX1.corp.example', 'EDGE2', '.corp',
  'line\nbreak', '"', 'x"y', ...WEIRD_NUMBERS,
];
const MUTATION = mutation({ stamps: STAMPS, values: VALUES });

type HeadMutation =
  | { t: 'dropHead'; i: number }
  | { t: 'fields'; op: 'drop' | 'add' | 'dup' | 'swap' | 'empty' | 'quote' | 'underscore'; i: number; j: number }
  | { t: 'logType'; value: string }
  | { t: 'version'; value: string }
  | { t: 'repeatHead'; at: number }
  | { t: 'rowsFirst'; n: number };

const headMutation: fc.Arbitrary<HeadMutation> = fc.oneof(
  fc.record({ t: fc.constant('dropHead' as const), i: fc.nat() }),
  fc.record({ t: fc.constant('fields' as const), op: fc.constantFrom('drop' as const, 'add' as const, 'dup' as const, 'swap' as const, 'empty' as const, 'quote' as const, 'underscore' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ t: fc.constant('logType' as const), value: fc.constantFrom('Message Tracking Log', 'SMTP Receive Protocol Log', 'SMTP Send Protocol Log', 'Connectivity Log', '', 'message tracking') }),
  fc.record({ t: fc.constant('version' as const), value: fc.constantFrom('8.0.685.24', '14.03.0123.004', '15.01.2507.039', 'x', '') }),
  fc.record({ t: fc.constant('repeatHead' as const), at: fc.nat() }),
  fc.record({ t: fc.constant('rowsFirst' as const), n: fc.integer({ min: 1, max: 3 }) }),
);

/** The header block and the rows after a set of header mutations. */
function applyHead(head: readonly string[], rows: readonly string[], mutations: readonly HeadMutation[]): string[] {
  let h = [...head];
  let r = [...rows];
  let before: string[] = [];
  const block: string[] = [];
  for (const m of mutations) {
    switch (m.t) {
      case 'dropHead': if (h.length > 0) h.splice(m.i % h.length, 1); break;
      case 'fields': {
        const k = h.findIndex((l) => own(l).startsWith('#Fields:'));
        if (k < 0) break;
        const names = own(h[k]).slice('#Fields:'.length).trim().split(',');
        const i = m.i % names.length;
        const j = m.j % names.length;
        if (m.op === 'drop') names.splice(i, 1);
        else if (m.op === 'add') names.splice(i, 0, 'x-extra');
        else if (m.op === 'dup') names.splice(i, 0, names[i]);
        else if (m.op === 'swap') [names[i], names[j]] = [names[j], names[i]];
        else if (m.op === 'empty') names.length = 0;
        else if (m.op === 'quote') names[i] = `"${names[i]}"`;
        else names[i] = names[i].replace(/-/g, '_');
        h[k] = `${h[k].startsWith('\uFEFF') ? '\uFEFF' : ''}#Fields: ${names.join(',')}`;
        break;
      }
      case 'logType': h = h.map((l) => (own(l).startsWith('#Log-type:') ? `#Log-type: ${m.value}` : l)); break;
      case 'version': h = h.map((l) => (own(l).startsWith('#Version:') ? `#Version: ${m.value}` : l)); break;
      case 'repeatHead': block.push(String(m.at)); break;
      case 'rowsFirst': before = [...before, ...r.slice(0, m.n)]; r = r.slice(m.n); break;
    }
  }
  // a restarted service writes its header again in the middle of the file
  for (const at of block) r.splice(Number(at) % (r.length + 1), 0, ...h.map(own));
  return [...before, ...h, ...r];
}

const exchangeText = (file: fc.Arbitrary<CorpusFile>): fc.Arbitrary<{ path: string; lines: string[] }> => fc.record({
  file,
  start: fc.nat(),
  len: fc.integer({ min: 1, max: 30 }),
  head: fc.array(headMutation, { maxLength: 3 }),
  rows: fc.array(MUTATION, { maxLength: 8 }),
}).map(({ file, start, len, head, rows }) => {
  const from = start % file.rows.length;
  const mutated = applyMutations(file.rows.slice(from, from + len), rows, CSV_FIELDS);
  return { path: file.path, lines: applyHead(file.head, mutated, head) };
});

const corpusFile = fc.constantFrom(...exchangeFiles());
/** Paths that tell a server and role, and ones that tell nothing. */
const PATHS = ['x.log', 'MessageTrace.csv', 'EDGE9/TransportRoles/Logs/Edge/ProtocolLog/SmtpReceive/RECV1.LOG', 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\TransportRoles\\Logs\\MessageTracking\\MSGTRK1.LOG', '.corp/TransportRoles/Logs/MessageTracking/MSGTRKMD1.LOG', 'TransportRoles/Logs/Hub/x.log'];
const pathChoice = fc.option(fc.constantFrom(...PATHS), { freq: 3 });

const parserOptions = fc.record({
  roles: fc.option(fc.constantFrom(new Map<string, ExchangeRole>([['mbx1', 'hub']]), new Map<string, ExchangeRole>([['edge1', 'edge'], ['mbx2', 'mailbox']]))),
  dateOrder: fc.option(fc.constantFrom('mdy' as const, 'dmy' as const)),
});
const cuts = fc.array(fc.nat(), { maxLength: 6 });

/** Outcomes a run over the on-premises logs reaches (coverage of the generators, asserted after the run). */
const ON_PREMISES_OUTCOMES = [
  'event:session', 'event:receive', 'event:delivery', 'event:other', 'context', 'skipped',
  'reject:no-header', 'reject:bad-row', 'reject:bad-timestamp', 'reject:unterminated-quote', 'reader:binary', 'invalid-utf8',
];
const MTIME = Date.UTC(2026, 10, 28);

function parser(files: readonly FuzzFile[], opts: { roles: ReadonlyMap<string, ExchangeRole> | null; dateOrder: 'mdy' | 'dmy' | null }): ExchangeParser {
  return new ExchangeParser({ allPaths: files.map((f) => f.path), roles: opts.roles ?? undefined, dateOrder: opts.dateOrder ?? undefined });
}

test(cases('exchange: random bytes never throw, every line is accounted for, events keep the contract'), async () => {
  const started = performance.now();
  const reached = new Coverage();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(bytePieces(), cuts, fc.constantFrom(...PATHS)), { minLength: 1, maxLength: 3 }), parserOptions, async (inputs, opts) => {
      const files = inputs.map(([bytes, c, path], i) => ({ path: `in${i}/${path}`, bytes, cuts: c, mtimeMs: MTIME }));
      const ledger = await drive(parser(files, opts), files);
      reached.add(ledger);
      check(ledger);
    }),
    fuzzParams(),
  );
  ran('exchange random bytes', started, reached, ['reject:no-header', 'reader:binary', 'invalid-utf8']);
});

test(cases('exchange: tracking and protocol logs with broken headers, quotes and rows never throw, every line is accounted for, events keep the contract'), async () => {
  const started = performance.now();
  const reached = new Coverage();
  await fc.assert(
    fc.asyncProperty(exchangeText(corpusFile), pathChoice, fileCoding, cuts, parserOptions, async (text, path, coding, c, opts) => {
      const files = [{ path: `in0/${path ?? text.path}`, bytes: encodeFile(text.lines, coding), cuts: c, mtimeMs: MTIME }];
      const ledger = await drive(parser(files, opts), files);
      reached.add(ledger);
      check(ledger);
      const again = await drive(parser(files, opts), files);
      assert.deepEqual(again.events, ledger.events, 'the same input gives the same events');
    }),
    fuzzParams(),
  );
  ran('exchange mutated logs', started, reached, ON_PREMISES_OUTCOMES);
});

test(cases('exchange: several logs in any order, interleaved, sessions split over files, other formats among them: every line is accounted for'), async () => {
  const started = performance.now();
  const reached = new Coverage();
  const postfix = fc.record({ start: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }).map(({ start, len }) => {
    const corpus = postfixLines();
    return { path: 'maillog', lines: corpus.slice(start % corpus.length, (start % corpus.length) + len) };
  });
  const source = fc.oneof({ weight: 5, arbitrary: exchangeText(corpusFile) }, { weight: 1, arbitrary: postfix });
  const layout = fc.record({
    sources: fc.array(source, { minLength: 1, maxLength: 4 }),
    /** the first log's rows cut in two files (a protocol log rolled mid-session), read in either order */
    split: fc.option(fc.record({ at: fc.nat(), swap: fc.boolean() })),
    merge: fc.option(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 8 })),
    order: fc.array(fc.nat(), { maxLength: 4 }),
    coding: fileCoding,
  });
  await fc.assert(
    fc.asyncProperty(layout, cuts, parserOptions, async ({ sources, split, merge, order, coding }, c, opts) => {
      let texts = sources.map((s) => ({ ...s }));
      if (split) {
        const first = texts[0];
        const at = split.at % (first.lines.length + 1);
        const parts = [{ path: first.path, lines: first.lines.slice(0, at) }, { path: first.path.replace(/(\.\w+)?$/, '-2$1'), lines: [...first.lines.filter((l) => own(l).startsWith('#')), ...first.lines.slice(at)] }];
        texts = [...(split.swap ? parts.reverse() : parts), ...texts.slice(1)];
      }
      if (merge && texts.length > 1) texts = [{ path: texts[0].path, lines: interleave([texts[0].lines, texts[1].lines], merge) }, ...texts.slice(2)];
      for (const [k, o] of order.entries()) {
        const a = k % texts.length;
        const b = o % texts.length;
        [texts[a], texts[b]] = [texts[b], texts[a]];
      }
      const files = texts.map((t, i) => ({ path: `in${i}/${t.path}`, bytes: encodeFile(t.lines, i === 0 ? coding : { lines: [], bom: false, junk: [], finalBreak: true }), cuts: c, mtimeMs: MTIME }));
      const ledger = await drive(parser(files, opts), files);
      reached.add(ledger);
      check(ledger);
    }),
    fuzzParams(),
  );
  ran('exchange reordered logs', started, reached, ON_PREMISES_OUTCOMES);
});

/** An Exchange Online export: one of three kinds, maybe a #TYPE line, columns in any order, quoted or not, odd dates. */
const exoText = fc.record({
  kind: fc.constantFrom('trace', 'detail', 'extended'),
  typeLine: fc.boolean(),
  quoteAll: fc.boolean(),
  swaps: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
  rows: fc.array(fc.record({ date: fc.constantFrom(...ODD_DATES), picks: fc.array(fc.nat(), { minLength: 27, maxLength: 27 }) }), { minLength: 1, maxLength: 8 }),
  mutations: fc.array(MUTATION, { maxLength: 4 }),
}).map(({ kind, typeLine, quoteAll, swaps, rows, mutations }) => {
  const columns = [...(kind === 'trace' ? EXO_TRACE_COLUMNS : kind === 'detail' ? EXO_DETAIL_COLUMNS : EXO_EXTENDED_COLUMNS)];
  for (const [a, b] of swaps) [columns[a % columns.length], columns[b % columns.length]] = [columns[b % columns.length], columns[a % columns.length]];
  const dateColumn = kind === 'trace' ? 'Received' : kind === 'detail' ? 'Date' : 'date_time_utc';
  const csv = (fields: string[]): string => (quoteAll ? fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(',') : CSV_FIELDS.join(fields));
  const body = rows.map((r) => csv(columns.map((name, k) => {
    if (name === dateColumn) return r.date;
    const values = EXO_VALUES[name.toLowerCase()] ?? EXO_VALUES.any;
    return values[r.picks[k] % values.length];
  })));
  const lines = [...(typeLine ? ['#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace'] : []), csv(columns), ...applyMutations(body, mutations, CSV_FIELDS)];
  return { path: kind === 'extended' ? 'extended_report.csv' : kind === 'trace' ? 'MessageTrace.csv' : 'MessageTraceDetail.csv', lines };
});

test(cases('exchange online: exports with odd dates, any column order, mixed encodings never throw, every line is accounted for, events keep the contract'), async () => {
  const started = performance.now();
  const reached = new Coverage();
  await fc.assert(
    fc.asyncProperty(fc.array(exoText, { minLength: 1, maxLength: 2 }), fileCoding, cuts, parserOptions, async (texts, coding, c, opts) => {
      const files = texts.map((t, i) => ({ path: `in${i}/${t.path}`, bytes: encodeFile(t.lines, coding), cuts: c, mtimeMs: MTIME }));
      const ledger = await drive(parser(files, opts), files);
      reached.add(ledger);
      check(ledger);
    }),
    fuzzParams(),
  );
  ran('exchange online exports', started, reached, ['event:receive', 'event:delivery', 'event:other', 'reject:bad-timestamp', 'reject:bad-row', 'reject:unterminated-quote', 'context']);
});

import type { Rejection, RejectReason } from '../../schemas/index.ts';
import { admit } from './admit.ts';
import { Batcher, eventBlockWriter, type FileCheckpoint, type Store } from '../../store/index.ts';
import { STITCH_PENDING, stitchAll, stitchTouched, Touched, type StitchSummary } from '../../stitch/index.ts';
import { PostfixParser, type LineRef, type ParseSink } from '../formats/postfix/index.ts';
import type { IngestOptions, IngestSummary } from './options.ts';
import { ExchangeParser, type DateOrder, type ExchangeRole } from '../formats/exchange/index.ts';
import type { LogParser } from '../formats/types.ts';
import { JournalParser } from '../formats/journal.ts';
import { expandInputs, fingerprint, openInput, readAsWhole, sniff, type InputFile, type InputSpec } from '../sources/files.ts';
import { closeZips } from '../sources/zip.ts';
import { readLines } from '../sources/lines.ts';
import { logLineHandler } from './feed.ts';
import { planShards, PostfixWorkers, readableByWorkers, type ParallelSink } from './parallel.ts';
import { availableParallelism } from 'node:os';
import { readMessages } from './messages.ts';
import type { EventPublisher } from '../stream/producer.ts';
import { detect, type Detected } from './detect.ts';

/** inputs adding up to this parse on every core unless `workers` says otherwise (threads cost ~0.3 s to start) */
const PARALLEL_MIN_BYTES = 32 * 2 ** 20;

export type { BadInput, IngestOptions, IngestProgress, IngestSummary, InputFormat, ResidentParsers } from './options.ts';

/**
 * The ingest pipeline: inputs → lines → parser (+ per-host correlation) → batched store writes.
 *
 * Crash safety: a run may be killed at any point and simply run again. The parsers hold state
 * across files (a Postfix smtpd session or an Exchange protocol-log session that continues in the
 * next file), so no file counts as read until the run has flushed its parsers and every event is
 * stored: the checkpoints are written together at the end. A killed run leaves no checkpoint and
 * the next run reads its files again; event ids are deterministic and the events table keeps one
 * row per id, so nothing is counted twice. Stitching is marked pending in the store before the
 * first event is written and cleared when it has finished: a run that finds the mark (its
 * predecessor died after storing events but before its hops were built) re-stitches the store.
 */
export async function runIngest(opts: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const warn = opts.onWarning ?? (() => {});
  const { store, publish } = opts;
  if (!store === !publish) throw new Error('runIngest needs a store or a publisher (exactly one)');
  // file checkpoints: the store's files table, or the ingestor's own disk when it publishes
  const book = publish
    ? { get: (fp: string) => publish.getCheckpoint(fp), set: (cps: FileCheckpoint[]) => publish.setCheckpoints(cps) }
    : { get: (fp: string) => store!.getCheckpoint(fp), set: (cps: FileCheckpoint[]) => store!.setCheckpoints(cps) };
  const summary: IngestSummary = { files: 0, filesSkipped: [], badInputs: [], lines: 0, messages: 0, bytes: 0, events: 0, unmodeled: 0, rejected: {}, rejectedTotal: 0, stitched: { messages: 0, hops: 0, seconds: 0 }, seconds: 0 };
  const touched = new Touched();
  // Events are encoded into the engine's Native blocks as they come (the objects die young; a
  // batch is a few buffers): batchBlocks blocks of 16,384 events per insert.
  const chunker = eventBlockWriter();
  const events = new Batcher<Buffer>({ maxItems: opts.batchBlocks ?? 8, maxDelayMs: 2_000, flush: (b) => store!.insertEventBlocks(b) });
  const pushPartial = (olderThanMs: number): void => {
    if (chunker.pendingRows === 0 || performance.now() - chunker.pendingSince < olderThanMs) return;
    const p = events.add(chunker.take()!);
    if (p) pending = p;
  };
  const rejections = new Batcher<Rejection>({ maxItems: 10_000, maxDelayMs: 2_000, flush: (b) => store!.insertRejections(b) });
  const keepAside = (r: Rejection): Promise<void> | undefined => (publish ? publish.rejection(r) : rejections.add(r));
  const maxStoredRejects = opts.maxStoredRejectsPerFile ?? 10_000;

  let pending: Promise<void> | undefined;
  let fileRejects = 0;
  const reject = (reason: RejectReason, detail: string, ref: LineRef, line: string): void => {
    summary.rejected[reason] = (summary.rejected[reason] ?? 0) + 1;
    summary.rejectedTotal++;
    if (++fileRejects > maxStoredRejects) return;
    const p = keepAside({ reason, detail, sourceFile: ref.file, sourceOffset: ref.offset, lineNumber: ref.lineNumber, excerpt: line.slice(0, 512) });
    if (p) pending = p;
  };
  const sink: ParseSink = {
    event(e) {
      // the event contract at the boundary (schemas/event.ts): what the store would refuse, or
      // what readers could not trust, is kept aside with its source position instead
      if (!admit(e, reject)) return;
      summary.events++;
      if (publish) {
        const p = publish.event(e);
        if (p) pending = p;
        return;
      }
      touched.add(e);
      const chunk = chunker.add(e);
      if (chunk) {
        const p = events.add(chunk);
        if (p) pending = p;
      }
    },
    reject,
    skipped() {
      summary.unmodeled++;
    },
  };

  /**
   * One input failed: say so (MT_ERR_BAD_INPUT, file, reason, offset), keep it beside the rejected
   * lines, and go on with the next input. What was read before the failure stays stored.
   */
  const badInput = (path: string, reason: string, offset: number): void => {
    summary.badInputs.push({ path, reason, offset });
    warn(`MT_ERR_BAD_INPUT ${path}: ${reason}${offset > 0 ? ` (after ${offset} bytes)` : ''}; going on with the other inputs`);
    const p = keepAside({ reason: 'bad-input', detail: `MT_ERR_BAD_INPUT: ${reason}`, sourceFile: path, sourceOffset: offset, lineNumber: 0, excerpt: '' });
    if (p) pending = p;
  };

  const files = await expandInputs(opts.inputs, (path, reason) => badInput(path, reason, 0), warn);
  // Postfix parsed on every core: all the run's Postfix files or none (a host's correlation state lives in one place)
  // resident parsers hold the state of one long read: no worker threads beside them
  const workerCount = opts.resident ? 1 : opts.workers ?? (files.reduce((n, f) => n + f.size, 0) >= PARALLEL_MIN_BYTES ? Math.min(8, availableParallelism()) : 1);
  // the workers hand over events encoded for the store: a publishing run parses in this thread
  const parallelOk = workerCount > 1 && !publish && readableByWorkers(files);
  let workers: PostfixWorkers | undefined;
  const parallelSink: ParallelSink = {
    blocks(blocks) {
      let wait: Promise<void> | undefined;
      for (const b of blocks) wait = events.add(b) ?? wait;
      return wait;
    },
    rejects(items, counts) {
      for (const [reason, n] of Object.entries(counts) as [RejectReason, number][]) {
        summary.rejected[reason] = (summary.rejected[reason] ?? 0) + n;
        summary.rejectedTotal += n;
      }
      for (const r of items) {
        if (++fileRejects > maxStoredRejects) break;
        const p = rejections.add(r);
        if (p) pending = p;
      }
    },
    progress(offset, lines) {
      parallelProgress?.(offset, lines);
    },
  };
  let parallelProgress: ((offset: number, lines: number) => void) | undefined;

  // one parser per format for the whole run: Postfix correlation spans files (one per host or a
  // combined syslog); Exchange roles come from the layout of all the trees given
  const postfix = opts.resident?.postfix ?? new PostfixParser({ tzOffsetMin: opts.tzOffsetMin });
  const exchange = new ExchangeParser({ allPaths: files.map((f) => f.path), roles: opts.exchangeRoles, dateOrder: opts.dateOrder });
  // journalctl -o json: the Postfix rules behind a reader of its own (its state apart from the syslog files')
  const journal = opts.resident?.journal ?? new JournalParser({ tzOffsetMin: opts.tzOffsetMin });
  const parsers: LogParser[] = [postfix, exchange, journal];
  /** Read one input into the store; throws when the input breaks (the caller records it and goes on). */
  async function ingestFile(file: InputFile, progressAt: (offset: number) => void): Promise<void> {
      // nothing to tell a format by yet (a log just rotated, a followed file not written to yet): no verdict, no checkpoint
      if (file.path !== '-' && file.size === 0 && !file.zip) {
        summary.filesSkipped.push({ path: file.path, why: 'empty' });
        return;
      }
      const format: Detected | undefined = opts.format === 'postfix' || opts.format === 'exchange' || opts.format === 'journal' ? opts.format : await detect(file);
      if (format === undefined) {
        const why = 'not a recognized format (no Postfix lines, Exchange log header, journalctl JSON, message header block, mbox separator or Outlook .msg in its first 64 KiB)';
        warn(`skipping ${file.path}: ${why}`);
        summary.filesSkipped.push({ path: file.path, why });
        reject('unknown-format', `file skipped: ${why}`, { file: file.path, offset: 0, lineNumber: 0 }, '');
        return;
      }
      const fp = file.path === '-' || readAsWhole(file) && file.size === 0 ? undefined : await fingerprint(file);
      if (fp && readThisRun.has(fp)) {
        summary.filesSkipped.push({ path: file.path, why: `already read in this run (as ${readThisRun.get(fp)})` });
        return;
      }
      if (fp) readThisRun.set(fp, file.path);
      const cp = fp && !opts.force ? await book.get(fp) : undefined;
      let start = 0;
      if (cp && !readAsWhole(file)) {
        if (cp.offset >= file.size) {
          summary.filesSkipped.push({ path: file.path, why: `already ingested (as ${cp.path})` });
          return;
        }
        start = cp.offset;
      } else if (cp && readAsWhole(file)) {
        summary.filesSkipped.push({ path: file.path, why: `already ingested (as ${cp.path})` });
        return;
      }
      summary.files++;
      fileRejects = 0;
      if (format === 'message' || format === 'mbox' || format === 'msg') {
        const read = await readMessages(file, format, start, sink, () => {
          pushPartial(2_000);
          const p = pending;
          pending = undefined;
          return p;
        });
        summary.messages += read.messages;
        summary.bytes += read.bytes;
        if (fp) await checkpoint(fp, file, format === 'mbox' && !readAsWhole(file) ? start + read.bytes : file.size, 0);
        return;
      }
      const parser: LogParser = format === 'exchange' ? exchange : format === 'journal' ? journal : postfix;
      if (parser === postfix && parallelOk) {
        workers ??= new PostfixWorkers(workerCount, { tzOffsetMin: opts.tzOffsetMin, maxStoredRejectsPerFile: maxStoredRejects, batchBlocks: opts.batchBlocks ?? 8 },
          await planShards(files, workerCount), parallelSink);
        const progress = { file: file.path, bytes: 0, lines: 0, events: 0, rejected: 0 };
        const baseLines = summary.lines;
        parallelProgress = (offset, lines) => {
          progressAt(offset);
          if (!opts.onProgress) return;
          progress.bytes = offset - start;
          progress.lines = baseLines + lines;
          progress.events = summary.events;
          progress.rejected = summary.rejectedTotal;
          opts.onProgress(progress);
        };
        const r = await workers.readFile(file, start);
        parallelProgress = undefined;
        summary.events += r.events;
        summary.unmodeled += r.unmodeled;
        if (r.error) {
          summary.lines += r.lastLine;
          progressAt(r.lastStart);
          if (fp && !readAsWhole(file) && r.lastStart > start) await checkpoint(fp, file, r.lastStart, r.lastLine);
          throw Object.assign(new Error(r.error.message), { code: r.error.code });
        }
        summary.lines += r.lines;
        summary.bytes += r.bytes;
        if (fp) await checkpoint(fp, file, readAsWhole(file) ? file.size : start + r.bytes, r.lines);
        if (file.path !== '-' && !readAsWhole(file) && start + r.bytes < file.size) {
          badInput(file.path, `shrank from ${file.size} to ${start + r.bytes} bytes while it was read (truncated or rotated by copytruncate?)`, start + r.bytes);
        }
        return;
      }
      parser.beginFile(file.path, file.mtimeMs);
      if (parser === exchange && start > 0) {
        // resuming a grown file: its columns are named in the header block at the top
        const head = await sniff(file);
        const body = head.findIndex((l) => !l.replace(/^\uFEFF/, '').startsWith('#'));
        for (const line of head.slice(0, body < 0 ? head.length : body)) {
          parser.parseLine(line, { file: file.path, offset: 0, lineNumber: 0 }, sink);
        }
      }
      const progress = { file: file.path, bytes: 0, lines: 0, events: 0, rejected: 0 };
      const baseLines = summary.lines;
      // where the last line began: a broken input's lines up to here are stored, and a plain file resumes here
      let lastStart = start;
      let lastLine = 0;
      let result: { bytes: number; lines: number };
      try {
        result = await readLines(openInput(file, start), {
        line: logLineHandler(parser, file.path, sink, summary, true, (offset, lineNumber) => {
          lastStart = offset;
          lastLine = lineNumber;
          progressAt(offset);
        }),
      }, {
        startOffset: start,
        between: () => {
          // a slow stream (stdin, a growing file) still gets its events stored within seconds
          pushPartial(2_000);
          if (opts.onProgress) {
            progress.lines = summary.lines;
            progress.events = summary.events;
            progress.rejected = summary.rejectedTotal;
            opts.onProgress(progress);
          }
          const p = pending;
          pending = undefined;
          return p;
        },
        });
      } catch (err) {
        parser.endFile?.(sink);
        summary.lines = baseLines + lastLine;
        if (fp && !readAsWhole(file) && lastStart > start) await checkpoint(fp, file, lastStart, lastLine);
        throw err;
      }
      parser.endFile?.(sink);
      summary.lines = baseLines + result.lines;
      summary.bytes += result.bytes;
      progress.bytes = result.bytes;
      if (fp) await checkpoint(fp, file, readAsWhole(file) ? file.size : start + result.bytes, result.lines);
      // a log rotated by copytruncate while it was read: what was read is kept, the rest is gone
      if (file.path !== '-' && !readAsWhole(file) && start + result.bytes < file.size) {
        badInput(file.path, `shrank from ${file.size} to ${start + result.bytes} bytes while it was read (truncated or rotated by copytruncate?)`, start + result.bytes);
      }
    }

  /** written once the whole run's events are stored (see above) */
  const checkpoint = async (fp: string, file: InputFile, offset: number, lines: number) => { checkpoints.push({ fingerprint: fp, path: file.path, offset, lines }); };

  const checkpoints: FileCheckpoint[] = [];
  /** fingerprint → path: the same file given twice is read once */
  const readThisRun = new Map<string, string>();
  // a predecessor that died before its hops were built: this run re-stitches the whole store
  const recovering = store ? (await store.getMeta(STITCH_PENDING)) === '1' : false;
  if (store && files.length > 0 && !recovering) await store.setMeta(STITCH_PENDING, '1');
  try {
    for (const file of files) {
      // every input fails alone: its error ends its own reading, never the run
      let reached = 0;
      try {
        await ingestFile(file, (offset) => { reached = offset; });
      } catch (err) {
        badInput(file.path, describeReadError(err), reached);
      }
    }
    if (workers) {
      const flushed = await workers.finish(touched);
      summary.events += flushed.events;
      summary.unmodeled += flushed.unmodeled;
    }
  } finally {
    await workers?.close();
  }
  await closeZips();
  if (opts.resident) {
    postfix.settle(sink);
    journal.settle(sink);
    exchange.flush(sink);
  } else {
    for (const p of parsers) p.flush(sink);
  }
  pushPartial(0);
  await events.close();
  await rejections.close();
  // a file counts as read only when the brokers acknowledged every record before its end
  await publish?.flush();
  // what the resident parsers hold is saved before the checkpoints that pass its lines
  await opts.resident?.save();
  // one insert: a kill while they are written must not leave some files read and others not (the
  // parsers' state across files would then differ on the next run)
  await book.set(checkpoints);
  if (store) {
    // hops are data: every message this run touched is stitched again from all its stored events
    if (recovering) summary.stitched = await stitchAll(store, { onProgress: opts.onStitchProgress });
    else if (touched.size > 0) summary.stitched = await stitchTouched(store, touched, { onProgress: opts.onStitchProgress });
    if (files.length > 0 || recovering) await store.setMeta(STITCH_PENDING, '0');
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** What broke, in words a user can act on. */
function describeReadError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const msg = e?.message ?? String(err);
  switch (e?.code) {
    case 'ENOENT': return 'it vanished before it could be read';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'it is a directory';
    case 'EIO': return `read error (${msg})`;
    case 'Z_BUF_ERROR': return `truncated compressed data (${msg})`;
    case 'Z_DATA_ERROR': return `corrupt compressed data (${msg})`;
    default: return /unexpected end of file/i.test(msg) ? `truncated compressed data (${msg})` : msg;
  }
}

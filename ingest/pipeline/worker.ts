/**
 * A parallel Postfix reader (one per shard, started by ingest/pipeline/parallel.ts). It reads every
 * line of each file it is given, and parses, correlates, checks and encodes the lines of its own
 * hosts (PostfixParser `shard`): the events leave as Native blocks, ready for the store.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MailEvent, Rejection, RejectReason } from '../../schemas/index.ts';
import { eventBlockWriter } from '../../store/index.ts';
import { Touched } from '../../stitch/index.ts';
import { PostfixParser } from '../formats/postfix/index.ts';
import type { LineRef, LogParser, ParseSink } from '../formats/types.ts';
import { openInput, type InputFile } from '../sources/files.ts';
import { readLines } from '../sources/lines.ts';
import { admit } from './admit.ts';
import { logLineHandler } from './feed.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './parallel.ts';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);

const parser = new PostfixParser({ tzOffsetMin: setup.tzOffsetMin, shard: setup.shard });
const touched = new Touched();
const writer = eventBlockWriter();
const counts = { events: 0, unmodeled: 0 };
let blocks: Buffer[] = [];
let rejects: Rejection[] = [];
let rejectCounts: Partial<Record<RejectReason, number>> = {};
let fileRejects = 0;

/** credits: batches posted that the main thread has not taken yet (it acks each) */
let unacked = 0;
let onAck: (() => void) | undefined;

function postBlocks(): Promise<void> | undefined {
  if (blocks.length === 0) return undefined;
  post({ type: 'blocks', blocks });
  blocks = [];
  unacked++;
  if (unacked < 2) return undefined;
  return new Promise((resolve) => { onAck = resolve; });
}

function postRejects(): void {
  if (rejects.length === 0 && Object.keys(rejectCounts).length === 0) return;
  post({ type: 'rejects', items: rejects, counts: rejectCounts });
  rejects = [];
  rejectCounts = {};
}

const reject = (reason: RejectReason, detail: string, ref: LineRef, line: string): void => {
  rejectCounts[reason] = (rejectCounts[reason] ?? 0) + 1;
  if (++fileRejects > setup.maxStoredRejectsPerFile) return;
  rejects.push({ reason, detail, sourceFile: ref.file, sourceOffset: ref.offset, lineNumber: ref.lineNumber, excerpt: line.slice(0, 512) });
  if (rejects.length >= 1000) postRejects();
};

const sink: ParseSink = {
  event(e: MailEvent) {
    // the same boundary as the pipeline's own sink (ingest/pipeline/run.ts)
    if (!admit(e, reject)) return;
    counts.events++;
    touched.add(e);
    const block = writer.add(e);
    if (block) blocks.push(block);
  },
  reject,
  skipped() {
    counts.unmodeled++;
  },
};

async function readFile(file: InputFile, start: number): Promise<void> {
  fileRejects = 0;
  parser.beginFile(file.path, file.mtimeMs);
  let lastStart = start;
  let lastLine = 0;
  const events0 = counts.events;
  const unmodeled0 = counts.unmodeled;
  try {
    const r = await readLines(openInput(file, start), {
      line: logLineHandler(parser, file.path, sink, counts, parser.ownsUnattributed, (offset, lineNumber) => {
        lastStart = offset;
        lastLine = lineNumber;
      }),
    }, {
      startOffset: start,
      between: () => {
        if (setup.shard.index === 0) post({ type: 'progress', offset: lastStart, lines: lastLine });
        if (blocks.length >= setup.batchBlocks) return postBlocks();
        return undefined;
      },
    });
    (parser as LogParser).endFile?.(sink);
    postRejects();
    post({ type: 'fileDone', lines: r.lines, bytes: r.bytes, events: counts.events - events0, unmodeled: counts.unmodeled - unmodeled0, lastStart, lastLine });
  } catch (err) {
    (parser as LogParser).endFile?.(sink);
    postRejects();
    const e = err as NodeJS.ErrnoException;
    post({ type: 'fileDone', lines: lastLine, bytes: 0, events: counts.events - events0, unmodeled: counts.unmodeled - unmodeled0, lastStart, lastLine, error: { message: e?.message ?? String(err), code: e?.code } });
  }
}

async function finish(): Promise<void> {
  const events0 = counts.events;
  const unmodeled0 = counts.unmodeled;
  parser.flush(sink);
  const last = writer.take();
  if (last) blocks.push(last);
  const wait = postBlocks();
  if (wait) await wait;
  postRejects();
  post({ type: 'finished', events: counts.events - events0, unmodeled: counts.unmodeled - unmodeled0, touched: { messageIds: [...touched.messageIds], queues: [...touched.queues], replies: [...touched.replies], sessionIds: [...touched.sessionIds] } });
}

/** one task at a time, in the order the main thread sent them */
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToWorker) => {
  if (m.type === 'ack') {
    unacked--;
    const resolve = onAck;
    onAck = undefined;
    resolve?.();
    return;
  }
  queue = queue.then(() => (m.type === 'file' ? readFile(m.file, m.start) : finish())).catch((err: unknown) => {
    post({ type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  });
});

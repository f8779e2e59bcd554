import { Worker } from 'node:worker_threads';
import type { Rejection, RejectReason } from '../../schemas/index.ts';
import type { Touched } from '../../stitch/index.ts';
import { openInput, type InputFile } from '../sources/files.ts';
import { looksLikePostfix, parseEnvelope, YearTracker } from '../formats/postfix/index.ts';

/**
 * Postfix logs parsed on every core. Each worker (ingest/pipeline/worker.ts) reads every line of a
 * file and parses the lines of its own hosts (a host's lines always go to the same worker, so its
 * queues and sessions correlate exactly as in one thread; joins across hosts happen in stitching).
 * The main thread only hands out files, batches the workers' Native blocks into store inserts and
 * keeps the rejected lines. The stored events are the same as a single-threaded read's (event ids
 * are deterministic, the table sorts): test/ingest/pipeline/parallel.int.test.ts compares both.
 */

export interface WorkerSetup {
  shard: { index: number; count: number; hosts?: Record<string, number> };
  tzOffsetMin?: number;
  maxStoredRejectsPerFile: number;
  /** blocks per posted batch */
  batchBlocks: number;
}

export type ToWorker = { type: 'file'; file: InputFile; start: number } | { type: 'finish' } | { type: 'ack' };

export interface WorkerFileDone {
  type: 'fileDone';
  lines: number;
  bytes: number;
  events: number;
  unmodeled: number;
  lastStart: number;
  lastLine: number;
  error?: { message: string; code?: string };
}

export type FromWorker =
  | { type: 'blocks'; blocks: Uint8Array[] }
  | { type: 'rejects'; items: Rejection[]; counts: Partial<Record<RejectReason, number>> }
  | { type: 'progress'; offset: number; lines: number }
  | WorkerFileDone
  | { type: 'finished'; events: number; unmodeled: number; touched: { messageIds: string[]; queues: string[]; replies: string[]; sessionIds: string[] } }
  | { type: 'failed'; message: string };

export interface ParallelSink {
  /** a batch of Native event blocks; resolves when the store has room for more (backpressure) */
  blocks(blocks: Buffer[]): Promise<void> | undefined;
  rejects(items: Rejection[], counts: Partial<Record<RejectReason, number>>): void;
  progress(offset: number, lines: number): void;
}

/**
 * One file as the workers read it: shard 0's line count and bytes (every worker reads every line),
 * the events of all; lastStart/lastLine are where the last line read began and its number (the
 * smallest of the workers: what all of them read).
 */
export type ParallelFileResult = Omit<WorkerFileDone, 'type'>;

/**
 * Which worker parses which host: the hosts' lines counted in the first MiB of each input (scaled
 * to its size), then the largest first onto the least loaded worker. A host the sample missed is
 * placed by its hash (hostShard). Three hosts on two workers split 63/37 at best: the plan only
 * keeps the split from being worse than the logs make it.
 */
export async function planShards(files: readonly InputFile[], count: number): Promise<Record<string, number>> {
  const lines = new Map<string, number>();
  let sampled = 0;
  for (const file of files) {
    if (sampled >= MAX_SAMPLED_FILES) break;
    let sample: Buffer;
    try {
      sample = await head(file, SAMPLE_BYTES);
      // other formats (an Exchange tree's files) are not counted
      if (!sample.subarray(0, 1 << 16).toString('utf8').split('\n').some(looksLikePostfix)) continue;
    } catch {
      continue; // the reading proper says what is wrong with it
    }
    if (sample.length === 0) continue;
    sampled++;
    const scale = file.gzip || file.utf16 ? 1 : Math.max(1, file.size / sample.length);
    const years = new YearTracker(file.mtimeMs);
    for (const line of sample.toString('utf8').split('\n')) {
      const env = parseEnvelope(line, years);
      if ('error' in env) continue;
      lines.set(env.host, (lines.get(env.host) ?? 0) + scale);
    }
  }
  const load = new Array<number>(count).fill(0);
  const plan: Record<string, number> = {};
  for (const [host, n] of [...lines].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    const least = load.indexOf(Math.min(...load));
    plan[host] = least;
    load[least] += n;
  }
  return plan;
}

const SAMPLE_BYTES = 1 << 20;
const MAX_SAMPLED_FILES = 64;

async function head(file: InputFile, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  const stream = openInput(file, 0);
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      have += (chunk as Buffer).length;
      if (have >= bytes) break;
    }
  } finally {
    stream.destroy();
  }
  const all = Buffer.concat(parts);
  // whole lines only
  const end = all.lastIndexOf(10, bytes);
  return end < 0 ? all.subarray(0, 0) : all.subarray(0, end);
}

/** Inputs a worker can open by itself (not standard input, not a zip entry, which the main thread's zip handles serve). */
export function readableByWorkers(files: readonly InputFile[]): boolean {
  return files.every((f) => !(f.path === '-' && !f.source) && !f.zip);
}

export class PostfixWorkers {
  readonly #workers: Worker[] = [];
  readonly #sink: ParallelSink;
  /** per worker: resolvers of what it was asked, in order */
  readonly #waiting: ((m: FromWorker) => void)[][] = [];
  #failure: Error | undefined;

  constructor(count: number, setup: Omit<WorkerSetup, 'shard'>, hosts: Record<string, number>, sink: ParallelSink) {
    this.#sink = sink;
    for (let index = 0; index < count; index++) {
      const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
        workerData: { ...setup, shard: { index, count, hosts } } satisfies WorkerSetup,
      });
      this.#waiting.push([]);
      w.on('message', (m: FromWorker) => this.#onMessage(index, m));
      w.on('error', (err) => this.#fail(err));
      w.on('exit', (code) => {
        if (this.#waiting[index].length > 0) this.#fail(new Error(`parse worker ${index} exited (code ${code}) with work pending`));
      });
      this.#workers.push(w);
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const list of this.#waiting) for (const r of list.splice(0)) r({ type: 'failed', message: err.message });
  }

  #onMessage(index: number, m: FromWorker): void {
    switch (m.type) {
      case 'blocks': {
        const wait = this.#sink.blocks(m.blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
        const ack = (): void => this.#workers[index].postMessage({ type: 'ack' } satisfies ToWorker);
        if (wait) wait.then(ack, (err: unknown) => this.#fail(err instanceof Error ? err : new Error(String(err))));
        else ack();
        return;
      }
      case 'rejects':
        this.#sink.rejects(m.items, m.counts);
        return;
      case 'progress':
        this.#sink.progress(m.offset, m.lines);
        return;
      case 'failed':
        this.#fail(new Error(`parse worker ${index} failed: ${m.message}`));
        return;
      default:
        this.#waiting[index].shift()?.(m);
    }
  }

  #ask(index: number, msg: ToWorker): Promise<FromWorker> {
    return new Promise((resolve) => {
      if (this.#failure) return resolve({ type: 'failed', message: this.#failure.message });
      this.#waiting[index].push(resolve);
      this.#workers[index].postMessage(msg);
    });
  }

  /** Every worker reads the file; resolves when all are done with it. */
  async readFile(file: InputFile, start: number): Promise<ParallelFileResult> {
    const done = await Promise.all(this.#workers.map((_, i) => this.#ask(i, { type: 'file', file, start })));
    if (this.#failure) throw this.#failure;
    const parts = done as WorkerFileDone[];
    const error = parts.find((p) => p.error)?.error;
    const reached = parts.reduce((a, p) => (p.lastStart < a.lastStart ? p : a), parts[0]);
    return {
      lines: error ? reached.lastLine : parts[0].lines,
      bytes: parts[0].bytes,
      events: parts.reduce((n, p) => n + p.events, 0),
      unmodeled: parts.reduce((n, p) => n + p.unmodeled, 0),
      lastStart: reached.lastStart,
      lastLine: reached.lastLine,
      error,
    };
  }

  /** End of input: the workers flush their correlation state (the events that makes are returned); their touched messages join `touched`. */
  async finish(touched: Touched): Promise<{ events: number; unmodeled: number }> {
    const done = await Promise.all(this.#workers.map((_, i) => this.#ask(i, { type: 'finish' })));
    if (this.#failure) throw this.#failure;
    let events = 0;
    let unmodeled = 0;
    for (const m of done) {
      if (m.type !== 'finished') continue;
      events += m.events;
      unmodeled += m.unmodeled;
      touched.merge(m.touched);
    }
    return { events, unmodeled };
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

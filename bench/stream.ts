/**
 * The stream's throughput, side by side with the in-process path, in one run (issue 11):
 *   in-process: `mailtrace ingest LOG --data DIR` (parse, store, stitch in one process)
 *   stream:     `mailtrace sink` (already a member of its group) + `mailtrace ingest LOG --kafka`,
 *               timed from the ingest's start until the sink has committed the topic's last record
 * through a real Apache Kafka broker on loopback (test/harness/kafka.ts). Prints events/s end to
 * end, their ratio (target ≥ ½), and the peak RSS of the ingestor and the sink (VmHWM, read from
 * /proc while they run). Then the lag under a steady follow load: `ingest --follow --kafka` on a
 * file a writer appends `--rate` lines/s to for `--seconds`, a sink of its own group, and every
 * 250 ms the age of the oldest record the sink has not committed (stored and stitched) yet
 * (target: stays below 2 s). Run alone: node --import tsx bench/stream.ts --log FILE [--out DIR]
 * [--rate 5000] [--seconds 30]. Prints one JSON line last.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/harness/kafka.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const { values } = parseArgs({ options: { log: { type: 'string' }, out: { type: 'string', default: join(ROOT, 'bench', 'out') }, rate: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '30' } } });
if (!values.log) throw new Error('--log FILE is required');
const log = resolve(values.log);
const out = resolve(values.out);
mkdirSync(out, { recursive: true });

/** the peak resident set of a running process so far, in MB (Linux) */
function peakRssMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

interface Run { proc: ChildProcess; done: Promise<number | null>; out: () => string; peakMb: () => number }
function run(args: string[]): Run {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d) => { text += d; });
  proc.stderr!.on('data', (d) => { text += d; });
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, peakRssMb(proc.pid)); }, 100);
  const done = new Promise<number | null>((r) => proc.once('exit', (code) => { clearInterval(timer); r(code); }));
  return { proc, done, out: () => text, peakMb: () => peak };
}

const eventsOf = (text: string) => Number((/([\d,]+(?:\.\d+)?k?|[\d.]+M) events/.exec(text)?.[1] ?? '0').replace(/,/g, '').replace(/k$/, 'e3').replace(/M$/, 'e6'));

// in-process
const direct = join(out, 'stream-bench-direct');
rmSync(direct, { recursive: true, force: true });
let t0 = performance.now();
const d = run(['ingest', log, '--data', direct]);
if ((await d.done) !== 0) throw new Error(`direct ingest failed: ${d.out()}`);
const directSeconds = (performance.now() - t0) / 1000;
const events = eventsOf(d.out());
rmSync(direct, { recursive: true, force: true });

// the stream
const broker = await startKafka();
const admin = new Kafka({ brokers: [broker.brokers], clientId: 'bench', logLevel: logLevel.NOTHING }).admin();
await admin.connect();
const sinkData = join(out, 'stream-bench-sink');
const state = join(out, 'stream-bench-state');
rmSync(sinkData, { recursive: true, force: true });
rmSync(state, { recursive: true, force: true });
let result: Record<string, number>;
try {
  const sink = run(['sink', '--kafka', broker.brokers, '--data', sinkData]);
  // the sink creates the topics and joins its group before the clock starts
  while (!(await admin.listTopics()).includes('mailtrace.events') || !sink.out().includes('member of group')) await delay(200);
  await delay(3_000);
  t0 = performance.now();
  const ingest = run(['ingest', log, '--kafka', broker.brokers, '--state', state]);
  if ((await ingest.done) !== 0) throw new Error(`ingest --kafka failed: ${ingest.out()}`);
  const publishSeconds = (performance.now() - t0) / 1000;
  for (;;) {
    const ends = await admin.fetchTopicOffsets('mailtrace.events');
    const [mine] = await admin.fetchOffsets({ groupId: 'mailtrace-sink', topics: ['mailtrace.events'] });
    const end = ends.reduce((n, p) => n + Number(p.high), 0);
    const committed = mine.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    if (committed >= end) break;
    await delay(100);
  }
  const streamSeconds = (performance.now() - t0) / 1000;
  const sinkPeak = sink.peakMb();
  sink.proc.kill('SIGTERM');
  await sink.done;
  const lag = await followLag(broker.brokers, admin);
  result = { ...lag, events, directSeconds, streamSeconds, publishSeconds, directEventsPerSecond: events / directSeconds, streamEventsPerSecond: events / streamSeconds, ratio: directSeconds / streamSeconds, ingestorPeakMb: ingest.peakMb(), sinkPeakMb: sinkPeak, directPeakMb: d.peakMb() };
} finally {
  await admin.disconnect();
  await broker.close();
  rmSync(sinkData, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
}
const r = result;
console.log(`stream: ${r.events.toLocaleString()} events from ${log}`);
console.log(`  in-process ingest (parse, store, stitch): ${r.directSeconds.toFixed(1)} s, ${Math.round(r.directEventsPerSecond).toLocaleString()} events/s, peak RSS ${r.directPeakMb} MB`);
console.log(`  through Kafka (ingest --kafka → broker → sink, until the last record is committed): ${r.streamSeconds.toFixed(1)} s, ${Math.round(r.streamEventsPerSecond).toLocaleString()} events/s (${r.ratio.toFixed(2)}× the in-process path; target ≥ 0.5); publishing alone ${r.publishSeconds.toFixed(1)} s`);
console.log(`  peak RSS: ingestor ${r.ingestorPeakMb} MB, sink ${r.sinkPeakMb} MB`);
console.log(`  lag under a steady follow load of ${values.rate} lines/s for ${values.seconds} s (ingest --follow --kafka → sink; age of the oldest record not yet stored, stitched and committed): p50 ${r.lagP50.toFixed(2)} s, p95 ${r.lagP95.toFixed(2)} s, max ${r.lagMax.toFixed(2)} s (target: below 2 s); caught up ${r.catchUpSeconds.toFixed(1)} s after the writer stopped`);
console.log(JSON.stringify(r));

/** The follow-load phase: a writer at `rate` lines/s, a following ingestor, a sink; lag sampled every 250 ms. */
async function followLag(brokers: string, admin: ReturnType<Kafka['admin']>): Promise<{ lagP50: number; lagP95: number; lagMax: number; catchUpSeconds: number }> {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const source = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const live = join(out, 'stream-bench-live.log');
  const state = join(out, 'stream-bench-live-state');
  const data = join(out, 'stream-bench-live-sink');
  for (const p of [state, data]) rmSync(p, { recursive: true, force: true });
  writeFileSync(live, '');
  const topic = 'lag-events';
  const group = 'lag-sink';
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const sink = run(['sink', '--kafka', brokers, '--topic', topic, '--group', group, '--data', data]);
  while (!sink.out().includes('member of group')) await delay(200);
  const follower = run(['ingest', '--follow', live, '--kafka', brokers, '--topic', topic, '--state', state]);
  await delay(2_000);
  const history: { t: number; end: number }[] = [];
  const lags: number[] = [];
  const sample = async (): Promise<number> => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [mine] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const end = ends.reduce((n, p) => n + Number(p.high), 0);
    const committed = mine.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    const now = performance.now();
    history.push({ t: now, end });
    // the oldest record not committed appeared when the end first passed the committed count
    const first = history.find((h) => h.end > committed);
    return committed >= end || !first ? 0 : (now - first.t) / 1000;
  };
  let written = 0;
  const start = performance.now();
  let nextSample = start;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    if (due > written) {
      const chunk = [];
      for (; written < due; written++) chunk.push(source[written % source.length]);
      appendFileSync(live, `${chunk.join('\n')}\n`);
    }
    if (performance.now() >= nextSample) {
      lags.push(await sample());
      nextSample += 250;
    }
    await delay(20);
  }
  const stopped = performance.now();
  while ((await sample()) > 0) await delay(250);
  const catchUpSeconds = (performance.now() - stopped) / 1000;
  follower.proc.kill('SIGTERM');
  sink.proc.kill('SIGTERM');
  await Promise.all([follower.done, sink.done]);
  for (const p of [state, data, live]) rmSync(p, { recursive: true, force: true });
  // the first 5 s are the start (the follower's first cycles, the group's first fetches): left out
  const steady = lags.slice(20).sort((a, b) => a - b);
  const q = (f: number) => steady[Math.min(steady.length - 1, Math.floor(f * steady.length))] ?? 0;
  return { lagP50: q(0.5), lagP95: q(0.95), lagMax: steady[steady.length - 1] ?? 0, catchUpSeconds };
}

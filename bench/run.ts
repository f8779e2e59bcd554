/**
 * `npm run bench` — ingest throughput and memory against pflogsumm on the same log, path accuracy
 * against the generator's ground truth, and trace latency at the API over a store scaled to
 * ≥ 10M events. Everything is measured side by side in this one run; ratios are the figures to
 * compare across machines.
 *
 * options: --lines N (default 2,000,000)  --trace-events N (default 10,000,000; 0 skips)
 *          --load-clients N (default 50; 0 skips the API-under-load run, bench/load.ts)
 *          --mbox-bytes N (default 1 GiB; 0 skips the delivered-mail run)
 *          --stream-lines N (default 500,000; 0 skips the Kafka stream run, bench/stream.ts)
 *          --keep (leave the work directory)  --out DIR (default bench/out)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writePostfixLog, type TruthMessage } from './generate/postfix.ts';
import { Store } from '../store/index.ts';
import { timeReport } from '../query/index.ts';
import { MESSAGES_TABLE, ReportKind } from '../schemas/index.ts';
import { checkAccuracy, measureTrace, type AccuracyTruth } from './trace.ts';
import { writeExchangeOrg } from './generate/exchange.ts';
import { writeMbox } from './generate/mbox.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { lines: { type: 'string', default: '2000000' }, 'trace-events': { type: 'string', default: '10000000' }, 'load-clients': { type: 'string', default: '50' }, 'mbox-bytes': { type: 'string', default: String(2 ** 30) }, 'stream-lines': { type: 'string', default: '500000' }, keep: { type: 'boolean' }, out: { type: 'string', default: join(ROOT, 'bench', 'out') } } });
const targetLines = Number(values.lines);
const traceEvents = Number(values['trace-events']);
const out = resolve(values.out);
mkdirSync(out, { recursive: true });

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return 'not installed';
  }
}

function child(args: string[]): Record<string, number | string> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'child.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
}

function timed<T>(fn: () => T): { result: T; seconds: number } {
  const t0 = performance.now();
  const result = fn();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

/** The engine's own bulk load of the events a finished ingest stored (bench/child.ts load). */
function engineLoad(storeDir: string): Record<string, number | string> {
  const work = `${storeDir}-load`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    return child(['load', storeDir, work]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** stage | seconds | lines/s | speed × pflogsumm | peak RSS | note */
function ingestTable(rows: [string, number | undefined, number | string | undefined, string][], lines: number, pfSeconds: number | undefined): void {
  console.log(`  ${'stage'.padEnd(42)} ${'seconds'.padStart(8)} ${'lines/s'.padStart(11)} ${'× pflogsumm'.padStart(12)} ${'peak RSS'.padStart(9)}`);
  for (const [stage, seconds, rss, note] of rows) {
    if (seconds === undefined) continue;
    const ratio = pfSeconds ? `${(pfSeconds / seconds).toFixed(2)}×` : '–';
    console.log(`  ${stage.padEnd(42)} ${seconds.toFixed(1).padStart(8)} ${Math.round(lines / seconds).toLocaleString().padStart(11)} ${ratio.padStart(12)} ${(rss === undefined ? '–' : `${rss} MB`).padStart(9)}${note ? `  ${note}` : ''}`);
  }
}

console.log('mailtrace benchmark');
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; chdb ${JSON.parse(readFileSync(join(ROOT, 'node_modules', 'chdb', 'package.json'), 'utf8')).version}; pflogsumm: ${version('pflogsumm', ['--version'])}`);

// 1. workload: a multi-host Postfix log of at least targetLines lines, with its ground truth
const logFile = join(out, 'bench-maillog');
const truthFile = join(out, 'bench-truth.jsonl');
const messages = Math.ceil(targetLines / 14);
let gen = { lines: 0, bytes: 0, messages: 0 };
if (!existsSync(logFile) || !existsSync(truthFile) || statSync(logFile).size === 0) {
  const t0 = performance.now();
  gen = await writePostfixLog(logFile, { messages, seed: 42 }, truthFile);
  console.log(`workload: generated ${gen.lines.toLocaleString()} lines (${(gen.bytes / 2 ** 20).toFixed(0)} MiB, ${gen.messages.toLocaleString()} messages) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} else {
  console.log(`workload: reusing ${logFile}`);
}
const lineCount = Number(execFileSync('wc', ['-l', logFile], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
if (lineCount < targetLines) console.log(`  note: ${lineCount} lines < ${targetLines}; pass a larger --lines or delete ${logFile}`);

// 2. the ingest table (issue 10): pflogsumm, a bare regex pass, parse only, the engine's own bulk
// load of the rows the ingest stored, and the full ingest — same file, same run, each in its own process
const pflog = version('pflogsumm', ['--version']) === 'not installed'
  ? undefined
  : timed(() => spawnSync('pflogsumm', [logFile], { stdio: ['ignore', 'ignore', 'ignore'] }));
const regex = child(['regex', logFile]);
const parse = child(['parse', logFile]);
const dataDir = join(out, 'bench-data');
rmSync(dataDir, { recursive: true, force: true });
const ingest = child(['ingest', logFile, dataDir]);
const load = engineLoad(dataDir);

const rate = (r: Record<string, number | string>) => Math.round(Number(r.lines) / Number(r.seconds));
console.log(`\nPostfix ingest, ${lineCount.toLocaleString()} lines, ${Number(ingest.events).toLocaleString()} events (each stage in its own process; ratios are speed relative to pflogsumm, higher is faster):`);
const pfSeconds = pflog?.seconds;
ingestTable([
  ['pflogsumm (summary only, stores nothing)', pfSeconds, undefined, 'target: the 1× line'],
  ['bare read + split + one regex', Number(regex.seconds), regex.maxRssMb, ''],
  ['parse + correlate only', Number(parse.seconds), parse.maxRssMb, `target ≥ 5× pflogsumm and ≤ 4× the regex pass (now ${(Number(parse.seconds) / Number(regex.seconds)).toFixed(1)}×)`],
  ['engine-only bulk load of the same rows', Number(load.seconds), load.maxRssMb, `Native, one INSERT; plain MergeTree ${Number(load.plainSeconds).toFixed(1)} s, as TSV ${Number(load.tsvSeconds).toFixed(1)} s`],
  ['full ingest (stored, stitched)', Number(ingest.seconds), ingest.maxRssMb, 'target ≥ 3× pflogsumm, peak RSS ≤ 1 GB'],
], lineCount, pfSeconds);
console.log(`  of which stitching: ${Number(ingest.stitchSeconds).toFixed(1)} s for ${Number(ingest.stitchedMessages).toLocaleString()} messages → ${Number(ingest.hops).toLocaleString()} hops (${(100 * Number(ingest.stitchSeconds) / Number(ingest.seconds)).toFixed(0)}% of ingest)`);
console.log(`  store share of ingest (full − parse − stitch): ${(Number(ingest.seconds) - Number(parse.seconds) - Number(ingest.stitchSeconds)).toFixed(1)} s vs the engine's own load ${Number(load.seconds).toFixed(1)} s (target: no more)`);
if (!pflog) console.log('  pflogsumm not installed: no ratios (apt-get install pflogsumm)');

// 2b. Exchange: generated organisations' log trees (tracking + protocol logs), ingested the same way —
// 2016/2019 (Edge + Mailbox servers) and 2010 (Edge, Hub Transport and Mailbox servers apart, two sites)
const exMessages = Math.max(100, Math.ceil(targetLines / 4 / 118));
for (const version of [2016, 2010] as const) {
  const tag = version === 2016 ? 'bench-exchange' : 'bench-exchange2010';
  const label = version === 2016 ? 'Exchange 2016' : 'Exchange 2010';
  const exDir = join(out, tag);
  const exTruthFile = join(out, `${tag}-truth.jsonl`);
  if (!existsSync(exTruthFile)) {
    rmSync(exDir, { recursive: true, force: true });
    const g = await writeExchangeOrg(exDir, { messages: version === 2016 ? exMessages : Math.ceil(exMessages / 2), seed: 42, version }, exTruthFile);
    console.log(`\n${label} workload: ${g.lines.toLocaleString()} lines in ${g.files.length} files (${g.messages.toLocaleString()} messages)`);
  }
  const exData = join(out, `${tag}-data`);
  rmSync(exData, { recursive: true, force: true });
  const exRegex = child(['regex', exDir]);
  const exParse = child(['parse', exDir]);
  const exIngest = child(['ingest', exDir, exData]);
  const exLoad = engineLoad(exData);
  console.log(`  ${label} ingest, ${Number(exIngest.lines).toLocaleString()} lines, ${Number(exIngest.events).toLocaleString()} events:`);
  ingestTable([
    ['bare read + split + one regex', Number(exRegex.seconds), exRegex.maxRssMb, ''],
    ['parse + correlate only', Number(exParse.seconds), exParse.maxRssMb, ''],
    ['engine-only bulk load of the same rows', Number(exLoad.seconds), exLoad.maxRssMb, ''],
    ['full ingest (stored, stitched)', Number(exIngest.seconds), exIngest.maxRssMb, `Exchange ÷ Postfix lines/s: ${(rate(exIngest) / rate(ingest)).toFixed(2)} (target ≥ 0.5)`],
  ], Number(exIngest.lines), undefined);
  console.log(`    of which stitching: ${Number(exIngest.stitchSeconds).toFixed(1)} s for ${Number(exIngest.stitchedMessages).toLocaleString()} messages = ${(100 * Number(exIngest.stitchSeconds) / Number(exIngest.seconds)).toFixed(0)}% of ingest time`);
  const exStore = await Store.open({ kind: 'embedded', dataDir: exData });
  const exTruth = readFileSync(exTruthFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AccuracyTruth);
  const acc = await checkAccuracy(exStore, exTruth, 2000);
  console.log(`  ${label} path accuracy: ${acc.exact}/${acc.checked} sampled messages exact (hosts, roles, TLS per hop, status)`);
  for (const m of acc.mismatches.slice(0, 3)) console.log(`    mismatch ${m.slice(0, 400)}`);
  await exStore.close();
  if (!values.keep) rmSync(exData, { recursive: true, force: true });
}

// 3. accuracy against the generator's truth, then trace latency at the API over ≥ traceEvents events
const truth: TruthMessage[] = readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TruthMessage);
const store = await Store.open({ kind: 'embedded', dataDir });
const acc = await checkAccuracy(store, truth, 2000);
console.log(`\npath accuracy: ${acc.exact}/${acc.checked} sampled messages reconstructed exactly (hosts, TLS per hop, status per recipient)`);
for (const m of acc.mismatches.slice(0, 5)) console.log(`  mismatch ${m}`);
if (traceEvents > 0) {
  const lat = await measureTrace(store, truth, traceEvents);
  console.log(`\ntrace latency at the API over ${lat.events.toLocaleString()} stored events, ${lat.messages.toLocaleString()} stitched messages (warm, ${lat.samples} lookups): median ${lat.medianMs.toFixed(1)} ms, p95 ${lat.p95Ms.toFixed(1)} ms (target ≤ 50 ms)`);
  console.log(`/api/summary over the same store: ${lat.summaryMs.toFixed(0)} ms (target < 1000 ms)`);
  console.log(`pages' reads over the same store (/api/views/*, warm, 10 each; target < 1 s each):`);
  for (const [v, t] of Object.entries(lat.views)) console.log(`  ${v.padEnd(11)}: p50 ${t.p50.toFixed(0)} ms, p95 ${t.p95.toFixed(0)} ms`);
  // every report kind over the week that ends with the newest stored message (target < 30 s each)
  const [span] = await store.query<{ hi: string }>(`SELECT toString(max(lastSeen)) AS hi FROM ${store.table(MESSAGES_TABLE)}`);
  const weekEnd = new Date(Date.parse(`${(span?.hi ?? '').replace(' ', 'T')}Z`) + 1000);
  const weekStart = new Date(weekEnd.getTime() - 7 * 86_400_000);
  console.log(`reports over the week ${weekStart.toISOString()} → ${weekEnd.toISOString()} of the same store (read + render, nothing written; target < 30 s each):`);
  for (const kind of ReportKind.options) console.log(`  ${kind.padEnd(20)}: ${(await timeReport(store, kind, weekStart.toISOString(), weekEnd.toISOString())).toFixed(0)} ms`);
}
await store.close();
if (!values.keep) rmSync(dataDir, { recursive: true, force: true });

// 4. under load: N API clients while the first 2M lines of the workload are ingested through `serve`
const loadClients = Number(values['load-clients']);
if (loadClients > 0) {
  const slice = join(out, 'bench-load-maillog');
  execFileSync('bash', ['-c', `head -n ${Math.min(targetLines, lineCount)} "$1" > "$2"`, '_', logFile, slice]);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'load.ts'), '--log', slice, '--seed-input', join(ROOT, 'bench', 'sample'), '--clients', String(loadClients), '--out', out], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    console.log(`\nunder load: the run failed: ${r.stderr.slice(-2000)}`);
  } else {
    const l = JSON.parse(r.stdout.trim().split('\n').pop()!) as { lines: number; unloaded: { ingestLinesPerSecond: number }; loaded: { clients: number; requests: number; ingestLinesPerSecond: number; errors: Record<string, number>; latency: Record<string, { count: number; p50: number; p95: number; max: number }> } };
    const errs = Object.entries(l.loaded.errors);
    console.log(`\nunder load: ${l.loaded.clients} API clients (60% trace, 30% search, 10% summary) while ${l.lines.toLocaleString()} lines are ingested through serve`);
    console.log(`  ingest through serve: ${l.loaded.ingestLinesPerSecond.toLocaleString()} lines/s under load vs ${l.unloaded.ingestLinesPerSecond.toLocaleString()} lines/s without clients (${(l.loaded.ingestLinesPerSecond / l.unloaded.ingestLinesPerSecond).toFixed(2)}×)`);
    for (const [k, v] of Object.entries(l.loaded.latency)) console.log(`  ${k.padEnd(8)}: ${v.count} answers, p50 ${v.p50} ms, p95 ${v.p95} ms, max ${v.max} ms${k === 'trace' ? ' (target p95 ≤ 200 ms)' : ''}`);
    console.log(`  errors and timeouts: ${errs.length === 0 ? 'none' : errs.map(([c, n]) => `${c} ×${n}`).join(', ')} of ${l.loaded.requests} requests`);
  }
  rmSync(slice, { force: true });
}

// 5. delivered mail: a generated mbox (with one 100 MiB attachment at 1 GiB) ingested for its
// Received headers and protection, beside a bare read of the same bytes; peak RSS must stay bounded
const mboxBytes = Number(values['mbox-bytes']);
if (mboxBytes > 0) {
  const mbox = join(out, 'bench-mail.mbox');
  const gen = await writeMbox(mbox, { bytes: mboxBytes, seed: 7 });
  const read = child(['read', mbox]);
  const mboxData = join(out, 'bench-mbox-data');
  rmSync(mboxData, { recursive: true, force: true });
  const ing = child(['ingest', mbox, mboxData]);
  const mb = (b: number) => b / 2 ** 20;
  console.log(`\ndelivered mail: ${gen.messages.toLocaleString()} messages in a ${mb(gen.bytes).toFixed(0)} MiB mbox (${Object.entries(gen.protected).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`  bare read of the file : ${(mb(gen.bytes) / Number(read.seconds)).toFixed(0)} MiB/s (${Number(read.seconds).toFixed(1)} s)`);
  console.log(`  full ingest, stitched : ${(mb(gen.bytes) / Number(ing.seconds)).toFixed(0)} MiB/s, ${Math.round(Number(ing.messages) / Number(ing.seconds)).toLocaleString()} messages/s, ${Number(ing.events).toLocaleString()} events, peak RSS ${ing.maxRssMb} MB (${Number(ing.seconds).toFixed(1)} s; ${(Number(ing.seconds) / Number(read.seconds)).toFixed(1)}× the bare read)`);
  if (Number(ing.messages) !== gen.messages) console.log(`  MISMATCH: ${ing.messages} messages read of ${gen.messages} written`);
  if (!values.keep) rmSync(mboxData, { recursive: true, force: true });
  rmSync(mbox, { force: true });
}

// 6. the stream: the head of the workload through a real Kafka broker into a sink, beside the
// in-process ingest of the same lines (bench/stream.ts prints its own lines)
const streamLines = Number(values['stream-lines']);
if (streamLines > 0) {
  const slice = join(out, 'bench-stream-maillog');
  execFileSync('bash', ['-c', `head -n ${streamLines} "$1" > "$2"`, '_', logFile, slice]);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'stream.ts'), '--log', slice, '--out', out], { encoding: 'utf8', maxBuffer: 1 << 24 });
  console.log(r.status === 0 ? `\n${r.stdout.trim().split('\n').slice(0, -1).join('\n')}` : `\nstream: the run failed: ${r.stderr.slice(-2000)}`);
  rmSync(slice, { force: true });
}

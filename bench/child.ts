/**
 * One measured run in its own process, so peak RSS belongs to that run alone.
 *   node --import tsx bench/child.ts parse FILE|DIR      parser + correlation, nothing stored (Postfix file or Exchange log tree)
 *   node --import tsx bench/child.ts regex FILE|DIR      bare read + split into lines + one regex per line: the floor for any parser
 *   node --import tsx bench/child.ts ingest FILE|DIR DATADIR
 *   node --import tsx bench/child.ts load DATADIR WORKDIR  the engine's own bulk load of DATADIR's events, into the same table definition
 *   node --import tsx bench/child.ts read FILE           (bare read of the bytes: the floor for any reader)
 * Prints one JSON line: { mode, lines, events, rejected, seconds, maxRssMb } (ingest adds stitchSeconds, stitchedMessages, hops).
 */
import { createReadStream, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PostfixParser } from '../ingest/formats/postfix/index.ts';
import { ExchangeParser } from '../ingest/formats/exchange/index.ts';
import type { LogParser } from '../ingest/formats/types.ts';
import { runIngest } from '../ingest/index.ts';
import { expandInputs, openInput, type InputFile } from '../ingest/sources/files.ts';
import { readLines } from '../ingest/sources/lines.ts';
import { EVENT_NATIVE_STRUCTURE, Store } from '../store/index.ts';
import { EVENT_COLUMNS, EVENT_STRUCTURE, EVENTS_TABLE } from '../schemas/index.ts';

const [mode, file, dataDir] = process.argv.slice(2);

/** The bench's inputs: one Postfix log file, or a directory tree of Exchange logs (the generator's layouts). */
async function inputs(): Promise<{ files: InputFile[]; exchange: boolean }> {
  const exchange = statSync(file).isDirectory();
  const files = await expandInputs([file], (p, why) => { throw new Error(`${p}: ${why}`); }, () => {});
  return { files, exchange };
}

async function parseOnly(): Promise<Record<string, number>> {
  const { files, exchange } = await inputs();
  const parser: LogParser = exchange ? new ExchangeParser({ allPaths: files.map((f) => f.path) }) : new PostfixParser({ referenceMs: statSync(file).mtimeMs });
  let events = 0;
  let rejected = 0;
  let lines = 0;
  const sink = { event: () => { events++; }, reject: () => { rejected++; }, skipped: () => {} };
  const t0 = performance.now();
  for (const f of files) {
    parser.beginFile(f.path, f.mtimeMs);
    const r = await readLines(openInput(f, 0), { line: (text, offset, lineNumber) => parser.parseLine(text, { file: f.path, offset, lineNumber }, sink) });
    parser.endFile?.(sink);
    lines += r.lines;
  }
  parser.flush(sink);
  return { lines, events, rejected, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Read, split into lines, one regex per line (the syslog header for Postfix: stamp, host, program;
 * the first CSV field for Exchange). No parser does less and still looks at every line.
 */
async function regexOnly(): Promise<Record<string, number>> {
  const { files, exchange } = await inputs();
  const re = exchange ? /^([^,]*),/ : /^(\S+(?:\s+\S+\s+\S+)?)\s+(\S+)\s+([^\s:[]+)/;
  let lines = 0;
  let matched = 0;
  const t0 = performance.now();
  for (const f of files) {
    const r = await readLines(openInput(f, 0), { line: (text) => { if (re.exec(text)) matched++; } });
    lines += r.lines;
  }
  return { lines, matched, seconds: (performance.now() - t0) / 1000 };
}

async function ingest(): Promise<Record<string, number>> {
  const t0 = performance.now();
  const store = await Store.open({ kind: 'embedded', dataDir });
  const s = await runIngest({ inputs: [file], store });
  await store.close();
  return { lines: s.lines, messages: s.messages, bytes: s.bytes, events: s.events, rejected: s.rejectedTotal, seconds: (performance.now() - t0) / 1000, stitchSeconds: s.stitched.seconds, stitchedMessages: s.stitched.messages, hops: s.stitched.hops };
}

/**
 * The engine alone: the rows an ingest stored, exported as Native (the engine's fastest input,
 * and what the store sends it) and loaded by one INSERT … SELECT FROM file() into a fresh store's
 * events table (the same definition: sort key, partitions, skip indexes); for reference the same
 * rows into a plain MergeTree without sort key or indexes, and as TabSeparated into the events table.
 */
async function engineLoad(): Promise<Record<string, number>> {
  const work = dataDir;
  const columns = EVENT_COLUMNS.map((c) => `\`${c}\``).join(', ');
  const source = await Store.open({ kind: 'embedded', dataDir: file });
  const [{ n }] = await source.query<{ n: string }>(`SELECT count() AS n FROM ${source.table(EVENTS_TABLE)}`);
  const path = (format: string) => join(work, `events.${format}`);
  for (const [format, structure] of [['Native', EVENT_NATIVE_STRUCTURE], ['TabSeparated', EVENT_STRUCTURE]]) {
    await source.command(`INSERT INTO FUNCTION file({path:String}, {format:String}, {structure:String}) SELECT ${columns} FROM ${source.table(EVENTS_TABLE)}`, { path: path(format), format, structure });
  }
  await source.close();
  const target = await Store.open({ kind: 'embedded', dataDir: join(work, 'data') });
  const load = async (table: string, format: string, structure: string): Promise<number> => {
    const t0 = performance.now();
    await target.command(`INSERT INTO ${table} (${columns}) SELECT * FROM file({path:String}, {format:String}, {structure:String}) SETTINGS optimize_on_insert = 0`, { path: path(format), format, structure });
    return (performance.now() - t0) / 1000;
  };
  const seconds = await load(target.table(EVENTS_TABLE), 'Native', EVENT_NATIVE_STRUCTURE);
  await target.command(`CREATE TABLE IF NOT EXISTS ${target.database}.plain (${EVENT_STRUCTURE}) ENGINE = MergeTree ORDER BY tuple()`);
  const plainSeconds = await load(`${target.database}.plain`, 'Native', EVENT_NATIVE_STRUCTURE);
  await target.command(`TRUNCATE TABLE ${target.table(EVENTS_TABLE)}`);
  const tsvSeconds = await load(target.table(EVENTS_TABLE), 'TabSeparated', EVENT_STRUCTURE);
  await target.close();
  const bytes = statSync(path('Native')).size;
  await rm(path('Native'), { force: true });
  await rm(path('TabSeparated'), { force: true });
  return { events: Number(n), bytes, seconds, plainSeconds, tsvSeconds };
}

async function readOnly(): Promise<Record<string, number>> {
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) bytes += (chunk as Buffer).length;
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

const modes: Record<string, () => Promise<Record<string, number>>> = { parse: parseOnly, regex: regexOnly, ingest, load: engineLoad, read: readOnly };
const run = modes[mode];
if (!run) throw new Error(`unknown mode ${mode}`);
const result = await run();
const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`${JSON.stringify({ mode, ...result, maxRssMb })}\n`);

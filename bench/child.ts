/**
 * One measured run in its own process, so peak RSS belongs to that run alone.
 *   node --import tsx bench/child.ts parse FILE
 *   node --import tsx bench/child.ts ingest FILE DATADIR
 *   node --import tsx bench/child.ts read FILE          (bare read of the bytes: the floor for any reader)
 * Prints one JSON line: { mode, lines, events, rejected, seconds, maxRssMb } (ingest adds stitchSeconds, stitchedMessages, hops).
 */
import { createReadStream, statSync } from 'node:fs';
import { PostfixParser } from '../ingest/formats/postfix/index.ts';
import { runIngest } from '../ingest/index.ts';
import { readLines } from '../ingest/sources/lines.ts';
import { Store } from '../store/index.ts';

const [mode, file, dataDir] = process.argv.slice(2);

async function parseOnly(): Promise<Record<string, number>> {
  const parser = new PostfixParser({ referenceMs: statSync(file).mtimeMs });
  let events = 0;
  let rejected = 0;
  const sink = { event: () => { events++; }, reject: () => { rejected++; }, skipped: () => {} };
  const t0 = performance.now();
  const r = await readLines(createReadStream(file, { highWaterMark: 1 << 20 }), {
    line: (text, offset, lineNumber) => parser.parseLine(text, { file, offset, lineNumber }, sink),
  });
  parser.flush(sink);
  return { lines: r.lines, events, rejected, seconds: (performance.now() - t0) / 1000 };
}

async function ingest(): Promise<Record<string, number>> {
  const t0 = performance.now();
  const store = await Store.open({ kind: 'embedded', dataDir });
  const s = await runIngest({ inputs: [file], store });
  await store.close();
  return { lines: s.lines, messages: s.messages, bytes: s.bytes, events: s.events, rejected: s.rejectedTotal, seconds: (performance.now() - t0) / 1000, stitchSeconds: s.stitched.seconds, stitchedMessages: s.stitched.messages, hops: s.stitched.hops };
}

async function readOnly(): Promise<Record<string, number>> {
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) bytes += (chunk as Buffer).length;
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

const result = mode === 'parse' ? await parseOnly() : mode === 'read' ? await readOnly() : await ingest();
const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`${JSON.stringify({ mode, ...result, maxRssMb })}\n`);

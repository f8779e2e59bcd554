/**
 * Under load: `mailtrace serve` answers 50 concurrent API clients (search, trace, summary) while a
 * large Postfix log is ingested through the same server (`mailtrace ingest` uploading to it).
 * Reports errors, timeouts, latency percentiles per kind of request during the ingest, and the
 * ingest's lines/s, to be read beside the unloaded ingest of the same file in the same bench run.
 *
 *   node --import tsx bench/load.ts --log FILE --seed-input DIR_OR_FILE [--clients 50] [--out DIR]
 * Prints one JSON line at the end (bench/run.ts reads it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const { values } = parseArgs({ options: { log: { type: 'string' }, 'seed-input': { type: 'string' }, clients: { type: 'string', default: '50' }, out: { type: 'string', default: join(ROOT, 'bench', 'out') } } });
if (!values.log || !values['seed-input']) {
  process.stderr.write('usage: node --import tsx bench/load.ts --log FILE --seed-input PATH [--clients 50] [--out DIR]\n');
  process.exit(2);
}
const clients = Number(values.clients);
const data = join(resolve(values.out), 'bench-load-data');
rmSync(data, { recursive: true, force: true });

function run(args: string[]): Promise<{ code: number | null; out: string; err: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('exit', (code) => done({ code, out, err, seconds: (performance.now() - t0) / 1000 }));
  });
}

// 1. a store with something to ask about (the seed input), then the server on it
const seeded = await run(['ingest', values['seed-input'], '--data', data]);
if (seeded.code !== 0 && seeded.code !== 3) throw new Error(`seeding failed: ${seeded.err}`);
const server: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise<string>((ok, fail) => {
  let out = '';
  const timer = setTimeout(() => fail(new Error(`serve did not start: ${out}`)), 120_000);
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /at (http:\/\/\S+?)\/?\n/.exec(out);
    if (m) {
      clearTimeout(timer);
      ok(m[1]);
    }
  });
});

try {
  const list = await (await fetch(`${base}/api/messages?limit=500`)).json() as { messages: { traceId: string; sender: string }[] };
  const ids = list.messages.map((m) => m.traceId).filter(Boolean);
  const senders = [...new Set(list.messages.map((m) => m.sender).filter(Boolean))];
  if (ids.length === 0) throw new Error('the seeded store has no messages to trace');

  // 2. the clients: each loops search / trace / summary until the ingest is done
  type Kind = 'trace' | 'search' | 'summary';
  const lat: Record<Kind, number[]> = { trace: [], search: [], summary: [] };
  const errors: Record<string, number> = {};
  let stop = false;
  let n = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];
  const client = async (): Promise<void> => {
    while (!stop) {
      const r = Math.random();
      const kind: Kind = r < 0.6 ? 'trace' : r < 0.9 ? 'search' : 'summary';
      const url = kind === 'trace' ? `${base}/api/messages/${encodeURIComponent(pick(ids))}/trace`
        : kind === 'search' ? `${base}/api/messages?sender=${encodeURIComponent(pick(senders))}&limit=50` : `${base}/api/summary`;
      const t0 = performance.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
        const body = await res.text();
        if (!res.ok) {
          const code = (/"code":"(MT_ERR_\w+)"/.exec(body)?.[1]) ?? `HTTP ${res.status}`;
          errors[code] = (errors[code] ?? 0) + 1;
        } else {
          lat[kind].push(performance.now() - t0);
        }
      } catch (err) {
        const code = (err as Error).name === 'TimeoutError' ? 'client timeout (60 s)' : (err as Error).message;
        errors[code] = (errors[code] ?? 0) + 1;
      }
      n++;
    }
  };

  // 3. the ingest through the server, with the clients running
  const started = performance.now();
  const workers = Array.from({ length: clients }, () => client());
  const ingest = await run(['ingest', values.log, '--data', data]);
  stop = true;
  await Promise.all(workers);
  if (ingest.code !== 0) throw new Error(`ingest under load failed (${ingest.code}): ${ingest.err}`);
  const lines = Number(/: ([\d,]+) lines/.exec(ingest.out)?.[1]?.replace(/,/g, '') ?? 0);
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const summary = {
    clients, requests: n, seconds: (performance.now() - started) / 1000, ingestSeconds: ingest.seconds, ingestLines: lines,
    ingestLinesPerSecond: Math.round(lines / ingest.seconds), errors,
    trace: { count: lat.trace.length, p50: pct(lat.trace, 50), p95: pct(lat.trace, 95), max: pct(lat.trace, 100) },
    search: { count: lat.search.length, p50: pct(lat.search, 50), p95: pct(lat.search, 95), max: pct(lat.search, 100) },
    summary: { count: lat.summary.length, p50: pct(lat.summary, 50), p95: pct(lat.summary, 95), max: pct(lat.summary, 100) },
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(data, { recursive: true, force: true });
}

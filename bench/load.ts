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
const LINES = Number((await import('node:child_process')).execFileSync('wc', ['-l', values.log], { encoding: 'utf8' }).trim().split(/\s+/)[0]);

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

type Kind = 'trace' | 'search' | 'summary';
interface Result { clients: number; requests: number; ingestSeconds: number; ingestLinesPerSecond: number; errors: Record<string, number>; latency: Record<Kind, { count: number; p50: number; p95: number; max: number }> }

/** A fresh store seeded with the seed input, served; the log ingested through the server while `n` clients ask. */
async function scenario(n: number): Promise<Result> {
  const data = join(resolve(values.out!), `bench-load-data-${n}`);
  rmSync(data, { recursive: true, force: true });
  const seeded = await run(['ingest', values['seed-input']!, '--data', data]);
  if (seeded.code !== 0 && seeded.code !== 3) throw new Error(`seeding failed: ${seeded.err}`);
  const server: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
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
    const list = await (await fetch(`${base}/api/messages?limit=500`)).json() as { messages: { traceId: string; sender: string }[] };
    const ids = list.messages.map((m) => m.traceId).filter(Boolean);
    const senders = [...new Set(list.messages.map((m) => m.sender).filter(Boolean))];
    if (ids.length === 0) throw new Error('the seeded store has no messages to trace');
    const lat: Record<Kind, number[]> = { trace: [], search: [], summary: [] };
    const errors: Record<string, number> = {};
    let stop = false;
    let requests = 0;
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
          if (res.ok) lat[kind].push(performance.now() - t0);
          else {
            const code = (/"code":"(MT_ERR_\w+)"/.exec(body)?.[1]) ?? `HTTP ${res.status}`;
            errors[code] = (errors[code] ?? 0) + 1;
          }
        } catch (err) {
          const code = (err as Error).name === 'TimeoutError' ? 'client timeout (60 s)' : (err as Error).message;
          errors[code] = (errors[code] ?? 0) + 1;
        }
        requests++;
      }
    };
    const workers = Array.from({ length: n }, () => client());
    const ingest = await run(['ingest', values.log!, '--data', data]);
    stop = true;
    await Promise.all(workers);
    if (ingest.code !== 0) throw new Error(`ingest through the server failed (${ingest.code}): ${ingest.err}`);
    const pct = (xs: number[], p: number) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
    };
    const stats = (xs: number[]) => ({ count: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), max: pct(xs, 100) });
    return {
      clients: n, requests, ingestSeconds: Math.round(ingest.seconds * 10) / 10, ingestLinesPerSecond: Math.round(LINES / ingest.seconds), errors,
      latency: { trace: stats(lat.trace), search: stats(lat.search), summary: stats(lat.summary) },
    };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
}

const unloaded = await scenario(0);
const loaded = await scenario(clients);
process.stdout.write(`${JSON.stringify({ lines: LINES, unloaded, loaded })}\n`);

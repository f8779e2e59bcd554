import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { writeExchangeOrg } from '../../bench/generate/exchange.ts';
import { writePostfixLog } from '../../bench/generate/postfix.ts';
import { assertSame, snapshot, type Snapshot } from '../helpers/snapshot.ts';

/**
 * Crash safety, measured: `mailtrace ingest` killed with SIGKILL at several points of a
 * multi-file run (while reading, between files, while stitching), then run again to the end,
 * leaves exactly the store an uninterrupted run leaves — every event, hop and message row, none
 * lost, none doubled. The same for `mailtrace serve` killed during an ingest sent through it.
 * The kill points are fractions of the uninterrupted run's own duration, so they fall inside the
 * run on a fast or a slow machine.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-crash-'));
let inputs: string[];
let reference: Snapshot;
let referenceMs = 0;
after(() => rmSync(work, { recursive: true, force: true }));

function runToEnd(args: string[]): { code: number | null; out: string; err: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}

/** start the command, SIGKILL it after ms; resolves with whether it was still running */
function killAfter(args: string[], ms: number): Promise<boolean> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    let exited = false;
    p.on('exit', () => {
      exited = true;
    });
    setTimeout(() => {
      const wasRunning = !exited;
      p.kill('SIGKILL');
      if (exited) done(false);
      else p.once('exit', () => done(wasRunning));
    }, ms);
  });
}

before(async () => {
  // a multi-host Postfix log cut into four files mid-stream (sessions and queues span the cuts),
  // and an Exchange organisation's log trees
  const log = join(work, 'maillog-all');
  await writePostfixLog(log, { messages: 3000, seed: 17 }, join(work, 'pf-truth.jsonl'));
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const dir = join(work, 'in');
  mkdirSync(dir);
  inputs = [];
  for (let i = 0; i < 4; i++) {
    const p = join(dir, `maillog.${i}`);
    writeFileSync(p, lines.slice(Math.floor((i * lines.length) / 4), Math.floor(((i + 1) * lines.length) / 4)).join('\n') + '\n');
    inputs.push(p);
  }
  const org = join(work, 'org');
  await writeExchangeOrg(org, { messages: 200, seed: 5, maxFileBytes: 200_000 }, join(work, 'ex-truth.jsonl'));
  inputs.push(org);
  const ref = runToEnd(['ingest', ...inputs, '--data', join(work, 'ref')]);
  assert.equal(ref.code, 0, ref.err);
  referenceMs = ref.ms;
  reference = await snapshot(join(work, 'ref'));
  assert.ok(reference.events.length > 20_000 && reference.hops.length > 5_000, `${reference.events.length} events, ${reference.hops.length} hops`);
});

test('ingest killed with SIGKILL at several points, then run again: the same store as an uninterrupted run', async () => {
  const data = join(work, 'killed');
  const killedWhileRunning: number[] = [];
  // a kill early (reading the first files), in the middle, and late (stitching or writing checkpoints)
  for (const fraction of [0.25, 0.5, 0.8, 0.95]) {
    if (await killAfter(['ingest', ...inputs, '--data', data], Math.round(referenceMs * fraction))) killedWhileRunning.push(fraction);
  }
  assert.ok(killedWhileRunning.length >= 1, 'a kill landed inside a run');
  const last = runToEnd(['ingest', ...inputs, '--data', data]);
  assert.ok(last.code === 0, last.err);
  assertSame(await snapshot(data), reference, 'after kills');
});

test('serve killed with SIGKILL during an ingest sent through it, then started again and the ingest repeated: the same store', async () => {
  const data = join(work, 'served');
  const startServe = () => new Promise<{ kill: (sig: NodeJS.Signals) => Promise<void> }>((ok, fail) => {
    const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve did not start: ${out}`)), 60_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/is serving/.test(out)) {
        clearTimeout(timer);
        ok({ kill: (sig) => new Promise<void>((r) => { p.once('exit', () => r()); p.kill(sig); }) });
      }
    });
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  });
  let server = await startServe();
  const client = spawn(process.execPath, [BIN, 'ingest', ...inputs, '--data', data], { stdio: 'ignore' });
  const clientDone = new Promise<number | null>((r) => client.once('exit', (code) => r(code)));
  await new Promise((r) => setTimeout(r, Math.round(referenceMs * 0.6)));
  await server.kill('SIGKILL');
  const code = await clientDone;
  assert.notEqual(code, 0, 'the client saw its server die');
  server = await startServe();
  try {
    const again = runToEnd(['ingest', ...inputs, '--data', data]);
    assert.ok(again.code === 0, again.err);
  } finally {
    await server.kill('SIGTERM');
  }
  assertSame(await snapshot(data), reference, 'after a killed server');
});

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { Store } from '../../../store/index.ts';

/**
 * `mailtrace ingest --follow` against a log that a writer appends to while it runs: rotated by
 * rename (the writer still appends a few lines to the renamed file, as syslog does until it is
 * told to reopen), rotated by copytruncate, and the follower killed with SIGKILL and started
 * again in the middle. At the end the store holds every line's event exactly once — the same
 * event ids a one-shot ingest of the whole log stores, none twice — and the same messages.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-follow-'));
let lines: string[] = [];

before(async () => {
  const all = join(work, 'all.log');
  await writePostfixLog(all, { messages: 600, seed: 31 });
  lines = readFileSync(all, 'utf8').split('\n').filter(Boolean);
  const r = spawnSync(process.execPath, [BIN, 'ingest', all, '--data', join(work, 'ref')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(work, { recursive: true, force: true }));

class Follower {
  readonly proc: ChildProcess;
  cycles = 0;
  constructor(args: string[]) {
    this.proc = spawn(process.execPath, [BIN, 'ingest', '--follow', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', () => {});
    this.proc.stderr!.on('data', (d: Buffer) => { this.cycles += (d.toString().match(/^mailtrace: \+/gm) ?? []).length; });
  }
  /** wait until a cycle after now has read something and the follower has been quiet for 2.5 s since */
  async caughtUp(timeoutMs = 60_000): Promise<void> {
    const start = this.cycles;
    const deadline = Date.now() + timeoutMs;
    while (this.cycles === start && Date.now() < deadline) await delay(100);
    let last = this.cycles;
    let quietSince = Date.now();
    while (Date.now() - quietSince < 2_500 && Date.now() < deadline) {
      await delay(100);
      if (this.cycles !== last) {
        last = this.cycles;
        quietSince = Date.now();
      }
    }
    assert.ok(Date.now() < deadline, 'the follower caught up in time');
  }
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.proc.exitCode !== null) return Promise.resolve(this.proc.exitCode);
    const done = new Promise<number | null>((r) => this.proc.once('exit', (code) => r(code)));
    this.proc.kill(signal);
    return done;
  }
}

async function idsOf(dataDir: string): Promise<{ rows: number; ids: string[]; messages: string[] }> {
  const store = await Store.open({ kind: 'embedded', dataDir });
  try {
    const [{ rows }] = await store.query<{ rows: number }>(`SELECT count() AS rows FROM ${store.table('events')} FINAL`);
    const ids = (await store.query<{ id: string }>(`SELECT DISTINCT id FROM ${store.table('events')} ORDER BY id`, {}, 60_000)).map((r) => r.id);
    const messages = (await store.query<{ k: string }>(`SELECT messageKey AS k FROM ${store.table('messages')} FINAL WHERE deleted = 0 AND messageId != '' ORDER BY k`, {}, 60_000)).map((r) => r.k);
    return { rows: Number(rows), ids, messages };
  } finally {
    await store.close();
  }
}

test('ingest --follow through growth, rotation by rename, copytruncate and a SIGKILL: every line stored once', async () => {
  const log = join(work, 'mail.log');
  const data = join(work, 'followed');
  writeFileSync(log, '');
  const parts = [0.15, 0.3, 0.45, 0.6, 0.75, 1].map((f) => Math.floor(f * lines.length));
  const chunk = (from: number, to: number) => lines.slice(from, to).join('\n') + '\n';
  let f = new Follower([log, '--data', data]);
  // 0. a few cycles over the empty log (a log just rotated is empty too)
  await delay(2_500);
  // 1. growth in small appends
  for (let i = 0; i < 5; i++) appendFileSync(log, chunk(Math.floor((i * parts[0]) / 5), Math.floor(((i + 1) * parts[0]) / 5)));
  await f.caughtUp();
  // 2. rotation by rename: the writer appends to the renamed file before it reopens the log
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, chunk(parts[0], parts[1]));
  writeFileSync(log, chunk(parts[1], parts[2]));
  await f.caughtUp();
  // 3. killed while lines keep coming, then started again
  appendFileSync(log, chunk(parts[2], parts[3]));
  await delay(300);
  assert.notEqual(await f.stop('SIGKILL'), 0);
  appendFileSync(log, chunk(parts[3], parts[4]));
  f = new Follower([log, '--data', data]);
  await f.caughtUp();
  // 4. copytruncate (nothing written between the last read and the truncation)
  copyFileSync(log, `${log}.2`);
  truncateSync(log, 0);
  appendFileSync(log, chunk(parts[4], parts[5]));
  await f.caughtUp();
  assert.equal(await f.stop(), 0);

  const got = await idsOf(data);
  const want = await idsOf(join(work, 'ref'));
  assert.ok(want.ids.length > 5_000, `${want.ids.length} events in the reference`);
  const missing = want.ids.filter((id) => !got.ids.includes(id));
  const extra = got.ids.filter((id) => !want.ids.includes(id));
  assert.deepEqual({ missing: missing.length, extra: extra.length }, { missing: 0, extra: 0 }, 'the same lines became events');
  assert.equal(got.rows, got.ids.length, 'no line stored twice');
  const lostMessages = want.messages.filter((m) => !got.messages.includes(m));
  assert.deepEqual(lostMessages, [], 'every message of the log is stitched');
  // the log started empty: waited for, not judged (no 'not a recognized format' kept aside)
  const store = await Store.open({ kind: 'embedded', dataDir: data });
  try {
    const skipped = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.table('rejected')} FINAL WHERE detail LIKE 'file skipped%'`);
    assert.equal(Number(skipped[0].n), 0);
  } finally {
    await store.close();
  }
});

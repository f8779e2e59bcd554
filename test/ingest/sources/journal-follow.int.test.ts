import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, test } from 'node:test';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { cursorOf, JournalFollower } from '../../../ingest/sources/journal-follow.ts';
import { requireComponent } from '../../helpers/component.ts';
import { exportEntry, generatorYear, journalAvailable, writeJournal } from '../../helpers/journal.ts';
import { assertSame, snapshot } from '../../helpers/snapshot.ts';

/**
 * Following the systemd journal live (`mailtrace journal`): a real journal file, written by
 * systemd-journal-remote while the follower runs, read by a real `journalctl --follow`. The cursor
 * is the checkpoint: after a SIGKILL and a restart every entry reached the spool exactly once, and
 * the store ends as an ingest of the same lines from a syslog file leaves it.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-journal-follow-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** an entry of another facility (daemon), which the default match leaves out */
function daemonEntry(n: number): string {
  return ['__REALTIME_TIMESTAMP=1772352000000000', `__MONOTONIC_TIMESTAMP=${900_000 + n}`, '_BOOT_ID=0123456789abcdef0123456789abcdef', '_HOSTNAME=edge',
    'SYSLOG_IDENTIFIER=systemd', '_PID=1', 'SYSLOG_FACILITY=3', `MESSAGE=Started unit ${n}.`, '', ''].join('\n');
}

/** every line in the spool folder (all parts) */
function spooled(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.endsWith('.log')).flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean));
}
const messages = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { MESSAGE: string }).MESSAGE);

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(50);
  }
}

test('JournalFollower: entries appended while it runs reach the spool once; a restart from the cursor file of a set-aside part goes on after it', async (t) => {
  if (!requireComponent(t, journalAvailable())) return;
  const journal = join(work, 'unit.journal');
  const spool = join(work, 'unit-spool');
  const entry = (n: number) => exportEntry(`Mar  1 08:00:${String(n % 60).padStart(2, '0')} edge postfix/smtpd[${100 + n}]: connect from unknown[192.0.2.${n % 250}]`, 2026, n);
  writeJournal(journal, Array.from({ length: 40 }, (_, i) => entry(i)).join('') + daemonEntry(1) + daemonEntry(2));
  const f = new JournalFollower({ spoolDir: spool, files: [journal], partBytes: 10_000 });
  assert.equal(f.cursor, undefined);
  await f.start();
  await until('the first 40 entries', () => f.entries >= 40);
  writeJournal(journal, Array.from({ length: 25 }, (_, i) => entry(40 + i)).join('') + daemonEntry(3));
  await until('25 more', () => f.entries >= 65);
  // one at a time (each far below a part) until a current part holds some
  let n = 65;
  while (n < 65 + 10 && (n === 65 || !existsSync(join(spool, 'journal.log')))) {
    writeJournal(journal, entry(n++));
    await until(`entry ${n}`, () => f.entries >= n);
  }
  await delay(500);
  await f.close();
  const all = spooled(spool);
  assert.equal(f.entries, n);
  assert.deepEqual(messages(all).sort(), Array.from({ length: n }, (_, i) => `connect from unknown[192.0.2.${i % 250}]`).sort(), 'each mail entry once, no daemon entry');
  assert.ok(readdirSync(spool).some((n) => n.includes('.part')), 'parts were set aside at 10,000 bytes');
  const cursorFile = readFileSync(join(spool, 'journal.cursor'), 'utf8').trim();

  // the current part read and gone (as right after a part is set aside): the cursor file says where to go on
  const current = readFileSync(join(spool, 'journal.log'), 'utf8').split('\n').filter(Boolean);
  for (const n of readdirSync(spool)) if (n.endsWith('.log')) rmSync(join(spool, n));
  const again = new JournalFollower({ spoolDir: spool, files: [journal], partBytes: 10_000 });
  assert.equal(again.cursor, cursorFile);
  assert.ok(again.args().includes('--no-tail'), 'with --after-cursor, --follow alone prints only 10 entries');
  await again.start();
  await until('the entries after the set-aside part', () => again.entries >= current.length);
  await delay(500);
  await again.close();
  assert.equal(again.entries, current.length);
  assert.deepEqual(messages(spooled(spool)), messages(current));
  assert.equal(cursorOf(current[current.length - 1]), again.cursor);
});

test('mailtrace journal: follows a journal that grows, survives a SIGKILL, stores what a file ingest of the same lines stores', async (t) => {
  if (!requireComponent(t, journalAvailable())) return;
  const log = join(work, 'maillog');
  await writePostfixLog(log, { messages: 300, seed: 21 });
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const ref = spawnSync(process.execPath, [BIN, 'ingest', log, '--data', join(work, 'ref')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(ref.status, 0, ref.stderr);
  const year = generatorYear();
  const exp = lines.map((l, i) => exportEntry(l, year, i));
  const journal = join(work, 'mail.journal');
  const spool = join(work, 'spool');
  const data = join(work, 'data');
  const third = Math.floor(exp.length / 3);
  writeJournal(journal, exp.slice(0, third).join('') + daemonEntry(1));

  let out = '';
  let cycles = 0;
  const run = () => {
    const p: ChildProcess = spawn(process.execPath, [BIN, 'journal', '--file', journal, '--spool', spool, '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d: Buffer) => { out += d; cycles += (d.toString().match(/^mailtrace: \+/gm) ?? []).length; });
    return { p, exited: new Promise<number | null>((r) => p.once('exit', (code) => r(code))) };
  };
  const first = run();
  await until('the first third spooled', () => spooled(spool).length >= third, 60_000);
  assert.match(out, /from its first entry/);
  writeJournal(journal, exp.slice(third, 2 * third).join(''));
  await until('the second third spooled', () => spooled(spool).length >= 2 * third, 60_000);
  await until('a follow cycle', () => cycles > 0, 60_000);
  first.p.kill('SIGKILL');
  await first.exited;
  // written while nobody follows
  writeJournal(journal, exp.slice(2 * third).join('') + daemonEntry(2));
  out = '';
  const second = run();
  await until('the rest spooled', () => spooled(spool).length >= exp.length, 60_000);
  assert.match(out, /after the last entry read/);
  let last = cycles;
  let quietSince = Date.now();
  await until('a quiet follower', () => {
    if (cycles !== last) { last = cycles; quietSince = Date.now(); }
    return Date.now() - quietSince > 3_000;
  }, 120_000);
  second.p.kill('SIGTERM');
  assert.equal(await second.exited, 0, out);

  const spoolLines = spooled(spool);
  assert.equal(spoolLines.length, exp.length, 'every entry spooled exactly once across the kill (no daemon entry)');
  assert.equal(new Set(spoolLines.map(cursorOf)).size, exp.length);
  const got = await snapshot(data);
  const want = await snapshot(join(work, 'ref'));
  assertSame(got, want, 'journal follow vs file', ['hops', 'messages']);
  const ids = (rows: string[]) => rows.map((r) => (JSON.parse(r) as { id: string }).id).sort();
  assert.deepEqual(ids(got.events), ids(want.events));
});

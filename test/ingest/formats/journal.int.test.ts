import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { journalLine } from '../../../ingest/formats/journal.ts';
import { requireComponent } from '../../helpers/component.ts';
import { exportEntry, generatorYear, journalAvailable, writeJournal } from '../../helpers/journal.ts';
import { assertSame, snapshot } from '../../helpers/snapshot.ts';
import { Store } from '../../../store/index.ts';

/**
 * Postfix logged to the systemd journal, read from `journalctl -o json` output made on this
 * machine: a generated three-host maillog is written into a real journal file by
 * systemd-journal-remote (from the Journal Export Format) and read back by journalctl. Ingested,
 * it gives the same events (ids), hops and messages as the same lines from a syslog file; what
 * journalctl leaves out (a MESSAGE over 4096 bytes without --all) is kept aside with its reason.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-journal-'));
after(() => { if (process.env.KEEP !== "1") rmSync(work, { recursive: true, force: true }); });

test('journalctl -o json output of Postfix: the same events, hops and messages as the syslog file of the same lines', async (t) => {
  if (!requireComponent(t, journalAvailable())) return;
  const log = join(work, 'maillog');
  await writePostfixLog(log, { messages: 300, seed: 3 });
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  // the syslog file's stamps have no year: the reader takes the file's (a month after the file's
  // own is last year's); the journal entries get the same year
  const year = generatorYear();
  let exp = lines.map((l, i) => exportEntry(l, year, i)).join('');
  // an entry of another program, and one whose MESSAGE journalctl leaves out without --all
  exp += ['__REALTIME_TIMESTAMP=1772352000000000', '__MONOTONIC_TIMESTAMP=999999', '_BOOT_ID=0123456789abcdef0123456789abcdef', '_HOSTNAME=edge', 'SYSLOG_IDENTIFIER=systemd', '_PID=1', 'MESSAGE=Started Postfix Mail Transport Agent.', '', ''].join('\n');
  exp += ['__REALTIME_TIMESTAMP=1772352000000001', '__MONOTONIC_TIMESTAMP=1000000', '_BOOT_ID=0123456789abcdef0123456789abcdef', '_HOSTNAME=edge', 'SYSLOG_IDENTIFIER=postfix/smtpd', '_PID=77', `MESSAGE=warning: ${'x'.repeat(5000)}`, '', ''].join('\n');
  const journal = join(work, 'postfix.journal');
  writeJournal(journal, exp);
  const json = spawnSync('journalctl', [`--file=${journal}`, '-o', 'json', '--no-pager'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(json.status, 0, json.stderr);
  const jsonFile = join(work, 'postfix.json');
  writeFileSync(jsonFile, json.stdout);
  assert.equal(json.stdout.trim().split('\n').length, lines.length + 2, 'journalctl read every entry back');

  for (const [input, data] of [[log, 'syslog'], [jsonFile, 'journal']]) {
    const r = spawnSync(process.execPath, [BIN, 'ingest', input, '--data', join(work, data)], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, `${data}: ${r.stderr}`);
  }
  const fromJournal = await snapshot(join(work, 'journal'));
  const fromSyslog = await snapshot(join(work, 'syslog'));
  assert.ok(fromSyslog.hops.length > 500, `${fromSyslog.hops.length} hops`);
  assertSame(fromJournal, fromSyslog, 'journal vs syslog', ['hops', 'messages']);
  const ids = (rows: string[]) => rows.map((r) => (JSON.parse(r) as { id: string }).id).sort();
  assert.deepEqual(ids(fromJournal.events), ids(fromSyslog.events));
  const store = await Store.open({ kind: 'embedded', dataDir: join(work, 'journal') });
  try {
    const rejected = await store.query<{ reason: string; detail: string }>(`SELECT reason, detail FROM ${store.table('rejected')} FINAL`);
    assert.deepEqual(rejected.map((r) => r.reason), ['truncated']);
    assert.match(rejected[0].detail, /--all/);
  } finally {
    await store.close();
  }

  // the same from standard input, as `journalctl -o json | mailtrace ingest --format journal -`
  const piped = spawnSync(process.execPath, [BIN, 'ingest', '--format', 'journal', '-', '--data', join(work, 'stdin')], { input: json.stdout, encoding: 'utf8', timeout: 300_000 });
  assert.equal(piped.status, 0, piped.stderr);
  assertSame(await snapshot(join(work, 'stdin')), fromSyslog, 'journal from stdin vs syslog', ['hops', 'messages']);
});

test('journal entries: byte-array messages, missing fields and bad JSON each get their reason', () => {
  assert.deepEqual(journalLine('{"__REALTIME_TIMESTAMP":"1772352000123456","_HOSTNAME":"mx1.example.net","SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"42","MESSAGE":[65,66,255,67]}'),
    { line: '2026-03-01T08:00:00.123456Z mx1 postfix/smtpd[42]: AB\uFFFDC' });
  assert.deepEqual(journalLine('{"__REALTIME_TIMESTAMP":"5","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/qmgr","SYSLOG_PID":"7","_PID":"8","MESSAGE":"x"}'),
    { line: '1970-01-01T00:00:00.000005Z mx1 postfix/qmgr[7]: x' });
  const reason = (j: string) => { const l = journalLine(j); return 'reason' in l ? l.reason : 'line'; };
  assert.equal(reason('not json'), 'unknown-format');
  assert.equal(reason('[1]'), 'unknown-format');
  assert.equal(reason('{"MESSAGE":"x","_HOSTNAME":"h","SYSLOG_IDENTIFIER":"p"}'), 'bad-timestamp');
  assert.equal(reason('{"__REALTIME_TIMESTAMP":"1","MESSAGE":null,"_HOSTNAME":"h","SYSLOG_IDENTIFIER":"p"}'), 'truncated');
  assert.equal(reason('{"__REALTIME_TIMESTAMP":"1","MESSAGE":"x","SYSLOG_IDENTIFIER":"p"}'), 'unknown-format');
});

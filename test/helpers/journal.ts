import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * Real journal files for the tests: entries in the Journal Export Format (systemd docs, "Journal
 * Export Formats") written by systemd-journal-remote, read back by journalctl.
 */
export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

export function journalAvailable(): { ok: true } | { ok: false; why: string } {
  if (!existsSync(JOURNAL_REMOTE)) return { ok: false, why: `${JOURNAL_REMOTE} is missing (Debian package systemd-journal-remote)` };
  if (spawnSync('journalctl', ['--version']).status !== 0) return { ok: false, why: 'journalctl is missing (Debian package systemd)' };
  return { ok: true };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** a classic syslog line of the generator → a Journal Export Format entry, logged to the mail facility */
export function exportEntry(line: string, year: number, n: number): string {
  const m = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\S+) ([^[\s:]+)(?:\[(\d+)\])?: (.*)$/.exec(line);
  if (!m) throw new Error(`not a generator line: ${line}`);
  const us = BigInt(Date.UTC(year, MONTHS.indexOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]))) * 1000n;
  return [`__REALTIME_TIMESTAMP=${us}`, `__MONOTONIC_TIMESTAMP=${n + 1}`, '_BOOT_ID=0123456789abcdef0123456789abcdef', `_HOSTNAME=${m[6]}.example.net`,
    `SYSLOG_IDENTIFIER=${m[7]}`, ...(m[8] ? [`_PID=${m[8]}`] : []), 'PRIORITY=6', 'SYSLOG_FACILITY=2', `MESSAGE=${m[9]}`, '', ''].join('\n');
}

/** the year the generator's stamps fall in as the syslog reader takes them (a month ahead of now is last year's) */
export function generatorYear(now = new Date()): number {
  return now.getUTCMonth() < 2 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
}

/** append export entries to a journal file (created when missing) */
export function writeJournal(file: string, entries: string): void {
  const w = spawnSync(JOURNAL_REMOTE, [`--output=${file}`, '-'], { input: entries, encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`systemd-journal-remote: ${w.stderr}`);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Spool } from './spool.ts';

/**
 * Following the systemd journal live: `journalctl --follow -o json` is run and each entry it
 * prints is appended to a spool file, which the follow loop reads like any growing log (the
 * entries go through the journal format reader, ingest/formats/journal.ts). The journal's cursor
 * is the checkpoint of the journal side: a restart asks journalctl for the entries after the
 * last one that reached the spool, and the spool's own file checkpoints carry it from there to
 * the store or the stream — nothing read twice, nothing skipped.
 *
 * Where the cursor is kept: the spool's current part ends with the last entry spooled, whose
 * `__CURSOR` field is the cursor (no second file to fall out of step with it); when a full part is
 * set aside, the cursor of its last entry is first written to `journal.cursor` in the spool, for
 * the moment no current part exists yet.
 *
 * journalctl facts used (journalctl(1), systemd 252, checked on the test machine): `--after-cursor`
 * with `--follow` prints only the last 10 entries after the cursor unless `--no-tail` is given;
 * `--all` keeps a MESSAGE over 4096 bytes; FIELD=VALUE arguments are matches (the same field ORed,
 * different fields ANDed). Which entries are Postfix's is UNVERIFIED against a production journal
 * (../shared/reference has no journal rows): by default the mail facility (`SYSLOG_FACILITY=2`,
 * Postfix's syslog_facility default, postconf(5)); a site that logs mail elsewhere passes its own
 * matches, e.g. `_SYSTEMD_UNIT=postfix@-.service`. Entries of other programs are counted as not
 * modelled, as in a maillog.
 */
export interface JournalFollowOptions {
  spoolDir: string;
  /** journal files (`--file`) or a journal folder (`--directory`); none: the machine's journal */
  files?: readonly string[];
  directory?: string;
  /** journalctl matches (FIELD=VALUE); default: the mail facility */
  matches?: readonly string[];
  /** the journalctl to run (default: journalctl on PATH) */
  journalctl?: string;
  /** a spool part is closed past this size (default 64 MiB) */
  partBytes?: number;
  onWarning?: (msg: string) => void;
}

export const DEFAULT_JOURNAL_MATCHES = ['SYSLOG_FACILITY=2'] as const;
const KEY = 'journal';
const CURSOR_FILE = 'journal.cursor';

/** the `__CURSOR` field of one `-o json` line */
export function cursorOf(line: string): string | undefined {
  const m = /"__CURSOR":"([^"\\]*)"/.exec(line);
  return m?.[1];
}

export class JournalFollower {
  readonly #opts: JournalFollowOptions;
  readonly #spool: Spool;
  #child: ChildProcess | undefined;
  #closing = false;
  #cursor: string | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  /** entries spooled since start */
  entries = 0;

  constructor(opts: JournalFollowOptions) {
    this.#opts = opts;
    this.#spool = new Spool(opts.spoolDir, opts.partBytes);
    const last = this.#spool.recoverTail(KEY);
    this.#cursor = (last && cursorOf(last)) ?? readCursorFile(join(opts.spoolDir, CURSOR_FILE));
  }

  /** where the next journalctl starts: after this cursor, or (none) at the start of the journal */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  /** the journalctl arguments for the current cursor */
  args(): string[] {
    const o = this.#opts;
    return [
      '--follow', '--no-tail', '--output=json', '--all', '--no-pager', '--quiet',
      ...(this.#cursor ? [`--after-cursor=${this.#cursor}`] : []),
      ...(o.files ?? []).map((f) => `--file=${f}`),
      ...(o.directory ? [`--directory=${o.directory}`] : []),
      ...(o.matches && o.matches.length > 0 ? o.matches : DEFAULT_JOURNAL_MATCHES),
    ];
  }

  /** Start journalctl; resolves once it runs, rejects when it cannot be started at all. */
  async start(): Promise<void> {
    await this.#spawn(true);
  }

  #spawn(first: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#opts.journalctl ?? 'journalctl', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      this.#child = child;
      let carry = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        const text = carry + chunk;
        const nl = text.lastIndexOf('\n');
        if (nl < 0) { carry = text; return; }
        carry = text.slice(nl + 1);
        const whole = text.slice(0, nl + 1);
        const lastLine = whole.slice(whole.lastIndexOf('\n', nl - 1) + 1, nl);
        const next = cursorOf(lastLine) ?? this.#cursor;
        this.#spool.append(KEY, whole, () => saveCursor(join(this.#opts.spoolDir, CURSOR_FILE), next));
        this.#cursor = next;
        this.entries += count(whole);
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => { stderr = (stderr + d).slice(-2000); });
      child.once('spawn', () => resolve());
      child.once('error', (err) => {
        if (first) reject(new Error(`cannot run journalctl: ${err.message}`));
        else this.#opts.onWarning?.(`journalctl: ${err.message}`);
      });
      child.once('exit', (code, sig) => {
        if (this.#child === child) this.#child = undefined;
        if (this.#closing) return;
        // journalctl ended by itself (a journal file removed, a bad cursor, a crash): say why, go on after the last entry spooled
        this.#opts.onWarning?.(`journalctl exited (${sig ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}; restarting in 5 s after ${this.#cursor ? 'the last entry read' : 'nothing read yet'}`);
        this.#restartTimer = setTimeout(() => { this.#spawn(false).catch(() => {}); }, 5_000);
      });
    });
  }

  /** After a follow cycle that began at `startedAt`: closed parts it read to their end are deleted. */
  cycleDone(startedAt: number): void {
    this.#spool.cycleDone(startedAt);
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

function count(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** the cursor of the part about to be set aside, for the moment no current part exists */
function saveCursor(path: string, cursor: string | undefined): void {
  if (!cursor) return;
  writeFileSync(`${path}.tmp`, `${cursor}\n`);
  renameSync(`${path}.tmp`, path);
}

function readCursorFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

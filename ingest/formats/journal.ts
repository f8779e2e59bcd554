import type { LineRef, LogParser, ParseSink } from './types.ts';
import { PostfixParser, type HostContext, type PostfixParserOptions } from './postfix/index.ts';

/**
 * `journalctl -o json` output: one JSON object per line (journalctl(1), "json" output mode;
 * fields as in systemd.journal-fields(7)). Modern distributions log Postfix only to the journal.
 * What a Postfix line needs is in:
 *   __REALTIME_TIMESTAMP  microseconds since the epoch, UTC, as a decimal string (when journald
 *                         received the entry)
 *   _HOSTNAME             the machine (its first label is the host, as in a syslog line)
 *   SYSLOG_IDENTIFIER     `postfix/smtpd`, `postfix-edge/smtp`, …
 *   SYSLOG_PID / _PID     the process id (the former as the program sent it)
 *   MESSAGE               the text; an array of byte values when it is not valid UTF-8, null when
 *                         over 4096 bytes and journalctl was run without --all
 * Each entry becomes the line an rsyslog high-precision file would hold
 * (`2026-03-01T08:00:00.123456Z host postfix/smtpd[42]: text`, format notes §4.1) and goes to a
 * Postfix parser of its own: correlation, TLS and status rules are the Postfix ones, written once.
 * UNVERIFIED against ../shared/reference/log-formats.md, which covers only journald's "short"
 * output (§4.1): these field facts come from the systemd manual pages, and were checked against
 * entries written by systemd-journal-remote and read back by journalctl on the test machine
 * (test/ingest/formats/journal.int.test.ts) — not against a production journal. An entry that
 * lacks a field is kept aside with its reason, never guessed; entries of other programs are
 * counted as not modelled, like other daemons' lines in a maillog.
 */
export function looksLikeJournal(lines: readonly string[]): boolean {
  const first = lines.find((l) => l.trim() !== '');
  return first !== undefined && first.startsWith('{') && first.includes('"__REALTIME_TIMESTAMP"') && first.includes('"MESSAGE"');
}

export type JournalLine = { line: string } | { reason: 'unknown-format' | 'truncated' | 'bad-timestamp'; detail: string };

/** One journal JSON entry → the syslog-shaped line of it, or why there is none. */
export function journalLine(json: string): JournalLine {
  let e: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { reason: 'unknown-format', detail: 'a journal line that is not a JSON object' };
    e = parsed as Record<string, unknown>;
  } catch {
    return { reason: 'unknown-format', detail: 'not a JSON journal entry (journalctl -o json writes one object per line)' };
  }
  const us = text(e.__REALTIME_TIMESTAMP);
  if (!us || !/^\d{1,17}$/.test(us)) return { reason: 'bad-timestamp', detail: 'a journal entry without __REALTIME_TIMESTAMP' };
  const ms = Math.floor(Number(us) / 1000);
  const frac = us.padStart(7, '0').slice(-6);
  const iso = new Date(ms).toISOString().slice(0, 19) + `.${frac}Z`;
  if (e.MESSAGE === null) return { reason: 'truncated', detail: 'journalctl left out a MESSAGE over 4096 bytes: export with `journalctl -o json --all`' };
  const message = text(e.MESSAGE);
  if (message === undefined) return { reason: 'unknown-format', detail: 'a journal entry without MESSAGE' };
  const host = text(e._HOSTNAME);
  if (!host) return { reason: 'unknown-format', detail: 'a journal entry without _HOSTNAME' };
  const ident = text(e.SYSLOG_IDENTIFIER) ?? text(e._COMM) ?? '';
  if (!ident) return { reason: 'unknown-format', detail: 'a journal entry without SYSLOG_IDENTIFIER' };
  const pid = text(e.SYSLOG_PID) ?? text(e._PID) ?? '';
  // one line per entry: a message with a newline (not one of Postfix's) keeps its first line only
  const body = message.split('\n', 1)[0];
  return { line: `${iso} ${host.split('.')[0]} ${ident}${/^\d+$/.test(pid) ? `[${pid}]` : ''}: ${body}` };
}

/** a field as text: a string, or the UTF-8 reading of an array of byte values (invalid sequences replaced) */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(v as number[]).toString('utf8');
  // a field that appears more than once is an array of its values: the first one
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** The journal as a log format: each entry turned into its line, then the Postfix rules. */
export class JournalParser implements LogParser {
  readonly #postfix: PostfixParser;

  constructor(opts: PostfixParserOptions = {}) {
    this.#postfix = new PostfixParser(opts);
  }

  beginFile(file: string, referenceMs?: number): void {
    this.#postfix.beginFile(file, referenceMs);
  }

  parseLine(json: string, ref: LineRef, sink: ParseSink): void {
    if (json.trim() === '') return;
    const l = journalLine(json);
    if ('reason' in l) {
      sink.reject(l.reason, l.detail, ref, json);
      return;
    }
    this.#postfix.parseLine(l.line, ref, sink);
  }

  flush(sink: ParseSink): void {
    this.#postfix.flush(sink);
  }

  settle(sink: ParseSink): void {
    this.#postfix.settle(sink);
  }

  saveContext(): HostContext[] {
    return this.#postfix.saveContext();
  }

  restoreContext(hosts: readonly HostContext[]): void {
    this.#postfix.restoreContext(hosts);
  }
}

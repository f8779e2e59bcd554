import { calendarMs, storable } from '../calendar.ts';
import { MAX_U32 } from '../numbers.ts';

/**
 * The envelope of a Postfix log line: time, host, program and pid, then the message text.
 * Shapes (facts: shared/reference/log-formats.md §4.1):
 *   classic syslog / journald / maillog_file   `Mar  1 08:00:00 host postfix-edge/smtpd[123]: text`
 *                                              (day space-padded by syslogd, zero-padded by postlogd)
 *   rsyslog high precision (ISO 8601)          `2026-05-16T16:13:25.137663+02:00 host postfix/smtpd[2312]: text`
 *   RFC 5424                                   `<22>1 2026-05-16T16:13:25.137663+02:00 host postfix/smtpd 2312 - - text`
 * Classic lines carry no year and no zone: the caller's YearTracker supplies the year (with
 * December → January rollover) and times are read as UTC unless an offset is configured.
 */
export interface Envelope {
  /** epoch milliseconds, UTC */
  ms: number;
  host: string;
  /** syslog_name prefix, e.g. `postfix-edge`; the whole tag when there is no `/` */
  instance: string;
  /** last path element of the tag: smtpd, smtp, cleanup, … */
  program: string;
  pid: number;
  text: string;
}

export type EnvelopeResult = Envelope | { error: 'unknown-format' | 'bad-timestamp' | 'truncated'; detail: string };

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/**
 * Supplies years for year-less syslog stamps. Starts from a reference time (the file's mtime, or
 * now): the first stamp gets the latest year that does not put it more than a day after the
 * reference; afterwards a month that jumps backwards by more than six months starts a new year.
 */
export class YearTracker {
  #year: number | undefined;
  #lastMonth = -1;
  readonly #refMs: number;

  constructor(referenceMs: number) {
    this.#refMs = referenceMs;
  }

  yearFor(month: number, day: number): number {
    if (this.#year === undefined) {
      const ref = new Date(this.#refMs);
      let year = ref.getUTCFullYear();
      if (Date.UTC(year, month, day) > this.#refMs + 86_400_000) year--;
      this.#year = year;
    } else if (this.#lastMonth - month > 6) {
      this.#year++;
    } else if (month - this.#lastMonth > 6) {
      // a late line from the previous year (a December line after January ones): that year, once
      return this.#year - 1;
    }
    this.#lastMonth = month;
    return this.#year;
  }
}

function digit(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  return a >= 0 && a <= 9 ? a : -1;
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * Parse `Mmm dd hh:mm:ss` at the start of the line; returns ms and the index after it, undefined
 * when the line does not start with that shape, or NaN for a time that does not exist (Feb 30, 25:00).
 */
function parseClassicTime(line: string, years: YearTracker, tzOffsetMin: number): { ms: number; next: number } | undefined {
  const month = MONTHS[line.slice(0, 3)];
  if (month === undefined || line.charCodeAt(3) !== 32) return undefined;
  // day: ` 1`, `01` or `1`
  let i = 4;
  let day: number;
  if (line.charCodeAt(4) === 32) {
    day = digit(line, 5);
    i = 6;
  } else if (line.charCodeAt(5) === 32) {
    day = digit(line, 4);
    i = 5;
  } else {
    day = digits2(line, 4);
    i = 6;
  }
  if (!(day >= 1 && day <= 31) || line.charCodeAt(i) !== 32) return undefined;
  const h = digits2(line, i + 1);
  const m = digits2(line, i + 4);
  const s = digits2(line, i + 7);
  if (h < 0 || m < 0 || s < 0 || line.charCodeAt(i + 3) !== 58 || line.charCodeAt(i + 6) !== 58) return undefined;
  let next = i + 9;
  let frac = 0;
  // some daemons add fractions to classic stamps (`08:00:00.123456`)
  if (line.charCodeAt(next) === 46) {
    let j = next + 1;
    let scale = 100;
    while (j < line.length && line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) {
      if (scale >= 1) frac += (line.charCodeAt(j) - 48) * scale;
      scale /= 10;
      j++;
    }
    next = j;
  }
  const ms = calendarMs(years.yearFor(month, day), month + 1, day, h, m, s, Math.floor(frac)) - tzOffsetMin * 60_000;
  return { ms, next };
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-](\d{2}):?(\d{2}))?$/;

/** Parse an ISO 8601 stamp token; returns epoch ms or NaN. Zone-less stamps use the configured offset. */
export function parseIsoTime(token: string, tzOffsetMin = 0): number {
  const m = ISO_RE.exec(token);
  if (!m) return Number.NaN;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  // NaN for parts that name no time (Feb 30, 25:00), which Date.UTC would roll into another day
  let t = calendarMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  const zone = m[8];
  if (!zone) t -= tzOffsetMin * 60_000;
  else if (zone !== 'Z') {
    const zoneHours = Number(m[9]);
    const zoneMinutes = Number(m[10]);
    if (zoneHours > 23 || zoneMinutes > 59) return Number.NaN;
    t -= (zone[0] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
  }
  // `9999-12-31T23:59:59-12:00` is in year 10000 in UTC
  return storable(t) ? t : Number.NaN;
}

/** Split `postfix-edge/smtpd[123]:` (already without the colon) into instance, program, pid. */
function splitTag(tag: string, pidText: string | undefined): { instance: string; program: string; pid: number } | undefined {
  let name = tag;
  let pid = 0;
  if (pidText !== undefined) {
    pid = Number(pidText);
  } else {
    const open = tag.indexOf('[');
    if (open > 0) {
      if (!tag.endsWith(']')) return undefined;
      pid = Number(tag.slice(open + 1, -1));
      name = tag.slice(0, open);
    }
  }
  // a process id is a whole number of 32 bits: `[1.5]` or `[99999999999999999999]` is no program tag
  if (!Number.isSafeInteger(pid) || pid < 0 || pid > MAX_U32) return undefined;
  const slash = name.lastIndexOf('/');
  return slash < 0 ? { instance: name, program: name, pid } : { instance: name.slice(0, slash), program: name.slice(slash + 1), pid };
}

export function parseEnvelope(line: string, years: YearTracker, tzOffsetMin = 0): EnvelopeResult {
  let ms: number;
  let rest: number;
  const c0 = line.charCodeAt(0);
  if (c0 === 60 /* < */) return parseRfc5424(line, tzOffsetMin);
  if (c0 >= 48 && c0 <= 57) {
    const sp = line.indexOf(' ');
    if (sp < 0) return { error: 'truncated', detail: 'line ends after its timestamp' };
    ms = parseIsoTime(line.slice(0, sp), tzOffsetMin);
    if (Number.isNaN(ms)) return { error: 'bad-timestamp', detail: `unreadable timestamp ${JSON.stringify(line.slice(0, Math.min(sp, 40)))}` };
    rest = sp + 1;
  } else {
    const t = parseClassicTime(line, years, tzOffsetMin);
    if (!t) return { error: 'unknown-format', detail: 'no syslog, RFC 5424 or ISO 8601 timestamp at the start of the line' };
    if (!storable(t.ms)) {
      // NaN: the parts name no time (Feb 30, 25:00); else the year, which comes from the file's date, is past 9999
      const detail = Number.isNaN(t.ms) ? `no such time ${JSON.stringify(line.slice(0, t.next))}` : `a time in the year ${new Date(t.ms).getUTCFullYear()} (the year comes from the file's date)`;
      return { error: 'bad-timestamp', detail };
    }
    ms = t.ms;
    rest = t.next + 1;
  }
  const hostEnd = line.indexOf(' ', rest);
  if (hostEnd < 0) return { error: 'truncated', detail: 'line ends before the program name' };
  const host = line.slice(rest, hostEnd);
  const tagEnd = line.indexOf(': ', hostEnd + 1);
  if (tagEnd < 0) {
    if (line.endsWith(':')) return { error: 'truncated', detail: 'line ends after the program name' };
    return { error: 'truncated', detail: 'no `program[pid]: ` after the host name' };
  }
  const tag = splitTag(line.slice(hostEnd + 1, tagEnd), undefined);
  if (!tag || host.length === 0) return { error: 'unknown-format', detail: 'cannot read the program tag' };
  return { ms, host, ...tag, text: line.slice(tagEnd + 2) };
}

/** `<PRI>1 TIMESTAMP HOST APP-NAME PROCID MSGID SD MSG` (structured data `-` or `[…]`). */
function parseRfc5424(line: string, tzOffsetMin: number): EnvelopeResult {
  const close = line.indexOf('>');
  if (close < 0 || close > 5) return { error: 'unknown-format', detail: 'malformed RFC 5424 priority' };
  const parts: string[] = [];
  let i = close + 1;
  for (let n = 0; n < 6; n++) {
    const sp = line.indexOf(' ', i);
    if (sp < 0) return { error: 'truncated', detail: 'RFC 5424 header ends early' };
    parts.push(line.slice(i, sp));
    i = sp + 1;
  }
  const [version, stamp, host, app, procid] = parts;
  if (version !== '1') return { error: 'unknown-format', detail: `RFC 5424 version ${version}` };
  const ms = parseIsoTime(stamp, tzOffsetMin);
  if (Number.isNaN(ms)) return { error: 'bad-timestamp', detail: `unreadable timestamp ${JSON.stringify(stamp.slice(0, 40))}` };
  // structured data: `-` or one or more `[...]` elements
  if (line.charCodeAt(i) === 91) {
    let depth = 0;
    for (; i < line.length; i++) {
      const ch = line[i];
      if (ch === '\\') { i++; continue; }
      if (ch === '[') depth++;
      else if (ch === ']') depth--;
      else if (ch === ' ' && depth === 0) break;
    }
    i++;
  } else {
    i += 2;
  }
  const tag = splitTag(app, procid === '-' ? '0' : procid);
  if (!tag) return { error: 'unknown-format', detail: 'cannot read the RFC 5424 app name' };
  // two spaces where the HOSTNAME goes: events are filed under their host, which must have a name
  if (host === '') return { error: 'unknown-format', detail: 'an RFC 5424 line without a host name' };
  let text = line.slice(i);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ms, host, ...tag, text };
}

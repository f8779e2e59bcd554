import { EVENT_COLUMNS, type MailEvent, type Rejection } from '../schemas/index.ts';

/** TabSeparated escaping: the only characters that need it are backslash, tab, newline and CR. */
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
export function tsvEscape(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0'));
}

/** ISO `2026-03-01T08:00:00.123Z` → `2026-03-01 08:00:00.123`, the form DateTime64(3, 'UTC') reads. */
export function tsvTime(iso: string): string {
  return iso.length >= 23 ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso.replace('T', ' ').replace('Z', '');
}

const TIME_COLUMNS = new Set<string>(['ts']);

/** One events row in EVENT_COLUMNS order. */
export function eventToTsv(e: MailEvent): string {
  let out = '';
  for (let i = 0; i < EVENT_COLUMNS.length; i++) {
    const col = EVENT_COLUMNS[i];
    const v = e[col];
    if (i > 0) out += '\t';
    if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : '0';
    else if (TIME_COLUMNS.has(col)) out += tsvTime(v);
    else out += tsvEscape(v);
  }
  return out;
}

export const REJECTED_COLUMNS = ['ingestedAt', 'reason', 'detail', 'sourceFile', 'sourceOffset', 'lineNumber', 'excerpt'] as const;

export function rejectionToTsv(r: Rejection, ingestedAt: string): string {
  return [tsvTime(ingestedAt), r.reason, tsvEscape(r.detail), tsvEscape(r.sourceFile), String(r.sourceOffset), String(r.lineNumber), tsvEscape(r.excerpt)].join('\t');
}

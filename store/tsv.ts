import type { Rejection } from '../schemas/index.ts';

/** TabSeparated escaping: the only characters that need it are backslash, tab, newline and CR. */
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
export function tsvEscape(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0'));
}

const UNESCAPES: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r', '0': '\0', "'": "'", b: '\b', f: '\f' };
/** The reverse of TabSeparated escaping (output of the engine). */
export function tsvUnescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => UNESCAPES[c] ?? c);
}

/**
 * An Array(String) value in TabSeparated: `['a','b']`. ClickHouse reads the elements as quoted
 * strings, whose escapes (backslash, quote, tab, newline, CR, NUL) already keep the field whole.
 */
export function tsvArray(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replace(/[\\'\t\n\r\0]/g, (c) => QUOTED_ESCAPES[c] ?? c)}'`).join(',')}]`;
}
const QUOTED_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/**
 * The engine's DateTime64 text (`2026-03-01 08:00:00.123`) → ISO 8601 UTC, the API's form. The
 * epoch stands for "not known" (a gap hop's end) and reads back as ''.
 */
export function isoFromStore(ts: string): string {
  if (!ts || ts.startsWith('1970-01-01')) return '';
  if (ts.endsWith('Z')) return ts;
  return `${ts.replace(' ', 'T')}${ts.includes('.') ? '' : '.000'}Z`;
}

/** ISO `2026-03-01T08:00:00.123Z` → `2026-03-01 08:00:00.123`, the form DateTime64(3, 'UTC') reads. */
export function tsvTime(iso: string): string {
  return iso.length >= 23 ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso.replace('T', ' ').replace('Z', '');
}

export const REJECTED_COLUMNS = ['ingestedAt', 'reason', 'detail', 'sourceFile', 'sourceOffset', 'lineNumber', 'excerpt'] as const;

export function rejectionToTsv(r: Rejection, ingestedAt: string): string {
  return [tsvTime(ingestedAt), r.reason, tsvEscape(r.detail), tsvEscape(r.sourceFile), String(r.sourceOffset), String(r.lineNumber), tsvEscape(r.excerpt)].join('\t');
}

import { blankEvent, EVENT_COLUMN_TYPES, EVENT_COLUMNS, type MailEvent, type Rejection } from '../schemas/index.ts';

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

/** One value per column kind: numbers as decimal (non-finite → 0), ts as a DateTime64 text, strings escaped. */
function num(v: number): string {
  return Number.isFinite(v) ? String(v) : '0';
}

function uint(v: number, max: number): string {
  return Number.isFinite(v) && v > 0 ? String(Math.min(Math.trunc(v), max)) : '0';
}

/**
 * One events row in EVENT_COLUMNS order, compiled once from the column list (the generic loop over
 * columns cost ~15 µs per event, more than the parser; this is a single concatenation).
 */
export const eventToTsv: (e: MailEvent) => string = (() => {
  const sample = { ...blankEvent(), id: '', ts: '', host: '', kind: 'message' } as Record<string, unknown>;
  const types = new Map(EVENT_COLUMN_TYPES.map(([n, t]) => [n, t]));
  const parts = EVENT_COLUMNS.map((col) => {
    if (!/^[A-Za-z]+$/.test(col)) throw new Error(`unexpected column name ${col}`);
    if (col === 'ts') return `time(e.ts)`;
    if (Array.isArray(sample[col])) return `arr(e.${col})`;
    if (typeof sample[col] !== 'number') return `esc(e.${col})`;
    // a value the column cannot hold would fail the whole batch: clamp it to the column's range
    const type = types.get(col) ?? '';
    if (type === 'UInt16') return `uint(e.${col}, 65535)`;
    if (type === 'UInt32') return `uint(e.${col}, 4294967295)`;
    if (type === 'UInt64') return `uint(e.${col}, Number.MAX_SAFE_INTEGER)`;
    return `num(e.${col})`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- built from our own column names only
  const body = `return ${parts.join(" + '\\t' + ")};`;
  return new Function('esc', 'time', 'num', 'uint', 'arr', `return (e) => { ${body} };`)(tsvEscape, tsvTime, num, uint, tsvArray) as (e: MailEvent) => string;
})();

export const REJECTED_COLUMNS = ['ingestedAt', 'reason', 'detail', 'sourceFile', 'sourceOffset', 'lineNumber', 'excerpt'] as const;

export function rejectionToTsv(r: Rejection, ingestedAt: string): string {
  return [tsvTime(ingestedAt), r.reason, tsvEscape(r.detail), tsvEscape(r.sourceFile), String(r.sourceOffset), String(r.lineNumber), tsvEscape(r.excerpt)].join('\t');
}

/**
 * Packs TSV rows into byte chunks as they are made, so a batch waiting for the engine is a few
 * plain buffers: no per-row strings (each a rope pinning the line it was cut from) stay alive.
 */
export class TsvChunker {
  readonly #chunkBytes: number;
  #buf: Buffer;
  #pos = 0;
  #rows = 0;
  #firstRowAt = 0;

  constructor(chunkBytes = 1 << 20) {
    this.#chunkBytes = chunkBytes;
    this.#buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** rows in the chunk being filled */
  get pendingRows(): number {
    return this.#rows;
  }

  /** when the oldest row of the chunk being filled was added (performance.now()) */
  get pendingSince(): number {
    return this.#firstRowAt;
  }

  /** Add one row (without newline); returns a full chunk when one is ready. */
  add(row: string): Buffer | undefined {
    let full: Buffer | undefined;
    const worst = row.length * 3 + 1;
    if (this.#buf.length - this.#pos < worst) {
      full = this.take();
      if (worst > this.#buf.length) this.#buf = Buffer.allocUnsafe(Math.max(this.#chunkBytes, worst));
    }
    if (this.#rows === 0) this.#firstRowAt = performance.now();
    this.#pos += this.#buf.write(row, this.#pos);
    this.#buf[this.#pos++] = 10;
    this.#rows++;
    return full;
  }

  /** The rows added so far as one chunk (undefined when there are none); starts a new chunk. */
  take(): Buffer | undefined {
    if (this.#rows === 0) return undefined;
    const chunk = this.#buf.subarray(0, this.#pos);
    this.#buf = Buffer.allocUnsafe(this.#chunkBytes);
    this.#pos = 0;
    this.#rows = 0;
    return chunk;
  }
}

import fc from 'fast-check';
import { splitRow } from '../../ingest/formats/exchange/index.ts';

/**
 * Mutations of real lines, as data (so fast-check can shrink them to the one that matters):
 * cuts, characters replaced, inserted and deleted, fields swapped, duplicated or set to odd values,
 * timestamps and numbers mangled, lines duplicated, dropped and moved. Positions are taken modulo
 * what they index, so any number is valid for any input.
 */
export type Mutation =
  | { t: 'cut'; line: number; at: number }
  | { t: 'replace'; line: number; at: number; text: string }
  | { t: 'insert'; line: number; at: number; text: string }
  | { t: 'delete'; line: number; at: number; len: number }
  | { t: 'swapFields'; line: number; a: number; b: number }
  | { t: 'dupField'; line: number; a: number }
  | { t: 'setField'; line: number; a: number; value: string }
  | { t: 'stamp'; line: number; stamp: string }
  | { t: 'digits'; line: number; seed: number }
  | { t: 'number'; line: number; nth: number; value: string }
  | { t: 'dupLine'; line: number }
  | { t: 'dropLine'; line: number }
  | { t: 'moveLine'; line: number; to: number };

/** Characters that carry structure in these formats, and some that only look like they do. */
const STRUCTURAL = [' ', '  ', ',', '"', '""', ':', ': ', '[', ']', '<', '>', '=', ';', '/', '(', ')', '#', '\t', '\\', "'", '-', '+', '*', '.', '@',
  'é', '\uFFFD', '\uFEFF', '\u2028', '\u00A0', '😀', 'NOQUEUE', 'status=', ', ', 'to=<', 'from=<', 'relay=', 'queued as ', '\r'];

/** numbers no column holds: negative, fractions, too large for UInt16, UInt32, a double, or no number at all */
export const WEIRD_NUMBERS = ['-5', '-0', '1.5', '1e400', '65536', '4294967296', '999999999999999', '99999999999999999999', '0x10', 'NaN', 'Infinity', '', ' 7 ', '007', '1e3'];

const snippet = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...STRUCTURAL) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
);

export interface MutationVocabulary {
  /** timestamps to put where the line's own is */
  stamps: readonly string[];
  /** values for a field */
  values: readonly string[];
}

export function mutation(v: MutationVocabulary): fc.Arbitrary<Mutation> {
  const line = fc.nat();
  return fc.oneof(
    fc.record({ t: fc.constant('cut' as const), line, at: fc.nat() }),
    fc.record({ t: fc.constant('replace' as const), line, at: fc.nat(), text: snippet }),
    fc.record({ t: fc.constant('insert' as const), line, at: fc.nat(), text: snippet }),
    fc.record({ t: fc.constant('delete' as const), line, at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ t: fc.constant('swapFields' as const), line, a: fc.nat(), b: fc.nat() }),
    fc.record({ t: fc.constant('dupField' as const), line, a: fc.nat() }),
    fc.record({ t: fc.constant('setField' as const), line, a: fc.nat(), value: fc.oneof(fc.constantFrom(...v.values), snippet) }),
    fc.record({ t: fc.constant('stamp' as const), line, stamp: fc.constantFrom(...v.stamps) }),
    fc.record({ t: fc.constant('digits' as const), line, seed: fc.nat() }),
    fc.record({ t: fc.constant('number' as const), line, nth: fc.nat(), value: fc.constantFrom(...WEIRD_NUMBERS) }),
    fc.record({ t: fc.constant('dupLine' as const), line }),
    fc.record({ t: fc.constant('dropLine' as const), line }),
    fc.record({ t: fc.constant('moveLine' as const), line, to: fc.nat() }),
  );
}

/** How a format splits a line into fields and writes it back. */
export interface FieldSyntax {
  split(line: string): string[];
  join(fields: string[]): string;
  /** the line with its timestamp replaced */
  restamp(line: string, stamp: string): string;
}

export const SPACE_FIELDS: FieldSyntax = {
  split: (line) => line.split(' '),
  join: (fields) => fields.join(' '),
  restamp(line, stamp) {
    // classic stamps are three tokens (`Mar  1 08:00:00`, with an empty one for the padding), the others one
    const classic = /^[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)? /.exec(line);
    if (classic) return `${stamp} ${line.slice(classic[0].length)}`;
    const sp = line.indexOf(' ', line.startsWith('<') ? line.indexOf(' ') + 1 : 0);
    return sp < 0 ? stamp : `${stamp}${line.slice(sp)}`;
  },
};

/** RFC 4180 fields (the Exchange splitter reads them; a value with a quote, comma or break is quoted). */
export const CSV_FIELDS: FieldSyntax = {
  split: (line) => splitRow(line).fields ?? line.split(','),
  join: (fields) => fields.map((f) => (/[",\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(','),
  restamp(line, stamp) {
    const fields = CSV_FIELDS.split(line);
    fields[0] = stamp;
    return CSV_FIELDS.join(fields);
  },
};

function mangleDigits(line: string, seed: number): string {
  // the first 40 characters hold the timestamp in every format here
  let s = seed;
  return line.replace(/\d/g, (d, i: number) => {
    if (i > 40) return d;
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % 3 === 0 ? String(s % 10) : d;
  });
}

export function applyMutations(lines: readonly string[], mutations: readonly Mutation[], syntax: FieldSyntax): string[] {
  const out = [...lines];
  for (const m of mutations) {
    if (out.length === 0) break;
    const i = m.line % out.length;
    const line = out[i];
    const at = 'at' in m ? m.at % (line.length + 1) : 0;
    switch (m.t) {
      case 'cut': out[i] = line.slice(0, at); break;
      case 'replace': out[i] = line.slice(0, at) + m.text + line.slice(at + 1); break;
      case 'insert': out[i] = line.slice(0, at) + m.text + line.slice(at); break;
      case 'delete': out[i] = line.slice(0, at) + line.slice(at + m.len); break;
      case 'swapFields': {
        const f = syntax.split(line);
        const a = m.a % f.length;
        const b = m.b % f.length;
        [f[a], f[b]] = [f[b], f[a]];
        out[i] = syntax.join(f);
        break;
      }
      case 'dupField': {
        const f = syntax.split(line);
        const a = m.a % f.length;
        f.splice(a, 0, f[a]);
        out[i] = syntax.join(f);
        break;
      }
      case 'setField': {
        const f = syntax.split(line);
        f[m.a % f.length] = m.value;
        out[i] = syntax.join(f);
        break;
      }
      case 'stamp': out[i] = syntax.restamp(line, m.stamp); break;
      case 'digits': out[i] = mangleDigits(line, m.seed); break;
      case 'number': {
        const numbers = [...line.matchAll(/\d+(?:\.\d+)?/g)];
        if (numbers.length === 0) break;
        const n = numbers[m.nth % numbers.length];
        out[i] = line.slice(0, n.index) + m.value + line.slice(n.index + n[0].length);
        break;
      }
      case 'dupLine': out.splice(i, 0, line); break;
      case 'dropLine': out.splice(i, 1); break;
      case 'moveLine': {
        out.splice(i, 1);
        out.splice(m.to % (out.length + 1), 0, line);
        break;
      }
    }
  }
  // a value with a line break splits the line where the file is written, as a quoted CSV field does
  return out.flatMap((l) => l.split('\n'));
}

/** Interleave lines of several sources by a pattern (source index per step, modulo the sources left). */
export function interleave(sources: readonly (readonly string[])[], pattern: readonly number[]): string[] {
  const queues = sources.map((s) => [...s]).filter((q) => q.length > 0);
  const out: string[] = [];
  let k = 0;
  while (queues.length > 0) {
    const q = (pattern.length > 0 ? pattern[k++ % pattern.length] : 0) % queues.length;
    out.push(queues[q].shift()!);
    if (queues[q].length === 0) queues.splice(q, 1);
  }
  return out;
}

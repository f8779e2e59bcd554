/**
 * RFC 4180 fields of one Exchange log row (log-formats.md §1.8): a field is quoted when it holds
 * a comma, a quote inside is doubled. A quoted field may hold a line break, so a row can span
 * lines: `splitRow` says when the quote is still open and the caller joins the next line.
 */
export type SplitResult = { fields: string[]; open: false } | { fields: undefined; open: true };

export function splitRow(text: string): SplitResult {
  // fast path: no quotes at all (most tracking rows, nearly every protocol-log row)
  if (text.indexOf('"') < 0) return { fields: text.split(','), open: false };
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      // quoted field
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return { fields: undefined, open: true };
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // tolerate junk between the closing quote and the comma (seen in hand-edited files)
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(value + text.slice(i));
        return { fields, open: false };
      }
      fields.push(value + text.slice(i, comma));
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return { fields, open: false };
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
    if (i > n) return { fields, open: false };
    if (i === n) {
      fields.push('');
      return { fields, open: false };
    }
  }
}

import type { Cell, ReportTable } from './model.ts';

/**
 * CSV as RFC 4180 says: CRLF between records, a field quoted when it holds a comma, a quote, CR or
 * LF, and quotes inside doubled. Report cells carry server names, domains and SMTP replies that
 * anyone who sends mail can choose, and a spreadsheet runs a cell that starts with = + - @ (or a
 * tab or CR, which some read past) as a formula: such text cells get a leading apostrophe (OWASP,
 * "CSV Injection"). Numbers are written as numbers and never guarded.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: Cell): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function tableCsv(t: ReportTable): { name: string; text: string } {
  return { name: `${t.file}.csv`, text: toCsv(t.columns, t.rows) };
}

import { splitRow } from './csv.ts';
import { headerRowKind } from './online.ts';

/**
 * An Exchange W3C-style log starts (after an optional BOM) with `#Software: Microsoft Exchange`;
 * an Exchange Online export starts with a CSV header row of known column names (maybe after
 * Export-Csv's `#TYPE …` line).
 */
export function looksLikeExchange(lines: readonly string[]): boolean {
  const head = lines.filter((l) => l.trim() !== '').slice(0, 3).map((l) => l.replace(/^\uFEFF/, ''));
  if (head.length === 0) return false;
  if (/^#Software: Microsoft Exchange/i.test(head[0])) return true;
  if (head.some((l) => /^#Log-type: (Message Tracking|SMTP (Receive|Send))/i.test(l))) return true;
  const header = head.find((l) => !l.startsWith('#TYPE'));
  if (!header) return false;
  const split = splitRow(header);
  return !split.open && headerRowKind(split.fields.map((f) => f.trim())) !== undefined;
}

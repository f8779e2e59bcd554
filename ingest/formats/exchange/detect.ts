/** An Exchange W3C-style log starts (after an optional BOM) with `#Software: Microsoft Exchange`. */
export function looksLikeExchange(lines: readonly string[]): boolean {
  const first = lines.find((l) => l.trim() !== '');
  if (!first) return false;
  const t = first.replace(/^\uFEFF/, '');
  return /^#Software: Microsoft Exchange/i.test(t) || (/^#(Version|Log-type|Fields):/i.test(t) && lines.some((l) => /^#Log-type: (Message Tracking|SMTP (Receive|Send))/i.test(l.replace(/^\uFEFF/, ''))));
}

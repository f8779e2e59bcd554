import type { AuthClaim } from '../../../schemas/index.ts';

/**
 * `Authentication-Results` (RFC 8601 §2.2) and `ARC-Authentication-Results` (RFC 8617 §4.1.1, the
 * same payload after an `i=N;` instance tag) → one claim per method result: what the server that
 * stamped the header says it checked (SPF, DKIM, DMARC, ARC …). Shown as claims: nothing is
 * re-verified, and a header from outside one's own servers may be forged (log-formats §6.4).
 */
export function authClaims(header: AuthClaim['header'], value: string): AuthClaim[] {
  const parts = splitOutside(value.replace(/\s+/g, ' ').trim());
  let i = 0;
  let instance = 0;
  if (header === 'ARC-Authentication-Results') {
    const m = /^i\s*=\s*(\d+)$/.exec(parts[0] ?? '');
    if (m) {
      instance = Number(m[1]);
      i = 1;
    }
  }
  // authserv-id, optionally followed by a version number; Exchange Online often writes none (§6.4)
  const first = (parts[i] ?? '').trim();
  const hasServ = !RESULT.test(first);
  const authserv = hasServ ? first.replace(/\([^)]*\)/g, '').trim().split(' ')[0] ?? '' : '';
  const out: AuthClaim[] = [];
  for (const p of parts.slice(hasServ ? i + 1 : i)) {
    const m = RESULT.exec(p.trim());
    // `none` alone says no method was applied (RFC 8601 §2.2): no claim
    if (!m) continue;
    out.push({ header, instance, authserv, method: m[1].toLowerCase(), result: m[2].toLowerCase(), detail: m[3].trim() });
  }
  return out;
}

const RESULT = /^([A-Za-z0-9_-]+)(?:\/\d+)?\s*=\s*([A-Za-z0-9_-]+)\s*(.*)$/;

/** Split at `;` outside comments and quoted strings. */
function splitOutside(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of text) {
    if (ch === '"' && depth === 0) quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ';' && depth === 0 && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

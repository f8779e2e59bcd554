import type { TlsStatus } from '../../../schemas/index.ts';
import { calendarMs, storable } from '../calendar.ts';
import { normalizeTlsVersion } from '../tls-version.ts';

export { normalizeTlsVersion };

/**
 * One `Received:` header → one hop as the receiving server claims it (log-formats §4.5, §5). The
 * value is unfolded, then split at the clause words `from`, `by`, `via`, `with`, `id`, `for` that
 * stand outside parentheses; the date is the text after the last `;` (as Microsoft's Message
 * Header Analyzer does, §5.5). TLS is read only from shapes that say it, each named in the hop's
 * evidence:
 *   Postfix      `(using TLSv1.3 with cipher … (256/256 bits) …)`, and its `with ESMTP` without `S`
 *                (Postfix adds the `S` when the session ran TLS, §4.5) as plaintext
 *   Microsoft    `with Microsoft SMTP Server (version=TLS1_2, cipher=…)`, `(TLS)`; the same server
 *                line with neither is plaintext (§5.2); `with mapi` is not SMTP: unknown
 *   Google,      `(version=TLS1_3 cipher=… bits=256/256)`, `(version=TLSv1/SSLv3 cipher=…)`,
 *   Sendmail     `(Google Transport Security)`
 *   Exim         `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`, `(TLSv1.3:TLS_…:256)`
 *   RFC 3848     `with ESMTPS`, `ESMTPSA`, `LMTPS`, `UTF8SMTPS…`: encrypted without details
 * Anything else — a bare `with ESMTP` from an unknown writer, vendor notations we do not know —
 * stays unknown: a header is a claim, and absence of a marker is no proof (§5.1 caveat).
 * A value without a `by` clause (`(qmail 90138 invoked from network)`) is no hop.
 */
export interface ReceivedHop {
  /** the name the sender gave (HELO), as written after `from` */
  from: string;
  /** the sender's reverse-DNS name in the comment, when given */
  fromName: string;
  fromIp: string;
  /** the receiving server, as written after `by` */
  by: string;
  byIp: string;
  /** protocol keyword as written (`ESMTPS`, `LMTP`, `Microsoft SMTP Server`, `mapi`, …) */
  with: string;
  /** the receiving server's id for the message: for Postfix its queue id (joins the log) */
  id: string;
  for: string;
  via: string;
  tls: TlsStatus;
  /** `TLSv1.2` style, '' when not given */
  tlsVersion: string;
  cipher: string;
  /** the shape that decided `tls` ('' when unknown) */
  tlsEvidence: string;
  /** ISO 8601 UTC, '' when the date is missing or unreadable */
  date: string;
}

const CLAUSE = new Set(['from', 'by', 'via', 'with', 'id', 'for']);

/** Split at clause words outside parentheses: `from a (b [1.2.3.4]) by c with ESMTPS id X` → {from, by, with, id}. */
function clauses(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let current = '';
  let buf = '';
  const flush = () => {
    if (current && !out.has(current)) out.set(current, buf.trim());
    buf = '';
  };
  const tokens = text.split(/(\s+|[()])/).filter((t) => t !== '');
  for (const t of tokens) {
    if (t === '(') depth++;
    if (depth === 0 && CLAUSE.has(t.toLowerCase())) {
      flush();
      current = t.toLowerCase();
      continue;
    }
    if (t === ')') depth = Math.max(0, depth - 1);
    buf += t;
  }
  flush();
  return out;
}

interface TlsClaim { tls: TlsStatus; tlsVersion: string; cipher: string; tlsEvidence: string }

function tlsOf(value: string, withClause: string, by: string): TlsClaim {
  const none: TlsClaim = { tls: 'unknown', tlsVersion: '', cipher: '', tlsEvidence: '' };
  const yes = (evidence: string, version = '', cipher = ''): TlsClaim => ({ tls: 'encrypted', tlsVersion: version ? normalizeTlsVersion(version) : '', cipher, tlsEvidence: evidence });
  let m = /\(using (\S+) with cipher (\S+)/.exec(value);
  if (m) return yes('header-postfix-using', m[1], m[2]);
  m = /with Microsoft SMTP Server \(version=([\w.]+), cipher=([\w-]+)\)/.exec(value);
  if (m) return yes('header-microsoft', m[1], m[2]);
  if (/with Microsoft SMTP Server \(TLS\)/.test(value)) return yes('header-microsoft');
  m = /\(version=(TLS1_[0-3]|TLSv1(?:\.[0-3])?(?:\/SSLv3)?|SSLv3) cipher=([\w-]+)(?: bits=[\d/]+)?[^)]*\)/.exec(value);
  if (m) return yes('header-version-cipher', m[1], m[2]);
  if (/\(Google Transport Security\)/.test(value)) return yes('header-google-transport-security');
  m = /with esmtps?a?\s+\((TLS[\w.]+)\)\s+tls\s+([\w-]+)/i.exec(value) ?? /\((TLSv?1[._]?[0-3]?):([\w-]+):\d+\)/.exec(value);
  if (m) return yes('header-exim', m[1], m[2]);
  const kw = withClause.split(/\s+/)[0] ?? '';
  if (/^(ESMTPSA?|LMTPSA?|UTF8SMTPSA?|UTF8LMTPSA?)$/i.test(kw)) return yes('header-protocol-keyword');
  if (/^Microsoft$/i.test(kw) && /with Microsoft SMTP Server(?! \()/.test(value)) return { tls: 'plaintext', tlsVersion: '', cipher: '', tlsEvidence: 'header-microsoft-no-tls' };
  // Postfix writes the S when the session ran TLS (§4.5): its ESMTP/SMTP without one is a claim of no TLS
  if (/\(Postfix\)/.test(by) && /^(E?SMTP|LMTP|UTF8SMTP)A?$/i.test(kw)) return { tls: 'plaintext', tlsVersion: '', cipher: '', tlsEvidence: 'header-postfix-protocol' };
  return none;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** RFC 5322 zones, with the obsolete US names (§4.3) */
const ZONES: Record<string, number> = { UT: 0, UTC: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420 };
const DATE = /(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,3})?/;

/** An RFC 5322 date (as Received headers write it) → ISO UTC, or '' when it names no time. */
export function receivedDate(text: string): string {
  const m = DATE.exec(text);
  if (!m) return '';
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) return '';
  const zone = m[7] ?? '+0000';
  let offset: number;
  if (/^[+-]\d{4}$/.test(zone)) {
    const mins = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    if (Number(zone.slice(3, 5)) > 59) return '';
    offset = zone[0] === '-' ? -mins : mins;
  } else {
    const z = ZONES[zone.toUpperCase()];
    if (z === undefined) return '';
    offset = z;
  }
  const ms = calendarMs(Number(m[3]), month + 1, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0);
  if (Number.isNaN(ms)) return '';
  const utc = ms - offset * 60_000;
  return storable(utc) ? new Date(utc).toISOString() : '';
}

/** `host (name [1.2.3.4])`, `host ([1.2.3.4])`, `host (1.2.3.4)`, `host [1.2.3.4]` → parts */
function hostParts(clause: string): { name: string; rdns: string; ip: string } {
  const name = clause.split(/[\s(]/)[0] ?? '';
  const ip = /\[(?:IPv6:)?([0-9A-Fa-f:.%]+)\]/.exec(clause)?.[1] ?? /\((?:[^()\s]+\s+)?\(?([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:%]+)\)/.exec(clause)?.[1] ?? '';
  const rdns = /\(([A-Za-z0-9][\w.-]*\.[A-Za-z][\w.-]*?)\.?\s*\[/.exec(clause)?.[1] ?? '';
  return { name, rdns, ip };
}

/** One Received value → its hop, or why it is none. */
export function parseReceived(raw: string): ReceivedHop | { error: string } {
  const value = raw.replace(/^Received:\s*/i, '').replace(/\r?\n[ \t]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (value === '') return { error: 'empty Received header' };
  const semi = value.lastIndexOf(';');
  const body = semi >= 0 ? value.slice(0, semi) : value;
  const date = semi >= 0 ? receivedDate(value.slice(semi + 1)) : '';
  const c = clauses(body);
  const by = c.get('by') ?? '';
  if (!by) return { error: 'no "by" clause: no receiving server, so no hop' };
  const from = hostParts(c.get('from') ?? '');
  const byHost = hostParts(by);
  const withClause = c.get('with') ?? '';
  return {
    from: from.name, fromName: from.rdns, fromIp: from.ip,
    by: byHost.name, byIp: byHost.ip,
    with: /^Microsoft SMTP Server/i.test(withClause) ? 'Microsoft SMTP Server' : withClause.split(/[\s(]/)[0] ?? '',
    id: (c.get('id') ?? '').split(/[\s(;]/)[0] ?? '',
    for: /<([^>]*)>/.exec(c.get('for') ?? '')?.[1] ?? (c.get('for') ?? '').split(/\s/)[0] ?? '',
    via: c.get('via') ?? '',
    ...tlsOf(value, withClause, by),
    date,
  };
}

export interface ChainHop extends ReceivedHop {
  /** seconds since the previous hop with a date (oldest first); null for the first or an undated hop */
  delay: number | null;
  /** the clocks disagree: this hop is dated before the one before it */
  skew: boolean;
}

/**
 * The Received headers of one message, as they stand (newest first), → hops oldest first with
 * the delay from the previous dated hop (§5.5: negative delays are flagged, not clamped). Values
 * that are no hop are returned beside, with the reason.
 */
export function receivedChain(values: readonly string[]): { hops: ChainHop[]; rejected: { value: string; error: string }[] } {
  const hops: ChainHop[] = [];
  const rejected: { value: string; error: string }[] = [];
  let prev = Number.NaN;
  for (const v of [...values].reverse()) {
    const h = parseReceived(v);
    if ('error' in h) {
      rejected.push({ value: v, error: h.error });
      continue;
    }
    const t = h.date ? Date.parse(h.date) : Number.NaN;
    const delay = Number.isNaN(t) || Number.isNaN(prev) ? null : (t - prev) / 1000;
    hops.push({ ...h, delay, skew: delay !== null && delay < 0 });
    if (!Number.isNaN(t)) prev = t;
  }
  return { hops, rejected };
}

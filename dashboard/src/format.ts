import type { Hop, HopProvenance, ProtectionMechanism, RecipientStatus, TlsStatus } from '../../schemas/index.ts';

/**
 * Display helpers. Times are shown in UTC everywhere: a trace spans servers whose logs may be
 * written in different zones, and the store holds UTC.
 */
const count = new Intl.NumberFormat('en-US');

export function fmtCount(n: number): string {
  return count.format(n);
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${fmtCount(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function parse(iso: string): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `2026-03-01 08:00:01` (UTC), or an em dash when the time is not known. */
export function fmtDateTime(iso: string): string {
  const d = parse(iso);
  return d ? d.toISOString().slice(0, 19).replace('T', ' ') : '—';
}

/** `08:00:02.700`, prefixed by the date when it is not `refDay` (YYYY-MM-DD). */
export function fmtClock(iso: string, refDay?: string): string {
  const d = parse(iso);
  if (!d) return '—';
  const s = d.toISOString();
  const clock = s.slice(11, 23);
  return refDay && s.slice(0, 10) !== refDay ? `${s.slice(0, 10)} ${clock}` : clock;
}

export function dayOf(iso: string): string | undefined {
  return parse(iso)?.toISOString().slice(0, 10);
}

export function msBetween(startIso: string, endIso: string): number | undefined {
  const a = parse(startIso);
  const b = parse(endIso);
  return a && b ? b.getTime() - a.getTime() : undefined;
}

export function fmtDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const neg = ms < 0 ? '−' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${neg}${Math.round(abs)} ms`;
  if (abs < 59_950) return `${neg}${(abs / 1000).toFixed(abs < 9_995 ? 2 : 1)} s`;
  // round in the smaller unit first, then choose the units: 59.6 minutes is "1 h 0 m", not "0 h 60 m"
  const sec = Math.round(abs / 1000);
  if (sec < 3600) return `${neg}${Math.floor(sec / 60)} m ${sec % 60} s`;
  const min = Math.round(abs / 60_000);
  if (min < 1440) return `${neg}${Math.floor(min / 60)} h ${min % 60} m`;
  const hours = Math.round(abs / 3_600_000);
  return `${neg}${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export const STATUS_ORDER: readonly RecipientStatus[] = ['delivered', 'deferred', 'bounced', 'rejected', 'unknown'];
export const TLS_ORDER: readonly TlsStatus[] = ['encrypted', 'plaintext', 'unknown'];

/** Kept in step with the --tls-* variables in app.css (the charts need them as values). */
export const TLS_COLOR: Record<TlsStatus, string> = { encrypted: '#1a7f37', plaintext: '#cf222e', unknown: '#8c959f' };
/** Kept in step with the .status-* rules in app.css. */
export const STATUS_COLOR: Record<RecipientStatus, string> = { delivered: '#1a7f37', deferred: '#9a6700', bounced: '#cf222e', rejected: '#8250df', unknown: '#59636e' };
/** Weak TLS and unverified certificates on the Security page's charts. */
export const FINDING_COLOR = { plaintext: '#cf222e', weakTls: '#bc4c00', unverified: '#8250df', unknown: '#8c959f' } as const;

export const LINK_LABEL: Record<Hop['link'], string> = {
  'first-hop': 'first hop',
  'queued-as': 'queued as (exact)',
  'message-id': 'message-id (inferred)',
  unmatched: 'unmatched',
  header: 'Received header only',
};

export const LINK_HELP: Record<Hop['link'], string> = {
  'first-hop': 'the client that handed the message to the first ingested server',
  'queued-as': "joined by the queue id in the next server's reply",
  'message-id': 'joined by Message-ID and time: the reply named no queue id',
  unmatched: 'handed to a server whose logs are not ingested, or the logs break off here (the next hop is unknown)',
  header: 'claimed by a Received header of a delivered copy; no ingested log saw this hop',
};

export const PROVENANCE_LABEL: Record<HopProvenance, string> = {
  log: 'log',
  header: 'header only',
  both: 'log + header',
};

export const PROVENANCE_HELP: Record<HopProvenance, string> = {
  log: 'seen in the logs of an ingested server',
  header: 'only a Received header of a delivered copy claims this hop: a claim by the receiving server, no ingested log saw it',
  both: 'the logs and a Received header of a delivered copy describe the same hand-off',
};

/** What each mechanism means; the badge itself shows the mechanism's own name (as the API and search filter spell it). */
export const PROTECTION_HELP: Record<ProtectionMechanism, string> = {
  'smime-signed': 'S/MIME signature (claimed by the MIME structure, not verified)',
  'smime-encrypted': 'S/MIME encryption: the content is readable only by the recipients',
  'pgp-signed': 'OpenPGP signature (claimed by the MIME structure or inline armour, not verified)',
  'pgp-encrypted': 'OpenPGP encryption: the content is readable only by the recipients',
  irm: 'Microsoft rights management (IRM / Purview message encryption)',
};

/** What to write on a hop's TLS: the version when encrypted, else the state. */
export function tlsLabel(hop: Pick<Hop, 'tls' | 'tlsVersion'>): string {
  if (hop.tls === 'encrypted') return hop.tlsVersion || 'TLS';
  return hop.tls === 'plaintext' ? 'PLAINTEXT' : 'unknown';
}

/** Cut a long host or address for a chart label; the full text stays in the tooltip. */
export function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

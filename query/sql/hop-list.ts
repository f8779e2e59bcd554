import { HOPS_TABLE, HopList, UNVERIFIED_TRUST, WEAK_TLS_VERSIONS, type HopFilter, type HopListQuery } from '../../schemas/index.ts';
import { isoFromStore as isoOf, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';
import { hopScope, num } from './scope.ts';

/**
 * The drill-down of every view: the hand-offs behind a number (a server pair, a TLS finding),
 * newest first, each with the message it belongs to so the trace is one click away.
 */
const FILTERS: Record<HopFilter, string> = {
  all: '1',
  plaintext: "tls = 'plaintext'",
  'weak-tls': `tls = 'encrypted' AND tlsVersion IN {weak:Array(String)}`,
  unverified: `tls = 'encrypted' AND tlsTrust IN {unverified:Array(String)}`,
  unknown: "tls = 'unknown'",
};

export async function listHops(store: Store, q: HopListQuery): Promise<HopList> {
  const { hopFrom, hopTo, filter, limit, offset, ...view } = q;
  const h = hopScope(view);
  // one row per hand-off: its first recipient's, or its first of the domain that narrows the rows
  const where = [h.where, FILTERS[filter], h.first];
  const params = { ...h.params, weak: [...WEAK_TLS_VERSIONS], unverified: [...UNVERIFIED_TRUST], limit, offset, hopFrom: hopFrom ?? '', hopTo: hopTo ?? '' };
  if (hopFrom !== undefined) where.push('`from` = {hopFrom:String}');
  if (hopTo !== undefined) where.push('`to` = {hopTo:String}');
  const from = `(SELECT * FROM ${store.table(HOPS_TABLE)} FINAL WHERE ${where.join(' AND ')})`;
  const rows = await store.query<{ messageKey: string; messageId: string; recipient: string; from: string; to: string; tls: string; tlsVersion: string; cipher: string; tlsTrust: string; tlsEvidence: string; startText: string; provenance: string }>(
    `SELECT messageKey, messageId, recipient, \`from\`, \`to\`, tls, tlsVersion, cipher, tlsTrust, tlsEvidence, toString(start) AS startText, provenance
     FROM ${from} ORDER BY start DESC, messageKey, recipient LIMIT {limit:UInt32} OFFSET {offset:UInt32}`, params);
  const [total] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${from}`, params);
  return fromStore(HopList, {
    total: num(total?.n),
    rows: rows.map((r) => ({
      messageId: r.messageId,
      // what the trace route takes: the message id, or the queue a message row without one is keyed by (`queue:host:id`)
      traceId: r.messageId || r.messageKey.split(':').slice(2).join(':'),
      recipient: r.recipient, from: r.from, to: r.to, tls: r.tls, tlsVersion: r.tlsVersion, cipher: r.cipher, tlsTrust: r.tlsTrust, tlsEvidence: r.tlsEvidence,
      start: isoOf(r.startText), provenance: r.provenance,
    })),
  }, 'the hop list');
}

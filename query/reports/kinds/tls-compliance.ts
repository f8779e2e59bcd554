import type { HopList, OverviewView, SecurityRow, SecurityView } from '../../../schemas/index.ts';
import { listHops } from '../../sql/hop-list.ts';
import { overviewView, securityView } from '../../sql/views.ts';
import { bucketLabel, COLORS, share, type Cell, type KindDefinition } from '../model.ts';
import { gatherPolicy, policySection, policyTotals, type PolicyPartData } from './tls-policy.ts';

/**
 * TLS compliance: per route (server pair) and per recipient domain, how many hand-offs went in
 * plaintext, with weak TLS (below 1.2) or to an unverified certificate — the Security page's
 * numbers — and every plaintext route, with the hand-offs behind them to follow up; and, when the
 * config file has a TLS policy, each rule's violations and what the logs cannot judge (tls-policy.ts).
 */
export interface TlsComplianceData {
  security: SecurityView;
  overview: OverviewView;
  /** the newest plaintext hand-offs (up to PLAINTEXT_HOPS), each with its trace id */
  plaintextHops: HopList;
  /** the TLS policy's rules and their findings in the period (no rules: none configured) */
  policy: PolicyPartData;
}

export const PLAINTEXT_HOPS = 500;
const TOP = 10;

const FINDINGS = ['handoffs', 'plaintext', 'weak TLS', 'unverified', 'unknown TLS', 'first plaintext', 'last plaintext'] as const;
const findings = (r: SecurityRow): Cell[] => [r.handoffs, r.plaintext, r.weakTls, r.unverified, r.unknown, r.firstPlaintext, r.lastPlaintext];

export const tlsCompliance: KindDefinition<TlsComplianceData> = {
  title: 'TLS compliance',
  async gather(store, q, { policy, period }) {
    return {
      security: await securityView(store, q),
      overview: await overviewView(store, q),
      plaintextHops: await listHops(store, { ...q, filter: 'plaintext', limit: PLAINTEXT_HOPS, offset: 0 }),
      policy: await gatherPolicy(store, policy, period),
    };
  },
  content({ security, overview, plaintextHops, policy }) {
    const t = security.totals;
    const tlsTotal = overview.tls.reduce((a, b) => ({ encrypted: a.encrypted + b.encrypted, all: a.all + b.encrypted + b.plaintext + b.unknown }), { encrypted: 0, all: 0 });
    const plaintextRoutes = security.byPair.filter((r) => r.plaintext > 0);
    const findingsOf = (r: SecurityRow) => r.plaintext + r.weakTls + r.unverified;
    const topRoutes = security.byPair.filter((r) => findingsOf(r) > 0).sort((a, b) => findingsOf(b) - findingsOf(a) || b.handoffs - a.handoffs).slice(0, TOP);
    const x = overview.tls.map((b) => bucketLabel(b.t, overview.bucketSeconds));
    const findingsX = security.overTime.map((b) => bucketLabel(b.t, security.bucketSeconds));
    return {
      title: 'TLS compliance',
      totals: [
        ['hand-offs', t.handoffs], ['plaintext', t.plaintext], ['weak TLS', t.weakTls], ['unverified certificate', t.unverified],
        ['TLS unknown', t.unknown], ['encrypted share', share(tlsTotal.encrypted, tlsTotal.all)], ['plaintext routes', plaintextRoutes.length],
        ...policyTotals(policy),
      ],
      charts: [
        {
          type: 'time', file: 'tls-share', title: 'TLS share of hand-offs over time (UTC)', layout: 'percent', x,
          series: [
            { name: 'encrypted', data: overview.tls.map((b) => b.encrypted), color: COLORS.encrypted },
            { name: 'plaintext', data: overview.tls.map((b) => b.plaintext), color: COLORS.plaintext },
            { name: 'unknown', data: overview.tls.map((b) => b.unknown), color: COLORS.unknown },
          ],
        },
        {
          type: 'time', file: 'findings', title: 'Findings over time (UTC)', layout: 'side-by-side', x: findingsX,
          series: [
            { name: 'plaintext', data: security.overTime.map((b) => b.plaintext), color: COLORS.plaintext },
            { name: 'weak TLS', data: security.overTime.map((b) => b.weakTls), color: COLORS.weakTls },
            { name: 'unverified', data: security.overTime.map((b) => b.unverified), color: COLORS.unverified },
          ],
        },
        {
          type: 'bars', file: 'top-routes', title: `Routes with the most findings (top ${TOP})`, unit: 'hand-offs', layout: 'side-by-side',
          labels: topRoutes.map((r) => `${r.from} → ${r.to}`),
          series: [
            { name: 'plaintext', data: topRoutes.map((r) => r.plaintext), color: COLORS.plaintext },
            { name: 'weak TLS', data: topRoutes.map((r) => r.weakTls), color: COLORS.weakTls },
            { name: 'unverified', data: topRoutes.map((r) => r.unverified), color: COLORS.unverified },
          ],
        },
      ],
      sections: [policySection(policy)],
      tables: [
        { file: 'plaintext-routes', title: 'Plaintext routes', columns: ['from', 'to', 'plaintext', 'handoffs', 'first plaintext', 'last plaintext'], rows: plaintextRoutes.map((r) => [r.from, r.to, r.plaintext, r.handoffs, r.firstPlaintext, r.lastPlaintext]) },
        { file: 'routes', title: 'Per route (server pair)', columns: ['from', 'to', ...FINDINGS], rows: security.byPair.map((r) => [r.from, r.to, ...findings(r)]) },
        { file: 'domains', title: 'Per recipient domain', note: 'a hand-off that carried recipients of two domains counts under both', columns: ['domain', ...FINDINGS], rows: security.byDomain.map((r) => [r.key, ...findings(r)]) },
        { file: 'new-plaintext-peers', title: 'Peers whose first plaintext hand-off falls in this period', columns: ['peer', 'first plaintext', 'plaintext hand-offs (all time)'], rows: security.newPlaintextPeers.map((p) => [p.peer, p.firstPlaintext, p.handoffs]) },
        {
          file: 'plaintext-handoffs', title: 'Plaintext hand-offs',
          note: plaintextHops.total > plaintextHops.rows.length ? `the newest ${plaintextHops.rows.length} of ${plaintextHops.total}` : undefined,
          columns: ['start', 'from', 'to', 'recipient', 'message-id', 'trace id'],
          rows: plaintextHops.rows.map((h) => [h.start, h.from, h.to, h.recipient, h.messageId, h.traceId]),
        },
      ],
      data: { security, overview, plaintextHops, policy },
    };
  },
};

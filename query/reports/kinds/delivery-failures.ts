import { RecipientStatus, type DeliveryView, type OverviewView } from '../../../schemas/index.ts';
import { deliveryView, overviewView } from '../../sql/views.ts';
import { COLORS, share, type KindDefinition } from '../model.ts';

/**
 * Delivery failures: deferrals, bounces and refusals grouped by their reason (the Delivery page's
 * grouping: status, DSN and the reply with ids masked), the outcome of every recipient, and the
 * hand-off latency per route.
 */
export interface DeliveryFailuresData {
  delivery: DeliveryView;
  overview: OverviewView;
}

const TOP = 10;
const STATUS_COLOR: Record<RecipientStatus, string> = {
  delivered: COLORS.delivered, deferred: COLORS.deferred, bounced: COLORS.bounced, rejected: COLORS.rejected, unknown: COLORS.unknownStatus,
};

export const deliveryFailures: KindDefinition<DeliveryFailuresData> = {
  title: 'Delivery failures',
  async gather(store, q) {
    return { delivery: await deliveryView(store, q), overview: await overviewView(store, q) };
  },
  content({ delivery, overview }) {
    const o = overview.outcome;
    const recipients = RecipientStatus.options.reduce((a, s) => a + o[s], 0);
    const failed = o.deferred + o.bounced + o.rejected;
    const topReasons = delivery.reasons.slice(0, TOP);
    const slowest = [...delivery.latency].sort((a, b) => b.p95 - a.p95).slice(0, TOP);
    return {
      title: 'Delivery failures',
      totals: [
        ['recipients', recipients], ['delivered', o.delivered], ['deferred', o.deferred], ['bounced', o.bounced], ['rejected', o.rejected],
        ['failure share', share(failed, recipients)], ['end-to-end p50 (s)', delivery.endToEnd.p50], ['end-to-end p95 (s)', delivery.endToEnd.p95],
      ],
      charts: [
        { type: 'pie', file: 'outcome', title: 'Outcome per recipient', slices: RecipientStatus.options.map((s) => ({ name: s, value: o[s], color: STATUS_COLOR[s] })) },
        {
          type: 'bars', file: 'top-reasons', title: `Most frequent reasons (top ${TOP})`, unit: 'recipients', layout: 'stacked',
          labels: topReasons.map((r) => `${r.status} ${r.dsn}: ${r.reason}`),
          series: [{ name: 'recipients', data: topReasons.map((r) => r.recipients), color: COLORS.bounced }],
        },
        {
          type: 'bars', file: 'slowest-routes', title: `Slowest routes by p95 hand-off latency (top ${TOP})`, unit: 'seconds', layout: 'stacked',
          labels: slowest.map((l) => `${l.from} → ${l.to}`),
          series: [{ name: 'p95 latency (s)', data: slowest.map((l) => l.p95), color: COLORS.neutral }],
        },
      ],
      tables: [
        {
          file: 'reasons', title: 'Reasons (deferred, bounced, rejected)', note: 'addresses, ids and IP addresses in replies are masked so that like replies group',
          columns: ['status', 'dsn', 'reason', 'recipients', 'last seen', 'sample trace id'],
          rows: delivery.reasons.map((r) => [r.status, r.dsn, r.reason, r.recipients, r.lastSeen, r.sampleTraceId]),
        },
        {
          file: 'latency', title: 'Hand-off latency per route (seconds)',
          columns: ['from', 'to', 'handoffs', 'p50', 'p95', 'max'],
          rows: delivery.latency.map((l) => [l.from, l.to, l.handoffs, l.p50, l.p95, l.max]),
        },
        { file: 'outcome', title: 'Outcome per recipient', columns: ['status', 'recipients'], rows: RecipientStatus.options.map((s) => [s, o[s]]) },
      ],
      data: { delivery, overview },
    };
  },
};

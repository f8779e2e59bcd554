import { RecipientStatus, type OverviewView } from '../../../schemas/index.ts';
import { overviewView } from '../../sql/views.ts';
import { bucketLabel, COLORS, share, type KindDefinition } from '../model.ts';

/** Volume summary: messages and recipients over time, their outcome, and the TLS share of hand-offs (the Overview page). */
const STATUS_COLOR: Record<RecipientStatus, string> = {
  delivered: COLORS.delivered, deferred: COLORS.deferred, bounced: COLORS.bounced, rejected: COLORS.rejected, unknown: COLORS.unknownStatus,
};

export const volumeSummary: KindDefinition<OverviewView> = {
  title: 'Volume summary',
  gather: overviewView,
  content(view) {
    const messages = view.volume.reduce((a, b) => a + b.messages, 0);
    const recipients = view.volume.reduce((a, b) => a + b.recipients, 0);
    const tls = view.tls.reduce((a, b) => ({ encrypted: a.encrypted + b.encrypted, plaintext: a.plaintext + b.plaintext, unknown: a.unknown + b.unknown }), { encrypted: 0, plaintext: 0, unknown: 0 });
    const handoffs = tls.encrypted + tls.plaintext + tls.unknown;
    const o = view.outcome;
    return {
      title: 'Volume summary',
      totals: [
        ['messages', messages], ['recipients', recipients], ['delivered', o.delivered], ['deferred', o.deferred], ['bounced', o.bounced], ['rejected', o.rejected],
        ['hand-offs', handoffs], ['encrypted share', share(tls.encrypted, handoffs)],
      ],
      charts: [
        {
          type: 'time', file: 'volume', title: 'Messages over time (UTC)', layout: 'stacked', x: view.volume.map((b) => bucketLabel(b.t, view.bucketSeconds)),
          series: [{ name: 'messages', data: view.volume.map((b) => b.messages), color: COLORS.neutral }],
        },
        { type: 'pie', file: 'outcome', title: 'Outcome per recipient', slices: RecipientStatus.options.map((s) => ({ name: s, value: o[s], color: STATUS_COLOR[s] })) },
        {
          type: 'time', file: 'tls-share', title: 'TLS share of hand-offs over time (UTC)', layout: 'percent', x: view.tls.map((b) => bucketLabel(b.t, view.bucketSeconds)),
          series: [
            { name: 'encrypted', data: view.tls.map((b) => b.encrypted), color: COLORS.encrypted },
            { name: 'plaintext', data: view.tls.map((b) => b.plaintext), color: COLORS.plaintext },
            { name: 'unknown', data: view.tls.map((b) => b.unknown), color: COLORS.unknown },
          ],
        },
      ],
      tables: [
        { file: 'volume', title: 'Volume per bucket', note: `bucket: ${view.bucketSeconds / 3600} h, by the message's first sighting`, columns: ['bucket start', 'messages', 'recipients'], rows: view.volume.map((b) => [b.t, b.messages, b.recipients]) },
        { file: 'outcome', title: 'Outcome per recipient', columns: ['status', 'recipients'], rows: RecipientStatus.options.map((s) => [s, o[s]]) },
        {
          file: 'tls', title: 'TLS per bucket (hand-offs)', columns: ['bucket start', 'encrypted', 'plaintext', 'unknown', 'encrypted share'],
          rows: view.tls.map((b) => [b.t, b.encrypted, b.plaintext, b.unknown, share(b.encrypted, b.encrypted + b.plaintext + b.unknown)]),
        },
      ],
      data: view,
    };
  },
};

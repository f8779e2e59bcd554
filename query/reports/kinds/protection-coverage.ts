import { ProtectionMechanism, type ProtectionView } from '../../../schemas/index.ts';
import { protectionView } from '../../sql/views.ts';
import { COLORS, share, type Cell, type KindDefinition } from '../model.ts';

type ProtectionRow = ProtectionView['bySenderDomain'][number];

/**
 * Protection coverage: per sender and recipient domain, how many messages carried end-to-end
 * protection (S/MIME, PGP, IRM) in a copy mailtrace read. A message no copy was read of is
 * unknown, never unprotected: logs alone do not show the content.
 */
const TOP = 10;
const COLUMNS = ['domain', 'messages', 'copy read', 'protected', 'unprotected', 'unknown', ...ProtectionMechanism.options] as const;

/** known messages that showed at least one mechanism */
const protectedOf = (r: ProtectionRow) => r.known - r.unprotected;
const row = (r: ProtectionRow): Cell[] => [r.domain, r.messages, r.known, protectedOf(r), r.unprotected, r.messages - r.known, ...ProtectionMechanism.options.map((m) => r.mechanisms[m])];

function topChart(file: string, title: string, rows: ProtectionRow[]) {
  const top = rows.slice(0, TOP);
  return {
    type: 'bars' as const, layout: 'stacked' as const, file, title, unit: 'messages', labels: top.map((r) => r.domain),
    series: [
      { name: 'protected', data: top.map(protectedOf), color: COLORS.encrypted },
      { name: 'unprotected', data: top.map((r) => r.unprotected), color: COLORS.plaintext },
      { name: 'unknown (no copy read)', data: top.map((r) => r.messages - r.known), color: COLORS.unknown },
    ],
  };
}

export const protectionCoverage: KindDefinition<ProtectionView> = {
  title: 'Protection coverage',
  gather: protectionView,
  content(view) {
    // every message with a sender address has one sender domain: the sender rows add up to the messages
    const sum = (f: (r: ProtectionRow) => number) => view.bySenderDomain.reduce((a, r) => a + f(r), 0);
    const messages = sum((r) => r.messages);
    const known = sum((r) => r.known);
    return {
      title: 'Protection coverage',
      totals: [
        ['messages', messages], ['copy read', known], ['protected', sum(protectedOf)], ['unprotected', sum((r) => r.unprotected)],
        ['unknown (no copy read)', messages - known], ['protected share of read copies', share(sum(protectedOf), known)],
      ],
      charts: [
        topChart('sender-domains', `Sender domains (top ${TOP} by messages)`, view.bySenderDomain),
        topChart('recipient-domains', `Recipient domains (top ${TOP} by messages)`, view.byRecipientDomain),
      ],
      tables: [
        { file: 'sender-domains', title: 'By sender domain', note: 'messages with a sender address (not bounces with an empty sender)', columns: COLUMNS, rows: view.bySenderDomain.map(row) },
        { file: 'recipient-domains', title: 'By recipient domain', note: 'a message to two domains counts under both', columns: COLUMNS, rows: view.byRecipientDomain.map(row) },
      ],
      data: view,
    };
  },
};

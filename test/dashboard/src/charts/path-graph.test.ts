import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathGraphOption } from '../../../../dashboard/src/charts/path-graph.ts';
import { Trace, unknownProtection, type Hop } from '../../../../schemas/index.ts';

/** A hop with every field of the contract; the tests set what they look at. */
function hop(over: Partial<Hop>): Hop {
  return {
    from: 'a', to: 'b', fromRole: '', toRole: '', tls: 'encrypted', tlsVersion: 'TLSv1.3', cipher: '', tlsTrust: '',
    tlsEvidence: '', start: '2026-03-01T08:00:00.000Z', end: '2026-03-01T08:00:01.000Z', fromQueueId: '', toQueueId: '',
    link: 'queued-as', rule: 'queued-as', status: 'relayed', eventIds: [], provenance: 'log', protocol: '', conflict: '',
    ...over,
  };
}

function trace(hops: Hop[]): Trace {
  // parsed, so that the test breaks when the contract and these fixtures part
  return Trace.parse({
    messageId: '<m@example.org>', sender: 's@example.org', size: 1, firstSeen: hops[0].start, lastSeen: hops.at(-1)!.end,
    queues: [], servers: [], related: [], notes: [], protection: unknownProtection(),
    recipients: [{ address: 'r@example.net', status: 'delivered', hops, lastHost: hops.at(-1)!.to, dsn: '', reply: '', relay: '', lastSeen: hops.at(-1)!.end }],
  });
}

function lineTypes(t: Trace): { pair: string; type: unknown }[] {
  const series = pathGraphOption(t, 900).series;
  const graph = (Array.isArray(series) ? series[0] : series) as { links: { source: string; target: string; lineStyle: { type: unknown } }[] };
  return graph.links.map((l) => ({ pair: `${l.source}>${l.target}`, type: l.lineStyle.type }));
}

test('path graph: a hop only a Received header claims is dotted, a logged one solid, unknown TLS dashed', () => {
  const t = trace([
    hop({ from: 'client', to: 'edge', link: 'first-hop', rule: 'first-hop' }),
    hop({ from: 'edge', to: 'hub', tls: 'unknown', tlsVersion: '' }),
    hop({ from: 'hub', to: 'mx.partner.example', provenance: 'both', protocol: 'ESMTPS' }),
    hop({ from: 'mx.partner.example', to: 'store.partner.example', provenance: 'header', link: 'header', rule: 'received-header', protocol: 'LMTP' }),
  ]);
  assert.deepEqual(lineTypes(t), [
    { pair: 'client>edge', type: 'solid' },
    { pair: 'edge>hub', type: 'dashed' },
    { pair: 'hub>mx.partner.example', type: 'solid' },
    { pair: 'mx.partner.example>store.partner.example', type: 'dotted' },
  ]);
});

test('path graph: a header claim and a logged hop between the same servers stay two edges', () => {
  const r1 = hop({ from: 'hub', to: 'mx' });
  const t = trace([r1]);
  t.recipients.push({ ...t.recipients[0], address: 'q@example.net', hops: [hop({ from: 'hub', to: 'mx', provenance: 'header', link: 'header', rule: 'received-header' })] });
  assert.deepEqual(lineTypes(t).map((e) => e.type), ['solid', 'dotted']);
});

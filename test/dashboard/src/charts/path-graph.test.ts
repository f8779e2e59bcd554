import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathGraphHeight, pathGraphOption } from '../../../../dashboard/src/charts/path-graph.ts';
import { pathTree } from '../../../../dashboard/src/charts/path-tree.ts';
import { Trace, unknownProtection, type Hop } from '../../../../schemas/index.ts';

/** A hop with every field of the contract; the tests set what they look at. */
function hop(over: Partial<Hop>): Hop {
  return {
    from: 'a', to: 'b', fromRole: '', toRole: '', tls: 'encrypted', tlsVersion: 'TLSv1.3', cipher: '', tlsTrust: '',
    tlsEvidence: '', start: '2026-03-01T08:00:00.000Z', end: '2026-03-01T08:00:01.000Z', fromQueueId: '', toQueueId: '',
    link: 'queued-as', rule: 'queued-as', status: 'relayed', eventIds: [], provenance: 'log', protocol: '', conflict: '', fromConnector: '', toConnector: '',
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

interface Drawn {
  data: { id: string; name: string; value: [number, number] }[];
  links: { source: string; target: string; lineStyle: { type: unknown } }[];
}

function drawn(t: Trace): Drawn {
  const series = pathGraphOption(t, 900).series;
  return (Array.isArray(series) ? series[0] : series) as Drawn;
}

/** The drawn edges by the host names of their ends (nodes are ids: a server can be several). */
function lineTypes(t: Trace): { pair: string; type: unknown }[] {
  const graph = drawn(t);
  const host = new Map(graph.data.map((n) => [n.id, n.name]));
  return graph.links.map((l) => ({ pair: `${host.get(l.source)}>${host.get(l.target)}`, type: l.lineStyle.type }));
}

function recipient(address: string, hops: Hop[]): Trace['recipients'][number] {
  return { address, status: 'delivered', hops, lastHost: hops.at(-1)!.to, dsn: '', reply: '', relay: '', lastSeen: hops.at(-1)!.end };
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

/**
 * The sample's four-recipient Exchange message (bench/sample/exchange): in through edge1 to
 * mbx1's transport queue, which hands two recipients to mbx1's own mailbox delivery and two to
 * mbx2. Drawn per host name this was one line through mbx1 → mbx1 → mbx2; per (host, queue) it
 * forks after mbx1's transport queue.
 */
function exchangeFork(): Trace {
  const first = [
    hop({ from: 'mail.example.com', to: 'edge1', toQueueId: '70740640171029', link: 'first-hop', rule: 'first-hop' }),
    hop({ from: 'edge1', to: 'mbx1', fromQueueId: '70740640171029', toQueueId: '70822287043038' }),
  ];
  const local = hop({ from: 'mbx1', to: 'mbx1', fromQueueId: '70822287043038', toQueueId: '103136035' });
  const remote = hop({ from: 'mbx1', to: 'mbx2', fromQueueId: '70822287043038', toQueueId: '389667029' });
  const t = trace([...first, local]);
  t.recipients = [
    recipient('lena.garcia@corp.example', [...first, local]),
    recipient('erin.wilson66@corp.example', [...first, local]),
    recipient('omar.clark@corp.example', [...first, remote]),
    recipient('lucas.walker@corp.example', [...first, remote]),
  ];
  return Trace.parse(t);
}

test('path tree: where recipients part, the path forks; a server holding the message twice is two nodes', () => {
  const tree = pathTree(exchangeFork());
  const name = (key: string) => { const n = tree.nodes.find((x) => x.key === key)!; return n.queueId ? `${n.host}[${n.queueId}]` : n.host; };
  assert.deepEqual(tree.nodes.map((n) => [n.host, n.queueId, n.col]), [
    ['mail.example.com', '', 0], ['edge1', '70740640171029', 1], ['mbx1', '70822287043038', 2], ['mbx1', '103136035', 3], ['mbx2', '389667029', 3],
  ]);
  assert.deepEqual(tree.edges.map((e) => [`${name(e.from)} > ${name(e.to)}`, e.recipients.length]), [
    ['mail.example.com > edge1[70740640171029]', 4],
    ['edge1[70740640171029] > mbx1[70822287043038]', 4],
    ['mbx1[70822287043038] > mbx1[103136035]', 2],
    ['mbx1[70822287043038] > mbx2[389667029]', 2],
  ]);
  // two leaves, one slot each; the fork and everything before it between them
  assert.equal(tree.slots, 2);
  const y = new Map(tree.nodes.map((n) => [name(n.key), n.y]));
  assert.deepEqual([y.get('mbx1[103136035]'), y.get('mbx2[389667029]')], [0, 1]);
  assert.equal(y.get('mbx1[70822287043038]'), 0.5);
  assert.equal(y.get('mail.example.com'), 0.5);
  assert.deepEqual(tree.nodes.filter((n) => n.endsHere.length).map((n) => [name(n.key), n.endsHere.length]), [['mbx1[103136035]', 2], ['mbx2[389667029]', 2]]);
});

test('path graph: the fork is drawn as two branches, and mbx1\'s two nodes say their queues', () => {
  const graph = drawn(exchangeFork());
  assert.equal(graph.data.length, 5);
  assert.equal(graph.links.length, 4);
  const fork = graph.data.filter((n) => n.value[0] === 3);
  assert.deepEqual(fork.map((n) => n.name).sort(), ['mbx1', 'mbx2']);
  assert.notEqual(fork[0].value[1], fork[1].value[1], 'the branches sit apart');
  const labels = graph.data.map((n) => (n as unknown as { label: { formatter: () => string } }).label.formatter());
  assert.deepEqual(labels.filter((l) => l.startsWith('mbx1')), ['mbx1\n70822287043038', 'mbx1\n103136035']);
  assert.ok(labels.includes('mbx2'), 'a server drawn once keeps its plain name');
  assert.equal(pathGraphHeight(exchangeFork()), 2 * 72 + 40);
});

test('path tree: ends without a queue id stay on their own branch; a header hop continues the logged path', () => {
  const t = trace([hop({ from: 'client', to: 'hub', toQueueId: 'Q1', link: 'first-hop', rule: 'first-hop' })]);
  t.recipients = [
    recipient('a@one.example', [hop({ from: 'client', to: 'hub', toQueueId: 'Q1' }), hop({ from: 'hub', to: 'mx.one.example', fromQueueId: 'Q1', link: 'unmatched', rule: 'unmatched' })]),
    recipient('b@two.example', [hop({ from: 'client', to: 'hub', toQueueId: 'Q1' }), hop({ from: 'hub', to: 'mailbox', fromQueueId: 'Q1', toQueueId: 'Q2' }),
      hop({ from: 'mailbox', to: 'mx.one.example', fromQueueId: 'Q2', link: 'unmatched', rule: 'unmatched' }),
      hop({ from: 'mx.one.example', to: 'store.one.example', provenance: 'header', link: 'header', rule: 'received-header' })]),
  ];
  const tree = pathTree(Trace.parse(t));
  // mx.one.example is reached from two nodes: two nodes, no merge of the branches
  assert.equal(tree.nodes.filter((n) => n.host === 'mx.one.example').length, 2);
  assert.equal(tree.slots, 2);
  const store = tree.nodes.find((n) => n.host === 'store.one.example')!;
  assert.equal(store.col, 4, 'the header-only hop hangs off the logged mx.one.example of its own path');
  assert.deepEqual(lineTypes(Trace.parse(t)).filter((e) => e.type === 'dotted'), [{ pair: 'mx.one.example>store.one.example', type: 'dotted' }]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeClass } from '../../../../dashboard/src/charts/topology.ts';
import { edgeMidpoint, EXTENT, INNER, topologyLayout } from '../../../../dashboard/src/charts/topology-layout.ts';
import { TopologyView } from '../../../../schemas/index.ts';

function edge(from: string, to: string, handoffs: number, plaintext = 0, unknown = 0) {
  return { from, to, fromRole: '', toRole: '', handoffs, encrypted: handoffs - plaintext - unknown, plaintext, unknown };
}

/** edge, hub and mailbox (logs held), mail in from two peers, out to three, a workstation submitting to hub, mbx1's own transport. */
function view(): TopologyView {
  const edges = [
    edge('edge', 'hub', 50), edge('hub', 'edge', 20), edge('hub', 'mailbox', 40, 10), edge('mbx1', 'mbx1', 7),
    edge('mx.a.example', 'edge', 5), edge('mx.b.example', 'edge', 4, 4), edge('edge', 'out.c.example', 3), edge('edge', 'out.d.example', 2, 0, 2),
    edge('edge', 'out.e.example', 1), edge('ws-1.corp.example', 'hub', 6),
  ];
  const roles: Record<string, string> = { edge: 'server', hub: 'server', mailbox: 'server', mbx1: 'mailbox' };
  const ids = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
  return TopologyView.parse({ nodes: ids.map((id) => ({ id, role: roles[id] ?? 'external', handoffs: edges.filter((e) => e.from === id || e.to === id).reduce((a, e) => a + e.handoffs, 0) })), edges });
}

const angleGap = (a: number, b: number) => Math.abs(Math.atan2(Math.sin(a - b), Math.cos(a - b)));

test('topology layout: servers on the inner ring, each peer on the outer ring in its server\'s sector', () => {
  const layout = topologyLayout(view());
  assert.deepEqual(layout, topologyLayout(view()), 'the same answer draws the same picture');
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  for (const n of layout.nodes) assert.ok(Math.abs(Math.hypot(n.x, n.y) - (n.inner ? INNER : 1)) < 1e-9, n.id);
  const edgeServer = at.get('edge')!;
  const hub = at.get('hub')!;
  // each server sits in the middle of the arc its peers take, so their lines run outwards
  const edgePeers = ['mx.a.example', 'mx.b.example', 'out.c.example', 'out.d.example', 'out.e.example'].map((p) => at.get(p)!.angle);
  const mean = Math.atan2(edgePeers.reduce((a, x) => a + Math.sin(x), 0), edgePeers.reduce((a, x) => a + Math.cos(x), 0));
  assert.ok(angleGap(mean, edgeServer.angle) < 1e-9);
  assert.ok(angleGap(at.get('ws-1.corp.example')!.angle, hub.angle) < 1e-9);
  // and no other server's peer lies inside that arc
  const [lo, hi] = [Math.min(...edgePeers), Math.max(...edgePeers)];
  assert.ok(!(at.get('ws-1.corp.example')!.angle > lo && at.get('ws-1.corp.example')!.angle < hi));
  // a self-loop cannot be drawn as a line: it is counted on its node instead
  assert.equal(at.get('mbx1')!.selfLoop, 7);
  assert.deepEqual(layout.selfLoops.map((e) => `${e.from}>${e.to}`), ['mbx1>mbx1']);
  assert.ok(!layout.edges.some((e) => e.from === e.to));
  // mail both ways between two servers: two bows; the servers' own hand-offs drawn last (on top)
  assert.deepEqual(layout.edges.filter((e) => e.curveness !== 0).map((e) => `${e.from}>${e.to}`).sort(), ['edge>hub', 'hub>edge']);
  assert.deepEqual(layout.edges.slice(-3).map((e) => e.internal), [true, true, true]);
});

test('topology: edge colours by plaintext share; an edge\'s middle in pixels', () => {
  assert.deepEqual([edge('a', 'b', 10), edge('a', 'b', 10, 1), edge('a', 'b', 10, 5), edge('a', 'b', 10, 0, 6)].map(edgeClass),
    ['encrypted', 'some-plaintext', 'mostly-plaintext', 'unknown']);
  const layout = topologyLayout(view());
  const hub = layout.nodes.find((n) => n.id === 'hub')!;
  const mailbox = layout.nodes.find((n) => n.id === 'mailbox')!;
  const px = (x: number, y: number) => ({ x: ((x + EXTENT.x) / (2 * EXTENT.x)) * 1000, y: ((EXTENT.y - y) / (2 * EXTENT.y)) * 600 });
  const mid = edgeMidpoint(layout, { from: 'hub', to: 'mailbox' }, 1000, 600)!;
  const want = px((hub.x + mailbox.x) / 2, (hub.y + mailbox.y) / 2);
  assert.ok(Math.abs(mid.x - want.x) < 1e-9 && Math.abs(mid.y - want.y) < 1e-9, 'a straight edge: the middle of its ends');
  assert.equal(edgeMidpoint(layout, { from: 'mbx1', to: 'mbx1' }, 1000, 600), undefined);
});

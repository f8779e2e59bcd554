import type { TopologyView } from '../../../schemas/views.ts';

export type TopologyEdge = TopologyView['edges'][number];

/**
 * Where the topology draws each server, decided here and not by a force simulation so that the
 * picture is the same on every load (and a test can find an edge): the servers whose logs we
 * hold on an inner ring, grouped by the servers they talk to and ordered by role (edge, frontend,
 * hub, server, mailbox); the external peers on an outer ring, each next to the inner server it
 * exchanges the most mail with. Coordinates are data units: the rings have radius INNER and 1.
 */
export const ROLE_ORDER = ['edge', 'frontend', 'hub', 'server', 'mailbox', 'external'] as const;
export const INNER = 0.5;
/** The chart's height in pixels; its width is the page's. */
export const TOPOLOGY_HEIGHT = 640;
/** The hidden axes span ±EXTENT: room for the outer ring's labels. */
export const EXTENT = { x: 1.5, y: 1.2 } as const;

export interface PlacedNode {
  id: string;
  role: string;
  handoffs: number;
  x: number;
  y: number;
  inner: boolean;
  /** hand-offs from this server to itself (a mailbox server's own transport): no line can show them */
  selfLoop: number;
  /** the angle it sits at, for the side its label goes */
  angle: number;
}

export interface PlacedEdge extends TopologyEdge {
  curveness: number;
  /** both ends are servers whose logs we hold */
  internal: boolean;
}

export interface TopologyLayout {
  nodes: PlacedNode[];
  /** drawn edges (no self-loops), internal ones last so that they are drawn on top */
  edges: PlacedEdge[];
  selfLoops: TopologyEdge[];
}

const roleRank = (role: string) => {
  const i = (ROLE_ORDER as readonly string[]).indexOf(role);
  return i < 0 ? ROLE_ORDER.length : i;
};

export function topologyLayout(view: TopologyView): TopologyLayout {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const isInner = (id: string) => (byId.get(id)?.role ?? 'external') !== 'external';
  const inner = view.nodes.filter((n) => isInner(n.id));
  const outer = view.nodes.filter((n) => !isInner(n.id));
  const selfLoops = view.edges.filter((e) => e.from === e.to);
  const drawn = view.edges.filter((e) => e.from !== e.to);

  // inner servers: connected groups together (two organisations stay apart), biggest first
  const group = components(inner.map((n) => n.id), drawn.filter((e) => isInner(e.from) && isInner(e.to)));
  const groupSize = new Map<number, number>();
  for (const n of inner) groupSize.set(group.get(n.id) ?? 0, (groupSize.get(group.get(n.id) ?? 0) ?? 0) + n.handoffs);
  inner.sort((a, b) => (groupSize.get(group.get(b.id) ?? 0) ?? 0) - (groupSize.get(group.get(a.id) ?? 0) ?? 0)
    || (group.get(a.id) ?? 0) - (group.get(b.id) ?? 0) || roleRank(a.role) - roleRank(b.role) || b.handoffs - a.handoffs || a.id.localeCompare(b.id));
  const placed: PlacedNode[] = [];
  const loopsOf = (id: string) => selfLoops.filter((e) => e.from === id).reduce((a, e) => a + e.handoffs, 0);

  // outer peers: each with the inner server it exchanges the most hand-offs with
  const weight = new Map<string, Map<string, number>>();
  for (const e of drawn) {
    for (const [peer, other] of [[e.from, e.to], [e.to, e.from]] as const) {
      if (isInner(peer) || !isInner(other)) continue;
      const m = weight.get(peer) ?? new Map<string, number>();
      m.set(other, (m.get(other) ?? 0) + e.handoffs);
      weight.set(peer, m);
    }
  }
  const innerIndex = new Map(inner.map((n, i) => [n.id, i]));
  const anchor = (id: string) => {
    const best = [...(weight.get(id) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    return best ? innerIndex.get(best[0]) ?? inner.length : inner.length;
  };
  // one sector per inner server (and one for peers that meet none), as wide as its peers need:
  // the server sits in its middle on the inner ring, its peers spread over it on the outer one,
  // so that their lines run outwards and do not cross the picture
  const peersOf: PlacedNode[][] = Array.from({ length: inner.length + 1 }, () => []);
  for (const n of [...outer].sort((a, b) => a.id.localeCompare(b.id))) {
    peersOf[anchor(n.id)].push({ id: n.id, role: n.role, handoffs: n.handoffs, x: 0, y: 0, inner: false, selfLoop: loopsOf(n.id), angle: 0 });
  }
  const least = Math.max(1, outer.length / (1.5 * Math.max(1, inner.length)));
  const span = peersOf.map((p, i) => (i < inner.length ? Math.max(least, p.length) : p.length));
  const total = span.reduce((a, b) => a + b, 0) || 1;
  const ring = inner.length === 0 ? INNER + (1 - INNER) / 2 : 1;
  let at = 0;
  span.forEach((width, i) => {
    // clockwise from the left: the biggest group's edge servers first, where mail comes in
    const angle = (pos: number) => Math.PI - (2 * Math.PI * pos) / total;
    const server = inner[i];
    if (server) {
      const a = angle(at + width / 2);
      const r = inner.length === 1 ? 0 : INNER;
      placed.push({ id: server.id, role: server.role, handoffs: server.handoffs, x: r * Math.cos(a), y: r * Math.sin(a), inner: true, selfLoop: loopsOf(server.id), angle: a });
    }
    peersOf[i].forEach((p, j) => {
      const a = angle(at + ((j + 0.5) * width) / peersOf[i].length);
      placed.push({ ...p, x: ring * Math.cos(a), y: ring * Math.sin(a), angle: a });
    });
    at += width;
  });

  const pairs = new Set(drawn.map((e) => `${e.from}\u0000${e.to}`));
  const edges = drawn
    // a pair with mail both ways gets two bows, one each side
    .map((e) => ({ ...e, curveness: pairs.has(`${e.to}\u0000${e.from}`) ? 0.18 : 0, internal: isInner(e.from) && isInner(e.to) }))
    .sort((a, b) => Number(a.internal) - Number(b.internal));
  return { nodes: placed, edges, selfLoops };
}

function components(ids: string[], edges: { from: string; to: string }[]): Map<string, number> {
  const parent = new Map(ids.map((id) => [id, id]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(x, r);
    return r;
  };
  for (const e of edges) parent.set(find(e.from), find(e.to));
  const roots = new Map<string, number>();
  const out = new Map<string, number>();
  for (const id of ids) {
    const r = find(id);
    if (!roots.has(r)) roots.set(r, roots.size);
    out.set(id, roots.get(r) ?? 0);
  }
  return out;
}

/**
 * Where an edge's middle is drawn, in pixels of a chart `width` × `height` (the graph fills it):
 * echarts bends an edge through a control point `curveness` × its length off the straight line,
 * computed in pixels; a quadratic curve passes half way to it at its middle.
 */
export function edgeMidpoint(layout: TopologyLayout, edge: Pick<TopologyEdge, 'from' | 'to'>, width: number, height: number): { x: number; y: number } | undefined {
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const placed = layout.edges.find((e) => e.from === edge.from && e.to === edge.to);
  const a = at.get(edge.from);
  const b = at.get(edge.to);
  if (!placed || !a || !b) return undefined;
  const px = (n: PlacedNode) => [((n.x + EXTENT.x) / (2 * EXTENT.x)) * width, ((EXTENT.y - n.y) / (2 * EXTENT.y)) * height] as const;
  const [x1, y1] = px(a);
  const [x2, y2] = px(b);
  const c = placed.curveness;
  const mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
  const cp = { x: mid.x - (y1 - y2) * c, y: mid.y - (x2 - x1) * c };
  return { x: (mid.x + cp.x) / 2, y: (mid.y + cp.y) / 2 };
}

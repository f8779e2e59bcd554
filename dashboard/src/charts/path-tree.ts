import type { Hop, TlsStatus, Trace } from '../../../schemas/index.ts';

/**
 * A trace's paths merged into a tree. A node is a (server, queue) — the copy of the message a
 * server held — not a server name: when a server hands one queue's recipients to two next
 * queues (a local mailbox and another server), the path forks there, and a server that holds the
 * message twice (Exchange: submission, then transport on one mailbox server) is two nodes. An end
 * whose queue is not known (a peer outside the logs, a header's claim) belongs to the node it was
 * reached from, so two branches never merge through it.
 */
export interface TreeNode {
  key: string;
  host: string;
  queueId: string;
  /** distance from where the message entered */
  col: number;
  /** vertical slot: leaves take one each, a parent sits between its children */
  y: number;
  /** recipients whose path ends here, with their status */
  endsHere: string[];
}

export interface TreeEdge {
  from: string;
  to: string;
  fromHost: string;
  toHost: string;
  tls: TlsStatus;
  /** every hop merged here was seen only in a Received header: a claim no ingested log confirms */
  headerOnly: boolean;
  versions: Set<string>;
  ciphers: Set<string>;
  trust: Set<string>;
  recipients: string[];
}

export interface PathTree {
  nodes: TreeNode[];
  edges: TreeEdge[];
  /** leaves, top to bottom: the height the tree needs */
  slots: number;
  columns: number;
}

const SEP = '\u0000';

export function pathTree(trace: Trace): PathTree {
  const nodes = new Map<string, TreeNode>();
  const edges = new Map<string, TreeEdge>();
  const node = (key: string, host: string, queueId: string) => {
    if (!nodes.has(key)) nodes.set(key, { key, host, queueId, col: -1, y: 0, endsHere: [] });
    return key;
  };
  const place = (host: string, queueId: string, parent: string | undefined) =>
    queueId ? node(`${host}${SEP}${queueId}`, host, queueId) : node(`${parent ?? ''}${SEP}${SEP}${host}`, host, '');

  for (const r of trace.recipients) {
    let prev: { key: string; host: string } | undefined;
    r.hops.forEach((hop, i) => {
      // a hop continues from where the one before it arrived, when it starts at that server
      const from = prev && prev.host === hop.from ? prev.key : place(hop.from, hop.fromQueueId, undefined);
      const next = r.hops[i + 1];
      const toQueue = hop.toQueueId || (next && next.from === hop.to ? next.fromQueueId : '');
      const to = place(hop.to, toQueue, from);
      addEdge(edges, from, to, hop, r.address);
      prev = { key: to, host: hop.to };
    });
    if (prev) nodes.get(prev.key)?.endsHere.push(`${r.address} (${r.status})`);
  }
  layout([...nodes.values()], [...edges.values()]);
  const list = [...nodes.values()];
  return {
    nodes: list,
    edges: [...edges.values()],
    slots: Math.max(1, ...list.map((n) => n.y + 1)),
    columns: Math.max(1, ...list.map((n) => n.col + 1)),
  };
}

function addEdge(edges: Map<string, TreeEdge>, from: string, to: string, hop: Hop, address: string): void {
  // a header's claim and a logged hand-off between the same two nodes stay two edges
  const headerOnly = hop.provenance === 'header';
  const key = [from, to, hop.tls, headerOnly].join(SEP + SEP);
  const e = edges.get(key) ?? { from, to, fromHost: hop.from, toHost: hop.to, tls: hop.tls, headerOnly, versions: new Set(), ciphers: new Set(), trust: new Set(), recipients: [] };
  if (hop.tlsVersion) e.versions.add(hop.tlsVersion);
  if (hop.cipher) e.ciphers.add(hop.cipher);
  if (hop.tlsTrust) e.trust.add(hop.tlsTrust);
  if (!e.recipients.includes(address)) e.recipients.push(address);
  edges.set(key, e);
}

/**
 * Columns by depth (first placement wins, so a loop back keeps its column), rows by a depth-first
 * walk: each leaf takes the next slot, a parent sits at the middle of the children it placed.
 * Roots are the nodes nothing leads to, in the order the recipients' paths name them.
 */
function layout(nodes: TreeNode[], edges: TreeEdge[]): void {
  const children = new Map<string, string[]>();
  const hasParent = new Set<string>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    const kids = children.get(e.from) ?? [];
    if (!kids.includes(e.to)) kids.push(e.to);
    children.set(e.from, kids);
    hasParent.add(e.to);
  }
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const roots = nodes.filter((n) => !hasParent.has(n.key));
  let slot = 0;
  const visit = (n: TreeNode, col: number): void => {
    n.col = col;
    const placed: number[] = [];
    for (const k of children.get(n.key) ?? []) {
      const child = byKey.get(k);
      if (!child || child.col >= 0) continue;
      visit(child, col + 1);
      placed.push(child.y);
    }
    n.y = placed.length ? (Math.min(...placed) + Math.max(...placed)) / 2 : slot++;
  };
  for (const r of roots) if (r.col < 0) visit(r, 0);
  // a cycle with no root (it cannot come from the logs, but stay total)
  for (const n of nodes) if (n.col < 0) visit(n, 0);
}

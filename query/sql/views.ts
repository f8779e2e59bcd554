import { EVENTS_TABLE, FILES_TABLE, HOPS_TABLE, MESSAGES_TABLE, ProtectionMechanism, RecipientStatus, REJECTED_TABLE, UNVERIFIED_TRUST, WEAK_TLS_VERSIONS, DeliveryView, IngestionView, OverviewView, ProtectionView, SecurityView, TopologyView, type ViewQuery } from '../../schemas/index.ts';
import { isoFromStore as isoOf, type QueryParams, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';
import { bucketSeconds, hopScope, messageScope, num } from './scope.ts';

/**
 * The views of the dashboard's pages and the reports: reads of the stitched tables, each number
 * the count of the same rows the trace of a message shows. Hand-offs are counted once however
 * many recipients crossed them (firstOfHop, or the hop's identity when a domain narrows the rows).
 * Hops only a Received header claims are left out: they are claims of servers outside the logs.
 * Weak TLS and unverified certificates are the rules of schemas/views.ts, passed as parameters.
 */
const RULES: QueryParams = { weak: [...WEAK_TLS_VERSIONS], unverified: [...UNVERIFIED_TRUST] };
const WEAK = `tls = 'encrypted' AND tlsVersion IN {weak:Array(String)}`;
const UNVERIFIED = `tls = 'encrypted' AND tlsTrust IN {unverified:Array(String)}`;

export async function overviewView(store: Store, q: ViewQuery): Promise<OverviewView> {
  const m = messageScope(q);
  const h = hopScope(q);
  const bucket = await bucketSeconds(store, q);
  const [volume, outcome, tls] = [
    await store.query<{ t: string; messages: string; recipients: string }>(
      `SELECT toString(toStartOfInterval(firstSeen, toIntervalSecond({bucket:UInt32}))) AS t, count() AS messages, sum(length(recipients)) AS recipients
       FROM ${store.table(MESSAGES_TABLE)} FINAL WHERE ${m.where} GROUP BY t ORDER BY t`, { ...m.params, bucket }),
    await store.query<{ status: string; n: string }>(
      `SELECT arrayJoin(recipientStatuses) AS status, count() AS n FROM ${store.table(MESSAGES_TABLE)} FINAL WHERE ${m.where} GROUP BY status`, m.params),
    await store.query<{ t: string; encrypted: string; plaintext: string; unknown: string }>(
      `SELECT toString(toStartOfInterval(start, toIntervalSecond({bucket:UInt32}))) AS t, ${h.count("tls = 'encrypted'")} AS encrypted,
         ${h.count("tls = 'plaintext'")} AS plaintext, ${h.count("tls = 'unknown'")} AS unknown
       FROM ${store.table(HOPS_TABLE)} FINAL WHERE ${h.where} GROUP BY t ORDER BY t`, { ...h.params, bucket }),
  ];
  const byStatus = Object.fromEntries(RecipientStatus.options.map((s) => [s, 0])) as OverviewView['outcome'];
  for (const o of outcome) byStatus[RecipientStatus.catch('unknown').parse(o.status)] += num(o.n);
  return fromStore(OverviewView, {
    bucketSeconds: bucket,
    volume: volume.map((v) => ({ t: isoOf(v.t), messages: num(v.messages), recipients: num(v.recipients) })),
    outcome: byStatus,
    tls: tls.map((b) => ({ t: isoOf(b.t), encrypted: num(b.encrypted), plaintext: num(b.plaintext), unknown: num(b.unknown) })),
  }, 'the overview');
}

export async function topologyView(store: Store, q: ViewQuery): Promise<TopologyView> {
  const h = hopScope(q);
  const rows = await store.query<{ from: string; to: string; fromRole: string; toRole: string; fromLogged: number; toLogged: number; handoffs: string; encrypted: string; plaintext: string; unknown: string }>(
    `SELECT \`from\`, \`to\`, any(fromRole) AS fromRole, any(toRole) AS toRole, max(fromQueueId != '') AS fromLogged, max(toQueueId != '' AND rule != 'unmatched') AS toLogged, ${h.count('1')} AS handoffs, ${h.count("tls = 'encrypted'")} AS encrypted,
       ${h.count("tls = 'plaintext'")} AS plaintext, ${h.count("tls = 'unknown'")} AS unknown
     FROM ${store.table(HOPS_TABLE)} FINAL WHERE ${h.where} AND \`from\` != '' AND \`to\` != '' GROUP BY \`from\`, \`to\` ORDER BY handoffs DESC LIMIT 500`, h.params);
  // a server whose queue a hop names is one whose log we hold: its role if the logs say it, else `server`
  const nodes = new Map<string, { id: string; role: string; logged: boolean; handoffs: number }>();
  const node = (id: string, role: string, logged: boolean, n: number) => {
    const have = nodes.get(id) ?? { id, role: '', logged: false, handoffs: 0 };
    if (role && role !== 'external') have.role ||= role;
    have.logged ||= logged;
    have.handoffs += n;
    nodes.set(id, have);
  };
  const edges = rows.map((r) => ({ from: r.from, to: r.to, fromRole: r.fromRole, toRole: r.toRole, handoffs: num(r.handoffs), encrypted: num(r.encrypted), plaintext: num(r.plaintext), unknown: num(r.unknown) }));
  rows.forEach((r, i) => {
    node(r.from, r.fromRole, Number(r.fromLogged) === 1, edges[i].handoffs);
    node(r.to, r.toRole, Number(r.toLogged) === 1, edges[i].handoffs);
  });
  return fromStore(TopologyView, { nodes: [...nodes.values()].map(({ logged, ...n }) => ({ ...n, role: n.role || (logged ? 'server' : 'external') })), edges }, 'the topology');
}

interface SecurityRaw { key: string; from: string; to: string; handoffs: string; plaintext: string; weakTls: string; unverified: string; unknown: string; firstPlaintext: string; lastPlaintext: string }

export async function securityView(store: Store, q: ViewQuery): Promise<SecurityView> {
  const h = hopScope(q);
  const params = { ...h.params, ...RULES };
  const measures = `${h.count('1')} AS handoffs, ${h.count("tls = 'plaintext'")} AS plaintext, ${h.count(WEAK)} AS weakTls, ${h.count(UNVERIFIED)} AS unverified,
    ${h.count("tls = 'unknown'")} AS unknown, toString(minIf(start, tls = 'plaintext')) AS firstPlaintext, toString(maxIf(start, tls = 'plaintext')) AS lastPlaintext`;
  const hops = store.table(HOPS_TABLE);
  const bucket = await bucketSeconds(store, q);
  const byPair = await store.query<SecurityRaw>(
    `SELECT concat(\`from\`, ' → ', \`to\`) AS key, \`from\`, \`to\`, ${measures} FROM ${hops} FINAL WHERE ${h.where} GROUP BY \`from\`, \`to\`
     ORDER BY plaintext DESC, weakTls DESC, unverified DESC, handoffs DESC LIMIT 500`, params);
  // per recipient domain: a hop that carried recipients of two domains counts under both
  // per recipient domain: each hand-off once per domain it carried recipients of — grouped once by
  // (domain, hash of its identity) into flags, then summed (a distinct count per measure cost 4× more)
  const byDomain = await store.query<SecurityRaw>(
    `SELECT key, '' AS \`from\`, '' AS \`to\`, count() AS handoffs, sum(p) AS plaintext, sum(w) AS weakTls, sum(u) AS unverified, sum(k) AS unknown,
       toString(minIf(s, p = 1)) AS firstPlaintext, toString(maxIf(s, p = 1)) AS lastPlaintext
     FROM (SELECT splitByChar('@', recipient)[-1] AS key, max(tls = 'plaintext') AS p, max(${WEAK}) AS w, max(${UNVERIFIED}) AS u, max(tls = 'unknown') AS k, min(start) AS s
           FROM ${hops} FINAL WHERE ${h.where} AND recipient LIKE '%@%' GROUP BY key, cityHash64(messageKey, \`from\`, \`to\`, fromQueueId, toQueueId, rule))
     GROUP BY key ORDER BY plaintext DESC, weakTls DESC, handoffs DESC LIMIT 500`, params);
  const overTime = await store.query<{ t: string; plaintext: string; weakTls: string; unverified: string }>(
    `SELECT toString(toStartOfInterval(start, toIntervalSecond({bucket:UInt32}))) AS t, ${h.count("tls = 'plaintext'")} AS plaintext, ${h.count(WEAK)} AS weakTls, ${h.count(UNVERIFIED)} AS unverified
     FROM ${hops} FINAL WHERE ${h.where} GROUP BY t ORDER BY t`, { ...params, bucket });
  // a peer's first plaintext hand-off in the whole store, if it falls inside the range
  const peers = await store.query<{ peer: string; first: string; handoffs: string }>(
    `SELECT peer, toString(min(start)) AS first, count() AS handoffs FROM (
       SELECT arrayJoin([\`from\`, \`to\`]) AS peer, start FROM ${hops} FINAL WHERE tls = 'plaintext' AND provenance != 'header' AND firstOfHop = 1)
     WHERE peer != '' GROUP BY peer HAVING min(start) >= parseDateTime64BestEffort({pfrom:String}, 3) AND min(start) < parseDateTime64BestEffort({pto:String}, 3)
     ORDER BY first DESC LIMIT 100`, { pfrom: q.from ?? '1970-01-01T00:00:00Z', pto: q.to ?? '2299-12-31T00:00:00Z' });
  const row = (r: SecurityRaw) => ({
    key: r.key, from: r.from, to: r.to, handoffs: num(r.handoffs), plaintext: num(r.plaintext), weakTls: num(r.weakTls), unverified: num(r.unverified), unknown: num(r.unknown),
    firstPlaintext: num(r.plaintext) > 0 ? isoOf(r.firstPlaintext) : '', lastPlaintext: num(r.plaintext) > 0 ? isoOf(r.lastPlaintext) : '',
  });
  const pairs = byPair.map(row);
  const sum = (k: 'handoffs' | 'plaintext' | 'weakTls' | 'unverified' | 'unknown') => pairs.reduce((a, p) => a + p[k], 0);
  return fromStore(SecurityView, {
    totals: { handoffs: sum('handoffs'), plaintext: sum('plaintext'), weakTls: sum('weakTls'), unverified: sum('unverified'), unknown: sum('unknown') },
    byPair: pairs, byDomain: byDomain.map(row),
    overTime: overTime.map((b) => ({ t: isoOf(b.t), plaintext: num(b.plaintext), weakTls: num(b.weakTls), unverified: num(b.unverified) })),
    newPlaintextPeers: peers.map((p) => ({ peer: p.peer, firstPlaintext: isoOf(p.first), handoffs: num(p.handoffs) })),
    bucketSeconds: bucket,
  }, 'the security view');
}

export async function deliveryView(store: Store, q: ViewQuery): Promise<DeliveryView> {
  const m = messageScope(q);
  const h = hopScope(q);
  // a recipient's final word is in the message row's detail (what the trace shows); ids and addresses in replies are masked to group them
  const reasons = await store.query<{ status: string; dsn: string; reason: string; n: string; last: string; sample: string }>(
    `SELECT JSONExtractString(r, 'status') AS status, JSONExtractString(r, 'dsn') AS dsn,
       replaceRegexpAll(replaceRegexpAll(JSONExtractString(r, 'reply'), '<[^>]*>', '<…>'), '\\\\b[0-9A-Fa-f]{6,}\\\\b|\\\\d+\\\\.\\\\d+\\\\.\\\\d+\\\\.\\\\d+', '…') AS reason,
       count() AS n, toString(max(lastSeen)) AS last, any(if(messageId != '', messageId, queueIds[1])) AS sample
     FROM (SELECT detail, lastSeen, messageId, queueIds FROM ${store.table(MESSAGES_TABLE)} FINAL
           -- a message's status is its worst recipient's: only these hold a failed one, and only their detail is parsed
           WHERE ${m.where} AND status IN ('deferred', 'bounced', 'rejected'))
     ARRAY JOIN JSONExtractArrayRaw(detail, 'recipients') AS r
     WHERE status IN ('deferred', 'bounced', 'rejected') GROUP BY status, dsn, reason ORDER BY n DESC LIMIT 100`, m.params);
  const latency = await store.query<{ from: string; to: string; n: string; q: number[]; max: number }>(
    `SELECT \`from\`, \`to\`, count() AS n, quantiles(0.5, 0.95)(d) AS q, max(d) AS max FROM (
       SELECT \`from\`, \`to\`, (toUnixTimestamp64Milli(\`end\`) - toUnixTimestamp64Milli(start)) / 1000 AS d FROM ${store.table(HOPS_TABLE)} FINAL
       WHERE ${h.where} AND firstOfHop = 1 AND start > toDateTime64('1970-01-02', 3) AND \`end\` >= start AND \`from\` != '' AND \`to\` != '')
     GROUP BY \`from\`, \`to\` ORDER BY n DESC LIMIT 100`, h.params);
  const [e2e] = await store.query<{ n: string; q: number[] }>(
    `SELECT count() AS n, quantiles(0.5, 0.95)((toUnixTimestamp64Milli(lastSeen) - toUnixTimestamp64Milli(firstSeen)) / 1000) AS q FROM ${store.table(MESSAGES_TABLE)} FINAL WHERE ${m.where}`, m.params);
  const round = (x: number | undefined) => Math.round((Number(x) || 0) * 1000) / 1000;
  return fromStore(DeliveryView, {
    reasons: reasons.map((r) => ({ status: RecipientStatus.catch('unknown').parse(r.status), dsn: r.dsn, reason: r.reason, recipients: num(r.n), lastSeen: isoOf(r.last), sampleTraceId: r.sample })),
    latency: latency.map((l) => ({ from: l.from, to: l.to, handoffs: num(l.n), p50: round(l.q[0]), p95: round(l.q[1]), max: round(l.max) })),
    endToEnd: { messages: num(e2e?.n), p50: round(e2e?.q[0]), p95: round(e2e?.q[1]) },
  }, 'the delivery view');
}

export async function protectionView(store: Store, q: ViewQuery): Promise<ProtectionView> {
  const m = messageScope(q);
  const measures = `count() AS messages, countIf(protectionKnown = 1) AS known, countIf(protectionKnown = 1 AND empty(protection)) AS unprotected,
    ${ProtectionMechanism.options.map((x, i) => `countIf(has(protection, {m${i}:String})) AS m${i}`).join(', ')}`;
  const params = { ...m.params, ...Object.fromEntries(ProtectionMechanism.options.map((x, i) => [`m${i}`, x])) };
  const messages = store.table(MESSAGES_TABLE);
  type Raw = Record<string, string>;
  const bySender = await store.query<Raw>(`SELECT splitByChar('@', sender)[-1] AS domain, ${measures} FROM ${messages} FINAL WHERE ${m.where} AND sender LIKE '%@%' GROUP BY domain ORDER BY messages DESC LIMIT 200`, params);
  const byRecipient = await store.query<Raw>(
    `SELECT domain, ${measures} FROM ${messages} FINAL ARRAY JOIN arrayDistinct(arrayMap(r -> splitByChar('@', r)[-1], recipients)) AS domain
     WHERE ${m.where} AND domain != '' GROUP BY domain ORDER BY messages DESC LIMIT 200`, params);
  const row = (r: Raw) => ({
    domain: r.domain, messages: num(r.messages), known: num(r.known), unprotected: num(r.unprotected),
    mechanisms: Object.fromEntries(ProtectionMechanism.options.map((x, i) => [x, num(r[`m${i}`])])) as ProtectionView['bySenderDomain'][number]['mechanisms'],
  });
  return fromStore(ProtectionView, { bySenderDomain: bySender.map(row), byRecipientDomain: byRecipient.map(row) }, 'the protection view');
}

export async function ingestionView(store: Store): Promise<IngestionView> {
  const sources = await store.query<{ path: string; lines: string; updatedAt: string }>(
    `SELECT path, lines, toString(updatedAt) AS updatedAt FROM ${store.table(FILES_TABLE)} FINAL ORDER BY updatedAt DESC, path LIMIT 500`);
  const hosts = await store.query<{ host: string; source: string; n: string; last: string }>(
    `SELECT host, source, count() AS n, toString(max(ts)) AS last FROM ${store.table(EVENTS_TABLE)} GROUP BY host, source ORDER BY last DESC LIMIT 500`);
  const rejected = await store.query<{ reason: string; n: string; samples: [string, string, string, string, string][] }>(
    `SELECT reason, count() AS n, groupArray(3)((sourceFile, toString(sourceOffset), toString(lineNumber), detail, excerpt)) AS samples
     FROM ${store.table(REJECTED_TABLE)} FINAL GROUP BY reason ORDER BY n DESC`);
  return fromStore(IngestionView, {
    sources: sources.map((s) => ({ path: s.path, lines: num(s.lines), updatedAt: isoOf(s.updatedAt) })),
    hosts: hosts.map((h) => ({ host: h.host, source: h.source, events: num(h.n), lastEvent: isoOf(h.last) })),
    rejected: rejected.map((r) => ({
      reason: r.reason, count: num(r.n),
      samples: r.samples.map(([sourceFile, off, line, detail, excerpt]) => ({ sourceFile, sourceOffset: num(off), lineNumber: num(line), detail, excerpt })),
    })),
  }, 'the ingestion view');
}

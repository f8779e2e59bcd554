import { EVENTS_TABLE, FILES_TABLE, HOPS_TABLE, MESSAGES_TABLE, ProtectionMechanism, RecipientStatus, REJECTED_TABLE, UNVERIFIED_TRUST, WEAK_TLS_VERSIONS, ConnectorsView, DeliveryView, IngestionView, OverviewView, ProtectionView, SecurityView, TopologyView, type ViewQuery } from '../../schemas/index.ts';
import { isoFromStore as isoOf, type QueryParams, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';
import { bucketSeconds, FIRST_OF_DOMAIN, hopScope, messageScope, num, type Scope } from './scope.ts';

/**
 * The views of the dashboard's pages and the reports: reads of the stitched tables, each number
 * the count of the same rows the trace of a message shows. Hand-offs are counted once however
 * many recipients crossed them (firstOfHop), or once per recipient domain (firstOfDomain, written by
 * stitching) where a domain narrows or groups the rows.
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
type SecurityPart = 'pair' | 'domain' | 'time' | 'total' | 'peer';

const MEASURES = ['handoffs', 'plaintext', 'weakTls', 'unverified', 'unknown', 'firstPlaintext', 'lastPlaintext'] as const;

/** The findings of the hand-offs whose rows `counted` picks (names ending in `suffix`), and when their plaintext ones began and ended. */
function findings(counted: string, dated: string, suffix: string): string {
  const [handoffs, plaintext, weakTls, unverified, unknown, firstPlaintext, lastPlaintext] = MEASURES.map((m) => `${m}${suffix}`);
  return `countIf(${counted}) AS ${handoffs}, countIf(${counted} AND tls = 'plaintext') AS ${plaintext}, countIf(${counted} AND ${WEAK}) AS ${weakTls},
    countIf(${counted} AND ${UNVERIFIED}) AS ${unverified}, countIf(${counted} AND tls = 'unknown') AS ${unknown},
    minIf(start, ${dated} AND tls = 'plaintext') AS ${firstPlaintext}, maxIf(start, ${dated} AND tls = 'plaintext') AS ${lastPlaintext}`;
}

/**
 * Every table of the page in one pass over the hops (each pass pays for reading them and for FINAL):
 * grouping sets (`kind`) by server pair, recipient domain, time bucket, and in all. In all, by pair
 * and over time a hand-off counts once, by the row standing for it; by domain once per domain it
 * carried recipients of, by the firstOfDomain row stitching wrote (and dated by that row). The range,
 * host and domain narrow the counts (`own`), not the rows: a peer's first plaintext hand-off is
 * sought in the whole store, from its pairs' (as either end).
 */
function securitySql(hops: string, h: Scope): string {
  const own = `own AND ${h.first}`;
  const pick = (m: string, peer: string) => `multiIf(part = 'peer', ${peer}, kind = 'domain', ${m}D, ${m}H) AS ${m}`;
  return `SELECT part, key, \`from\`, \`to\`, toString(t) AS t, handoffs, plaintext, weakTls, unverified, unknown, toString(firstPlaintext) AS firstPlaintext, toString(lastPlaintext) AS lastPlaintext
  FROM (
    -- pairs and domains by their findings, peers newest first
    SELECT *, row_number() OVER (PARTITION BY part ORDER BY if(part = 'peer', toUnixTimestamp64Milli(firstPlaintext), 0) DESC, plaintext DESC, weakTls DESC, if(part = 'pair', unverified, 0) DESC, handoffs DESC, key) AS rank
    FROM (
      -- a peer's row sums those of its pairs; every other row is alone in its group
      SELECT part, key, \`from\`, \`to\`, t, ${MEASURES.slice(0, 5).map((m) => `sum(${m}) AS ${m}`).join(', ')},
        min(firstPlaintext) AS firstPlaintext, max(lastPlaintext) AS lastPlaintext
      FROM (
        SELECT part, multiIf(part = 'peer', peer, kind = 'pair', concat(src, ' → ', dst), kind = 'domain', domain, '') AS key,
          if(part = 'peer', '', src) AS \`from\`, if(part = 'peer', '', dst) AS \`to\`, t,
          ${pick('handoffs', 'peerHandoffs')}, ${pick('plaintext', '0')}, ${pick('weakTls', '0')}, ${pick('unverified', '0')}, ${pick('unknown', '0')},
          ${pick('firstPlaintext', 'peerFirst')}, ${pick('lastPlaintext', 'peerFirst')}
        FROM (
          SELECT multiIf(grouping(src) = 0, 'pair', grouping(domain) = 0, 'domain', grouping(t) = 0, 'time', 'total') AS kind, src, dst, domain, t,
            countIf(own) AS rows, ${findings(own, 'own', 'H')},
            ${findings(`own AND ${FIRST_OF_DOMAIN}`, `own AND ${FIRST_OF_DOMAIN}`, 'D')},
            countIf(firstOfHop = 1 AND tls = 'plaintext') AS peerHandoffs, minIf(start, firstOfHop = 1 AND tls = 'plaintext') AS peerFirst
          FROM (
            SELECT \`from\` AS src, \`to\` AS dst, domain, start, tls, tlsVersion, tlsTrust, firstOfHop, firstOfDomain,
              toStartOfInterval(start, toIntervalSecond({bucket:UInt32})) AS t, (${h.where}) AS own
            FROM ${hops} FINAL WHERE provenance != 'header')
          GROUP BY GROUPING SETS ((src, dst), (domain), (t), ()))
        -- a pair is also a row of each of its ends as a peer
        ARRAY JOIN if(kind = 'pair', ['pair', 'peer', 'peer'], [kind]) AS part, if(kind = 'pair', ['', src, dst], ['']) AS peer
        WHERE multiIf(part = 'peer', peerHandoffs > 0 AND peer != '', part = 'total', 1, rows > 0 AND (part != 'domain' OR domain != '')))
      GROUP BY part, key, \`from\`, \`to\`, t
      HAVING part != 'peer' OR (firstPlaintext >= parseDateTime64BestEffort({pfrom:String}, 3) AND firstPlaintext < parseDateTime64BestEffort({pto:String}, 3))))
  WHERE part IN ('time', 'total') OR rank <= if(part = 'peer', 100, 500)
  ORDER BY part, if(part = 'time', 0, rank), t`;
}

export async function securityView(store: Store, q: ViewQuery): Promise<SecurityView> {
  const h = hopScope(q);
  const bucket = await bucketSeconds(store, q);
  const params = { ...h.params, ...RULES, bucket, pfrom: q.from ?? '1970-01-01T00:00:00Z', pto: q.to ?? '2299-12-31T00:00:00Z' };
  const rows = await store.query<SecurityRaw & { part: SecurityPart; t: string }>(securitySql(store.table(HOPS_TABLE), h), params);
  const of = (part: SecurityPart) => rows.filter((r) => r.part === part);
  const row = (r: SecurityRaw) => ({
    key: r.key, from: r.from, to: r.to, handoffs: num(r.handoffs), plaintext: num(r.plaintext), weakTls: num(r.weakTls), unverified: num(r.unverified), unknown: num(r.unknown),
    firstPlaintext: num(r.plaintext) > 0 ? isoOf(r.firstPlaintext) : '', lastPlaintext: num(r.plaintext) > 0 ? isoOf(r.lastPlaintext) : '',
  });
  const [all] = of('total').map(row);
  return fromStore(SecurityView, {
    totals: { handoffs: all?.handoffs ?? 0, plaintext: all?.plaintext ?? 0, weakTls: all?.weakTls ?? 0, unverified: all?.unverified ?? 0, unknown: all?.unknown ?? 0 },
    byPair: of('pair').map(row), byDomain: of('domain').map(row),
    overTime: of('time').map((b) => ({ t: isoOf(b.t), plaintext: num(b.plaintext), weakTls: num(b.weakTls), unverified: num(b.unverified) })),
    // a peer's first plaintext hand-off in the whole store, if it falls inside the range
    newPlaintextPeers: of('peer').map((p) => ({ peer: p.key, firstPlaintext: isoOf(p.firstPlaintext), handoffs: num(p.handoffs) })),
    bucketSeconds: bucket,
  }, 'the security view');
}

export async function deliveryView(store: Store, q: ViewQuery): Promise<DeliveryView> {
  const m = messageScope(q);
  const h = hopScope(q);
  // a recipient's final word is in the message row's detail (what the trace shows); ids and addresses in replies are masked to group them.
  // The detail is parsed once into the three fields read (not once per field), and each distinct reply masked once.
  const reasons = await store.query<{ status: string; dsn: string; reason: string; n: string; last: string; sample: string }>(
    `SELECT status, dsn, replaceRegexpAll(replaceRegexpAll(reply, '<[^>]*>', '<…>'), '\\\\b[0-9A-Fa-f]{6,}\\\\b|\\\\d+\\\\.\\\\d+\\\\.\\\\d+\\\\.\\\\d+', '…') AS reason,
       sum(n) AS n, toString(max(last)) AS last, any(sample) AS sample
     FROM (SELECT r.1 AS status, r.2 AS dsn, r.3 AS reply, count() AS n, max(lastSeen) AS last, any(if(messageId != '', messageId, queueIds[1])) AS sample
       FROM (SELECT detail, lastSeen, messageId, queueIds FROM ${store.table(MESSAGES_TABLE)} FINAL
             -- a message's status is its worst recipient's: only these hold a failed one, and only their detail is parsed
             WHERE ${m.where} AND status IN ('deferred', 'bounced', 'rejected'))
       ARRAY JOIN JSONExtract(detail, 'recipients', 'Array(Tuple(status String, dsn String, reply String))') AS r
       WHERE status IN ('deferred', 'bounced', 'rejected') GROUP BY status, dsn, reply)
     GROUP BY status, dsn, reason ORDER BY n DESC LIMIT 100`, m.params);
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

/**
 * Findings per connector (ConnectorsView): each hand-off under its sending end's connector and
 * under its receiving end's, where that end's log named one. Its own query (one pass, both ends by
 * ARRAY JOIN), so the Security page's main read keeps its budget.
 */
export async function connectorsView(store: Store, q: ViewQuery): Promise<ConnectorsView> {
  const h = hopScope(q);
  const rows = await store.query<{ server: string; connector: string; side: string; handoffs: string; plaintext: string; weakTls: string; unverified: string; unknown: string; firstPlaintext: string; lastPlaintext: string }>(
    `SELECT e.1 AS server, e.2 AS connector, e.3 AS side, count() AS handoffs, countIf(tls = 'plaintext') AS plaintext, countIf(${WEAK}) AS weakTls,
       countIf(${UNVERIFIED}) AS unverified, countIf(tls = 'unknown') AS unknown,
       toString(minIf(start, tls = 'plaintext')) AS firstPlaintext, toString(maxIf(start, tls = 'plaintext')) AS lastPlaintext
     FROM (SELECT \`from\`, \`to\`, fromConnector, toConnector, tls, tlsVersion, tlsTrust, start FROM ${store.table(HOPS_TABLE)} FINAL WHERE ${h.where} AND ${h.first})
     ARRAY JOIN [(\`from\`, toString(fromConnector), 'send'), (\`to\`, toString(toConnector), 'receive')] AS e
     WHERE e.2 != ''
     GROUP BY server, connector, side ORDER BY plaintext DESC, weakTls DESC, unverified DESC, handoffs DESC, server, connector, side LIMIT 500`, { ...h.params, ...RULES });
  return fromStore(ConnectorsView, {
    rows: rows.map((r) => ({
      server: r.server, connector: r.connector, side: r.side === 'send' ? 'send' : 'receive', handoffs: num(r.handoffs), plaintext: num(r.plaintext), weakTls: num(r.weakTls),
      unverified: num(r.unverified), unknown: num(r.unknown),
      firstPlaintext: num(r.plaintext) > 0 ? isoOf(r.firstPlaintext) : '', lastPlaintext: num(r.plaintext) > 0 ? isoOf(r.lastPlaintext) : '',
    })),
  }, 'the connectors view');
}

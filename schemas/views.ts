import { z } from 'zod';
import { HopProvenance } from './hop.ts';
import { ProtectionMechanism } from './protection.ts';
import { TlsStatus, TlsTrust } from './tls.ts';
import { RecipientStatus } from './trace.ts';

/**
 * The views of the dashboard's pages and of the reports (issue 9): every one a read of the
 * stitched hops and messages tables, so each number agrees with the trace it drills down to.
 * Time ranges are ISO 8601; a view's range selects hops that started in it (messages first seen in it).
 */
const isoTime = z.iso.datetime({ offset: true });

/** The query string every view takes: a time range and optional narrowing, shareable in a URL. */
export const ViewQuery = z.object({
  from: isoTime.optional(),
  to: isoTime.optional(),
  /** only hand-offs that touch this server (either end) */
  host: z.string().max(255).optional(),
  /** only recipients (or, for protection, senders too) in this domain */
  domain: z.string().max(255).optional(),
}).strict();
export type ViewQuery = z.infer<typeof ViewQuery>;

/**
 * TLS below 1.2 is weak (RFC 8996 deprecates TLS 1.0 and 1.1; SSL is long gone). One rule: the
 * SQL expression in query/sql/views.ts and this list say the same.
 */
export const WEAK_TLS_VERSIONS: readonly string[] = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.0', 'TLSv1.1'];
/**
 * An encrypted hop whose peer certificate was positively not checked against a trust anchor (no
 * certificate, or one that failed). '' is unknown — the log did not say — and is no finding.
 */
export const UNVERIFIED_TRUST: readonly TlsTrust[] = ['none', 'anonymous', 'untrusted'];

const count = z.number().int().nonnegative();

/** One bucket of a time series: its start (ISO) and counts. */
export const TlsBucket = z.object({ t: z.string(), encrypted: count, plaintext: count, unknown: count });
export const VolumeBucket = z.object({ t: z.string(), messages: count, recipients: count });

/** GET /api/views/overview */
export const OverviewView = z.object({
  /** bucket width in seconds, chosen from the range (hour, day) */
  bucketSeconds: z.number().int().positive(),
  volume: z.array(VolumeBucket),
  outcome: z.record(RecipientStatus, count),
  tls: z.array(TlsBucket),
});
export type OverviewView = z.infer<typeof OverviewView>;

/** A server in the topology; role as stitching found it ('external' for peers whose logs we do not hold). */
export const TopologyNode = z.object({ id: z.string(), role: z.string(), handoffs: count });
/** Hand-offs from → to (each counted once however many recipients crossed it), by TLS state. */
export const TopologyEdge = z.object({ from: z.string(), to: z.string(), fromRole: z.string(), toRole: z.string(), handoffs: count, encrypted: count, plaintext: count, unknown: count });
export const TopologyView = z.object({ nodes: z.array(TopologyNode), edges: z.array(TopologyEdge) });
export type TopologyView = z.infer<typeof TopologyView>;

/** One group of the Security page: hand-offs, and how many were plaintext, weak TLS, unverified. */
/** The findings of a group of hand-offs (every table of the Security page counts these). */
const SecurityFindings = {
  handoffs: count,
  plaintext: count,
  weakTls: count,
  unverified: count,
  unknown: count,
  /** the first and last time a plaintext hand-off happened in this group ('' when none) */
  firstPlaintext: z.string(),
  lastPlaintext: z.string(),
};
export const SecurityRow = z.object({
  key: z.string(),
  /** for server pairs: both ends */
  from: z.string(),
  to: z.string(),
  ...SecurityFindings,
});
export type SecurityRow = z.infer<typeof SecurityRow>;

/** GET /api/views/security */
export const SecurityView = z.object({
  totals: z.object({ handoffs: count, plaintext: count, weakTls: count, unverified: count, unknown: count }),
  byPair: z.array(SecurityRow),
  /** by the recipient's domain (the remote side of outbound mail, the local side of inbound) */
  byDomain: z.array(SecurityRow),
  overTime: z.array(z.object({ t: z.string(), plaintext: count, weakTls: count, unverified: count })),
  /** peers whose first plaintext hand-off in the whole store lies inside the range */
  newPlaintextPeers: z.array(z.object({ peer: z.string(), firstPlaintext: z.string(), handoffs: count })),
  bucketSeconds: z.number().int().positive(),
});
export type SecurityView = z.infer<typeof SecurityView>;

/**
 * GET /api/views/connectors: the Security page's findings per connector — each hand-off counted
 * under the connector (Exchange connector-id) or service (Postfix syslog tag) that sent it, on its
 * sending server, and under the one that received it, on its receiving server, where those logs are held.
 */
export const ConnectorRow = z.object({
  server: z.string(),
  connector: z.string(),
  side: z.enum(['send', 'receive']),
  ...SecurityFindings,
});
export const ConnectorsView = z.object({ rows: z.array(ConnectorRow) });
export type ConnectorsView = z.infer<typeof ConnectorsView>;

/** What the hop list filters by (the drill-down of every view). */
export const HopFilter = z.enum(['all', 'plaintext', 'weak-tls', 'unverified', 'unknown']);
export type HopFilter = z.infer<typeof HopFilter>;

/** GET /api/views/hops: one row per hand-off (first recipient), newest first. */
export const HopListQuery = ViewQuery.extend({
  hopFrom: z.string().max(255).optional(),
  hopTo: z.string().max(255).optional(),
  filter: HopFilter.default('all'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
}).strict();
export type HopListQuery = z.infer<typeof HopListQuery>;

export const HopListRow = z.object({
  messageId: z.string(),
  /** what /api/messages/:id/trace takes */
  traceId: z.string(),
  recipient: z.string(),
  from: z.string(),
  to: z.string(),
  tls: TlsStatus,
  tlsVersion: z.string(),
  cipher: z.string(),
  tlsTrust: TlsTrust,
  tlsEvidence: z.string(),
  start: z.string(),
  provenance: HopProvenance,
});
export const HopList = z.object({ total: count, rows: z.array(HopListRow) });
export type HopList = z.infer<typeof HopList>;

/** GET /api/views/delivery */
export const DeliveryView = z.object({
  /** deferrals, bounces and refusals grouped by status and the reply's normalised text */
  reasons: z.array(z.object({ status: RecipientStatus, dsn: z.string(), reason: z.string(), recipients: count, lastSeen: z.string(), sampleTraceId: z.string() })),
  /** per route (server pair): hand-off latency in seconds */
  latency: z.array(z.object({ from: z.string(), to: z.string(), handoffs: count, p50: z.number(), p95: z.number(), max: z.number() })),
  /** first seen → last seen per message, seconds */
  endToEnd: z.object({ messages: count, p50: z.number(), p95: z.number() }),
});
export type DeliveryView = z.infer<typeof DeliveryView>;

/** GET /api/views/protection */
export const ProtectionRow = z.object({ domain: z.string(), messages: count, known: count, mechanisms: z.record(ProtectionMechanism, count), unprotected: count });
export const ProtectionView = z.object({ bySenderDomain: z.array(ProtectionRow), byRecipientDomain: z.array(ProtectionRow) });
export type ProtectionView = z.infer<typeof ProtectionView>;

/** GET /api/views/ingestion */
export const IngestionView = z.object({
  sources: z.array(z.object({ path: z.string(), lines: count, updatedAt: z.string() })),
  /** per server: the newest event the store holds from it */
  hosts: z.array(z.object({ host: z.string(), source: z.string(), events: count, lastEvent: z.string() })),
  rejected: z.array(z.object({ reason: z.string(), count, samples: z.array(z.object({ sourceFile: z.string(), sourceOffset: count, lineNumber: count, detail: z.string(), excerpt: z.string() })) })),
});
export type IngestionView = z.infer<typeof IngestionView>;

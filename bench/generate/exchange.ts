/**
 * A seeded, streaming generator of the transport logs of a small Exchange 2016/2019 organisation
 * (Edge Transport servers EDGE1/EDGE2, Mailbox servers MBX1/MBX2 with Front End Transport,
 * Transport ("hub") and Mailbox Transport Submission/Delivery, accepted domain corp.example,
 * internet senders and MX hosts, one application relay app1.corp.example), laid out as Exchange
 * lays out its log folders, with the ground truth of every message's path per recipient.
 * It is the independent ground truth for the Exchange parser: it follows the documented formats
 * and the join contract below, never the parser's code.
 *
 * Where the formats come from (nothing here is invented where a source exists):
 *   shared/reference/log-formats.md §1.1 (folders, MSGTRK/MSGTRKMS/MSGTRKMD names with an hour
 *     `MSGTRKMS2022091915-1.LOG`, UTF-8 BOM, UTC ISO times with ms and `Z`), §1.2–1.3 (the
 *     5-line header and the 30 #Fields of Exchange 2016/2019, schema-version `15.01.nnnn.nnn`),
 *     §1.4 (event ids, `SENDEXTERNAL`), §1.5 (sources), §1.6 (real rows: NOTIFYMAPI and STOREDRIVER
 *     RECEIVE with `recipient-status` `To` and message-info `04I: `, SMTP RECEIVE with source-context
 *     `sid;start;0`, `0cA: ` and ProxyHop/ProxiedClient custom-data, SEND on
 *     `Intra-Organization SMTP Send Connector` with `SMS=…(SMSMBXD=…)`, SENDEXTERNAL with
 *     `;250 2.6.0 <id> [InternalId=N, Hostname=H] … Queued mail for delivery;ClientSubmitTime:`),
 *     §1.7 (source-context, message-info latency `LSRV=…:TOTAL-HUB=…`, custom-data keys), §1.8
 *     (RFC 4180 quoting, `""`), §1.9 (internal-message-id per server and service, network-message-id
 *     org-wide, DSN `reference` both ways), §1.10 (directionality);
 *   §2.1–2.2 (protocol log folders FrontEnd/Hub/Mailbox\…\Delivery|Submission/Edge, `RECV`/`SEND`
 *     names with an hour, header `#Version: 15.0.0.0`, the 9 fields, events `+ - > < *`, sequence
 *     from 0), §2.3 + receive-connectors.md [MS-RC-doc] (connector names `Default Frontend <S>` :25,
 *     `Default <S>` :2525 which also takes Edge and Mailbox Transport connections, `Default internal
 *     receive connector <S>` on Edge, the implicit `Mailbox delivery Receive connector` :475,
 *     `Inbound Proxy Internal Send Connector`, `EdgeSync - Inbound to <Site>` / `EdgeSync - <Site> to
 *     Internet`), §2.4 (STARTTLS → `220 2.0.0 SMTP server ready` → certificate line with its label
 *     context → `TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption
 *     algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0
 *     bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits` → second EHLO →
 *     `Client certificate chain validation status` / `TlsDomainCapabilities='None';
 *     Status='NoRemoteCertificate'` → EHLO reply without STARTTLS), §2.5 (the Front End session:
 *     banner, EHLO reply, MAIL FROM, `*` `<sid>;<start>;1` `receiving message`, `250 2.1.0 Sender OK`,
 *     `250 2.1.5 Recipient OK`, `354 Start mail input; end with <CRLF>.<CRLF>`, `Proxy destination(s)
 *     obtained from OnProxyInboundMessage event. Correlation Id:…`, the proxied `250 2.6.0 …
 *     [InternalId=N, Hostname=…] … Queued mail for delivery`), §2.6 (send sessions: `*` `None`
 *     `Set Session Permissions`, `attempting to connect` with an empty local endpoint, `Failed to
 *     connect. Winsock error code: 10061, …`, STARTTLS/`220 2.0.0 SMTP server ready`, the
 *     `SP_PROT_TLS1_2_CLIENT` line of the same shape as the SERVER one, `451 4.4.0 Primary target IP
 *     address responded with: "421 4.2.1 Unable to connect."`).
 * Modelled where no source shows the exact text (kept plausible, nothing joins on it): the
 * DELIVER row's `ClientType:StoreDriver` and `REPORT.IPM.Note.NDR`, the DEFER/FAIL status texts
 * (`432 4.3.2 STOREDRV.Deliver; mailbox database thread limit exceeded`, `550 5.1.1
 * RESOLVER.ADR.RecipNotFound; not found`, Edge recipient filter `550 5.1.10
 * RESOLVER.ADR.RecipientNotFound; …`), the connector name on the Submission send log, the
 * `Local` context of `-` lines, external MTAs' replies (same shapes as bench/generate/postfix.ts).
 *
 * JOIN CONTRACT (what this generator guarantees and the parser may rely on):
 *  (a) internal-message-id is per server AND per service: MSGTRK (Transport, also on Edge),
 *      MSGTRKMS (Mailbox Transport Submission) and MSGTRKMD (Mailbox Transport Delivery) of one box
 *      number independently (Transport ~14 digits, Delivery 9 digits, Submission ≤ 6 digits).
 *  (b) A SEND/SENDEXTERNAL row's source-context is `;<next hop's final reply>;ClientSubmitTime:`
 *      (quoted when it holds a comma). For an org next hop the reply is `250 2.6.0 <message-id>
 *      [InternalId=N, Hostname=NEXT-FQDN] <bytes> bytes in <s>, <rate> KB/sec Queued mail for
 *      delivery` and N is the internal-message-id of the next service's RECEIVE row for that message
 *      (Transport on a hub or Edge; UNVERIFIED that N equals that id — §1.7 — the parser also joins
 *      by message id and time; SEND to Mailbox Transport Delivery, port 475, see (f);
 *      to a hub to port 2525, to an Edge to port 25). External next hops answer with their own reply
 *      (Postfix `queued as`, gsmtp, Exim `id=`, the EXO 2.6.0 form with a `*.prod.outlook.example`
 *      Hostname, …). server-hostname/server-ip = next hop FQDN/IP; client-hostname/client-ip = this
 *      server's FQDN/IP (an Edge uses its public IP towards the internet).
 *  (c) An SMTP RECEIVE row's source-context is `<session-id>;<session start UTC>;<n>`: the session
 *      of this server's RECV log that received it (Hub RECV for Transport on a Mailbox server,
 *      Mailbox\SmtpReceive\Delivery RECV for MSGTRKMD, Edge RECV on Edge); that session holds a `*`
 *      line whose data is the same triple and context `receiving message`. n is 0 (one message per
 *      session); the Front End's own `*` line counts from 1 as in §2.5 (the Front End writes no
 *      tracking rows). server-hostname = this server's NetBIOS name, client-hostname/client-ip = the
 *      sending host (its EHLO name; an Exchange server's FQDN).
 *  (d) Every SmtpSend session that carried a message holds the `<` line with the next hop's final
 *      reply of (b). TLS on a send session: `>` STARTTLS, `<` `220 2.0.0 SMTP server ready`, `*`
 *      `TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded using …`. Receive sessions with TLS:
 *      STARTTLS, certificate line, `SP_PROT_TLS1_x_SERVER` line, `TlsDomainCapabilities…` line (§2.4).
 *      The Front End RECV session (app1 → MBXn Front End) answers with the proxied Transport's
 *      `[InternalId=N, Hostname=…]` (N = that Transport's internal-message-id); its proxy session is
 *      in FrontEnd\ProtocolLog\SmtpSend on `Inbound Proxy Internal Send Connector`, and the Transport
 *      RECEIVE row of a proxied message carries `S:ProxyHop1=<FE fqdn>(<ip>)`,
 *      `S:ProxiedClientIPAddress`, `S:ProxiedClientHostname` and original-client-ip = app1.
 *  (e) Mailbox submission: MSGTRKMS rows NOTIFYMAPI (no ids), RECEIVE (source STOREDRIVER,
 *      source-context `MDB:…, Mailbox:…, Event:…, MessageClass:IPM.Note, CreationTime:…,
 *      ClientType:…, …`, recipient-status `To` per recipient) and SUBMIT (server-hostname = FQDN of
 *      the Transport it was submitted to, same internal id as the MS RECEIVE). The Transport RECEIVE
 *      row of that hop has client-hostname = the mailbox server FQDN and a Hub RECV session id; the
 *      SUBMIT row carries no InternalId, the Submission SEND session does (as in (d)).
 *  (f) Delivery: Transport SEND to the Mailbox Transport Delivery of the server hosting the mailbox
 *      (maybe the same box) as in (c)–(d), whose reply is `250 2.0.0 OK <message-id> [Hostname=<fqdn>]`
 *      with NO InternalId (§1.9a, real row §1.6 2024-01-07), then one DELIVER row (STOREDRIVER) per
 *      recipient in MSGTRKMD with the delivery service's own internal-message-id; there is no
 *      MSGTRKMD RECEIVE row (§1.9a: RECEIVE → AGENTINFO → SEND → DELIVER on one 2013+ server).
 *  (g) Edge: internet → Edge RECEIVE → SEND on `EdgeSync - Inbound to Default-First-Site-Name` to a
 *      hub; outbound: hub SEND (`Intra-Organization SMTP Send Connector`) → Edge RECEIVE →
 *      SENDEXTERNAL on `EdgeSync - Default-First-Site-Name to Internet`. The Edge does not expand
 *      distribution lists (no directory); the hub does (EXPAND, related-recipient-address = the list).
 *  (h) network-message-id: one GUID per message on every row of every server; a DSN has its own.
 *      A DSN (non-delivery report) is a new message `<GUID@fqdn-of-the-server-that-made-it>`, return
 *      path `<>`, sender-address postmaster@corp.example; the original's FAIL row has reference = the
 *      DSN's message-id and the DSN row has reference = the original's message-id.
 *  Deliberate gaps: MBX2 Transport (HUB1 in the 2010 mode) → EDGE2 is always plaintext (EDGE2 offers no STARTTLS to MBX2),
 *  and EDGE2's `EdgeSync - Default-First-Site-Name to Internet` connector has protocol logging off,
 *  so EDGE2\SmtpSend holds only its inbound-to-site sessions and its internet hops' TLS is unknown.
 *
 * EXCHANGE 2010 MODE (`version: 2010`): the classic five-role organisation of §1.9a — Edge servers
 * EDGE1/EDGE2 subscribed to site A, Hub Transport servers HUB1 (site A) and HUB2 (site B), Mailbox
 * servers MBX1 (site A) and MBX2 (site B); no Front End, no Mailbox Transport services. What changes,
 * each with its source:
 *   - files (§1.9a, §2.1 "Exchange 2010: …\V14\TransportRoles\Logs\ProtocolLog\SmtpReceive"): daily
 *     `MSGTRKyyyymmdd-n.LOG` in MessageTracking, `RECVyyyymmdd-n.LOG` / `SENDyyyymmdd-n.LOG` in
 *     ProtocolLog\SmtpReceive|SmtpSend (no Edge/Hub/FrontEnd folder), under `<SERVER>/V14/` as copied
 *     from the install folder; `#Version: 14.0.0.0` on both (§1.2 BEATS header, §2.2), the 26 #Fields
 *     of 2010 (§1.3: no network-message-id, transport-traffic-type, log-id, schema-version).
 *   - submission (§1.9a): the mailbox server writes NOTIFYMAPI and SUBMIT (STOREDRIVER) in its own
 *     MSGTRK (SUBMIT: client = the mailbox server, server-hostname = the hub); the site's hub writes
 *     RECEIVE with source STOREDRIVER and client-hostname = the mailbox server. Not SMTP: that hop's
 *     TLS is unknown.
 *   - delivery (§1.9a): the hub of the mailbox's site writes STOREDRIVER DELIVER with the internal id
 *     of its RECEIVE, client-hostname = the hub, server-hostname = the mailbox server's FQDN (MAPI/RPC:
 *     TLS unknown). A message for the other site goes hub → hub first.
 *   - TLS (§1.9a): no `TLS protocol … negotiation succeeded` line and no certificate-validation lines;
 *     the evidence is STARTTLS (Edge ↔ hub, EdgeSync) or X-ANONYMOUSTLS (hub ↔ hub) answered by
 *     `220 2.0.0 SMTP server ready`, the receiving side's certificate line and a new EHLO. The TLS
 *     version is not logged, so the truth has none.
 *   - replies (§1.9a, §2.5 note, real Postfix → 2010 row): `250 2.6.0 <id> [InternalId=N] Queued mail
 *     for delivery` (no Hostname, no byte counts); the hub's default receive connector `Default <S>`
 *     listens on 25. An application relays straight to a hub.
 *   Modelled without a source (UNVERIFIED, nothing joins on it): SEND instead of SENDEXTERNAL to the
 *   internet (SENDEXTERNAL is in the 2016 list of §1.4; its 2010 absence is assumed), message-info
 *   of SEND/DELIVER as the bare origination time (the latency breakdown of §1.7 is 2013+ only), the
 *   two-site routing (HUB2 reaches the Edge through HUB1).
 *
 * Model: a discrete-event simulation as in bench/generate/postfix.ts. Actions (arrivals, a
 * transport service working on a message, retries) and the log lines they schedule sit in one
 * time-ordered heap; a line is written when it leaves the heap, so every file is in time order and
 * rolls over on the hour (or at maxFileBytes, `-2`, `-3`, … like Exchange). Everything random
 * comes from one mulberry32 stream: same options → same bytes. Memory is bounded by what is in
 * flight (messages in a session, messages waiting for a retry), never by the length of the log.
 *
 * Ground truth (TruthMessage, one JSON line per message that got a message id, DSNs included):
 * per recipient the SMTP hand-offs in path order. Org servers are named by lowercase NetBIOS name
 * (`edge1`, `mbx2`), external hosts by the FQDN the logs show (EHLO name of an internet client,
 * MX name of a next hop), app1 as `app1.corp.example`; roles edge|hub|mailbox|frontend|external.
 * Submission starts at the sender's mailbox server (`mbx1(mailbox) → mbx2(hub)`), a DSN at the
 * service that made it; two services of one box are a hop (`mbx1(hub) → mbx1(mailbox)`). A
 * distribution list is replaced by its members, who inherit the hops up to the expanding hub.
 * Per hop TLS is what the logs prove: `encrypted` (a TLS success line in either end's protocol log
 * session), `plaintext` (a logged session without STARTTLS), `unknown` (no protocol log covers the
 * hop). A refused hand-off (temporary failure, connection refused, 5xx at RCPT) is not a hop.
 * Status: delivered (DELIVER row, or accepted by an external MX), bounced (FAIL), rejected (refused
 * at RCPT by the Edge recipient filter; hops up to the Edge), deferred (still in a retry queue when
 * the simulation stops retrying).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Heap, Mulberry32 } from './sim.ts';

export interface ExchangeGenerateOptions {
  /** messages that enter the organisation (DSNs come on top) */
  messages: number;
  seed?: number;
  /** default 2026-03-01T08:00:00Z */
  start?: Date;
  /** default 5 */
  messagesPerSecond?: number;
  /** a log file rolls over to `-n+1` past this size (default 10 MiB, Exchange's default) */
  maxFileBytes?: number;
  /** 2016 (default): Exchange 2016/2019 with Edge and Mailbox servers; 2010: Edge, Hub Transport and Mailbox servers apart */
  version?: 2016 | 2010;
}
export type TruthRole = 'edge' | 'hub' | 'mailbox' | 'frontend' | 'external';
export interface TruthHop {
  from: string;
  to: string;
  fromRole: TruthRole;
  toRole: TruthRole;
  tls: 'encrypted' | 'plaintext' | 'unknown';
  tlsVersion?: 'TLS1.0' | 'TLS1.2';
}
export interface TruthRecipient { address: string; status: 'delivered' | 'deferred' | 'bounced' | 'rejected'; hops: TruthHop[] }
export interface TruthMessage { messageId: string; networkMessageId: string; sender: string; recipients: TruthRecipient[] }
/** one line of one log file (no line ending; the first line of a file starts with the BOM); `line: null` = that file is complete */
export interface ExchangeLogLine { file: string; line: string | null }

// ---------------------------------------------------------------------------------------------
// randomness

/** the generator's own draws on top of the shared mulberry32 stream */
class Rng extends Mulberry32 {
  /** random GUID, lowercase */
  guid(): string {
    const h = this.hex(32).toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** Exchange's sequential GUID shape (network-message-id, log-id): `…-08de…` as in §1.6 (`…-08da9a4ff8da`) */
  exGuid(): string {
    const h = this.hex(28).toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-08de${h.slice(20)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// formats

const SCHEMA_VERSION = '15.01.2507.039';
const PROTOCOL_LOG_VERSION = '15.0.0.0';
const TRACKING_FIELDS =
  'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version';
const PROTOCOL_FIELDS = 'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';

type LogKind = 'MSGTRK' | 'MSGTRKMS' | 'MSGTRKMD' | 'FE_RECV' | 'FE_SEND' | 'HUB_RECV' | 'HUB_SEND' | 'MBX_DELIVERY_RECV' | 'MBX_SUBMISSION_SEND' | 'EDGE_RECV' | 'EDGE_SEND';
const TRACKING = { version: SCHEMA_VERSION, type: 'Message Tracking Log', fields: TRACKING_FIELDS };
const RECEIVE = { version: PROTOCOL_LOG_VERSION, type: 'SMTP Receive Protocol Log', fields: PROTOCOL_FIELDS };
const SEND = { version: PROTOCOL_LOG_VERSION, type: 'SMTP Send Protocol Log', fields: PROTOCOL_FIELDS };
const LOG_KINDS: Record<LogKind, { dir: string; prefix: string; header: typeof TRACKING }> = {
  MSGTRK: { dir: 'TransportRoles/Logs/MessageTracking', prefix: 'MSGTRK', header: TRACKING },
  MSGTRKMS: { dir: 'TransportRoles/Logs/MessageTracking', prefix: 'MSGTRKMS', header: TRACKING },
  MSGTRKMD: { dir: 'TransportRoles/Logs/MessageTracking', prefix: 'MSGTRKMD', header: TRACKING },
  FE_RECV: { dir: 'TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive', prefix: 'RECV', header: RECEIVE },
  FE_SEND: { dir: 'TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpSend', prefix: 'SEND', header: SEND },
  HUB_RECV: { dir: 'TransportRoles/Logs/Hub/ProtocolLog/SmtpReceive', prefix: 'RECV', header: RECEIVE },
  HUB_SEND: { dir: 'TransportRoles/Logs/Hub/ProtocolLog/SmtpSend', prefix: 'SEND', header: SEND },
  MBX_DELIVERY_RECV: { dir: 'TransportRoles/Logs/Mailbox/ProtocolLog/SmtpReceive/Delivery', prefix: 'RECV', header: RECEIVE },
  MBX_SUBMISSION_SEND: { dir: 'TransportRoles/Logs/Mailbox/ProtocolLog/SmtpSend/Submission', prefix: 'SEND', header: SEND },
  EDGE_RECV: { dir: 'TransportRoles/Logs/Edge/ProtocolLog/SmtpReceive', prefix: 'RECV', header: RECEIVE },
  EDGE_SEND: { dir: 'TransportRoles/Logs/Edge/ProtocolLog/SmtpSend', prefix: 'SEND', header: SEND },
};

/** Exchange 2010 (§1.3 26 columns, §1.2 `#Version: 14.0.0.0`, §2.2) */
const TRACKING_FIELDS_2010 =
  'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data';
const VERSION_2010 = '14.0.0.0';
/** 2010 folders (§2.1): one ProtocolLog folder per direction, no role subfolders; tracking logs have no MS/MD split */
function logLayout2010(kind: LogKind): { dir: string; prefix: string; header: typeof TRACKING } {
  if (kind === 'MSGTRK' || kind === 'MSGTRKMS' || kind === 'MSGTRKMD') return { dir: 'V14/TransportRoles/Logs/MessageTracking', prefix: 'MSGTRK', header: { version: VERSION_2010, type: 'Message Tracking Log', fields: TRACKING_FIELDS_2010 } };
  const recv = kind.endsWith('RECV');
  return { dir: `V14/TransportRoles/Logs/ProtocolLog/${recv ? 'SmtpReceive' : 'SmtpSend'}`, prefix: recv ? 'RECV' : 'SEND', header: { ...(recv ? RECEIVE : SEND), version: VERSION_2010 } };
}

const QUOTE_NEEDED = /[",\r\n]/;
/** RFC 4180 field (§1.8): quoted when it holds `,` `"` or a line break, `"` doubled */
function csv(s: string): string {
  return QUOTE_NEEDED.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
let isoSec = -1;
let isoPrefix = '';
/** `2026-03-01T08:00:00.123Z` for a time in ms */
function isoMs(t: number): string {
  const sec = Math.floor(t / 1000);
  if (sec !== isoSec) {
    isoSec = sec;
    isoPrefix = `${new Date(sec * 1000).toISOString().slice(0, 19)}.`;
  }
  return `${isoPrefix}${String(1000 + t - sec * 1000).slice(1)}Z`;
}
/** `2026030108` (hourly files), `20260301` (daily files: 2010) */
function hourStamp(t: number, daily = false): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${daily ? '' : p2(d.getUTCHours())}`;
}
/** banner date as in §2.4/2.5 (`Wed, 13 Mar 2024 10:01:17 +0100`); our servers run on UTC */
function bannerDate(t: number): string {
  const d = new Date(t);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}
const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

// ---------------------------------------------------------------------------------------------
// TLS (Schannel names, §2.4)

interface Tls { version: 'TLS1.0' | 'TLS1.2'; sp: string; bulk: string; bulkBits: number; mac: string; macBits: number; kex: string; kexBits: number }
/** verbatim §2.4 */
const TLS12_AES128: Tls = { version: 'TLS1.2', sp: 'TLS1_2', bulk: 'CALG_AES_128', bulkBits: 128, mac: 'CALG_SHA_256', macBits: 0, kex: 'CALG_ECDH_EPHEM', kexBits: 256 };
const TLS12_AES256: Tls = { version: 'TLS1.2', sp: 'TLS1_2', bulk: 'CALG_AES_256', bulkBits: 256, mac: 'CALG_SHA_384', macBits: 0, kex: 'CALG_ECDH_EPHEM', kexBits: 384 };
/** a legacy sender: TLS 1.0 has no AEAD, so a real MAC strength */
const TLS10: Tls = { version: 'TLS1.0', sp: 'TLS1_0', bulk: 'CALG_AES_256', bulkBits: 256, mac: 'CALG_SHA1', macBits: 160, kex: 'CALG_ECDH_EPHEM', kexBits: 256 };
function tlsLine(p: Tls, side: 'SERVER' | 'CLIENT'): string {
  return `TLS protocol SP_PROT_${p.sp}_${side} negotiation succeeded using bulk encryption algorithm ${p.bulk} with strength ${p.bulkBits} bits, MAC hash algorithm ${p.mac} with strength ${p.macBits} bits and key exchange algorithm ${p.kex} with strength ${p.kexBits} bits`;
}
const CERT_LABELS = 'Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names';
/** EHLO capabilities, §2.5 before TLS and §2.4 after it */
const CAPS = 'SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS X-ANONYMOUSTLS AUTH NTLM X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING XRDST';
const CAPS_AFTER_TLS = 'SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES AUTH NTLM LOGIN X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING XRDST';
const CAPS_NO_TLS = 'SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES AUTH NTLM X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING XRDST';

// ---------------------------------------------------------------------------------------------
// fixed world

const DOMAIN = 'corp.example';
const SITE = 'Default-First-Site-Name';
const POSTMASTER = `postmaster@${DOMAIN}`;
const APP1 = { fqdn: `app1.${DOMAIN}`, ip: '10.1.2.50' };

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yasmin', 'zoe', 'liam', 'noah', 'emma', 'ava', 'mia', 'lucas', 'ella', 'omar', 'sara', 'yuki', 'ana', 'jonas', 'lena', 'marco', 'ines'];
const LAST = ['smith', 'jones', 'brown', 'miller', 'davis', 'garcia', 'wilson', 'moore', 'taylor', 'thomas', 'martin', 'lee', 'clark', 'lewis', 'walker', 'hall', 'young', 'king', 'wright', 'lopez', 'hill', 'scott', 'green', 'adams', 'baker', 'nelson', 'carter', 'mitchell'];
const ROLE = ['info', 'sales', 'support', 'noreply', 'billing', 'newsletter', 'hr', 'jobs', 'office', 'team'];
const SUBJECTS = ['Quarterly report', 'Re: Meeting notes, Q1 planning', 'Invoice 2026-0113', 'Your order has shipped', 'Fwd: "Urgent" contract review', 'Grüße aus München', 'Lunch?', 'Re: Re: build failure on main', 'Password expiry notice', 'Welcome aboard!', 'Agenda: Monday, 10:00', 'Scan from MFP-3F', 'Newsletter – March edition', 'Nightly backup report'];

type ReplyStyle = 'postfix' | 'gsmtp' | 'exo' | 'exim' | 'generic';
interface ExtDomain { domain: string; mx: string; ip: string; tls: boolean; style: ReplyStyle; kind: 'normal' | 'flaky' | 'dead' }
const EXT_DOMAINS: ExtDomain[] = [
  { domain: 'example.org', mx: 'mx.example.org', ip: '198.51.100.25', tls: true, style: 'gsmtp', kind: 'normal' },
  { domain: 'example.com', mx: 'mx1.example.com', ip: '198.51.100.26', tls: true, style: 'postfix', kind: 'normal' },
  { domain: 'partner.example', mx: 'partner-example.mail.protection.outlook.example', ip: '198.51.100.40', tls: true, style: 'exo', kind: 'normal' },
  { domain: 'shop.example', mx: 'mx.shop.example', ip: '203.0.113.52', tls: false, style: 'exim', kind: 'normal' },
  { domain: 'univ.example', mx: 'mailgw.univ.example', ip: '203.0.113.70', tls: true, style: 'postfix', kind: 'normal' },
  { domain: 'legacy.example', mx: 'smtp.legacy.example', ip: '203.0.113.99', tls: false, style: 'generic', kind: 'normal' },
  { domain: 'travel.example', mx: 'mx2.travel.example', ip: '203.0.113.140', tls: true, style: 'gsmtp', kind: 'normal' },
];
/** refuses the first connection (DEFER, then a later SENDEXTERNAL) */
const FLAKY: ExtDomain = { domain: 'flaky.example', mx: 'mx.flaky.example', ip: '198.51.100.77', tls: true, style: 'postfix', kind: 'flaky' };
/** refuses every connection (still deferred when the simulation stops retrying) */
const DEAD: ExtDomain = { domain: 'dead.example', mx: 'mx.dead.example', ip: '203.0.113.9', tls: false, style: 'generic', kind: 'dead' };
const EXT_BY_DOMAIN = new Map([...EXT_DOMAINS, FLAKY, DEAD].map((d) => [d.domain, d]));

interface InternetClient { helo: string; ip: string; tls: Tls | null; domain: string }
const INTERNET_CLIENTS: InternetClient[] = [
  { helo: 'mail-ej1-f48.mailhost.example', ip: '192.0.2.48', tls: TLS12_AES128, domain: 'mailhost.example' },
  { helo: 'mail-wr1-f53.mailhost.example', ip: '192.0.2.53', tls: TLS12_AES256, domain: 'mailhost.example' },
  { helo: 'outbound.bigmail.example', ip: '192.0.2.60', tls: TLS12_AES256, domain: 'bigmail.example' },
  { helo: 'o1.ptr4321.newsletter.example', ip: '192.0.2.71', tls: TLS12_AES128, domain: 'newsletter.example' },
  { helo: 'mail.example.com', ip: '198.51.100.30', tls: TLS12_AES128, domain: 'example.com' },
  { helo: 'smtp-out.example.org', ip: '198.51.100.31', tls: TLS12_AES256, domain: 'example.org' },
  { helo: 'DB3PR0202MB1234.eurprd02.prod.outlook.example', ip: '198.51.100.45', tls: TLS12_AES256, domain: 'partner.example' },
  { helo: 'relay.univ.example', ip: '203.0.113.71', tls: TLS12_AES128, domain: 'univ.example' },
];
/** the legacy sender of the brief: TLS 1.0 */
const LEGACY_CLIENT: InternetClient = { helo: 'smtp.oldbank.example', ip: '192.0.2.120', tls: TLS10, domain: 'oldbank.example' };
/** senders that never use STARTTLS */
const PLAIN_CLIENTS: InternetClient[] = [
  { helo: 'mail.smallshop.example', ip: '192.0.2.130', tls: null, domain: 'smallshop.example' },
  { helo: 'mx.legacy.example', ip: '203.0.113.98', tls: null, domain: 'legacy.example' },
];

type ServerName = 'EDGE1' | 'EDGE2' | 'MBX1' | 'MBX2' | 'HUB1' | 'HUB2';

class Counter {
  #v: number;
  constructor(v: number) {
    this.#v = v;
  }
  next(rng: Rng): number {
    this.#v += rng.int(1, 3);
    return this.#v;
  }
}

/** one log folder of one server; the file it writes rolls over on the hour or past maxFileBytes */
class Log {
  readonly server: ServerName;
  readonly kind: LogKind;
  file: string | null = null;
  hour = -1;
  n = 0;
  bytes = 0;
  #sid: number;
  constructor(server: ServerName, kind: LogKind, index: number, rng: Rng) {
    this.server = server;
    this.kind = kind;
    // a 40-bit window per log keeps session ids unique across all logs of the org
    this.#sid = index * 2 ** 40 + rng.int(0, 2 ** 32);
  }
  /** 16-hex session id (§2.2), `08DE…` like the real `08DC…` of 2024 */
  nextSid(rng: Rng): string {
    this.#sid += rng.int(1, 9);
    return `08DE${this.#sid.toString(16).toUpperCase().padStart(12, '0')}`;
  }
}

class Server {
  readonly name: ServerName;
  readonly lname: string;
  readonly fqdn: string;
  readonly ip: string;
  /** Edge: the internet-facing address */
  readonly publicIp: string;
  readonly isEdge: boolean;
  readonly transportIds: Counter;
  readonly deliveryIds: Counter;
  readonly submissionIds: Counter;
  /** certificate line data (§2.4: space-joined subject, issuer, serial, thumbprint, validity, SANs) */
  readonly cert: string;
  readonly #logs = new Map<LogKind, Log>();
  readonly #sim: Sim;

  constructor(sim: Sim, name: ServerName, ip: string, publicIp: string) {
    const rng = sim.rng;
    this.#sim = sim;
    this.name = name;
    this.lname = name.toLowerCase();
    this.fqdn = `${this.lname}.${DOMAIN}`;
    this.ip = ip;
    this.publicIp = publicIp;
    this.isEdge = name.startsWith('EDGE');
    this.transportIds = new Counter(70_000_000_000_000 + rng.int(0, 2 ** 30) * 1000);
    this.deliveryIds = new Counter(rng.int(100_000, 900_000) * 1000);
    this.submissionIds = new Counter(rng.int(100, 5000));
    const validity = `2025-0${rng.int(1, 9)}-1${rng.int(0, 9)}T0${rng.int(0, 9)}:${p2(rng.int(0, 59))}:${p2(rng.int(0, 59))}.000Z`;
    const until = `203${validity.slice(3)}`;
    this.cert = this.isEdge
      ? ` CN=mail.${DOMAIN} CN=Example Issuing CA 1, O=Example Trust Services, C=US ${rng.hex(32)} ${rng.hex(40)} ${validity} ${until} mail.${DOMAIN};${this.fqdn}`
      : ` CN=${name} CN=${name} ${rng.hex(32)} ${rng.hex(40)} ${validity} ${until} ${name};${this.fqdn}`;
  }

  log(kind: LogKind): Log {
    let l = this.#logs.get(kind);
    if (!l) {
      l = this.#sim.newLog(this.name, kind);
      this.#logs.set(kind, l);
    }
    return l;
  }
}

interface Mdb { guid: string; server: Server }
interface User { addr: string; home: Server; mdb: Mdb; mailbox: string; workstation: string }

// ---------------------------------------------------------------------------------------------
// simulation state

interface Item { t: number; q: number; log: Log | null; s: string | null; f: (() => void) | null }


type Fate = 'ok' | 'reject' | 'remote550';

interface Msg {
  messageId: string;
  nmid: string;
  /** envelope sender; '' for a DSN (return-path `<>`) */
  sender: string;
  /** sender-address column (From:) */
  from: string;
  subject: string;
  size: number;
  /** first entry into the organisation (message-info origination time) */
  origin: number;
  direction: 'Incoming' | 'Originating';
  dsn: boolean;
  /** the first hand-off to a mailbox delivery is refused with a 432 (DEFER, retry) */
  deferDelivery: boolean;
  /** forced choices of the scenario: hub to submit to / Edge → hub target, and Edge for outbound */
  hub?: Server;
  edge?: Server;
  truth: TruthMessage;
  pending: number;
}

interface Rcpt { addr: string; fate: Fate; msg: Msg; truth: TruthRecipient }

/** a message as one transport service holds it */
interface Copy { msg: Msg; server: Server; iid: number; rcpts: Rcpt[] }

type Next = { kind: 'hub' | 'delivery' | 'edge'; server: Server } | { kind: 'mx'; dom: ExtDomain };

/** one side of an SMTP session as its protocol log shows it */
class Session {
  seq = 0;
  local: string;
  readonly #sim: Sim;
  readonly #log: Log;
  readonly #connector: string;
  readonly sid: string;
  readonly #remote: string;
  constructor(sim: Sim, log: Log, connector: string, sid: string, local: string, remote: string) {
    this.#sim = sim;
    this.#log = log;
    this.#connector = csv(connector);
    this.sid = sid;
    this.local = local;
    this.#remote = remote;
  }
  ev(t: number, event: string, data: string, context = ''): void {
    this.#sim.row(t, this.#log, `${this.#connector},${this.sid},${this.seq++},${this.local},${this.#remote},${event},${csv(data)},${csv(context)}`);
  }
}

interface ClientSide { log: Log | null; connector: string; ip: string; helo: string; /** an Exchange client sends BDAT, others DATA */ exchange: boolean }
interface ServerSide {
  /** null: an external host (writes nothing we read) */
  log: Log | null;
  connector: string;
  ip: string;
  port: number;
  banner: string;
  ehlo: (clientIp: string, afterTls: boolean) => string;
  cert: string | null;
  /** third element of the `receiving message` triple */
  ordinal: number;
  mailOk: string;
  data354: string;
  bye: string;
  /** internet latencies instead of LAN ones */
  remote: boolean;
}
interface HopPlan {
  client: ClientSide;
  server: ServerSide;
  tls: Tls | null;
  mailFrom: string;
  size: number;
  rcpts: string[];
  replies: string[];
  /** destination domain when the connection is refused */
  connectFail?: string;
  /** Exchange's own upgrade between 2007/2010 hubs (§1.9a) instead of STARTTLS */
  anonymousTls?: boolean;
  /** just before the final reply (the Front End's proxy line) */
  beforeReply?: (t: number, s: Session | null) => void;
  /** the data is in and a recipient was accepted: the final reply and when it is sent */
  complete: (t: number) => { t: number; reply: string };
}
interface HopResult { connected: boolean; sid: string; start: number; tReply: number; reply: string; end: number; logged: boolean }

interface TrackRow {
  clientIp?: string;
  clientHost?: string;
  serverIp?: string;
  serverHost?: string;
  context?: string;
  connector?: string;
  source: string;
  event: string;
  iid?: number;
  msg?: Msg;
  rcpts?: string[];
  status?: string;
  related?: string;
  reference?: string;
  sender?: string;
  info?: string;
  origClientIp?: string;
  origServerIp?: string;
  custom?: string;
}

type Scenario =
  | 'inbound' | 'inboundTls10' | 'inboundPlain' | 'inboundMulti' | 'inboundDl' | 'inboundRejected'
  | 'outbound' | 'outboundPlainEdge2' | 'outboundDefer' | 'outboundDead' | 'outboundBounce'
  | 'internal' | 'internalCross' | 'internalUnknown' | 'internalDl' | 'deliveryDefer' | 'app';
/** the first arrivals play each scenario once, so any run of ≥ 50 messages has them all */
const FORCED: Scenario[] = ['inbound', 'inboundTls10', 'inboundPlain', 'inboundMulti', 'inboundDl', 'inboundRejected', 'outbound', 'outboundPlainEdge2', 'outboundDefer', 'outboundDead', 'outboundBounce', 'internalCross', 'internalUnknown', 'internalDl', 'deliveryDefer', 'app'];
const MIX: [Scenario, number][] = [
  ['inbound', 0.3], ['inboundTls10', 0.03], ['inboundPlain', 0.05], ['inboundMulti', 0.07], ['inboundDl', 0.02], ['inboundRejected', 0.02],
  ['outbound', 0.16], ['outboundPlainEdge2', 0.02], ['outboundDefer', 0.02], ['outboundDead', 0.005], ['outboundBounce', 0.015],
  ['internal', 0.14], ['internalCross', 0.04], ['internalUnknown', 0.02], ['internalDl', 0.02], ['deliveryDefer', 0.01], ['app', 0.07],
];

const MIX_TOTAL = MIX.reduce((a, [, w]) => a + w, 0);

const INTERNAL_SEND = 'Intra-Organization SMTP Send Connector';
const QUEUED = 'Queued mail for delivery';

class Sim {
  readonly rng: Rng;
  readonly heap = new Heap<Item>();
  now = 0;
  #seq = 0;
  readonly logs: Log[] = [];
  readonly edges: Server[];
  readonly mailboxes: Server[];
  /** the Transport services: the mailbox servers from 2013, HUB1 (site A) and HUB2 (site B) in 2010 */
  readonly hubs: Server[];
  /** the 2010 five-role mode */
  readonly v2010: boolean;
  readonly users: User[] = [];
  readonly byAddr = new Map<string, User>();
  readonly dls = new Map<string, User[]>();
  readonly opts: ExchangeGenerateOptions;
  readonly onTruth: ((t: TruthMessage) => void) | undefined;
  readonly meanGapMs: number;
  made = 0;
  serial = 0;
  mapiEvent: number;

  constructor(opts: ExchangeGenerateOptions, onTruth: ((t: TruthMessage) => void) | undefined) {
    this.opts = opts;
    this.onTruth = onTruth;
    this.rng = new Rng(opts.seed ?? 1);
    this.edges = [new Server(this, 'EDGE1', '10.1.0.11', '203.0.113.11'), new Server(this, 'EDGE2', '10.1.0.12', '203.0.113.12')];
    this.mailboxes = [new Server(this, 'MBX1', '10.1.1.21', '10.1.1.21'), new Server(this, 'MBX2', '10.1.1.22', '10.1.1.22')];
    this.v2010 = opts.version === 2010;
    this.hubs = this.v2010 ? [new Server(this, 'HUB1', '10.1.1.31', '10.1.1.31'), new Server(this, 'HUB2', '10.2.1.32', '10.2.1.32')] : this.mailboxes;
    this.meanGapMs = 1000 / (opts.messagesPerSecond ?? 5);
    this.mapiEvent = this.rng.int(1_000_000, 90_000_000);
    this.#buildWorld();
  }

  #buildWorld(): void {
    const rng = this.rng;
    const mdbs: Mdb[] = [];
    for (const s of this.mailboxes) for (let i = 0; i < 2; i++) mdbs.push({ guid: rng.guid(), server: s });
    while (this.users.length < 300) {
      let local = `${rng.pick(FIRST)}.${rng.pick(LAST)}`;
      if (this.byAddr.has(`${local}@${DOMAIN}`)) local += rng.int(2, 99);
      const addr = `${local}@${DOMAIN}`;
      if (this.byAddr.has(addr)) continue;
      const mdb = rng.pick(mdbs);
      const n = this.users.length;
      const u: User = { addr, home: mdb.server, mdb, mailbox: rng.guid(), workstation: `10.20.${Math.floor(n / 250)}.${(n % 250) + 1}` };
      this.users.push(u);
      this.byAddr.set(addr, u);
    }
    for (const dl of ['all-sales', 'it-team', 'project-atlas', 'managers']) {
      const members = new Set<User>();
      const want = rng.int(4, 9);
      while (members.size < want) members.add(rng.pick(this.users));
      this.dls.set(`${dl}@${DOMAIN}`, [...members]);
    }
  }

  newLog(server: ServerName, kind: LogKind): Log {
    const l = new Log(server, kind, this.logs.length, this.rng);
    this.logs.push(l);
    return l;
  }

  // --- scheduling -----------------------------------------------------------------------------

  row(t: number, log: Log, s: string): void {
    this.heap.push({ t: t < this.now ? this.now : t, q: this.#seq++, log, s, f: null });
  }

  at(t: number, f: () => void): void {
    this.heap.push({ t: t < this.now ? this.now : t, q: this.#seq++, log: null, s: null, f });
  }

  /** one message tracking row (§1.3 column order; date-time is added when it is written) */
  track(t: number, server: Server, kind: 'MSGTRK' | 'MSGTRKMS' | 'MSGTRKMD', r: TrackRow): void {
    const m = r.msg;
    const rcpts = r.rcpts ?? [];
    const cols = [
      r.clientIp ?? '', r.clientHost ?? '', r.serverIp ?? '', r.serverHost ?? '', r.context ?? '', r.connector ?? '', r.source, r.event,
      r.iid === undefined ? '' : String(r.iid), m?.messageId ?? '', m?.nmid ?? '', rcpts.join(';'), r.status ?? '',
      m ? String(m.size) : '', m ? String(rcpts.length) : '', r.related ?? '', r.reference ?? '', m?.subject ?? '',
      r.sender ?? m?.from ?? '', m ? m.sender || '<>' : '', r.info ?? '', m?.direction ?? '', '', r.origClientIp ?? '', r.origServerIp ?? '',
      r.custom ?? '', m ? 'Email' : '', this.rng.exGuid(), SCHEMA_VERSION,
    ];
    if (this.v2010) {
      // the 26 columns of 2010 (§1.3): no network-message-id and nothing after custom-data
      cols.splice(26, 3);
      cols.splice(10, 1);
    }
    let s = csv(cols[0]);
    for (let i = 1; i < cols.length; i++) s += `,${csv(cols[i])}`;
    this.row(t, server.log(this.v2010 ? 'MSGTRK' : kind), s);
  }

  // --- messages and truth -----------------------------------------------------------------------

  newMsg(messageId: string, sender: string, from: string, subject: string, size: number, direction: Msg['direction'], dsn = false): Msg {
    const nmid = this.rng.exGuid();
    return {
      messageId, nmid, sender, from, subject, size, origin: this.now, direction, dsn, deferDelivery: false,
      truth: { messageId, networkMessageId: nmid, sender, recipients: [] }, pending: 0,
    };
  }

  addRcpt(msg: Msg, addr: string, fate: Fate = 'ok', hops: TruthHop[] = []): Rcpt {
    const truth: TruthRecipient = { address: addr, status: 'deferred', hops };
    msg.truth.recipients.push(truth);
    msg.pending++;
    return { addr, fate, msg, truth };
  }

  finalize(r: Rcpt, status: TruthRecipient['status']): void {
    r.truth.status = status;
    if (--r.msg.pending === 0) this.onTruth?.(r.msg.truth);
  }

  hop(rcpts: Rcpt[], from: string, fromRole: TruthRole, to: string, toRole: TruthRole, logged: boolean, tls: Tls | null): void {
    for (const r of rcpts) {
      const h: TruthHop = { from, to, fromRole, toRole, tls: !logged ? 'unknown' : tls ? 'encrypted' : 'plaintext' };
      // 2010 logs do not name the version (§1.9a)
      if (logged && tls && !this.v2010) h.tlsVersion = tls.version;
      r.truth.hops.push(h);
    }
  }

  subject(): string {
    return this.rng.pick(SUBJECTS);
  }

  size(): number {
    const rng = this.rng;
    return rng.chance(0.85) ? rng.int(2500, 60000) : rng.int(60000, 4_000_000);
  }

  internalTls(): Tls {
    return this.rng.chance(0.7) ? TLS12_AES128 : TLS12_AES256;
  }

  /** `<GUID@fqdn>`, the Exchange-created message-id shape (§1.3); the tail carries a serial so ids never repeat */
  exchangeMessageId(fqdn: string): string {
    const g = this.rng.guid();
    return `<${g.slice(0, 24)}${(++this.serial).toString(16).padStart(12, '0')}@${fqdn}>`;
  }

  internetMessageId(domain: string): string {
    const rng = this.rng;
    const n = (++this.serial).toString(36);
    const r = rng.next();
    if (r < 0.35) return `<CA+${rng.alnum(22)}${n}@mail.${domain}>`;
    if (r < 0.6) return `<${rng.hex(8).toLowerCase()}-${rng.hex(4).toLowerCase()}-${rng.hex(4).toLowerCase()}-${n.padStart(12, '0')}@${domain}>`;
    if (r < 0.85) return `<${rng.alnum(12)}.${n}.${Math.floor(this.now / 1000)}@${domain}>`;
    return `<0100019${rng.hex(9).toLowerCase()}-${rng.guid()}-${n}@email.${domain}>`;
  }

  user(exclude?: Set<string>, home?: Server): User {
    for (;;) {
      const u = this.rng.pick(this.users);
      if (home && u.home !== home) continue;
      if (!exclude?.has(u.addr)) return u;
    }
  }

  /** the Transport that serves a mailbox server: itself from 2013; in 2010 the hub of its site (MBX1 → HUB1, MBX2 → HUB2) */
  siteHub(mbx: Server): Server {
    return this.v2010 ? this.hubs[this.mailboxes.indexOf(mbx)] : mbx;
  }

  /** an address of the accepted domain that resolves to nobody */
  unknownLocal(): string {
    return `${this.rng.pick(FIRST)}.${this.rng.pick(LAST)}.old@${DOMAIN}`;
  }

  externalAddr(dom: ExtDomain): string {
    const rng = this.rng;
    return rng.chance(0.8) ? `${rng.pick(FIRST)}.${rng.pick(LAST)}@${dom.domain}` : `${rng.pick(ROLE)}@${dom.domain}`;
  }

  // --- SMTP sessions ---------------------------------------------------------------------------

  /** the receiving side of an org service */
  orgServerSide(to: Server, kind: 'hub' | 'delivery' | 'edge' | 'frontend', offerTls: boolean): ServerSide {
    const kinds = { hub: ['HUB_RECV', `${to.name}\\Default ${to.name}`, this.v2010 ? 25 : 2525], delivery: ['MBX_DELIVERY_RECV', 'Mailbox delivery Receive connector', 475], edge: ['EDGE_RECV', `${to.name}\\Default internal receive connector ${to.name}`, 25], frontend: ['FE_RECV', `${to.name}\\Default Frontend ${to.name}`, 25] } as const;
    const [log, connector, port] = kinds[kind];
    return {
      log: to.log(log), connector, ip: to.ip, port,
      banner: `220 ${to.fqdn} Microsoft ESMTP MAIL Service ready at ${bannerDate(this.now)}`,
      ehlo: (clientIp, afterTls) => `250 ${to.fqdn} Hello [${clientIp}] ${afterTls ? CAPS_AFTER_TLS : offerTls ? CAPS : CAPS_NO_TLS}`,
      cert: to.cert, ordinal: kind === 'frontend' ? 1 : 0,
      mailOk: '250 2.1.0 Sender OK', data354: '354 Start mail input; end with <CRLF>.<CRLF>', bye: '221 2.0.0 Service closing transmission channel', remote: false,
    };
  }

  /** an internet MX as our Edge's send log sees it */
  externalServerSide(dom: ExtDomain): ServerSide {
    const rng = this.rng;
    const banner = { postfix: `220 ${dom.mx} ESMTP Postfix`, gsmtp: `220 ${dom.mx} ESMTP ${rng.alnum(6).toLowerCase()}.${rng.int(100, 999)} - gsmtp`, exo: `220 ${dom.mx} Microsoft ESMTP MAIL Service ready at ${bannerDate(this.now)}`, exim: `220 ${dom.mx} ESMTP Exim 4.97 ${bannerDate(this.now)}`, generic: `220 ${dom.mx} ESMTP` }[dom.style];
    return {
      log: null, connector: '', ip: dom.ip, port: 25, banner,
      ehlo: (clientIp, afterTls) => `250 ${dom.mx} Hello [${clientIp}] SIZE 52428800 PIPELINING DSN ENHANCEDSTATUSCODES${dom.tls && !afterTls ? ' STARTTLS' : ''} 8BITMIME`,
      cert: null, ordinal: 0,
      mailOk: dom.style === 'exo' ? '250 2.1.0 Sender OK' : dom.style === 'gsmtp' ? '250 2.1.0 OK' : '250 2.1.0 Ok',
      data354: { postfix: '354 End data with <CR><LF>.<CR><LF>', gsmtp: '354  Go ahead', exo: '354 Start mail input; end with <CRLF>.<CRLF>', exim: '354 Enter message, ending with "." on a line by itself', generic: '354 Enter mail, end with "." on a line by itself' }[dom.style],
      bye: { postfix: '221 2.0.0 Bye', gsmtp: '221 2.0.0 closing connection', exo: '221 2.0.0 Service closing transmission channel', exim: `221 ${dom.mx} closing connection`, generic: '221 2.0.0 Bye' }[dom.style],
      remote: true,
    };
  }

  /**
   * One SMTP session carrying one message, written to whichever of its two ends keep a protocol
   * log (§2.4–2.6 line order). Returns the receiving session's id and start for the tracking row.
   */
  smtp(t0: number, p: HopPlan, clientRemote: boolean): HopResult {
    const rng = this.rng;
    const slow = clientRemote || p.server.remote;
    const d = () => (slow ? rng.int(8, 160) : rng.int(0, 2));
    let t = t0;
    const serverEnd = `${p.server.ip}:${p.server.port}`;
    const clientEnd = `${p.client.ip}:${rng.int(49152, 65535)}`;
    const c = p.client.log ? new Session(this, p.client.log, p.client.connector, p.client.log.nextSid(rng), '', serverEnd) : null;
    c?.ev(t, '*', 'None', 'Set Session Permissions');
    c?.ev(t, '*', '', 'attempting to connect');
    const logged = c !== null || p.server.log !== null;
    if (p.connectFail) {
      t += rng.int(1000, 2100);
      c?.ev(t, '*', '', `Failed to connect. Winsock error code: 10061, Win32 error code: 10061, Destination domain: ${p.connectFail}, Error Message: No connection could be made because the target machine actively refused it ${serverEnd}.`);
      return { connected: false, sid: '', start: t0, tReply: t, reply: '', end: t, logged };
    }
    t += d();
    const start = t;
    const s = p.server.log ? new Session(this, p.server.log, p.server.connector, p.server.log.nextSid(rng), serverEnd, clientEnd) : null;
    if (c) c.local = clientEnd;
    const both = (from: Session | null, to: Session | null, line: string) => {
      from?.ev(t, '>', line);
      to?.ev(t, '<', line);
    };
    c?.ev(t, '+', '');
    s?.ev(t, '+', '');
    t += d();
    both(s, c, p.server.banner);
    t += d();
    both(c, s, `EHLO ${p.client.helo}`);
    t += d();
    both(s, c, p.server.ehlo(p.client.ip, false));
    if (p.tls) {
      t += d();
      both(c, s, p.anonymousTls ? 'X-ANONYMOUSTLS' : 'STARTTLS');
      both(s, c, '220 2.0.0 SMTP server ready');
      if (p.server.cert) s?.ev(t, '*', p.server.cert, CERT_LABELS);
      t += slow ? rng.int(20, 300) : rng.int(1, 12);
      // 2010 logs no negotiation line and no certificate validation lines (§1.9a): the new EHLO is the proof
      if (!this.v2010) {
        s?.ev(t, '*', '', tlsLine(p.tls, 'SERVER'));
        c?.ev(t, '*', '', tlsLine(p.tls, 'CLIENT'));
      }
      t += d();
      both(c, s, `EHLO ${p.client.helo}`);
      if (!this.v2010) {
        s?.ev(t, '*', '', "Client certificate chain validation status: 'EmptyCertificate'");
        s?.ev(t, '*', '', "TlsDomainCapabilities='None'; Status='NoRemoteCertificate'");
      }
      both(s, c, p.server.ehlo(p.client.ip, true));
    }
    t += d();
    both(c, s, `MAIL FROM:<${p.mailFrom}> SIZE=${p.size}`);
    const sid = s?.sid ?? '';
    s?.ev(t, '*', `${sid};${isoMs(start)};${p.server.ordinal}`, 'receiving message');
    both(s, c, p.server.mailOk);
    let accepted = 0;
    for (let i = 0; i < p.rcpts.length; i++) {
      t += d();
      both(c, s, `RCPT TO:<${p.rcpts[i]}>`);
      both(s, c, p.replies[i]);
      if (p.replies[i].startsWith('2')) accepted++;
    }
    let reply = '';
    let tReply = t;
    if (accepted > 0) {
      t += d();
      if (p.client.exchange) {
        both(c, s, `BDAT ${p.size} LAST`);
      } else {
        both(c, s, 'DATA');
        both(s, c, p.server.data354);
      }
      t += Math.round(p.size / (slow ? 400 : 20000)) + d();
      p.beforeReply?.(t, s);
      const r = p.complete(t);
      t = tReply = r.t;
      reply = r.reply;
      both(s, c, reply);
    }
    t += d();
    both(c, s, 'QUIT');
    both(s, c, p.server.bye);
    t += rng.int(0, 2);
    s?.ev(t, '-', '', 'Local');
    c?.ev(t, '-', '', 'Local');
    return { connected: true, sid, start, tReply, reply, end: t, logged };
  }

  queuedReply(msg: Msg, iid: number, fqdn: string, ms: number): string {
    // Exchange 2010 (§1.9a, real Postfix → 2010 row in §2.5): InternalId only
    if (this.v2010) return `250 2.6.0 ${msg.messageId} [InternalId=${iid}] ${QUEUED}`;
    const bytes = msg.size + this.rng.int(900, 4000);
    const s = Math.max(ms, 1) / 1000;
    return `250 2.6.0 ${msg.messageId} [InternalId=${iid}, Hostname=${fqdn}] ${bytes} bytes in ${s.toFixed(3)}, ${(bytes / 1024 / s).toFixed(3)} KB/sec ${QUEUED}`;
  }

  remote250(dom: ExtDomain, msg: Msg, t: number): string {
    const rng = this.rng;
    switch (dom.style) {
      case 'gsmtp':
        return `250 2.0.0 OK  ${Math.floor(t / 1000)} ${rng.alnum(2).toLowerCase()}${rng.int(1, 99)}si${rng.int(1000000, 99999999)}.${rng.int(1, 300)} - gsmtp`;
      case 'postfix':
        return `250 2.0.0 Ok: queued as 4${rng.alnum(11)}`;
      case 'exo':
        return this.queuedReply(msg, rng.int(1e12, 9e12), `${rng.pick(['AM0PR', 'DB9PR', 'VI1PR'])}0${rng.int(1, 9)}MB${rng.int(1000, 9999)}.eurprd0${rng.int(1, 9)}.prod.outlook.example`, rng.int(40, 400));
      case 'exim':
        return `250 OK id=1t${rng.alnum(4)}-${rng.int(100000, 999999)}-${rng.alnum(2)}`;
      default:
        return '250 2.0.0 Ok';
    }
  }

  remote550(dom: ExtDomain, addr: string): string {
    if (dom.style === 'gsmtp') return `550 5.1.1 The email account that you tried to reach does not exist. ${this.rng.alnum(8)} - gsmtp`;
    if (dom.style === 'exo') return `550 5.4.1 Recipient address rejected: Access denied. [${this.rng.alnum(6).toUpperCase()}.eurprd0${this.rng.int(1, 9)}.prod.outlook.example]`;
    return `550 5.1.1 <${addr}>: Recipient address rejected: User unknown`;
  }

  /** `<origin>;LSRV=<fqdn>:TOTAL-HUB=…|SMR=…|CAT=…|QDE|QDM=…|SMS=…` (§1.6/§1.7) */
  latency(msg: Msg, server: Server, t: number, toMailbox: boolean): string {
    if (this.v2010) return isoMs(msg.origin);
    const rng = this.rng;
    const total = Math.max(1, t - msg.origin);
    const smr = Math.round(total * 0.06) + rng.int(0, 5);
    const cat = Math.round(total * 0.2) + rng.int(0, 20);
    const sms = Math.round(total * 0.1) + rng.int(1, 30);
    const q = Math.max(0, total - smr - cat - sms);
    const smsPart = toMailbox ? `SMS=${secs(sms)}(SMSMBXD=${secs(Math.round(sms * 0.9))})` : `SMS=${secs(sms)}`;
    return `${isoMs(msg.origin)};LSRV=${server.fqdn}:TOTAL-HUB=${secs(total)}|SMR=${secs(smr)}|CAT=${secs(cat)}|${toMailbox ? 'QDM' : 'QDE'}=${secs(q)}|${smsPart}`;
  }

  custom(server: Server, extra = ''): string {
    return `${extra}S:DeliveryPriority=Normal${server.isEdge ? '' : `;S:AccountForest=${DOMAIN}`}`;
  }

  // --- the main loop ---------------------------------------------------------------------------

  *run(): Generator<ExchangeLogLine> {
    const maxBytes = this.opts.maxFileBytes ?? 10 * 2 ** 20;
    const t0 = (this.opts.start ?? new Date(Date.UTC(2026, 2, 1, 8, 0, 0))).getTime();
    this.now = t0;
    if (this.opts.messages > 0) this.at(t0, () => this.arrival());
    const heap = this.heap;
    while (heap.size > 0) {
      const it = heap.pop();
      this.now = it.t;
      if (it.f) {
        it.f();
        continue;
      }
      const log = it.log!;
      // 2010 logs roll daily (§1.9a), 2013+ hourly (§1.1)
      const hour = Math.floor(it.t / (this.v2010 ? 86_400_000 : 3_600_000));
      if (log.file === null || hour !== log.hour || log.bytes >= maxBytes) {
        if (log.file !== null) yield { file: log.file, line: null };
        log.n = hour === log.hour ? log.n + 1 : 1;
        log.hour = hour;
        const k = this.v2010 ? logLayout2010(log.kind) : LOG_KINDS[log.kind];
        log.file = `${log.server}/${k.dir}/${k.prefix}${hourStamp(it.t, this.v2010)}-${log.n}.LOG`;
        const header = [`\uFEFF#Software: Microsoft Exchange Server`, `#Version: ${k.header.version}`, `#Log-type: ${k.header.type}`, `#Date: ${isoMs(it.t)}`, `#Fields: ${k.header.fields}`];
        log.bytes = 0;
        for (const line of header) {
          log.bytes += line.length + 2;
          yield { file: log.file, line };
        }
      }
      const line = `${isoMs(it.t)},${it.s}`;
      log.bytes += line.length + 2;
      yield { file: log.file, line };
    }
    for (const log of this.logs) if (log.file !== null) yield { file: log.file, line: null };
  }

  arrival(): void {
    const i = this.made++;
    this.play(i < FORCED.length ? FORCED[i] : this.pickScenario(), i < FORCED.length);
    if (this.made < this.opts.messages) this.at(this.now + 1 + Math.round(this.rng.exp(this.meanGapMs)), () => this.arrival());
  }

  pickScenario(): Scenario {
    let x = this.rng.next() * MIX_TOTAL;
    for (const [sc, w] of MIX) {
      x -= w;
      if (x < 0) return sc;
    }
    return MIX[MIX.length - 1][0];
  }

  /** forced: the scenario's first, guaranteed run (an outbound one then goes through EDGE1: logged, TLS) */
  play(sc: Scenario, forced: boolean): void {
    const rng = this.rng;
    const [mbx1, mbx2] = this.mailboxes;
    const [edge1, edge2] = this.edges;
    const normalExt = () => rng.pick(EXT_DOMAINS);
    switch (sc) {
      case 'inbound':
        return this.inbound(rng.pick(INTERNET_CLIENTS), 1, { dl: false, reject: false });
      case 'inboundTls10':
        return this.inbound(LEGACY_CLIENT, rng.int(1, 2), { dl: false, reject: false });
      case 'inboundPlain':
        return this.inbound(rng.pick(PLAIN_CLIENTS), rng.int(1, 2), { dl: false, reject: false });
      case 'inboundMulti':
        return this.inbound(rng.pick(INTERNET_CLIENTS), rng.int(3, 5), { dl: false, reject: false, spread: true });
      case 'inboundDl':
        return this.inbound(rng.pick(INTERNET_CLIENTS), 0, { dl: true, reject: false });
      case 'inboundRejected':
        return this.inbound(rng.pick(INTERNET_CLIENTS), rng.int(1, 2), { dl: false, reject: true });
      case 'outbound': {
        const dom = rng.pick(EXT_DOMAINS.filter((d) => d.tls));
        const to = [this.externalAddr(dom)];
        if (rng.chance(0.25)) to.push(this.externalAddr(normalExt()));
        return this.submission(this.user(), to.map((a) => [a, 'ok']), { edge: forced ? edge1 : undefined });
      }
      case 'outboundPlainEdge2':
        return this.submission(this.user(undefined, mbx2), [[this.externalAddr(normalExt()), 'ok']], { hub: mbx2, edge: edge2 });
      case 'outboundDefer':
        return this.submission(this.user(), [[this.externalAddr(FLAKY), 'ok']], {});
      case 'outboundDead':
        return this.submission(this.user(), [[this.externalAddr(DEAD), 'ok']], {});
      case 'outboundBounce': {
        const dom = normalExt();
        const rc: [string, Fate][] = [[`${rng.pick(FIRST)}.${rng.pick(LAST)}.gone@${dom.domain}`, 'remote550']];
        if (rng.chance(0.5)) rc.push([this.externalAddr(dom), 'ok']);
        return this.submission(this.user(), rc, {});
      }
      case 'internal': {
        const s = this.user();
        const n = rng.chance(0.25) ? rng.int(2, 4) : 1;
        const seen = new Set([s.addr]);
        const rc: [string, Fate][] = [];
        for (let k = 0; k < n; k++) {
          const u = this.user(seen);
          seen.add(u.addr);
          rc.push([u.addr, 'ok']);
        }
        if (rng.chance(0.1)) rc.push([this.externalAddr(normalExt()), 'ok']);
        return this.submission(s, rc, {});
      }
      case 'internalCross': {
        const s = this.user(undefined, mbx1);
        return this.submission(s, [[this.user(new Set([s.addr]), mbx2).addr, 'ok']], {});
      }
      case 'internalUnknown': {
        const s = this.user();
        return this.submission(s, [[this.unknownLocal(), 'ok'], [this.user(new Set([s.addr])).addr, 'ok']], {});
      }
      case 'internalDl': {
        const s = this.user();
        return this.submission(s, [[rng.pick([...this.dls.keys()]), 'ok']], {});
      }
      case 'deliveryDefer': {
        const s = this.user();
        return this.submission(s, [[this.user(new Set([s.addr])).addr, 'ok']], { deferDelivery: true });
      }
      case 'app':
        return this.appRelay();
    }
  }

  // --- entry points ----------------------------------------------------------------------------

  /** internet client → Edge (the Edge recipient filter refuses unknown recipients at RCPT) */
  inbound(client: InternetClient, n: number, o: { dl: boolean; reject: boolean; spread?: boolean }): void {
    const rng = this.rng;
    const t = this.now;
    const edge = rng.pick(this.edges);
    const sender = rng.chance(0.6) ? `${rng.pick(FIRST)}.${rng.pick(LAST)}@${client.domain}` : `${rng.pick(ROLE)}@${client.domain}`;
    const msg = this.newMsg(this.internetMessageId(client.domain), sender, sender, this.subject(), this.size(), 'Incoming');
    const seen = new Set<string>();
    const rcpts: Rcpt[] = [];
    for (let k = 0; k < n; k++) {
      // spread: recipients on both mailbox servers, so the hub bifurcates
      const u = this.user(seen, o.spread ? this.mailboxes[k % 2] : undefined);
      seen.add(u.addr);
      rcpts.push(this.addRcpt(msg, u.addr));
    }
    if (o.dl) rcpts.push(this.addRcpt(msg, rng.pick([...this.dls.keys()])));
    if (o.reject) rcpts.splice(rng.int(0, rcpts.length), 0, this.addRcpt(msg, this.unknownLocal(), 'reject'));
    const server = this.orgServerSide(edge, 'edge', true);
    server.ip = edge.publicIp;
    server.remote = true;
    let iid = 0;
    const res = this.smtp(t, {
      client: { log: null, connector: '', ip: client.ip, helo: client.helo, exchange: false },
      server,
      tls: client.tls,
      mailFrom: sender,
      size: msg.size,
      rcpts: rcpts.map((r) => r.addr),
      replies: rcpts.map((r) => (r.fate === 'reject' ? '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' : '250 2.1.5 Recipient OK')),
      complete: (tc) => {
        iid = edge.transportIds.next(rng);
        const tr = tc + rng.int(20, 400);
        return { t: tr, reply: this.queuedReply(msg, iid, edge.fqdn, tr - tc + rng.int(50, 500)) };
      },
    }, true);
    this.hop(rcpts, client.helo, 'external', edge.lname, 'edge', res.logged, client.tls);
    const accepted = rcpts.filter((r) => r.fate !== 'reject');
    for (const r of rcpts) if (r.fate === 'reject') this.finalize(r, 'rejected');
    msg.origin = res.tReply;
    this.track(res.tReply, edge, 'MSGTRK', {
      clientIp: client.ip, clientHost: client.helo, serverIp: edge.publicIp, serverHost: edge.name, context: `${res.sid};${isoMs(res.start)};0`,
      connector: server.connector, source: 'SMTP', event: 'RECEIVE', iid, msg, rcpts: accepted.map((r) => r.addr), info: '0cA: ',
      origClientIp: client.ip, origServerIp: edge.publicIp, custom: this.custom(edge, 'S:FromEntity=Internet;'),
    });
    const copy: Copy = { msg, server: edge, iid, rcpts: accepted };
    this.at(res.end + rng.int(30, 600), () => this.processEdge(copy));
  }

  /** a mailbox user sends: MSGTRKMS NOTIFYMAPI/RECEIVE, Submission SEND → hub RECV, SUBMIT */
  submission(user: User, to: [string, Fate][], o: { hub?: Server; edge?: Server; deferDelivery?: boolean }): void {
    const rng = this.rng;
    const mbx = user.home;
    let t = this.now;
    const msg = this.newMsg(this.exchangeMessageId(mbx.fqdn), user.addr, user.addr, this.subject(), this.size(), 'Originating');
    msg.hub = o.hub;
    msg.edge = o.edge;
    msg.deferDelivery = o.deferDelivery ?? false;
    const rcpts = to.map(([a, f]) => this.addRcpt(msg, a, f));
    if (this.v2010) return this.submission2010(user, msg, rcpts);
    const hub = o.hub ?? rng.pick(this.mailboxes);
    const created = t - rng.int(80, 900);
    const event = (this.mapiEvent += rng.int(1, 40));
    const clientType = rng.pick(['MOMT', 'MOMT', 'OWA', 'AirSync']);
    const ctx = `MDB:${user.mdb.guid}, Mailbox:${user.mailbox}, Event:${event}, MessageClass:IPM.Note, CreationTime:${isoMs(created)}, ClientType:${clientType}, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant`;
    const entry = `00-00-00-00-${rng.hex(40).replace(/(..)(?!$)/g, '$1-')}`;
    this.track(t, mbx, 'MSGTRKMS', {
      clientIp: mbx.ip, clientHost: mbx.name, context: ctx, source: 'STOREDRIVER', event: 'NOTIFYMAPI', sender: user.addr,
      info: `${isoMs(created)};LSRV=${mbx.fqdn}:TOTAL-SUB=${secs(t - created)}|SA=${secs(t - created)}|MTSS-PEN=0.000`, custom: `S:ItemEntryId=${entry}`,
    });
    t += rng.int(30, 250);
    const msId = mbx.submissionIds.next(rng);
    const addrs = rcpts.map((r) => r.addr);
    this.track(t, mbx, 'MSGTRKMS', {
      clientIp: mbx.ip, clientHost: mbx.fqdn, serverIp: mbx.ip, serverHost: mbx.name, context: `${ctx}, ServerMdbConnectionId:08DE${rng.hex(12)}`,
      source: 'STOREDRIVER', event: 'RECEIVE', iid: msId, msg, rcpts: addrs, status: addrs.map(() => 'To').join(';'), info: '04I: ',
      origClientIp: user.workstation, origServerIp: mbx.ip, custom: this.custom(mbx, `S:MailboxDatabaseGuid=${user.mdb.guid};S:ItemEntryId=${entry};`),
    });
    msg.origin = t;
    const tls = this.internalTls();
    let iid = 0;
    const server = this.orgServerSide(hub, 'hub', true);
    const res = this.smtp(t + rng.int(1, 30), {
      client: { log: mbx.log('MBX_SUBMISSION_SEND'), connector: INTERNAL_SEND, ip: mbx.ip, helo: mbx.fqdn, exchange: true },
      server, tls, mailFrom: user.addr, size: msg.size, rcpts: addrs, replies: addrs.map(() => '250 2.1.5 Recipient OK'),
      complete: (tc) => {
        iid = hub.transportIds.next(rng);
        const tr = tc + rng.int(5, 120);
        return { t: tr, reply: this.queuedReply(msg, iid, hub.fqdn, tr - tc + rng.int(5, 60)) };
      },
    }, false);
    this.hop(rcpts, mbx.lname, 'mailbox', hub.lname, 'hub', res.logged, tls);
    this.track(res.tReply, mbx, 'MSGTRKMS', {
      clientIp: mbx.ip, clientHost: mbx.fqdn, serverIp: hub.ip, serverHost: hub.fqdn, context: ctx, source: 'STOREDRIVER', event: 'SUBMIT', iid: msId, msg,
      rcpts: addrs, info: `${isoMs(created)};LSRV=${mbx.fqdn}:TOTAL-SUB=${secs(res.tReply - created)}|SA=${secs(t - created)}|MTSS=${secs(res.tReply - t)}`,
      custom: this.custom(mbx),
    });
    this.track(res.tReply, hub, 'MSGTRK', {
      clientIp: mbx.ip, clientHost: mbx.fqdn, serverIp: hub.ip, serverHost: hub.name, context: `${res.sid};${isoMs(res.start)};0`, connector: server.connector,
      source: 'SMTP', event: 'RECEIVE', iid, msg, rcpts: addrs, info: '0cA: ', origClientIp: user.workstation, origServerIp: hub.ip, custom: this.custom(hub),
    });
    const copy: Copy = { msg, server: hub, iid, rcpts };
    this.at(res.end + rng.int(20, 400), () => this.processHub(copy));
  }

  /**
   * Exchange 2010 (§1.9a): the mailbox server's Mail Submission service writes NOTIFYMAPI and SUBMIT
   * in its own tracking log; the hub of its site picks the message up from the store (RECEIVE,
   * source STOREDRIVER, client-hostname = the mailbox server). No SMTP: the hop's TLS is unknown.
   */
  submission2010(user: User, msg: Msg, rcpts: Rcpt[]): void {
    const rng = this.rng;
    const mbx = user.home;
    const hub = this.siteHub(mbx);
    let t = this.now;
    const created = t - rng.int(80, 900);
    const event = (this.mapiEvent += rng.int(1, 40));
    const ctx = `MDB:${user.mdb.guid}, Mailbox:${user.mailbox}, Event:${event}, MessageClass:IPM.Note, CreationTime:${isoMs(created)}, ClientType:${rng.pick(['User', 'User', 'OWA', 'AirSync'])}`;
    const entry = `00-00-00-00-${rng.hex(40).replace(/(..)(?!$)/g, '$1-')}`;
    // NOTIFYMAPI as in the real 2010 row of §1.6: no host columns, no message columns
    this.track(t, mbx, 'MSGTRK', { context: ctx, source: 'STOREDRIVER', event: 'NOTIFYMAPI', sender: '', custom: `S:ItemEntryId=${entry}` });
    t += rng.int(30, 250);
    const addrs = rcpts.map((r) => r.addr);
    this.track(t, mbx, 'MSGTRK', { clientIp: mbx.ip, clientHost: mbx.fqdn, serverIp: hub.ip, serverHost: hub.fqdn, context: ctx, source: 'STOREDRIVER', event: 'SUBMIT', msg, rcpts: addrs, info: isoMs(created) });
    msg.origin = t;
    t += rng.int(5, 200);
    const iid = hub.transportIds.next(rng);
    this.track(t, hub, 'MSGTRK', {
      clientIp: mbx.ip, clientHost: mbx.fqdn, serverIp: hub.ip, serverHost: hub.name, context: ctx, source: 'STOREDRIVER', event: 'RECEIVE', iid, msg,
      rcpts: addrs, status: addrs.map(() => 'To').join(';'), info: '04I: ', origClientIp: user.workstation, origServerIp: mbx.ip,
    });
    this.hop(rcpts, mbx.lname, 'mailbox', hub.lname, 'hub', false, null);
    const copy: Copy = { msg, server: hub, iid, rcpts };
    this.at(t + rng.int(20, 400), () => this.processHub(copy));
  }

  /** app1 → Front End (Default Frontend), proxied on `Inbound Proxy Internal Send Connector` to a hub (§2.5); in 2010 straight to a hub */
  appRelay(): void {
    const rng = this.rng;
    const t = this.now;
    if (this.v2010) return this.appRelay2010();
    const fe = rng.pick(this.mailboxes);
    const hub = rng.pick(this.mailboxes);
    const { sender, msg, rcpts, addrs, appTls } = this.appMessage(t);
    const proxyTls = this.internalTls();
    const hubSide = this.orgServerSide(hub, 'hub', true);
    let iid = 0;
    let inner: HopResult | undefined;
    const outer = this.smtp(t, {
      client: { log: null, connector: '', ip: APP1.ip, helo: APP1.fqdn, exchange: false },
      server: this.orgServerSide(fe, 'frontend', true),
      tls: appTls, mailFrom: sender, size: msg.size, rcpts: addrs, replies: addrs.map(() => '250 2.1.5 Recipient OK'),
      beforeReply: (tb, s) => s?.ev(tb, '*', '', `Proxy destination(s) obtained from OnProxyInboundMessage event. Correlation Id:${rng.guid()}`),
      complete: (tc) => {
        inner = this.smtp(tc + rng.int(0, 3), {
          client: { log: fe.log('FE_SEND'), connector: 'Inbound Proxy Internal Send Connector', ip: fe.ip, helo: fe.fqdn, exchange: true },
          server: hubSide, tls: proxyTls, mailFrom: sender, size: msg.size, rcpts: addrs, replies: addrs.map(() => '250 2.1.5 Recipient OK'),
          complete: (ti) => {
            iid = hub.transportIds.next(rng);
            const tr = ti + rng.int(5, 100);
            return { t: tr, reply: this.queuedReply(msg, iid, hub.fqdn, tr - tc + rng.int(5, 60)) };
          },
        }, false);
        return { t: inner.tReply + rng.int(0, 3), reply: inner.reply };
      },
    }, false);
    const proxied = inner!;
    this.hop(rcpts, APP1.fqdn, 'external', fe.lname, 'frontend', outer.logged, appTls);
    this.hop(rcpts, fe.lname, 'frontend', hub.lname, 'hub', proxied.logged, proxyTls);
    msg.origin = outer.start;
    this.track(proxied.tReply, hub, 'MSGTRK', {
      clientIp: fe.ip, clientHost: fe.fqdn, serverIp: hub.ip, serverHost: hub.name, context: `${proxied.sid};${isoMs(proxied.start)};0`, connector: hubSide.connector,
      source: 'SMTP', event: 'RECEIVE', iid, msg, rcpts: addrs, info: '0cA: ', origClientIp: APP1.ip, origServerIp: fe.ip,
      custom: this.custom(hub, `S:ProxyHop1=${fe.fqdn}(${fe.ip});S:FirstForestHop=${fe.fqdn};S:ProxiedClientIPAddress=${APP1.ip};S:ProxiedClientHostname=${APP1.fqdn};`),
    });
    const copy: Copy = { msg, server: hub, iid, rcpts };
    this.at(Math.max(outer.end, proxied.end) + rng.int(20, 400), () => this.processHub(copy));
  }

  /** the application's message: sender, message id stamped by app1, 1–3 local recipients, TLS half the time */
  appMessage(t: number): { sender: string; msg: Msg; rcpts: Rcpt[]; addrs: string[]; appTls: Tls | null } {
    const rng = this.rng;
    const sender = `${rng.pick(['noreply', 'alerts', 'scanner', 'reports'])}@${DOMAIN}`;
    const stamp = new Date(t).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const msg = this.newMsg(`<${stamp}.${(++this.serial).toString(16).toUpperCase()}@${APP1.fqdn}>`, sender, sender, rng.pick(['Scan from MFP-3F', 'Nightly backup report', 'Alert: disk usage 91%, volume D:']), this.size(), 'Originating');
    const seen = new Set<string>();
    const rcpts: Rcpt[] = [];
    for (let k = rng.int(1, 3); k > 0; k--) {
      const u = this.user(seen);
      seen.add(u.addr);
      rcpts.push(this.addRcpt(msg, u.addr));
    }
    return { sender, msg, rcpts, addrs: rcpts.map((r) => r.addr), appTls: rng.chance(0.5) ? TLS12_AES128 : null };
  }

  appRelay2010(): void {
    const rng = this.rng;
    const t = this.now;
    const hub = rng.pick(this.hubs);
    const { sender, msg, rcpts, addrs, appTls } = this.appMessage(t);
    const server = this.orgServerSide(hub, 'hub', true);
    let iid = 0;
    const res = this.smtp(t, {
      client: { log: null, connector: '', ip: APP1.ip, helo: APP1.fqdn, exchange: false },
      server, tls: appTls, mailFrom: sender, size: msg.size, rcpts: addrs, replies: addrs.map(() => '250 2.1.5 Recipient OK'),
      complete: (tc) => {
        iid = hub.transportIds.next(rng);
        const tr = tc + rng.int(5, 100);
        return { t: tr, reply: this.queuedReply(msg, iid, hub.fqdn, tr - tc) };
      },
    }, false);
    this.hop(rcpts, APP1.fqdn, 'external', hub.lname, 'hub', res.logged, appTls);
    msg.origin = res.start;
    this.track(res.tReply, hub, 'MSGTRK', {
      clientIp: APP1.ip, clientHost: APP1.fqdn, serverIp: hub.ip, serverHost: hub.name, context: `${res.sid};${isoMs(res.start)};0`, connector: server.connector,
      source: 'SMTP', event: 'RECEIVE', iid, msg, rcpts: addrs, info: '00A: ', origClientIp: APP1.ip, origServerIp: hub.ip,
    });
    const copy: Copy = { msg, server: hub, iid, rcpts };
    this.at(res.end + rng.int(20, 400), () => this.processHub(copy));
  }

  // --- transport services ----------------------------------------------------------------------

  /** Transport on a Mailbox server: expand lists, resolve, bifurcate by next hop */
  processHub(copy: Copy): void {
    const rng = this.rng;
    const { msg, server: hub } = copy;
    let t = this.now;
    if (rng.chance(0.3)) {
      this.track(t, hub, 'MSGTRK', { serverHost: hub.name, source: 'AGENT', event: 'AGENTINFO', iid: copy.iid, msg, rcpts: copy.rcpts.map((r) => r.addr), custom: this.custom(hub, 'S:CompCost=|ETR=0;') });
    }
    const list: Rcpt[] = [];
    const have = new Set(copy.rcpts.map((r) => r.addr));
    for (const r of copy.rcpts) {
      const members = this.dls.get(r.addr);
      if (!members) {
        list.push(r);
        continue;
      }
      t += rng.int(2, 40);
      const add = members.map((u) => u.addr).filter((a) => !have.has(a));
      for (const a of add) have.add(a);
      this.track(t, hub, 'MSGTRK', { serverHost: hub.name, source: 'ROUTING', event: 'EXPAND', iid: copy.iid, msg, rcpts: add, related: r.addr, custom: this.custom(hub) });
      // the members replace the list in the truth and inherit its hops
      msg.truth.recipients.splice(msg.truth.recipients.indexOf(r.truth), 1);
      for (const a of add) list.push(this.addRcpt(msg, a, 'ok', r.truth.hops.map((h) => ({ ...h }))));
      if (--msg.pending === 0) this.onTruth?.(msg.truth);
    }
    copy.rcpts = list;
    const unknown: Rcpt[] = [];
    const byHome = new Map<Server, Rcpt[]>();
    const external: Rcpt[] = [];
    for (const r of list) {
      if (!r.addr.endsWith(`@${DOMAIN}`)) {
        external.push(r);
        continue;
      }
      const u = this.byAddr.get(r.addr);
      if (!u) unknown.push(r);
      else byHome.set(u.home, [...(byHome.get(u.home) ?? []), r]);
    }
    t += rng.int(5, 80);
    if (unknown.length > 0) this.fail(copy, unknown, t, 'ROUTING', unknown.map(() => '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'));
    for (const server of this.mailboxes) {
      const rs = byHome.get(server);
      if (!rs) continue;
      if (!this.v2010) this.at(t + rng.int(10, 300), () => this.send(copy, rs, { kind: 'delivery', server }, 0));
      // 2010: the hub of the mailbox's site writes into the store itself; another site's hub gets it first
      else if (this.siteHub(server) === hub) this.at(t + rng.int(10, 300), () => this.storeDeliver(copy, rs, server));
      else this.at(t + rng.int(10, 300), () => this.send(copy, rs, { kind: 'hub', server: this.siteHub(server) }, 0));
    }
    if (external.length > 0 && this.v2010 && hub !== this.hubs[0]) {
      // the Edge is subscribed to site A: site B's hub relays through HUB1
      this.at(t + rng.int(10, 300), () => this.send(copy, external, { kind: 'hub', server: this.hubs[0] }, 0));
    } else if (external.length > 0) {
      const edge = msg.edge ?? rng.pick(this.edges);
      this.at(t + rng.int(10, 300), () => this.send(copy, external, { kind: 'edge', server: edge }, 0));
    }
  }

  /** Transport on an Edge: accepted domain → a hub; others → their MX, one session per domain */
  processEdge(copy: Copy): void {
    const rng = this.rng;
    const t = this.now;
    const local = copy.rcpts.filter((r) => r.addr.endsWith(`@${DOMAIN}`));
    const byDomain = new Map<ExtDomain, Rcpt[]>();
    for (const r of copy.rcpts) {
      if (r.addr.endsWith(`@${DOMAIN}`)) continue;
      const dom = EXT_BY_DOMAIN.get(r.addr.slice(r.addr.indexOf('@') + 1))!;
      byDomain.set(dom, [...(byDomain.get(dom) ?? []), r]);
    }
    if (local.length > 0) {
      const hub = this.v2010 ? this.hubs[0] : copy.msg.hub ?? rng.pick(this.mailboxes);
      this.at(t + rng.int(5, 200), () => this.send(copy, local, { kind: 'hub', server: hub }, 0));
    }
    for (const [dom, rs] of byDomain) this.at(t + rng.int(5, 400), () => this.send(copy, rs, { kind: 'mx', dom }, 0));
  }

  /**
   * Exchange 2010 (§1.9a): the hub's store driver delivers into the mailbox server — DELIVER in the
   * hub's tracking log with the internal id of its RECEIVE, client = the hub, server = the mailbox
   * server. MAPI/RPC, not SMTP: that hop's TLS is unknown.
   */
  storeDeliver(copy: Copy, rcpts: Rcpt[], mbx: Server): void {
    const rng = this.rng;
    const hub = copy.server;
    const msg = copy.msg;
    let t = this.now;
    for (const r of rcpts) {
      const u = this.byAddr.get(r.addr)!;
      t += rng.int(5, 120);
      this.track(t, hub, 'MSGTRK', {
        clientIp: hub.ip, clientHost: hub.name, serverIp: mbx.ip, serverHost: mbx.fqdn,
        context: `MDB:${u.mdb.guid}, Mailbox:${u.mailbox}, Event:${(this.mapiEvent += rng.int(1, 40))}, MessageClass:${msg.dsn ? 'REPORT.IPM.Note.NDR' : 'IPM.Note'}, CreationTime:${isoMs(t)}, ClientType:StoreDriver`,
        source: 'STOREDRIVER', event: 'DELIVER', iid: copy.iid, msg, rcpts: [r.addr], info: this.latency(msg, hub, t, true),
      });
      this.hop([r], hub.lname, 'hub', mbx.lname, 'mailbox', false, null);
      this.finalize(r, 'delivered');
    }
  }

  /** Mailbox Transport Delivery: one DELIVER row per recipient */
  processDelivery(copy: Copy): void {
    const rng = this.rng;
    const md = copy.server;
    const msg = copy.msg;
    let t = this.now;
    for (const r of copy.rcpts) {
      const u = this.byAddr.get(r.addr)!;
      t += rng.int(5, 120);
      this.track(t, md, 'MSGTRKMD', {
        clientIp: md.ip, clientHost: md.fqdn, serverIp: md.ip, serverHost: md.name,
        context: `MDB:${u.mdb.guid}, Mailbox:${u.mailbox}, Event:${(this.mapiEvent += rng.int(1, 40))}, MessageClass:${msg.dsn ? 'REPORT.IPM.Note.NDR' : 'IPM.Note'}, CreationTime:${isoMs(t)}, ClientType:StoreDriver`,
        source: 'STOREDRIVER', event: 'DELIVER', iid: copy.iid, msg, rcpts: [r.addr], info: this.latency(msg, md, t, true),
        custom: this.custom(md, `S:MailboxDatabaseGuid=${u.mdb.guid};`),
      });
      this.finalize(r, 'delivered');
    }
  }

  /** hand rcpts of copy to next over SMTP; DEFER and retry on a refusal, FAIL + DSN on a 5xx */
  send(copy: Copy, rcpts: Rcpt[], next: Next, attempt: number): void {
    const rng = this.rng;
    const t = this.now;
    const from = copy.server;
    const msg = copy.msg;
    const toMx = next.kind === 'mx';
    const clientLog = from.isEdge ? (toMx && from.name === 'EDGE2' ? null : from.log('EDGE_SEND')) : from.log('HUB_SEND');
    const connector = from.isEdge ? (toMx ? `EdgeSync - ${SITE} to Internet` : `EdgeSync - Inbound to ${SITE}`) : INTERNAL_SEND;
    const clientIp = from.isEdge && toMx ? from.publicIp : from.ip;
    const addrs = rcpts.map((r) => r.addr);
    let server: ServerSide;
    let tls: Tls | null;
    let replies: string[];
    let connectFail: string | undefined;
    let nextHost: string;
    let nextIid = 0;
    let anonymousTls = false;
    if (next.kind === 'mx') {
      const dom = next.dom;
      server = this.externalServerSide(dom);
      tls = dom.tls ? this.internalTls() : null;
      const ok = dom.style === 'exo' ? '250 2.1.5 Recipient OK' : dom.style === 'gsmtp' ? '250 2.1.5 OK' : '250 2.1.5 Ok';
      replies = rcpts.map((r) => (r.fate === 'remote550' ? this.remote550(dom, r.addr) : ok));
      if (dom.kind === 'dead' || (dom.kind === 'flaky' && attempt === 0)) connectFail = dom.domain;
      nextHost = dom.mx;
    } else {
      const to = next.server;
      // the deliberate plaintext hop: EDGE2 offers no STARTTLS to MBX2
      const plain = (from.name === 'MBX2' || from.name === 'HUB1') && to.name === 'EDGE2';
      server = this.orgServerSide(to, next.kind, !plain);
      anonymousTls = this.v2010 && !from.isEdge && next.kind === 'hub';
      tls = plain ? null : this.internalTls();
      const refuse = next.kind === 'delivery' && msg.deferDelivery && attempt === 0;
      replies = rcpts.map(() => (refuse ? '432 4.3.2 STOREDRV.Deliver; mailbox database thread limit exceeded' : '250 2.1.5 Recipient OK'));
      nextHost = to.fqdn;
    }
    const res = this.smtp(t, {
      client: { log: clientLog, connector, ip: clientIp, helo: from.fqdn, exchange: !toMx },
      server, tls, mailFrom: msg.sender, size: msg.size, rcpts: addrs, replies, connectFail, anonymousTls,
      complete: (tc) => {
        const tr = tc + (toMx ? rng.int(30, 700) : rng.int(3, 120));
        if (next.kind === 'mx') return { t: tr, reply: this.remote250(next.dom, msg, tr) };
        nextIid = (next.kind === 'delivery' ? next.server.deliveryIds : next.server.transportIds).next(rng);
        // Mailbox Transport Delivery answers without an InternalId (log-formats §1.9a, real row §1.6 2024-01-07)
        if (next.kind === 'delivery') return { t: tr, reply: `250 2.0.0 OK ${msg.messageId} [Hostname=${next.server.fqdn}]` };
        return { t: tr, reply: this.queuedReply(msg, nextIid, next.server.fqdn, tr - tc + rng.int(5, 80)) };
      },
    }, false);
    const serverIp = server.ip;
    if (!res.connected) {
      const status = `451 4.4.0 Primary target IP address responded with: "421 4.2.1 Unable to connect." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was ${serverIp}:25`;
      this.defer(copy, rcpts, next, attempt, res.end, status, clientIp, nextHost, serverIp, connector);
      return;
    }
    const accepted: Rcpt[] = [];
    const temp: Rcpt[] = [];
    const failed: Rcpt[] = [];
    const failStatus: string[] = [];
    rcpts.forEach((r, i) => {
      if (replies[i].startsWith('2')) accepted.push(r);
      else if (replies[i].startsWith('4')) temp.push(r);
      else {
        failed.push(r);
        failStatus.push(replies[i]);
      }
    });
    if (temp.length > 0) this.defer(copy, temp, next, attempt, res.end, replies[rcpts.indexOf(temp[0])], clientIp, nextHost, serverIp, connector);
    if (failed.length > 0) this.fail(copy, failed, res.end, 'SMTP', failStatus, { clientIp, clientHost: from.fqdn, serverIp, serverHost: nextHost, connector });
    if (accepted.length === 0) return;
    const fromRole: TruthRole = from.isEdge ? 'edge' : 'hub';
    const custom = toMx
      ? `S:E2ELatency=${secs(res.tReply - msg.origin)};S:ExternalSendLatency=${secs(res.tReply - t)};S:ToEntity=Internet;S:MsgRecipCount=${accepted.length};S:IncludeInSla=True;S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=Opportunistic;S:IsSmtpResponseFromExternalServer=True;`
      : `S:E2ELatency=${secs(res.tReply - msg.origin)};S:MsgRecipCount=${accepted.length};S:IncludeInSla=True;S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=Opportunistic;S:IsSmtpResponseFromExternalServer=False;`;
    this.track(res.tReply, from, 'MSGTRK', {
      clientIp, clientHost: from.fqdn, serverIp, serverHost: nextHost, context: `;${res.reply};ClientSubmitTime:`, connector, source: 'SMTP',
      event: toMx && !this.v2010 ? 'SENDEXTERNAL' : 'SEND', iid: copy.iid, msg, rcpts: accepted.map((r) => r.addr), status: accepted.map((r) => replies[rcpts.indexOf(r)]).join(';'),
      info: this.latency(msg, from, res.tReply, next.kind === 'delivery'), custom: this.custom(from, custom),
    });
    if (next.kind === 'mx') {
      this.hop(accepted, from.lname, fromRole, next.dom.mx, 'external', res.logged, tls);
      for (const r of accepted) this.finalize(r, 'delivered');
      return;
    }
    const to = next.server;
    this.hop(accepted, from.lname, fromRole, to.lname, next.kind === 'delivery' ? 'mailbox' : next.kind, res.logged, tls);
    // Mailbox Transport Delivery writes no RECEIVE row: its DELIVER rows are all (§1.9a)
    if (next.kind !== 'delivery') {
      this.track(res.tReply, to, 'MSGTRK', {
        clientIp: from.ip, clientHost: from.fqdn, serverIp: to.ip, serverHost: to.name, context: `${res.sid};${isoMs(res.start)};0`, connector: server.connector,
        source: 'SMTP', event: 'RECEIVE', iid: nextIid, msg, rcpts: accepted.map((r) => r.addr), info: '0cA: ', origClientIp: from.ip, origServerIp: to.ip,
        custom: this.custom(to, from.isEdge ? `S:FirstForestHop=${to.fqdn};S:FromEntity=Internet;` : ''),
      });
    }
    const nextCopy: Copy = { msg, server: to, iid: nextIid, rcpts: accepted };
    const work = next.kind === 'delivery' ? () => this.processDelivery(nextCopy) : next.kind === 'edge' ? () => this.processEdge(nextCopy) : () => this.processHub(nextCopy);
    this.at(res.end + rng.int(10, 300), work);
  }

  defer(copy: Copy, rcpts: Rcpt[], next: Next, attempt: number, t: number, status: string, clientIp: string, serverHost: string, serverIp: string, connector: string): void {
    const rng = this.rng;
    const from = copy.server;
    this.track(t, from, 'MSGTRK', {
      clientIp, clientHost: from.fqdn, serverIp, serverHost, connector, source: 'SMTP', event: 'DEFER', iid: copy.iid, msg: copy.msg,
      rcpts: rcpts.map((r) => r.addr), status: rcpts.map(() => status).join(';'), info: this.latency(copy.msg, from, t, next.kind === 'delivery'), custom: this.custom(from),
    });
    const dead = next.kind === 'mx' && next.dom.kind === 'dead';
    if (dead && attempt >= 2) {
      // Exchange would go on for two days; the simulation stops here and leaves it queued
      for (const r of rcpts) this.finalize(r, 'deferred');
      return;
    }
    const wait = next.kind === 'delivery' ? rng.int(60, 300) : rng.int(300, 600);
    this.at(t + wait * 1000 + rng.int(0, 999), () => this.send(copy, rcpts, next, attempt + 1));
  }

  /** FAIL for rcpts, and a DSN to the (internal) sender made by this transport service */
  fail(copy: Copy, rcpts: Rcpt[], t: number, source: 'ROUTING' | 'SMTP', status: string[], peer?: { clientIp: string; clientHost: string; serverIp: string; serverHost: string; connector: string }): void {
    const rng = this.rng;
    const { msg, server } = copy;
    const notify = msg.sender !== '' && this.byAddr.has(msg.sender);
    const dsn = notify ? this.newMsg(this.exchangeMessageId(server.fqdn), '', POSTMASTER, `Undeliverable: ${msg.subject}`, Math.min(msg.size, 60000) + rng.int(4000, 9000), 'Originating', true) : null;
    this.track(t, server, 'MSGTRK', {
      ...peer, serverHost: peer?.serverHost ?? server.name, source, event: 'FAIL', iid: copy.iid, msg, rcpts: rcpts.map((r) => r.addr), status: status.join(';'),
      reference: dsn?.messageId ?? '', info: this.latency(msg, server, t, false), custom: this.custom(server),
    });
    for (const r of rcpts) this.finalize(r, 'bounced');
    if (!dsn) return;
    const r = this.addRcpt(dsn, msg.sender);
    const iid = server.transportIds.next(rng);
    const td = t + rng.int(5, 200);
    this.track(td, server, 'MSGTRK', { serverHost: server.name, source: 'DSN', event: 'DSN', iid, msg: dsn, rcpts: [r.addr], reference: msg.messageId, custom: this.custom(server) });
    const dcopy: Copy = { msg: dsn, server, iid, rcpts: [r] };
    this.at(td + rng.int(5, 200), () => (server.isEdge ? this.processEdge(dcopy) : this.processHub(dcopy)));
  }
}

// ---------------------------------------------------------------------------------------------
// public API

/**
 * Yields every line of every log file of the organisation, in time order across files (a file's
 * lines in its own order), with `{ file, line: null }` once a file is complete. `file` is the path
 * under the output directory, e.g. `MBX1/TransportRoles/Logs/MessageTracking/MSGTRK2026030108-1.LOG`.
 * Calls onTruth once per message (DSNs included) as soon as all its recipients are settled.
 */
export function* generateExchangeOrg(opts: ExchangeGenerateOptions, onTruth?: (t: TruthMessage) => void): Generator<ExchangeLogLine> {
  if (!(opts.messages >= 0)) throw new RangeError('messages must be a number ≥ 0');
  yield* new Sim(opts, onTruth).run();
}

interface OpenFile { fd: number; buf: string[]; len: number }

/** Writes the tree under outDir (CRLF line endings) and the truth as JSON lines; memory stays bounded. */
export async function writeExchangeOrg(outDir: string, opts: ExchangeGenerateOptions, truthPath?: string): Promise<{ files: string[]; rows: number; lines: number; bytes: number; messages: number }> {
  const open = new Map<string, OpenFile>();
  const dirs = new Set<string>();
  const files: string[] = [];
  let rows = 0;
  let lines = 0;
  let bytes = 0;
  let messages = 0;
  const flush = (f: OpenFile) => {
    if (f.buf.length === 0) return;
    bytes += writeSync(f.fd, f.buf.join(''));
    f.buf = [];
    f.len = 0;
  };
  if (truthPath) mkdirSync(dirname(truthPath), { recursive: true });
  const truth: OpenFile | null = truthPath ? { fd: openSync(truthPath, 'w'), buf: [], len: 0 } : null;
  const onTruth = (m: TruthMessage) => {
    messages++;
    if (!truth) return;
    const s = `${JSON.stringify(m)}\n`;
    truth.buf.push(s);
    truth.len += s.length;
    if (truth.len >= 1 << 20) {
      truth.buf = [truth.buf.join('')];
      writeSync(truth.fd, truth.buf[0]);
      truth.buf = [];
      truth.len = 0;
    }
  };
  for (const { file, line } of generateExchangeOrg(opts, onTruth)) {
    let f = open.get(file);
    if (line === null) {
      if (f) {
        flush(f);
        closeSync(f.fd);
        open.delete(file);
      }
      continue;
    }
    if (!f) {
      const path = join(outDir, file);
      const dir = dirname(path);
      if (!dirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        dirs.add(dir);
      }
      f = { fd: openSync(path, 'w'), buf: [], len: 0 };
      open.set(file, f);
      files.push(file);
    }
    f.buf.push(line, '\r\n');
    f.len += line.length + 2;
    lines++;
    if (line.charCodeAt(0) !== 0x23 && line.charCodeAt(0) !== 0xfeff) rows++;
    if (f.len >= 1 << 16) flush(f);
  }
  for (const f of open.values()) {
    flush(f);
    closeSync(f.fd);
  }
  if (truth) {
    if (truth.buf.length > 0) writeSync(truth.fd, truth.buf.join(''));
    closeSync(truth.fd);
  }
  return { files, rows, lines, bytes, messages };
}

// ---------------------------------------------------------------------------------------------
// CLI: node --import tsx bench/generate/exchange.ts --messages N [--seed S] [--rate MSG_PER_S] [--start ISO] [--version 2016|2010] --out DIR [--truth FILE.jsonl]

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string' },
      seed: { type: 'string', default: '1' },
      rate: { type: 'string' },
      start: { type: 'string' },
      'max-file-bytes': { type: 'string' },
      out: { type: 'string' },
      truth: { type: 'string' },
      version: { type: 'string', default: '2016' },
    },
  });
  const messages = Number(values.messages);
  if (!values.out || !Number.isInteger(messages) || messages < 0 || (values.version !== '2016' && values.version !== '2010')) {
    process.stderr.write('usage: node --import tsx bench/generate/exchange.ts --messages N [--seed S] [--rate MSG_PER_S] [--start ISO] [--max-file-bytes N] [--version 2016|2010] --out DIR [--truth FILE.jsonl]\n');
    process.exit(2);
  }
  const t0 = performance.now();
  const r = await writeExchangeOrg(values.out, {
    messages,
    seed: Number(values.seed),
    messagesPerSecond: values.rate ? Number(values.rate) : undefined,
    start: values.start ? new Date(values.start) : undefined,
    maxFileBytes: values['max-file-bytes'] ? Number(values['max-file-bytes']) : undefined,
    version: values.version === '2010' ? 2010 : 2016,
  }, values.truth);
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`wrote ${r.files.length} files, ${r.rows} rows (${r.lines} lines, ${(r.bytes / 2 ** 20).toFixed(1)} MiB), ${r.messages} messages (truth) to ${values.out} in ${s.toFixed(1)} s (${Math.round(r.rows / s)} rows/s)\n`);
}

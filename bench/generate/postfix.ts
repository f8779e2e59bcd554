/**
 * A seeded, streaming generator of a realistic three-host Postfix log (`edge` → `hub` →
 * `mailbox`, plus outbound mail via edge to external relays), with the ground truth of every
 * message's path per recipient.
 *
 * Where the line formats come from (nothing here is invented where a source exists):
 *   shared/reference/log-formats.md §4.1 (envelopes: classic syslog with space-padded day,
 *     rsyslog ISO-8601 with µs), §4.2 (queue id shape, queue-file lifecycle client= → message-id=
 *     → from=…(queue active) → to=…status= → removed, bounce `sender non-delivery notification`,
 *     `queued as` next-hop link, `delays=a/b/c/d` meaning and rounding from Postfix
 *     src/global/log_adhoc.c), §4.3 (per-program bodies verbatim from whyscream/postfix-grok-patterns
 *     tests: smtp/virtual delivery lines, `(in reply to RCPT TO command)`, `connect to …: Connection
 *     timed out`, Greylisted 450, NOQUEUE/QID `reject: RCPT from …; from=<…> to=<…> proto=ESMTP
 *     helo=<…>`, `lost connection after …`, `disconnect … ehlo=2 starttls=1 … commands=N[/M]`,
 *     `warning: … SASL LOGIN authentication failed`), §4.4 (TLS summary line from Postfix
 *     src/tls/tls_misc.c tls_log_summary(): `{Anonymous|Untrusted|Trusted|Verified} TLS connection
 *     established {to|from} name[addr][:port]: PROTO with cipher C (u/a bits)[ key-exchange …]`,
 *     logged without a queue id; `conn_use=N` after relay= per log_adhoc.c field order).
 * Facts checked against public real logs while writing this (reference only, nothing copied):
 *   anvil `statistics: max connection rate N/60s for (smtp:IP) at Mmm dd hh:mm:ss`, scache
 *   `statistics: start interval …` / `domain lookup hits=… miss=… success=…%`, `disconnect from
 *   unknown[ip] commands=0/0` after `lost connection after CONNECT`, bounce notifications'
 *   message-id `<YYYYMMDDhhmmss.DSNQID@myhostname>`, Postfix CONNECTION_CACHE_README (a reused
 *   connection costs one RSET; the scache closes an idle cached connection without QUIT).
 *
 * Model: a discrete-event simulation. Actions (arrivals, queue-manager passes, deliveries,
 * retries, periodic statistics) sit in one time-ordered heap together with the log lines they
 * have scheduled; lines come out in time order, ties in creation order, so time never goes
 * backwards. Everything random comes from one mulberry32 stream: same options → same bytes.
 * Memory is bounded by what is in flight (messages being delivered, deferred messages waiting
 * for a retry), never by the length of the log.
 *
 * Ground truth (TruthMessage, one per message that got a queue file, including the bounce
 * notifications Postfix creates): per recipient the hops from the first client to the last
 * server that handled it; `from`/`to` name an ingested host by its syslog host name (`edge`,
 * `hub`, `mailbox`), the first client as in `client=NAME[ip]`, an external relay as in
 * `relay=NAME[ip]:port`. A notification starts at the host whose bounce daemon made it (no client
 * hop). TLS per hop is what the logs prove: `encrypted` (a TLS summary line), `plaintext` (the
 * receiving smtpd's disconnect counters show no STARTTLS), `unknown` (a plaintext hand-off to an
 * external relay: Postfix < 3.11 logs nothing that tells it from unlogged TLS).
 * Sessions refused before any recipient was accepted (`NOQUEUE: reject` with no queue file) never
 * had a message id and are left out of the truth; a refused recipient of a message that was
 * queued is in it with status `rejected` and the one hop that reached the refusing server.
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Heap, Mulberry32 } from './sim.ts';

export interface GenerateOptions {
  messages: number;
  seed?: number;
  /** default 2026-03-01T08:00:00Z */
  start?: Date;
  /** 'syslog' = `Mar  1 08:00:00 host prog[pid]: ` (space-padded day); 'iso' = `2026-03-01T08:00:00.123456+00:00 host prog[pid]: ` */
  timestampStyle?: 'syslog' | 'iso';
  /** default 20 */
  messagesPerSecond?: number;
}
export interface TruthHop { from: string; to: string; tls: 'encrypted' | 'plaintext' | 'unknown' }
export interface TruthRecipient { address: string; status: 'delivered' | 'deferred' | 'bounced' | 'rejected'; hops: TruthHop[] }
export interface TruthMessage { messageId: string; sender: string; queueIds: { host: string; queueId: string }[]; recipients: TruthRecipient[] }

// ---------------------------------------------------------------------------------------------
// randomness

/** the generator's own draws on top of the shared mulberry32 stream */
class Rng extends Mulberry32 {
  /** seconds → µs, uniform in [lo, hi] seconds */
  us(lo: number, hi: number): number {
    return Math.round((lo + this.next() * (hi - lo)) * 1e6);
  }
}
/** Postfix long-queue-id alphabet (digits and consonants), for external Postfix replies */
const LONGQ = '0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz';

// ---------------------------------------------------------------------------------------------
// fixed world: names, domains, TLS profiles

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yasmin', 'zoe', 'liam', 'noah', 'emma', 'ava', 'mia', 'lucas', 'ella', 'omar', 'sara', 'yuki', 'ana', 'jonas', 'lena', 'marco', 'ines', 'pavel', 'nadia', 'tomas', 'aisha'];
const LAST = ['smith', 'jones', 'brown', 'miller', 'davis', 'garcia', 'wilson', 'moore', 'taylor', 'thomas', 'martin', 'lee', 'clark', 'lewis', 'walker', 'hall', 'young', 'king', 'wright', 'lopez', 'hill', 'scott', 'green', 'adams', 'baker', 'nelson', 'carter', 'mitchell', 'perez', 'roberts', 'turner', 'phillips', 'campbell', 'parker', 'evans', 'edwards', 'collins', 'stewart', 'morris', 'rogers'];
const ROLE = ['info', 'sales', 'support', 'noreply', 'billing', 'newsletter', 'hr', 'jobs', 'office', 'team'];

const LOCAL_DOMAIN = 'example.net';

type ReplyStyle = 'postfix' | 'gsmtp' | 'exo' | 'exim' | 'sendmail' | 'generic';
type ExtTls = 'verified' | 'trusted' | 'untrusted' | 'none';
interface ExtDomain { domain: string; mx: string; ip: string; tls: ExtTls; style: ReplyStyle; kind: 'normal' | 'dead' | 'greylist' | 'flaky' }

const EXT_DOMAINS: ExtDomain[] = [
  { domain: 'example.org', mx: 'mx.example.org', ip: '198.51.100.25', tls: 'trusted', style: 'gsmtp', kind: 'normal' },
  { domain: 'example.com', mx: 'mx1.example.com', ip: '198.51.100.26', tls: 'verified', style: 'postfix', kind: 'normal' },
  { domain: 'mail.example', mx: 'mx.mail.example', ip: '203.0.113.21', tls: 'untrusted', style: 'postfix', kind: 'normal' },
  { domain: 'partner.example', mx: 'partner-example.mail.protection.outlook.example', ip: '198.51.100.40', tls: 'trusted', style: 'exo', kind: 'normal' },
  { domain: 'shop.example', mx: 'mx.shop.example', ip: '203.0.113.52', tls: 'none', style: 'exim', kind: 'normal' },
  { domain: 'bank.example', mx: 'mx01.bank.example', ip: '198.51.100.61', tls: 'verified', style: 'sendmail', kind: 'normal' },
  { domain: 'univ.example', mx: 'mailgw.univ.example', ip: '203.0.113.70', tls: 'trusted', style: 'postfix', kind: 'normal' },
  { domain: 'news.example.com', mx: 'inbound.news.example.com', ip: '198.51.100.88', tls: 'untrusted', style: 'generic', kind: 'normal' },
  { domain: 'legacy.example', mx: 'smtp.legacy.example', ip: '203.0.113.99', tls: 'none', style: 'sendmail', kind: 'normal' },
  { domain: 'corp.example.org', mx: 'mx.corp.example.org', ip: '198.51.100.120', tls: 'trusted', style: 'exo', kind: 'normal' },
  { domain: 'travel.example', mx: 'mx2.travel.example', ip: '203.0.113.140', tls: 'trusted', style: 'gsmtp', kind: 'normal' },
  { domain: 'health.example', mx: 'mail.health.example', ip: '198.51.100.150', tls: 'none', style: 'generic', kind: 'normal' },
  { domain: 'media.example.com', mx: 'mx.media.example.com', ip: '203.0.113.160', tls: 'verified', style: 'gsmtp', kind: 'normal' },
  { domain: 'city.example', mx: 'smtp-in.city.example', ip: '198.51.100.170', tls: 'untrusted', style: 'exim', kind: 'normal' },
];
const DEAD: ExtDomain = { domain: 'dead.example', mx: 'mx.dead.example', ip: '203.0.113.9', tls: 'none', style: 'generic', kind: 'dead' };
const GREYLIST: ExtDomain = { domain: 'greylist.example', mx: 'mx.greylist.example', ip: '203.0.113.30', tls: 'trusted', style: 'postfix', kind: 'greylist' };
const FLAKY: ExtDomain = { domain: 'flaky.example', mx: 'mx.flaky.example', ip: '198.51.100.77', tls: 'untrusted', style: 'gsmtp', kind: 'flaky' };
const ALL_EXT = [...EXT_DOMAINS, DEAD, GREYLIST, FLAKY];
const EXT_BY_DOMAIN = new Map(ALL_EXT.map((d) => [d.domain, d]));

interface TlsProfile { proto: string; cipher: string; bits: number; suffix: string }
const KEX_RSA = ' key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256';
const T13: TlsProfile = { proto: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, suffix: KEX_RSA };
const T13_128: TlsProfile = { proto: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', bits: 128, suffix: KEX_RSA };
const T13_CHACHA: TlsProfile = { proto: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256', bits: 256, suffix: KEX_RSA };
const T12: TlsProfile = { proto: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', bits: 256, suffix: '' };
const T12_128: TlsProfile = { proto: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', bits: 128, suffix: '' };
const T10: TlsProfile = { proto: 'TLSv1', cipher: 'ECDHE-RSA-AES256-SHA', bits: 256, suffix: '' };
/** between our own hosts: both sides present certificates */
const T13_MUTUAL: TlsProfile = { proto: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, suffix: `${KEX_RSA} client-signature RSA-PSS (2048 bits) client-digest SHA256` };
/** what external servers present to our client */
const EXT_TLS_SUFFIX = [' key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256', ' key-exchange X25519 server-signature RSA-PSS (4096 bits) server-digest SHA256', ' key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256'];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `Mar  1 08:00:00` (ctime-style, space-padded day) for a time in µs */
function ctime15(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** `20260301080001` */
function compactStamp(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${d.getUTCFullYear()}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}`;
}

/**
 * Postfix delay rendering (log_adhoc.c): two significant digits, rounded down, resolution 10 ms,
 * whole seconds from 10 s up.
 */
export function fmtDelay(sec: number): string {
  if (sec >= 10) return String(Math.floor(sec));
  if (sec >= 1) return String(Math.floor(sec * 10 + 1e-9) / 10);
  if (sec >= 0.01) return String(Math.floor(sec * 100 + 1e-9) / 100);
  return '0';
}

// ---------------------------------------------------------------------------------------------
// simulation state

const SEC = 1_000_000;

interface Item { t: number; q: number; s: string | null; f: (() => void) | null }


interface Proc { pid: number; freeAt: number; uses: number }

/** Postfix processes of one kind on one host: reused while alive, max_use 100, max_idle 100 s. */
class Pool {
  readonly procs: Proc[] = [];
  readonly #sim: Sim;
  readonly #host: Host;
  readonly #maxUse: number;
  readonly #maxIdle: number;
  constructor(sim: Sim, host: Host, maxUse = 100, maxIdle = 100 * SEC) {
    this.#sim = sim;
    this.#host = host;
    this.#maxUse = maxUse;
    this.#maxIdle = maxIdle;
  }

  acquire(t: number, until: number): Proc {
    const ps = this.procs;
    let w = 0;
    let nFree = 0;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (p.freeAt <= t && (p.uses >= this.#maxUse || t - p.freeAt > this.#maxIdle)) continue; // exited
      ps[w++] = p;
      if (p.freeAt <= t) nFree++;
    }
    ps.length = w;
    let chosen: Proc | undefined;
    if (nFree === 0) {
      chosen = { pid: this.#host.nextPid(this.#sim.rng), freeAt: 0, uses: 0 };
      ps.push(chosen);
    } else {
      let k = this.#sim.rng.int(0, nFree - 1);
      for (const p of ps) {
        if (p.freeAt <= t && k-- === 0) {
          chosen = p;
          break;
        }
      }
    }
    chosen!.freeAt = until;
    chosen!.uses++;
    return chosen!;
  }
}

class Host {
  readonly tag: string;
  pid: number;
  inode: number;
  readonly qmgr: number;
  readonly anvil: number;
  readonly scache: number;
  readonly opendkim: number;
  readonly smtpd: Pool;
  readonly smtp: Pool;
  readonly cleanup: Pool;
  readonly bounce: Pool;
  readonly virtual: Pool;
  /** scache statistics for the current interval */
  scacheHits = 0;
  scacheMiss = 0;
  scacheStart = 0;
  /** anvil: connections per client IP in the current interval */
  readonly anvilCounts = new Map<string, number>();
  anvilMaxCache = 0;

  readonly name: 'edge' | 'hub' | 'mailbox';
  readonly fqdn: string;
  readonly ip: string;

  constructor(sim: Sim, name: 'edge' | 'hub' | 'mailbox', fqdn: string, ip: string, pidBase: number, inodeBase: number) {
    const rng = sim.rng;
    this.name = name;
    this.fqdn = fqdn;
    this.ip = ip;
    this.tag = `${name} postfix/`;
    this.pid = pidBase + rng.int(0, 900);
    this.qmgr = this.nextPid(rng);
    this.anvil = this.nextPid(rng);
    this.scache = this.nextPid(rng);
    this.opendkim = this.nextPid(rng);
    this.pid += rng.int(100, 3000);
    this.inode = inodeBase;
    this.smtpd = new Pool(sim, this);
    this.smtp = new Pool(sim, this);
    this.cleanup = new Pool(sim, this);
    this.bounce = new Pool(sim, this);
    this.virtual = new Pool(sim, this);
  }

  nextPid(rng: Rng): number {
    this.pid += rng.int(1, 23);
    return this.pid;
  }

  /**
   * Short queue id: 5 hex digits of the microseconds, then the queue file's inode number in hex
   * (§4.2 shape). The inode part only grows, so ids never repeat on a host.
   */
  newQid(t: number, rng: Rng): string {
    this.inode += rng.int(1, 9);
    const usec = t % SEC;
    return (0x100000 + usec).toString(16).slice(1).toUpperCase() + this.inode.toString(16).toUpperCase();
  }
}

type Fate = 'ok' | 'rejectEdge' | 'rejectMailbox' | 'unknownVirtual' | 'remote550';

interface Msg {
  truth: TruthMessage;
  pending: number;
  messageId: string;
  sender: string;
}

interface Rcpt {
  addr: string;
  fate: Fate;
  truth: TruthRecipient;
  msg: Msg;
}

interface Queue {
  host: Host;
  qid: string;
  msg: Msg;
  rcpts: Rcpt[];
  nrcpt: number;
  size: number;
  arrivalT: number;
  activeT: number;
  attempt: number;
  maxAttempts: number;
  todo: Rcpt[];
  outstanding: number;
  lastT: number;
  bounced: Rcpt[];
  deferred: Rcpt[];
}

/** an open SMTP connection between two of our hosts (smtp client pid ↔ smtpd pid) */
interface Conn {
  src: Host;
  dst: Host;
  smtp: Proc;
  smtpd: Proc;
  tls: boolean;
  uses: number;
  version: number;
  /** when the last transaction ended (a cached connection is reusable from then on) */
  availableAt: number;
  idleUntil: number;
  // smtpd counters
  mail: number;
  rcptOk: number;
  rcptAll: number;
  dataOk: number;
  dataAll: number;
  rset: number;
}

interface Client { name: string; ip: string; helo: string; tls: TlsProfile | null; bdat: boolean }

// probabilities of the workload mix (per message unless said otherwise)
const P_NOISE_SESSION = 0.14; // share of edge arrivals that are not messages
const P_OUTBOUND = 0.22;
const P_INTERNAL = 0.1;
const P_MULTI = 0.22;
const P_HUB_MAILBOX_PLAIN = 0.15;
const P_CACHE_CONN = 0.22;
const CACHE_TIME = 2 * SEC;

class Sim {
  readonly rng: Rng;
  readonly heap = new Heap<Item>();
  now = 0;
  #seq = 0;
  readonly edge: Host;
  readonly hub: Host;
  readonly mailbox: Host;
  readonly clients: Client[] = [];
  readonly badClients: Client[] = [];
  readonly workstations: { name: string; ip: string }[] = [];
  readonly users: string[] = [];
  readonly links = new Map<string, Conn>();
  readonly meanGapUs: number;
  made = 0;
  /** queues that have not finished (removed or given up) and connections still open */
  live = 0;
  /** of those, queues sitting in the deferred queue until their next retry */
  waiting = 0;
  msgSerial = 0;
  truthCount = 0;

  readonly opts: GenerateOptions;
  readonly onTruth: ((t: TruthMessage) => void) | undefined;

  constructor(opts: GenerateOptions, onTruth: ((t: TruthMessage) => void) | undefined) {
    this.opts = opts;
    this.onTruth = onTruth;
    this.rng = new Rng(opts.seed ?? 1);
    const rng = this.rng;
    this.edge = new Host(this, 'edge', 'edge.example.net', '10.0.0.1', 1100, rng.int(0x10000, 0x8ffff));
    this.hub = new Host(this, 'hub', 'hub.example.net', '10.0.0.2', 2100, rng.int(0x100000, 0x8fffff));
    this.mailbox = new Host(this, 'mailbox', 'mailbox.example.net', '10.0.0.3', 3100, rng.int(0x1000000, 0x2ffffff));
    const rate = opts.messagesPerSecond ?? 20;
    this.meanGapUs = (SEC / rate) * (1 - P_NOISE_SESSION);
    this.#buildWorld();
  }

  #buildWorld(): void {
    const rng = this.rng;
    const seen = new Set<string>();
    while (this.users.length < 600) {
      let u = `${rng.pick(FIRST)}.${rng.pick(LAST)}`;
      if (seen.has(u)) u += rng.int(2, 99);
      if (seen.has(u)) continue;
      seen.add(u);
      this.users.push(u);
    }
    // internet clients: one per documentation address not used by an external MX
    const mxIps = new Set(ALL_EXT.map((d) => d.ip));
    const ips: string[] = [];
    for (const net of ['192.0.2', '198.51.100', '203.0.113']) for (let i = 1; i < 255; i++) if (!mxIps.has(`${net}.${i}`)) ips.push(`${net}.${i}`);
    for (let i = ips.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [ips[i], ips[j]] = [ips[j], ips[i]];
    }
    const providers = ['outbound.mailhost.example', 'smtp-out.bigmail.example', 'mta.sendgrid.example', 'out.mailchimp.example.com', 'mail.protection.outlook.example'];
    for (let i = 0; i < ips.length; i++) {
      const ip = ips[i];
      const dashed = ip.replace(/\./g, '-');
      const r = rng.next();
      let name: string;
      let helo: string;
      let tlsShare = 0.92;
      if (i < 60) {
        // the bad pool: spam sources, scanners
        name = rng.chance(0.6) ? 'unknown' : `${dashed}.dyn.isp.example`;
        helo = rng.chance(0.5) ? `[${ip}]` : `${rng.alnum(6).toLowerCase()}.example`;
        this.badClients.push({ name, ip, helo, tls: rng.chance(0.3) ? T12 : null, bdat: false });
        continue;
      }
      if (r < 0.4) {
        name = `mail-${rng.alnum(2).toLowerCase()}${rng.int(1, 9)}-f${rng.int(10, 199)}.${rng.pick(providers)}`;
        tlsShare = 0.99;
      } else if (r < 0.72) {
        const d = rng.pick(EXT_DOMAINS);
        name = `${rng.pick(['mail', 'smtp', 'out', 'mx', 'relay'])}${rng.chance(0.5) ? rng.int(1, 20) : ''}.${d.domain}`;
      } else if (r < 0.9) {
        name = `${dashed}.static.isp.example`;
        tlsShare = 0.75;
      } else {
        name = 'unknown';
        tlsShare = 0.7;
      }
      helo = name === 'unknown' ? `mail.${rng.alnum(5).toLowerCase()}.example` : name;
      let tls: TlsProfile | null = null;
      if (rng.chance(tlsShare)) {
        const v = rng.next();
        tls = v < 0.62 ? T13 : v < 0.78 ? T13_128 : v < 0.85 ? T13_CHACHA : v < 0.93 ? T12 : v < 0.97 ? T12_128 : T10;
      }
      this.clients.push({ name, ip, helo, tls, bdat: name.includes('bigmail') && rng.chance(0.8) });
    }
    for (let i = 0; i < 220; i++) {
      const n = 10 + i * 3 + rng.int(0, 2);
      this.workstations.push({ name: `ws-${String(n).padStart(4, '0')}.corp.example.net`, ip: `10.20.${Math.floor(n / 250)}.${(n % 250) + 1}` });
    }
  }

  // --- scheduling -----------------------------------------------------------------------------

  push(t: number, s: string | null, f: (() => void) | null): void {
    if (t < this.now) t = this.now;
    this.heap.push({ t, q: this.#seq++, s, f });
  }

  at(t: number, f: () => void): void {
    this.push(t, null, f);
  }

  pf(t: number, h: Host, prog: string, pid: number, text: string): void {
    this.push(t, `${h.tag}${prog}[${pid}]: ${text}`, null);
  }

  raw(t: number, h: Host, tag: string, text: string): void {
    this.push(t, `${h.name} ${tag}: ${text}`, null);
  }

  // --- messages and truth -----------------------------------------------------------------------

  newMsg(messageId: string, sender: string): Msg {
    return { truth: { messageId, sender, queueIds: [], recipients: [] }, pending: 0, messageId, sender };
  }

  addRcpt(msg: Msg, addr: string, fate: Fate): Rcpt {
    const truth: TruthRecipient = { address: addr, status: 'deferred', hops: [] };
    msg.truth.recipients.push(truth);
    msg.pending++;
    return { addr, fate, truth, msg };
  }

  finalize(r: Rcpt, status: TruthRecipient['status']): void {
    r.truth.status = status;
    if (--r.msg.pending === 0) {
      this.truthCount++;
      this.onTruth?.(r.msg.truth);
    }
  }

  newQueue(h: Host, qid: string, msg: Msg, rcpts: Rcpt[], size: number, arrivalT: number): Queue {
    msg.truth.queueIds.push({ host: h.name, queueId: qid });
    this.live++;
    return { host: h, qid, msg, rcpts, nrcpt: rcpts.length, size, arrivalT, activeT: arrivalT, attempt: 0, maxAttempts: this.rng.int(2, 4), todo: rcpts, outstanding: 0, lastT: arrivalT, bounced: [], deferred: [] };
  }

  messageId(domain: string, t: number): string {
    const rng = this.rng;
    const n = (++this.msgSerial).toString(36);
    const r = rng.next();
    if (r < 0.3) return `<CA+${rng.alnum(22)}${n}@mail.${domain}>`;
    if (r < 0.55) return `<${rng.hex(8).toLowerCase()}-${rng.hex(4).toLowerCase()}-${rng.hex(4).toLowerCase()}-${rng.hex(4).toLowerCase()}-${n.padStart(12, '0')}@${domain}>`;
    if (r < 0.75) return `<${compactStamp(t)}.${rng.hex(6)}${n}@${domain}>`;
    if (r < 0.9) return `<${rng.alnum(12)}.${n}.${Math.floor(t / SEC)}@${domain}>`;
    return `<${rng.pick(['AM0PR', 'DB9PR', 'VI1PR', 'PAXPR'])}0${rng.int(1, 9)}MB${rng.int(1000, 9999)}${rng.hex(8)}${n.toUpperCase()}@${rng.pick(['AM0PR', 'DB9PR'])}0${rng.int(1, 9)}MB${rng.int(1000, 9999)}.eurprd0${rng.int(1, 9)}.prod.outlook.example>`;
  }

  // --- the main loop ---------------------------------------------------------------------------

  *run(): Generator<string> {
    const style = this.opts.timestampStyle ?? 'syslog';
    const startMs = (this.opts.start ?? new Date(Date.UTC(2026, 2, 1, 8, 0, 0))).getTime();
    const t0 = startMs * 1000;
    this.now = t0;
    this.edge.scacheStart = this.hub.scacheStart = t0;
    if (this.opts.messages > 0) this.at(t0, () => this.arrival());
    this.at(t0 + this.rng.us(200, 400), () => this.scacheTick(this.edge));
    this.at(t0 + this.rng.us(200, 400), () => this.scacheTick(this.hub));
    this.at(t0 + this.rng.us(500, 600), () => this.anvilTick(this.edge));
    this.at(t0 + this.rng.us(30, 120), () => this.dovecot());

    let lastSec = -1;
    let prefix = '';
    const heap = this.heap;
    while (heap.size > 0) {
      const it = heap.pop();
      this.now = it.t;
      if (it.s === null) {
        it.f!();
        continue;
      }
      const sec = Math.floor(it.t / SEC);
      if (sec !== lastSec) {
        lastSec = sec;
        if (style === 'iso') {
          const d = new Date(sec * 1000);
          prefix = `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.`;
        } else {
          prefix = `${ctime15(sec * SEC)} `;
        }
      }
      if (style === 'iso') yield `${prefix}${String(SEC + (it.t - sec * SEC)).slice(1)}+00:00 ${it.s}`;
      else yield prefix + it.s;
    }
  }

  /** periodic noise keeps going only while mail flows (not through the long retry tail) */
  get busy(): boolean {
    return this.made < this.opts.messages || this.live > this.waiting;
  }

  arrival(): void {
    const rng = this.rng;
    const t = this.now;
    if (rng.chance(P_NOISE_SESSION)) {
      this.noiseSession(t);
    } else {
      this.made++;
      const r = rng.next();
      if (r < P_OUTBOUND) this.outbound(t);
      else if (r < P_OUTBOUND + P_INTERNAL) this.internal(t);
      else this.inbound(t);
    }
    if (this.made < this.opts.messages) this.at(t + Math.max(1, Math.round(rng.exp(this.meanGapUs))), () => this.arrival());
  }

  // --- scenarios ----------------------------------------------------------------------------------

  localAddr(): string {
    return `${this.rng.pick(this.users)}@${LOCAL_DOMAIN}`;
  }

  unknownLocal(): string {
    const rng = this.rng;
    return `${rng.pick(FIRST)}${rng.chance(0.5) ? `.${rng.pick(LAST)}` : rng.int(1, 999)}x@${LOCAL_DOMAIN}`;
  }

  externalSender(): string {
    const rng = this.rng;
    const d = rng.pick(EXT_DOMAINS).domain;
    return rng.chance(0.3) ? `${rng.pick(ROLE)}@${d}` : `${rng.pick(FIRST)}.${rng.pick(LAST)}@${d}`;
  }

  /** internet client → edge → hub → mailbox */
  inbound(t: number): void {
    const rng = this.rng;
    const c = rng.pick(this.clients);
    const sender = this.externalSender();
    const msg = this.newMsg(this.messageId(sender.slice(sender.indexOf('@') + 1), t), sender);
    const n = rng.chance(P_MULTI) ? rng.int(2, 5) : 1;
    const rcpts: Rcpt[] = [];
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const f = rng.next();
      let fate: Fate = 'ok';
      if (n > 1 && f < 0.05) fate = 'rejectEdge';
      else if (f < 0.065) fate = 'rejectMailbox';
      else if (f < 0.08) fate = 'unknownVirtual';
      let addr = fate === 'ok' ? this.localAddr() : this.unknownLocal();
      while (used.has(addr)) addr = this.localAddr();
      used.add(addr);
      rcpts.push(this.addRcpt(msg, addr, fate));
    }
    if (rcpts.every((r) => r.fate === 'rejectEdge')) rcpts[0].fate = 'ok';
    const size = rng.int(1800, 60000) + (rng.chance(0.1) ? rng.int(100000, 4000000) : 0);
    this.submit(this.edge, t, c, undefined, msg, rcpts, size, true);
  }

  /** workstation → hub (SASL submission) → edge → external relay, sometimes with an internal cc */
  outbound(t: number): void {
    const rng = this.rng;
    const ws = rng.pick(this.workstations);
    const user = rng.pick(this.users);
    const sender = `${user}@${LOCAL_DOMAIN}`;
    const msg = this.newMsg(this.messageId(LOCAL_DOMAIN, t), sender);
    const n = rng.chance(0.25) ? rng.int(2, 4) : 1;
    const rcpts: Rcpt[] = [];
    const used = new Set<string>([sender]);
    for (let i = 0; i < n; i++) {
      let addr: string;
      let fate: Fate = 'ok';
      if (i > 0 && rng.chance(0.25)) {
        addr = this.localAddr();
      } else {
        const k = rng.next();
        const d = k < 0.03 ? DEAD : k < 0.06 ? GREYLIST : k < 0.08 ? FLAKY : rng.pick(EXT_DOMAINS);
        addr = `${rng.chance(0.2) ? rng.pick(ROLE) : `${rng.pick(FIRST)}.${rng.pick(LAST)}`}@${d.domain}`;
        if (d.kind === 'normal' && rng.chance(0.03)) fate = 'remote550';
      }
      if (used.has(addr)) continue;
      used.add(addr);
      rcpts.push(this.addRcpt(msg, addr, fate));
    }
    const client: Client = { name: ws.name, ip: ws.ip, helo: ws.name.split('.')[0], tls: rng.chance(0.9) ? T13 : null, bdat: false };
    // authenticated submission over TLS; plaintext senders are devices allowed by mynetworks
    this.submit(this.hub, t, client, client.tls ? sender : undefined, msg, rcpts, rng.int(900, 40000) + (rng.chance(0.12) ? rng.int(100000, 8000000) : 0), false);
  }

  /** workstation → hub → mailbox */
  internal(t: number): void {
    const rng = this.rng;
    const ws = rng.pick(this.workstations);
    const sender = `${rng.pick(this.users)}@${LOCAL_DOMAIN}`;
    const msg = this.newMsg(this.messageId(LOCAL_DOMAIN, t), sender);
    const n = rng.chance(0.35) ? rng.int(2, 5) : 1;
    const rcpts: Rcpt[] = [];
    const used = new Set<string>([sender]);
    for (let i = 0; i < n; i++) {
      const unknown = rng.chance(0.015);
      const addr = unknown ? this.unknownLocal() : this.localAddr();
      if (used.has(addr)) continue;
      used.add(addr);
      rcpts.push(this.addRcpt(msg, addr, unknown ? 'unknownVirtual' : 'ok'));
    }
    if (rcpts.length === 0) rcpts.push(this.addRcpt(msg, `postmaster@${LOCAL_DOMAIN}`, 'ok'));
    const client: Client = { name: ws.name, ip: ws.ip, helo: ws.name.split('.')[0], tls: rng.chance(0.9) ? T13 : null, bdat: false };
    this.submit(this.hub, t, client, client.tls ? sender : undefined, msg, rcpts, rng.int(900, 30000), false);
  }

  countConnect(h: Host, ip: string): void {
    if (h !== this.edge) return;
    h.anvilCounts.set(ip, (h.anvilCounts.get(ip) ?? 0) + 1);
    if (h.anvilCounts.size > h.anvilMaxCache) h.anvilMaxCache = h.anvilCounts.size;
  }

  /**
   * A client that is not one of our hosts hands one message to host h in one SMTP session:
   * connect, [TLS], [AUTH], MAIL, RCPT… (queue file opened at the first accepted recipient),
   * DATA (cleanup logs the message id), queue manager picks it up, disconnect with counters.
   */
  submit(h: Host, t0: number, c: Client, saslUser: string | undefined, msg: Msg, rcpts: Rcpt[], size: number, viaEdge: boolean): void {
    const rng = this.rng;
    const proc = h.smtpd.acquire(t0, Number.POSITIVE_INFINITY);
    const pid = proc.pid;
    const peer = `${c.name}[${c.ip}]`;
    let t = t0;
    this.countConnect(h, c.ip);
    this.pf(t, h, 'smtpd', pid, `connect from ${peer}`);
    if (c.tls) {
      t += rng.us(0.03, 0.3);
      this.pf(t, h, 'smtpd', pid, `Anonymous TLS connection established from ${peer}: ${c.tls.proto} with cipher ${c.tls.cipher} (${c.tls.bits}/${c.tls.bits} bits)${c.tls.suffix}`);
    }
    if (saslUser) t += rng.us(0.01, 0.08);
    t += rng.us(0.01, 0.2);
    let qid = '';
    let arrivalT = t;
    const accepted: Rcpt[] = [];
    const refused: Rcpt[] = [];
    for (const r of rcpts) {
      t += rng.us(0.001, 0.03);
      if (r.fate === 'rejectEdge') {
        refused.push(r);
        const reply = `550 5.1.1 <${r.addr}>: Recipient address rejected: User unknown in relay recipient table`;
        this.pf(t, h, 'smtpd', pid, `${qid || 'NOQUEUE'}: reject: RCPT from ${peer}: ${reply}; from=<${msg.sender}> to=<${r.addr}> proto=ESMTP helo=<${c.helo}>`);
        continue;
      }
      if (!qid) {
        qid = h.newQid(t, rng);
        arrivalT = t;
        this.pf(t, h, 'smtpd', pid, `${qid}: client=${peer}${saslUser ? `, sasl_method=PLAIN, sasl_username=${saslUser}` : ''}`);
      }
      accepted.push(r);
    }
    t += rng.us(0.02, 0.1) + Math.round((size / 2e6) * SEC);
    const cleanup = h.cleanup.acquire(t, t + rng.us(0.01, 0.1));
    this.pf(t, h, 'cleanup', cleanup.pid, `${qid}: message-id=${msg.messageId}`);
    let qsize = size;
    if (viaEdge && rng.chance(0.45)) {
      t += rng.us(0.002, 0.05);
      this.raw(t, h, `opendkim[${h.opendkim}]`, `${qid}: ${rng.chance(0.85) ? 'DKIM verification successful' : 'no signature data'}`);
    }
    qsize += rng.int(600, 1400);
    t += rng.us(0.003, 0.05);
    const q = this.newQueue(h, qid, msg, accepted, qsize, arrivalT);
    const tls: TruthHop['tls'] = c.tls ? 'encrypted' : 'plaintext';
    for (const r of rcpts) r.truth.hops.push({ from: c.name, to: h.name, tls });
    this.startPass(q, t);
    t += rng.chance(0.95) ? rng.us(0.001, 0.03) : rng.us(0.05, 1);
    const n = rcpts.length;
    const ehlo = c.tls ? 'ehlo=2 starttls=1' : 'ehlo=1';
    const auth = saslUser ? ' auth=1' : '';
    const rcptField = refused.length ? `rcpt=${accepted.length}/${n}` : `rcpt=${n}`;
    const body = c.bdat ? 'bdat=1' : 'data=1';
    const ok = (c.tls ? 3 : 1) + (saslUser ? 1 : 0) + 1 + accepted.length + 1 + 1;
    const all = ok + refused.length;
    this.pf(t, h, 'smtpd', pid, `disconnect from ${peer} ${ehlo}${auth} mail=1 ${rcptField} ${body} quit=1 commands=${ok === all ? ok : `${ok}/${all}`}`);
    proc.freeAt = t;
    for (const r of refused) this.finalize(r, 'rejected');
  }

  // --- queue manager ------------------------------------------------------------------------------

  nextHop(h: Host, addr: string): string {
    const local = addr.endsWith(`@${LOCAL_DOMAIN}`);
    if (h === this.mailbox) return local ? 'virtual' : 'hub';
    if (h === this.hub) return local ? 'mailbox' : 'edge';
    return local ? 'hub' : `ext:${addr.slice(addr.indexOf('@') + 1)}`;
  }

  /** the queue manager moves the queue file to the active queue and hands recipients to agents */
  startPass(q: Queue, t: number): void {
    const rng = this.rng;
    const h = q.host;
    q.activeT = t;
    q.lastT = t;
    this.pf(t, h, 'qmgr', h.qmgr, `${q.qid}: from=<${q.msg.sender}>, size=${q.size}, nrcpt=${q.nrcpt} (queue active)`);
    const todo = q.todo;
    q.bounced = [];
    q.deferred = [];
    const groups = new Map<string, Rcpt[]>();
    const singles: Rcpt[][] = [];
    for (const r of todo) {
      const key = this.nextHop(h, r.addr);
      if (key === 'virtual') {
        singles.push([r]);
        continue;
      }
      const g = groups.get(key);
      if (g) g.push(r);
      else groups.set(key, [r]);
    }
    const work: { key: string; rcpts: Rcpt[] }[] = [];
    for (const [key, rcpts] of groups) {
      if (key === 'mailbox' && rcpts.length > 1 && rng.chance(0.3)) {
        // two parallel deliveries to the mailbox host: two queue files there
        const cut = rng.int(1, rcpts.length - 1);
        work.push({ key, rcpts: rcpts.slice(0, cut) }, { key, rcpts: rcpts.slice(cut) });
      } else {
        work.push({ key, rcpts });
      }
    }
    for (const s of singles) work.push({ key: 'virtual', rcpts: s });
    q.outstanding = work.length;
    for (const w of work) this.at(t + rng.us(0.0005, 0.04), () => this.deliver(q, w.key, w.rcpts));
  }

  deliver(q: Queue, key: string, rcpts: Rcpt[]): void {
    if (key === 'virtual') this.deliverVirtual(q, rcpts[0]);
    else if (key === 'hub') this.deliverInternal(q, this.hub, rcpts);
    else if (key === 'mailbox') this.deliverInternal(q, this.mailbox, rcpts);
    else if (key === 'edge') this.deliverInternal(q, this.edge, rcpts);
    else this.deliverExternal(q, EXT_BY_DOMAIN.get(key.slice(4))!, rcpts);
  }

  delays(q: Queue, t: number, c: number, d: number, end: number): string {
    const a = (q.activeT - q.arrivalT) / SEC;
    const b = (t - q.activeT) / SEC;
    return `delay=${fmtDelay((end - q.arrivalT) / SEC)}, delays=${fmtDelay(a)}/${fmtDelay(b)}/${fmtDelay(c / SEC)}/${fmtDelay(d / SEC)}`;
  }

  deliverVirtual(q: Queue, r: Rcpt): void {
    const rng = this.rng;
    const t = this.now;
    const d = rng.us(0.002, 0.08);
    const end = t + d;
    const h = q.host;
    const proc = h.virtual.acquire(t, end);
    const dl = this.delays(q, t, 0, d, end);
    if (r.fate === 'unknownVirtual') {
      this.pf(end, h, 'virtual', proc.pid, `${q.qid}: to=<${r.addr}>, relay=virtual, ${dl}, dsn=5.1.1, status=bounced (unknown user: "${r.addr}")`);
      q.bounced.push(r);
      this.finalize(r, 'bounced');
    } else {
      this.pf(end, h, 'virtual', proc.pid, `${q.qid}: to=<${r.addr}>, relay=virtual, ${dl}, dsn=2.0.0, status=sent (delivered to maildir)`);
      this.finalize(r, 'delivered');
    }
    this.groupDone(q, end);
  }

  /** smtp from one of our hosts to another, over a new or a cached connection */
  deliverInternal(q: Queue, dst: Host, rcpts: Rcpt[]): void {
    const rng = this.rng;
    const src = q.host;
    const t = this.now;
    const key = `${src.name}>${dst.name}`;
    const dstPeer = `${dst.fqdn}[${dst.ip}]:25`;
    const srcPeer = `${src.fqdn}[${src.ip}]`;
    let conn = this.links.get(key);
    let c: number;
    if (conn && conn.availableAt <= t && conn.idleUntil >= t && conn.uses < 5) {
      // a cached connection (§4.4: conn_use=N, no new TLS line); RSET first (CONNECTION_CACHE_README)
      this.links.delete(key);
      conn.version++;
      conn.uses++;
      conn.rset++;
      c = rng.us(0.001, 0.012);
      src.scacheHits++;
    } else {
      if (conn && conn.availableAt <= t) {
        // expired or used up, and its close action has not run yet
        this.links.delete(key);
        conn.version++;
        this.closeConn(conn, t);
      }
      const tls = !(src === this.hub && dst === this.mailbox && rng.chance(P_HUB_MAILBOX_PLAIN));
      conn = {
        src, dst, tls, uses: 1, version: 0, availableAt: 0, idleUntil: 0,
        smtp: src.smtp.acquire(t, Number.POSITIVE_INFINITY),
        smtpd: dst.smtpd.acquire(t, Number.POSITIVE_INFINITY),
        mail: 0, rcptOk: 0, rcptAll: 0, dataOk: 0, dataAll: 0, rset: 0,
      };
      this.live++;
      src.scacheMiss++;
      this.countConnect(dst, src.ip);
      c = rng.us(0.004, 0.06);
      this.pf(t + rng.us(0.0005, 0.002), dst, 'smtpd', conn.smtpd.pid, `connect from ${srcPeer}`);
      if (tls) {
        c += rng.us(0.01, 0.06);
        const mutual = !(dst === this.mailbox || src === this.mailbox);
        const srvTrust = mutual ? 'Trusted' : 'Anonymous';
        const prof = mutual ? T13_MUTUAL : T13;
        this.pf(t + c - rng.us(0.0001, 0.001), dst, 'smtpd', conn.smtpd.pid, `${srvTrust} TLS connection established from ${srcPeer}: ${prof.proto} with cipher ${prof.cipher} (${prof.bits}/${prof.bits} bits)${prof.suffix}`);
        this.pf(t + c, src, 'smtp', conn.smtp.pid, `Trusted TLS connection established to ${dstPeer}: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)${KEX_RSA}`);
      }
    }
    const spid = conn.smtp.pid;
    const dpid = conn.smtpd.pid;
    const connUse = conn.uses > 1 ? `, conn_use=${conn.uses}` : '';
    const relay = `relay=${dstPeer}${connUse}`;
    let tx = t + c;
    // MAIL FROM, RCPT TO… (pipelined), DATA
    conn.mail++;
    let dqid = '';
    let arrivalT = tx;
    const accepted: Rcpt[] = [];
    for (const r of rcpts) {
      tx += rng.us(0.0005, 0.004);
      conn.rcptAll++;
      if (r.fate === 'rejectMailbox' && dst === this.mailbox) {
        const reply = `550 5.1.1 <${r.addr}>: Recipient address rejected: User unknown in virtual mailbox table`;
        this.pf(tx, dst, 'smtpd', dpid, `${dqid || 'NOQUEUE'}: reject: RCPT from ${srcPeer}: ${reply}; from=<${q.msg.sender}> to=<${r.addr}> proto=ESMTP helo=<${src.fqdn}>`);
        const tr = tx + rng.us(0.0002, 0.002);
        this.pf(tr, src, 'smtp', spid, `${q.qid}: to=<${r.addr}>, ${relay}, ${this.delays(q, t, tr - t, 0, tr)}, dsn=5.1.1, status=bounced (host ${dst.fqdn}[${dst.ip}] said: ${reply} (in reply to RCPT TO command))`);
        q.bounced.push(r);
        this.finalize(r, 'bounced');
        continue;
      }
      conn.rcptOk++;
      if (!dqid) {
        dqid = dst.newQid(tx, rng);
        arrivalT = tx;
        this.pf(tx, dst, 'smtpd', dpid, `${dqid}: client=${srcPeer}`);
      }
      accepted.push(r);
    }
    conn.dataAll++;
    let end = tx + rng.us(0.001, 0.01);
    if (accepted.length > 0) {
      conn.dataOk++;
      const tc = tx + rng.us(0.002, 0.02);
      const cleanup = dst.cleanup.acquire(tc, tc + rng.us(0.005, 0.05));
      this.pf(tc, dst, 'cleanup', cleanup.pid, `${dqid}: message-id=${q.msg.messageId}`);
      const d = rng.us(0.005, 0.08) + Math.round((q.size / 5e7) * SEC);
      end = tc + d;
      const dl = this.delays(q, t, c, end - t - c, end);
      const tlsHop: TruthHop['tls'] = conn.tls ? 'encrypted' : 'plaintext';
      let te = end;
      for (const r of accepted) {
        this.pf(te, src, 'smtp', spid, `${q.qid}: to=<${r.addr}>, ${relay}, ${dl}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${dqid})`);
        te += rng.us(0, 0.0004);
        r.truth.hops.push({ from: src.name, to: dst.name, tls: tlsHop });
      }
      end = te;
      let dsize = q.size + rng.int(400, 900);
      if (dst === this.edge && q.msg.sender.endsWith(`@${LOCAL_DOMAIN}`)) {
        // outbound: the edge signs
        this.raw(tc + rng.us(0.001, 0.01), dst, `opendkim[${dst.opendkim}]`, `${dqid}: DKIM-Signature field added (s=mail, d=${LOCAL_DOMAIN})`);
        dsize += rng.int(500, 700);
      }
      const dq = this.newQueue(dst, dqid, q.msg, accepted, dsize, arrivalT);
      this.startPass(dq, end + rng.us(0.0002, 0.006));
    }
    // keep the connection for a while, or say goodbye
    if (accepted.length > 0 && rng.chance(P_CACHE_CONN) && conn.uses < 5) {
      conn.availableAt = end;
      conn.idleUntil = end + CACHE_TIME;
      const prev = this.links.get(key);
      if (prev) {
        // one cached connection per link: the older one is closed when this one is parked
        this.links.delete(key);
        prev.version++;
        this.closeConn(prev, Math.max(end, prev.availableAt));
      }
      this.links.set(key, conn);
      const v = conn.version;
      const cc = conn;
      this.at(conn.idleUntil, () => {
        if (cc.version === v && this.links.get(key) === cc) {
          this.links.delete(key);
          this.closeConn(cc, this.now);
        }
      });
    } else {
      this.closeConn(conn, end + rng.us(0.0005, 0.004), true);
    }
    this.groupDone(q, end);
  }

  /** the receiving smtpd's disconnect line; QUIT only when the client hung up itself (not the scache) */
  closeConn(conn: Conn, t: number, quit = false): void {
    const ehlo = conn.tls ? 'ehlo=2 starttls=1' : 'ehlo=1';
    const rcpt = conn.rcptOk === conn.rcptAll ? `rcpt=${conn.rcptAll}` : `rcpt=${conn.rcptOk}/${conn.rcptAll}`;
    const data = conn.dataOk === conn.dataAll ? `data=${conn.dataAll}` : `data=${conn.dataOk}/${conn.dataAll}`;
    const rset = conn.rset ? ` rset=${conn.rset}` : '';
    const ok = (conn.tls ? 3 : 1) + conn.mail + conn.rcptOk + conn.dataOk + conn.rset + (quit ? 1 : 0);
    const all = (conn.tls ? 3 : 1) + conn.mail + conn.rcptAll + conn.dataAll + conn.rset + (quit ? 1 : 0);
    this.pf(t, conn.dst, 'smtpd', conn.smtpd.pid, `disconnect from ${conn.src.fqdn}[${conn.src.ip}] ${ehlo} mail=${conn.mail} ${rcpt} ${data}${rset}${quit ? ' quit=1' : ''} commands=${ok === all ? ok : `${ok}/${all}`}`);
    conn.smtpd.freeAt = t;
    conn.smtp.freeAt = t;
    this.live--;
  }

  /** edge → an external MX */
  deliverExternal(q: Queue, dom: ExtDomain, rcpts: Rcpt[]): void {
    const rng = this.rng;
    const h = q.host;
    const t = this.now;
    const proc = h.smtp.acquire(t, Number.POSITIVE_INFINITY);
    const pid = proc.pid;
    const peer = `${dom.mx}[${dom.ip}]`;
    let end: number;
    if (dom.kind === 'dead' || (dom.kind === 'flaky' && q.attempt === 0)) {
      const dead = dom.kind === 'dead';
      const c = dead ? rng.us(30, 30.05) : rng.us(0.02, 0.3);
      end = t + c;
      const why = `connect to ${peer}:25: ${dead ? 'Connection timed out' : 'Connection refused'}`;
      const dl = this.delays(q, t, c, 0, end);
      for (const r of rcpts) {
        this.pf(end, h, 'smtp', pid, `${q.qid}: to=<${r.addr}>, relay=none, ${dl}, dsn=4.4.1, status=deferred (${why})`);
        q.deferred.push(r);
      }
    } else {
      const c = rng.us(0.08, 1.2);
      let tx = t + c;
      const tls = dom.tls !== 'none';
      if (tls) {
        const trust = dom.tls === 'verified' ? 'Verified' : dom.tls === 'trusted' ? 'Trusted' : 'Untrusted';
        const suffix = EXT_TLS_SUFFIX[dom.domain.length % EXT_TLS_SUFFIX.length];
        this.pf(tx, h, 'smtp', pid, `${trust} TLS connection established to ${peer}:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)${suffix}`);
      }
      const relay = `relay=${peer}:25`;
      const accepted: Rcpt[] = [];
      for (const r of rcpts) {
        tx += rng.us(0.02, 0.15);
        if (dom.kind === 'greylist' && q.attempt === 0) {
          this.pf(tx, h, 'smtp', pid, `${q.qid}: to=<${r.addr}>, ${relay}, ${this.delays(q, t, c, tx - t - c, tx)}, dsn=4.2.0, status=deferred (host ${peer} said: 450 4.2.0 <${r.addr}>: Recipient address rejected: Greylisted, see http://postgrey.example/help/${dom.domain}.html (in reply to RCPT TO command))`);
          q.deferred.push(r);
        } else if (r.fate === 'remote550') {
          this.pf(tx, h, 'smtp', pid, `${q.qid}: to=<${r.addr}>, ${relay}, ${this.delays(q, t, c, tx - t - c, tx)}, dsn=5.1.1, status=bounced (host ${peer} said: ${this.remote550(dom, r.addr)} (in reply to RCPT TO command))`);
          q.bounced.push(r);
          this.finalize(r, 'bounced');
        } else {
          accepted.push(r);
        }
      }
      end = tx;
      if (accepted.length > 0) {
        end = tx + rng.us(0.05, 0.8) + Math.round((q.size / 1e7) * SEC);
        const dl = this.delays(q, t, c, end - t - c, end);
        const reply = this.remote250(dom, q, end);
        let te = end;
        for (const r of accepted) {
          this.pf(te, h, 'smtp', pid, `${q.qid}: to=<${r.addr}>, ${relay}, ${dl}, dsn=2.0.0, status=sent (${reply})`);
          te += rng.us(0, 0.0004);
          r.truth.hops.push({ from: h.name, to: dom.mx, tls: tls ? 'encrypted' : 'unknown' });
          this.finalize(r, 'delivered');
        }
        end = te;
      }
    }
    proc.freeAt = end;
    this.groupDone(q, end);
  }

  remote250(dom: ExtDomain, q: Queue, t: number): string {
    const rng = this.rng;
    switch (dom.style) {
      case 'gsmtp':
        return `250 2.0.0 OK ${Math.floor(t / SEC)} ${rng.alnum(2).toLowerCase()}${rng.int(1, 99)}si${rng.int(1000000, 99999999)}.${rng.int(1, 300)} - gsmtp`;
      case 'postfix': {
        let id = '';
        for (let i = 0; i < 15; i++) id += LONGQ[rng.int(0, LONGQ.length - 1)];
        return `250 2.0.0 Ok: queued as ${id.slice(0, 10)}z${id.slice(10)}`;
      }
      case 'exo':
        return `250 2.6.0 ${q.msg.messageId} [InternalId=${rng.int(1e10, 9e10)}, Hostname=${rng.pick(['AM0PR', 'DB9PR', 'VI1PR'])}0${rng.int(1, 9)}MB${rng.int(1000, 9999)}.eurprd0${rng.int(1, 9)}.prod.outlook.example] ${q.size + rng.int(2000, 6000)} bytes in 0.${rng.int(100, 999)}, ${rng.int(20, 900)}.${rng.int(100, 999)} KB/sec Queued mail for delivery`;
      case 'exim':
        return `250 OK id=1t${rng.alnum(4)}-${rng.int(100000, 999999)}-${rng.alnum(2)}`;
      case 'sendmail':
        return `250 2.0.0 ${rng.alnum(8)}${rng.int(100000, 999999)} Message accepted for delivery`;
      default:
        return '250 2.0.0 Ok';
    }
  }

  remote550(dom: ExtDomain, addr: string): string {
    switch (dom.style) {
      case 'gsmtp':
        return `550-5.1.1 The email account that you tried to reach does not exist. Please try 550 5.1.1 double-checking the recipient's email address for typos or unnecessary spaces. ${this.rng.alnum(8)} - gsmtp`;
      case 'exo':
        return `550 5.4.1 Recipient address rejected: Access denied. [${this.rng.alnum(6).toUpperCase()}.eurprd0${this.rng.int(1, 9)}.prod.outlook.example]`;
      default:
        return `550 5.1.1 <${addr}>: Recipient address rejected: User unknown`;
    }
  }

  /** one delivery group finished at time end; the pass ends with the last group */
  groupDone(q: Queue, end: number): void {
    if (end > q.lastT) q.lastT = end;
    if (--q.outstanding > 0) return;
    const rng = this.rng;
    const h = q.host;
    let t = q.lastT + rng.us(0.0002, 0.004);
    if (q.bounced.length > 0 && q.msg.sender !== '') t = this.notify(q, t) + rng.us(0.0002, 0.002);
    if (q.deferred.length === 0) {
      this.pf(t, h, 'qmgr', h.qmgr, `${q.qid}: removed`);
      this.live--;
      return;
    }
    if (q.attempt + 1 < q.maxAttempts) {
      // back to the deferred queue; the queue manager retries after the backoff time
      const backoff = Math.min(4000, 300 * 2 ** q.attempt) + rng.int(0, 90);
      const again = q.deferred;
      this.waiting++;
      this.at(t + backoff * SEC + rng.us(0, 1), () => {
        this.waiting--;
        q.attempt++;
        q.todo = again;
        this.startPass(q, this.now);
      });
      return;
    }
    // still deferred when the log ends (Postfix would keep trying for maximal_queue_lifetime)
    for (const r of q.deferred) this.finalize(r, 'deferred');
    this.live--;
  }

  /** the bounce daemon writes a non-delivery notification to the sender: a new message on this host */
  notify(q: Queue, t: number): number {
    const rng = this.rng;
    const h = q.host;
    const dqid = h.newQid(t, rng);
    const messageId = `<${compactStamp(t)}.${dqid}@${h.fqdn}>`;
    const dsn = this.newMsg(messageId, '');
    const r = this.addRcpt(dsn, q.msg.sender, 'ok');
    const cleanup = h.cleanup.acquire(t, t + rng.us(0.002, 0.02));
    this.pf(t, h, 'cleanup', cleanup.pid, `${dqid}: message-id=${messageId}`);
    const size = Math.min(q.size, 50000) + rng.int(2000, 3500);
    const dq = this.newQueue(h, dqid, dsn, [r], size, t);
    const tq = t + rng.us(0.0005, 0.004);
    const tb = t + rng.us(0.0005, 0.006);
    const bounce = h.bounce.acquire(t, tb);
    this.pf(tb, h, 'bounce', bounce.pid, `${q.qid}: sender non-delivery notification: ${dqid}`);
    this.startPass(dq, tq);
    return Math.max(tq, tb);
  }

  // --- noise ------------------------------------------------------------------------------------

  /** edge sessions that carry no message: refused at RCPT, lost connections, failed AUTH */
  noiseSession(t: number): void {
    const rng = this.rng;
    const h = this.edge;
    const bad = rng.chance(0.7);
    const c = bad ? rng.pick(this.badClients) : rng.pick(this.clients);
    const proc = h.smtpd.acquire(t, Number.POSITIVE_INFINITY);
    const pid = proc.pid;
    const peer = `${c.name}[${c.ip}]`;
    this.countConnect(h, c.ip);
    if (c.name === 'unknown' && rng.chance(0.3)) {
      this.pf(t, h, 'smtpd', pid, `warning: hostname ${rng.alnum(7).toLowerCase()}.bad.example does not resolve to address ${c.ip}: Name or service not known`);
    }
    this.pf(t, h, 'smtpd', pid, `connect from ${peer}`);
    let tt = t + rng.us(0.05, 1.5);
    const k = rng.next();
    let counters: string;
    if (k < 0.5) {
      // refused at RCPT: no queue file
      const tls = c.tls && rng.chance(0.5) ? c.tls : null;
      if (tls) {
        this.pf(tt, h, 'smtpd', pid, `Anonymous TLS connection established from ${peer}: ${tls.proto} with cipher ${tls.cipher} (${tls.bits}/${tls.bits} bits)${tls.suffix}`);
        tt += rng.us(0.02, 0.3);
      }
      const n = rng.chance(0.8) ? 1 : rng.int(2, 3);
      const sender = rng.chance(0.5) ? this.externalSender() : `${rng.alnum(8).toLowerCase()}@${rng.alnum(6).toLowerCase()}.example`;
      for (let i = 0; i < n; i++) {
        tt += rng.us(0.01, 0.2);
        const w = rng.next();
        let to: string;
        let reply: string;
        if (w < 0.45) {
          to = this.localAddr();
          reply = `554 5.7.1 Service unavailable; Client host [${c.ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/${c.ip}`;
        } else if (w < 0.7) {
          to = `${rng.pick(FIRST)}@${rng.pick(EXT_DOMAINS).domain}`;
          reply = `554 5.7.1 <${to}>: Relay access denied`;
        } else if (w < 0.9 || c.name !== 'unknown') {
          to = this.unknownLocal();
          reply = `550 5.1.1 <${to}>: Recipient address rejected: User unknown in relay recipient table`;
        } else {
          to = this.localAddr();
          reply = `450 4.7.1 Client host rejected: cannot find your hostname, [${c.ip}]`;
        }
        this.pf(tt, h, 'smtpd', pid, `NOQUEUE: reject: RCPT from ${peer}: ${reply}; from=<${sender}> to=<${to}> proto=ESMTP helo=<${c.helo}>`);
      }
      const data = rng.chance(0.5);
      const ehlo = tls ? 'ehlo=2 starttls=1' : 'ehlo=1';
      const base = tls ? 3 : 1;
      const ok = base + 1 + 1;
      const all = base + 1 + n + (data ? 1 : 0) + 1;
      counters = `${ehlo} mail=1 rcpt=0/${n}${data ? ' data=0/1' : ''} quit=1 commands=${ok}/${all}`;
    } else if (k < 0.8) {
      const after = rng.pick(['CONNECT', 'CONNECT', 'EHLO', 'EHLO', 'STARTTLS']);
      if (after === 'STARTTLS' && rng.chance(0.5)) this.pf(tt, h, 'smtpd', pid, `SSL_accept error from ${peer}: lost connection`);
      this.pf(tt, h, 'smtpd', pid, `lost connection after ${after} from ${peer}`);
      counters = after === 'CONNECT' ? 'commands=0/0' : after === 'EHLO' ? 'ehlo=1 commands=1' : 'ehlo=1 starttls=1 commands=2';
    } else {
      this.pf(tt, h, 'smtpd', pid, `warning: ${peer}: SASL LOGIN authentication failed: UGFzc3dvcmQ6`);
      tt += rng.us(0.001, 0.5);
      this.pf(tt, h, 'smtpd', pid, `lost connection after AUTH from ${peer}`);
      counters = 'ehlo=1 auth=0/1 commands=1/2';
    }
    tt += rng.us(0.0005, 0.01);
    this.pf(tt, h, 'smtpd', pid, `disconnect from ${peer} ${counters}`);
    proc.freeAt = tt;
  }

  scacheTick(h: Host): void {
    const t = this.now;
    const pid = h.scache;
    const hits = h.scacheHits;
    const miss = h.scacheMiss;
    if (hits + miss > 0) {
      const pct = Math.floor((100 * hits) / (hits + miss));
      this.pf(t, h, 'scache', pid, `statistics: start interval ${ctime15(h.scacheStart)}`);
      this.pf(t, h, 'scache', pid, `statistics: domain lookup hits=${hits} miss=${miss} success=${pct}%`);
      this.pf(t, h, 'scache', pid, `statistics: address lookup hits=0 miss=${miss} success=0%`);
      this.pf(t, h, 'scache', pid, `statistics: max simultaneous domains=1 addresses=1 connection=${hits > 0 ? 2 : 1}`);
    }
    h.scacheHits = 0;
    h.scacheMiss = 0;
    h.scacheStart = t;
    if (this.busy) this.at(t + this.rng.us(280, 320), () => this.scacheTick(h));
  }

  anvilTick(h: Host): void {
    const t = this.now;
    let topIp = '';
    let top = 0;
    for (const [ip, n] of h.anvilCounts) {
      if (n > top) {
        top = n;
        topIp = ip;
      }
    }
    if (top > 0) {
      const when = ctime15(t - this.rng.us(1, 590));
      this.pf(t, h, 'anvil', h.anvil, `statistics: max connection rate ${Math.max(1, Math.ceil(top / 10))}/60s for (smtp:${topIp}) at ${when}`);
      this.pf(t, h, 'anvil', h.anvil, `statistics: max connection count ${Math.max(1, Math.min(top, 3))} for (smtp:${topIp}) at ${when}`);
      this.pf(t, h, 'anvil', h.anvil, `statistics: max cache size ${h.anvilMaxCache} at ${ctime15(t - this.rng.us(1, 590))}`);
    }
    h.anvilCounts.clear();
    h.anvilMaxCache = 0;
    if (this.busy) this.at(t + 600 * SEC, () => this.anvilTick(h));
  }

  /** users reading mail on the mailbox host */
  dovecot(): void {
    const rng = this.rng;
    const t = this.now;
    const h = this.mailbox;
    const user = `${rng.pick(this.users)}@${LOCAL_DOMAIN}`;
    const ws = rng.pick(this.workstations);
    const mpid = h.nextPid(rng);
    const session = rng.alnum(16);
    this.raw(t, h, 'dovecot', `imap-login: Login: user=<${user}>, method=PLAIN, rip=${ws.ip}, lip=${h.ip}, mpid=${mpid}, TLS, session=<${session}>`);
    this.raw(t + rng.us(0.5, 40), h, 'dovecot', `imap(${user})<${mpid}><${session}>: Logged out in=${rng.int(100, 5000)} out=${rng.int(500, 200000)} deleted=0 expunged=0 trashed=0 hdr_count=${rng.int(0, 40)} hdr_bytes=${rng.int(0, 90000)} body_count=${rng.int(0, 10)} body_bytes=${rng.int(0, 400000)}`);
    if (this.busy) this.at(t + Math.round(rng.exp(this.meanGapUs * 4)) + 1, () => this.dovecot());
  }
}

// ---------------------------------------------------------------------------------------------
// public API

/** yields log lines (without trailing newline) in time order across the three hosts, interleaved as one combined syslog would be; calls onTruth once per message */
export function* generatePostfixLines(opts: GenerateOptions, onTruth?: (t: TruthMessage) => void): Generator<string> {
  if (!(opts.messages >= 0)) throw new RangeError('messages must be a number ≥ 0');
  yield* new Sim(opts, onTruth).run();
}

/** Stream the log (and the truth as JSON lines) to disk; memory stays bounded. */
export async function writePostfixLog(path: string, opts: GenerateOptions, truthPath?: string): Promise<{ lines: number; bytes: number; messages: number }> {
  const out = createWriteStream(path);
  const truthOut = truthPath ? createWriteStream(truthPath) : undefined;
  let truthBuf: string[] = [];
  let messages = 0;
  const onTruth = (t: TruthMessage) => {
    messages++;
    if (truthOut) truthBuf.push(JSON.stringify(t));
  };
  const write = (stream: NodeJS.WritableStream, chunk: string) =>
    stream.write(chunk) ? Promise.resolve() : new Promise<void>((res) => stream.once('drain', res));
  let lines = 0;
  let bytes = 0;
  let buf: string[] = [];
  let bufLen = 0;
  for (const line of generatePostfixLines(opts, onTruth)) {
    buf.push(line);
    bufLen += line.length + 1;
    lines++;
    if (bufLen >= 1 << 20) {
      bytes += bufLen;
      await write(out, `${buf.join('\n')}\n`);
      buf = [];
      bufLen = 0;
      if (truthOut && truthBuf.length > 0) {
        await write(truthOut, `${truthBuf.join('\n')}\n`);
        truthBuf = [];
      }
    }
  }
  if (buf.length > 0) {
    bytes += bufLen;
    await write(out, `${buf.join('\n')}\n`);
  }
  if (truthOut && truthBuf.length > 0) await write(truthOut, `${truthBuf.join('\n')}\n`);
  await Promise.all([
    new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res()))),
    truthOut ? new Promise<void>((res, rej) => truthOut.end((err?: Error | null) => (err ? rej(err) : res()))) : Promise.resolve(),
  ]);
  return { lines, bytes, messages };
}

// ---------------------------------------------------------------------------------------------
// CLI: node --import tsx bench/generate/postfix.ts --messages N [--seed S] [--style syslog|iso] --out FILE [--truth FILE.jsonl]

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string' },
      seed: { type: 'string', default: '1' },
      style: { type: 'string', default: 'syslog' },
      rate: { type: 'string' },
      start: { type: 'string' },
      out: { type: 'string' },
      truth: { type: 'string' },
    },
  });
  const messages = Number(values.messages);
  if (!values.out || !Number.isInteger(messages) || messages < 0 || (values.style !== 'syslog' && values.style !== 'iso')) {
    process.stderr.write('usage: node --import tsx bench/generate/postfix.ts --messages N [--seed S] [--style syslog|iso] [--rate MSG_PER_S] [--start ISO] --out FILE [--truth FILE.jsonl]\n');
    process.exit(2);
  }
  const t0 = performance.now();
  const r = await writePostfixLog(values.out, {
    messages,
    seed: Number(values.seed),
    timestampStyle: values.style,
    messagesPerSecond: values.rate ? Number(values.rate) : undefined,
    start: values.start ? new Date(values.start) : undefined,
  }, values.truth);
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`wrote ${r.lines} lines, ${r.bytes} bytes, ${r.messages} messages (truth) to ${values.out} in ${s.toFixed(1)} s (${Math.round(r.lines / s)} lines/s)\n`);
}

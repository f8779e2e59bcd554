import { newEvent, Program, sessionPart, type MailEvent, type TlsTrust } from '../../../schemas/index.ts';
import { normalizeTlsVersion } from '../tls-version.ts';
import { MAX_U16, wholeNumber } from '../numbers.ts';
import { blankCertificate, certificateField, certificateRow, type CertificateFacts } from './certificate.ts';
import type { Row } from './tracking.ts';
import { bracketId, enhancedCode, isoTime } from './tracking.ts';

/**
 * SMTP protocol logs (RECV… and SEND… files, log-formats.md §2): rows of many sessions interleave; a
 * session is rebuilt from its session-id and closed at its `-` (disconnect) row or at the end of
 * the file. What a session proves about TLS:
 *   `TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm …`
 *     → encrypted, with version, cipher and strength
 *   `TLS negotiation failed with error …` → the upgrade failed
 *   mail carried (MAIL FROM / queued reply) without any STARTTLS → plaintext
 *   otherwise → unknown
 * Each `250 2.6.0 <msgid> [InternalId=N, Hostname=H] … Queued mail for delivery` reply names the
 * queue the receiving service put the message in: one session event per such reply, so the trace
 * can find the session by message id and by (H, N).
 */
interface Session {
  id: string;
  connector: string;
  startTs: string;
  lastTs: string;
  local: string;
  remote: string;
  ehlo: string;
  starttls: boolean;
  /** the server answered the STARTTLS / X-ANONYMOUSTLS with 220: the handshake began */
  tlsStarted: boolean;
  /** after the 220: a certificate line or a new EHLO, which only a finished handshake allows (pre-2013 logs have no TLS line) */
  tlsProven: boolean;
  /** the first row we hold is the session's first (sequence 0 or the `+` connect): we saw it from its start */
  sawStart: boolean;
  /** sequence numbers of the first and last row of this part (a session split over files is told whole by them) */
  firstSeq: number;
  lastSeq: number;
  mail: boolean;
  tls: { version: string; cipher: string; bits: number } | undefined;
  tlsFailed: string;
  certStatus: string;
  /** a certificate of the per-field layout being assembled, and the row that began it */
  cert: { facts: CertificateFacts; ts: string; seq: number } | undefined;
  /** the message id of the last `sending message with RecordId … and InternetMessageId <…>` marker (send logs) */
  marker: string;
  /** when the transaction under way began (its MAIL FROM), '' when that row is not in what we read */
  mailTs: string;
  /** the transaction under way: its MAIL FROM address and the recipients the server accepted */
  mailFrom: string;
  accepted: string[];
  /** start: the MAIL FROM of the transaction that queued it ('' unknown) */
  queued: { ts: string; start: string; sender: string; recipients: string[]; messageId: string; internalId: string; host: string; reply: string; rejects: Refusal[] }[];
  /** recipients refused in the transaction under way (receive logs: `RCPT TO` answered 4xx/5xx) */
  rejects: Refusal[];
  /** commands not answered yet, oldest first: with PIPELINING the replies come after several commands */
  unanswered: string[];
  /** the last command was DATA or BDAT … LAST: the next reply is the one to the message */
  awaitingData: boolean;
  file: string;
  offset: number;
  ctx: SessionContext;
}

const TLS_OK = /TLS protocol SP_PROT_(TLS1_[0-3]|SSL3)_(?:SERVER|CLIENT) negotiation succeeded using bulk encryption algorithm (\S+?),? with strength (\d+) bits/;
const TLS_OK_SHORT = /TLS protocol SP_PROT_(TLS1_[0-3]|SSL3)_(?:SERVER|CLIENT) negotiation succeeded using bulk encryption algorithm (\S+)/;
interface Refusal {
  ts: string;
  recipient: string;
  reply: string;
}

const QUEUED = /250 2\.6\.0 <([^>]*)>(?: \[InternalId=(\d+)(?:, Hostname=([^\]\s]+))?\])?.*Queued mail for (delivery|redundancy)/;

export interface SessionContext {
  host: string;
  role: string;
  direction: 'receive' | 'send';
  id: (key: string) => string;
}

export class SessionAssembler {
  readonly #open = new Map<string, Session>();
  readonly #max: number;

  constructor(maxOpen = 20_000) {
    this.#max = maxOpen;
  }

  get openSessions(): number {
    return this.#open.size;
  }

  row(row: Row, file: string, offset: number, ctx: SessionContext, emit: (e: MailEvent) => void): void {
    const sid = row['session-id'] ?? '';
    if (!sid) return;
    const ts = row['date-time'] ?? '';
    // a session id is unique per server; sessions stay open across files (protocol logs roll by
    // size and hour mid-session) and close at their `-` row or at the end of the input
    const key = `${ctx.host}\u0000${sid}`;
    let s = this.#open.get(key);
    if (!s) {
      s = {
        id: sid, connector: row['connector-id'] ?? '', startTs: ts, lastTs: ts, local: '', remote: '', ehlo: '',
        starttls: false, tlsStarted: false, tlsProven: false, sawStart: row['sequence-number'] === '0' || row['event'] === '+', firstSeq: seqOf(row), lastSeq: seqOf(row), mail: false, tls: undefined, tlsFailed: '', certStatus: '', cert: undefined, marker: '', mailTs: '', mailFrom: '', accepted: [], queued: [], rejects: [], unanswered: [], awaitingData: false, file, offset, ctx,
      };
      this.#open.set(key, s);
      if (this.#open.size > this.#max) {
        const oldest = this.#open.keys().next().value as string;
        this.#close(this.#open.get(oldest)!, emit);
      }
    }
    s.lastTs = ts || s.lastTs;
    s.lastSeq = Math.max(s.lastSeq, seqOf(row));
    if (row['local-endpoint']) s.local = row['local-endpoint'];
    if (row['remote-endpoint']) s.remote = row['remote-endpoint'];
    const event = row['event'] ?? '';
    const data = row['data'] ?? '';
    const context = row['context'] ?? '';
    // '<' is what the remote side said, '>' what this server said; STARTTLS, MAIL FROM and the
    // queued reply count from either side (a receive log hears them, a send log says them)
    if (event === '<' || event === '>') {
      // commands come from the client: '<' on a receive log, '>' on a send log
      const command = (ctx.direction === 'receive') === (event === '<');
      const upper = data.slice(0, 10).toUpperCase();
      if (command) {
        // X-ANONYMOUSTLS is Exchange's own upgrade between its servers, a TLS upgrade like STARTTLS (§1.9a)
        if (upper.startsWith('STARTTLS') || upper.startsWith('X-ANONYMOU')) s.starttls = true;
        else if (upper.startsWith('EHLO ') || upper.startsWith('HELO ') || upper === 'EHLO') {
          if (s.tlsStarted) s.tlsProven = true;
          if (ctx.direction === 'receive') s.ehlo = data.slice(5).trim();
        } else if (upper.startsWith('MAIL FROM')) {
          s.mail = true;
          s.mailTs = ts;
          s.mailFrom = /<([^>]*)>/.exec(data)?.[1] ?? '';
          s.accepted = [];
          s.rejects = [];
        }
        if (s.unanswered.length < 1000) s.unanswered.push(upper.startsWith('RCPT TO') ? `RCPT ${/<([^>]*)>/.exec(data)?.[1] ?? ''}` : upper.slice(0, 4));
        s.awaitingData = upper.startsWith('DATA') || (upper.startsWith('BDAT') && / LAST\b/i.test(data));
      } else {
        const code = data.slice(0, 3);
        if (s.starttls && !s.tlsStarted && code === '220') s.tlsStarted = true;
        // each reply answers the oldest command still waiting (a 354 only the DATA it invites)
        const answered = code === '354' ? undefined : s.unanswered.shift();
        if (answered?.startsWith('RCPT ') && code[0] === '2' && s.accepted.length < 1000) s.accepted.push(answered.slice(5));
        if (answered?.startsWith('RCPT ') && (code[0] === '4' || code[0] === '5') && ctx.direction === 'receive') {
          s.rejects.push({ ts, recipient: answered.slice(5), reply: data });
        }
        const q = data.startsWith('250 2.6.0') ? QUEUED.exec(data) : null;
        if (q && q[4] === 'delivery') {
          s.queued.push({ ts, start: s.mailTs, sender: s.mailFrom, recipients: s.accepted, messageId: bracketId(q[1]), internalId: q[2] ?? '', host: q[3] ?? '', reply: data, rejects: s.rejects });
          s.rejects = [];
          s.marker = '';
          s.mailTs = '';
        } else if (ctx.direction === 'send' && code !== '354' && (s.awaitingData || /^250 2\.0\.0 OK ?</.test(data)
          // a part that starts after its DATA: a 250 answering nothing we saw may be the message's
          // reply; it joins only a tracking row that quotes the same text (host and time too)
          || (!s.sawStart && answered === undefined && code === '250' && s.queued.length === 0))) {
          // a next hop that is not Exchange answers the message in its own words: the tracking
          // row's source-context quotes the same reply, which is how the two are joined
          // `250 2.0.0 OK <id> [Hostname=…]` (Mailbox Transport Delivery, §1.9a) names the message itself
          const named = /^250 2\.0\.0 OK ?(<[^>]+>)/.exec(data)?.[1] ?? s.marker;
          s.queued.push({ ts, start: s.mailTs, sender: s.mailFrom, recipients: s.accepted, messageId: named, internalId: '', host: /\[Hostname=([^\]\s]+)\]/.exec(data)?.[1] ?? '', reply: data, rejects: [] });
          s.mailTs = '';
        }
        if (code !== '354') s.awaitingData = false;
      }
    } else if (event === '*') {
      if (this.#certificate(s, row, ts, data, context, emit)) return;
      const text = `${data} ${context}`;
      const ok = TLS_OK.exec(text) ?? TLS_OK_SHORT.exec(text);
      if (ok) {
        s.tls = { version: normalizeTlsVersion(ok[1]), cipher: ok[2].replace(/,$/, ''), bits: wholeNumber(Number(ok[3]), MAX_U16) };
      } else if (text.includes('TLS negotiation failed')) {
        s.tlsFailed = /TLS negotiation failed with error (\S+)/.exec(text)?.[1] ?? 'failed';
      } else if (/sending message with RecordId \d+ and InternetMessageId </.test(text)) {
        // the send log's marker names the message the session is about to carry (§1.9a, verbatim)
        s.marker = /InternetMessageId (<[^>]*>)/.exec(text)?.[1] ?? s.marker;
      } else if (text.includes('certificate chain validation status') || text.includes('TlsDomainCapabilities')) {
        s.certStatus = /Status='([^']*)'/.exec(text)?.[1] ?? /status: '([^']*)'/.exec(text)?.[1] ?? s.certStatus;
        if (s.tlsStarted) s.tlsProven = true;
      } else if (s.tlsStarted && /certificate/i.test(text)) {
        s.tlsProven = true;
      }
    } else if (event === '-') {
      this.#close(s, emit);
    }
  }

  /**
   * Certificate rows (./certificate.ts): a whole certificate becomes a `certificate` event at
   * once; the per-field layout is assembled and emitted at its first row that is not a field.
   * True when the row was a certificate row. Either proves a finished handshake after the 220.
   */
  #certificate(s: Session, row: Row, ts: string, data: string, context: string, emit: (e: MailEvent) => void): boolean {
    if (s.cert && certificateField(s.cert.facts, data, context)) return true;
    this.#flushCertificate(s, emit);
    const found = certificateRow(data, context);
    if (!found) return false;
    if (s.tlsStarted) s.tlsProven = true;
    if (found === 'start') s.cert = { facts: blankCertificate(/^\s*Sending/.test(context) ? 'local' : 'remote'), ts, seq: seqOf(row) };
    else emit(this.#certificateEvent(s, found, ts, seqOf(row)));
    return true;
  }

  #flushCertificate(s: Session, emit: (e: MailEvent) => void): void {
    if (!s.cert) return;
    const { facts, ts, seq } = s.cert;
    s.cert = undefined;
    emit(this.#certificateEvent(s, facts, ts, seq));
  }

  #certificateEvent(s: Session, c: CertificateFacts, ts: string, seq: number): MailEvent {
    const ctx = s.ctx;
    const [remoteIp, remotePort] = splitEndpoint(s.remote);
    const ehlo = /^\[[^\]]*\]$/.test(s.ehlo) ? '' : s.ehlo;
    return Object.assign(newEvent(ctx.id(`${s.id}#${seq}#${ts}#certificate`), isoTime(ts) || isoTime(s.startTs), ctx.host, 'certificate'), {
      source: 'exchange', program: ctx.direction === 'receive' ? Program.smtpReceive : Program.smtpSend, instance: s.connector, connector: s.connector,
      client: ctx.direction === 'receive' ? ehlo || remoteIp : '', clientIp: ctx.direction === 'receive' ? remoteIp : '',
      relayIp: ctx.direction === 'send' ? remoteIp : '', relayPort: wholeNumber(Number(remotePort), MAX_U16),
      sourceFile: s.file, sourceOffset: s.offset, sessionId: s.id, role: ctx.role,
      certSide: c.side, certSubject: c.subject, certIssuer: c.issuer, certSerial: c.serial, certFingerprint: c.fingerprint,
      certNotBefore: c.notBefore ? isoTime(c.notBefore) : '', certNotAfter: c.notAfter ? isoTime(c.notAfter) : '', certNames: c.names,
    });
  }

  /** End of a file: sessions without their disconnect row still say what they saw. */
  flush(emit: (e: MailEvent) => void): void {
    for (const s of [...this.#open.values()]) this.#close(s, emit);
  }

  #close(s: Session, emit: (e: MailEvent) => void): void {
    this.#flushCertificate(s, emit);
    this.#open.delete(`${s.ctx.host}\u0000${s.id}`);
    const ctx = s.ctx;
    let tls: MailEvent['tls'] = 'unknown';
    let evidence = '';
    if (s.tls) {
      tls = 'encrypted';
      evidence = 'exchange-protocol-tls';
    } else if (s.tlsFailed) {
      tls = 'plaintext';
      evidence = `exchange-tls-failed:${s.tlsFailed}`;
    } else if (s.tlsProven) {
      // Exchange 2007/2010 log no negotiation line: the 220 to STARTTLS / X-ANONYMOUSTLS followed by
      // certificate lines or a new EHLO is the proof (§1.9a)
      tls = 'encrypted';
      evidence = 'exchange-protocol-starttls';
    } else if ((s.mail || s.queued.length > 0) && !s.starttls && s.sawStart) {
      // plaintext needs the whole session: one whose start lies in a file we do not hold may have
      // upgraded there
      tls = 'plaintext';
      evidence = 'exchange-protocol-no-starttls';
    } else if (!s.starttls) {
      // a part that proves nothing alone says what it saw; stitching joins the parts of one
      // session, and contiguous parts from sequence 0 with mail and no STARTTLS are plaintext
      evidence = sessionPart(s.firstSeq, s.lastSeq, s.mail || s.queued.length > 0);
    }
    const [remoteIp] = splitEndpoint(s.remote);
    // an EHLO with an address literal names no host: the address says as much
    const ehlo = /^\[[^\]]*\]$/.test(s.ehlo) ? '' : s.ehlo;
    // the certificate status may sit in another part of a split session than the TLS line: it is
    // kept either way, and stitching joins the parts
    const certTrust: TlsTrust = /NoRemoteCertificate|EmptyCertificate/i.test(s.certStatus) ? 'anonymous' : /Valid|Success/i.test(s.certStatus) ? 'verified' : '';
    const trust: TlsTrust = tls === 'plaintext' ? 'none' : certTrust;
    const base: MailEvent = Object.assign(newEvent('', isoTime(s.startTs), ctx.host, 'session'), {
      source: 'exchange', program: ctx.direction === 'receive' ? Program.smtpReceive : Program.smtpSend, instance: s.connector, connector: s.connector,
      client: ctx.direction === 'receive' ? ehlo || remoteIp : '', clientIp: ctx.direction === 'receive' ? remoteIp : '',
      relayIp: ctx.direction === 'send' ? remoteIp : '', relayPort: wholeNumber(Number(splitEndpoint(s.remote)[1]), MAX_U16),
      tls, tlsVersion: s.tls?.version ?? '', cipher: s.tls?.cipher ?? '', cipherBits: s.tls?.bits ?? 0,
      tlsTrust: trust, tlsEvidence: evidence, sourceFile: s.file, sourceOffset: s.offset, sessionId: s.id, role: ctx.role,
    });
    // ids name what they are about (the part's start, a reply's time and text, a refused address),
    // never a count within the part: a session split over files gives the same ids read in one
    // run or in several, and two parts never share one
    if (s.queued.length === 0) emit({ ...base, id: ctx.id(`${s.id}@${s.startTs}`) });
    // how long the hand-off took: from the session's start (or the previous message on it) to the reply
    // how long the hand-off took: from the transaction's MAIL FROM to the reply (rows of one
    // transaction; a transaction whose start lies in a file we do not hold has no known duration)
    for (const [i, q] of s.queued.entries()) {
      const at = Date.parse(q.ts);
      const since = Date.parse(q.start);
      const took = Number.isNaN(at) || Number.isNaN(since) ? 0 : Math.max(0, (at - since) / 1000);
      const carried: MailEvent = { ...base, id: ctx.id(`${s.id}#${q.ts}#${q.reply}`), ts: isoTime(q.ts) || base.ts, messageId: q.messageId, nextQueueId: q.internalId, relay: q.host, reply: q.reply, delayTransmit: took, sender: q.sender };
      emit(carried);
      // the recipients the server accepted for it: a message seen only in a protocol log (the one
      // connector that logs by default, Default Frontend) still has them (receive side only)
      if (ctx.direction === 'receive') for (const rcpt of q.recipients) emit({ ...carried, id: ctx.id(`${s.id}#${q.ts}#${q.reply}#${rcpt}`), recipient: rcpt });
      // refused recipients of this transaction belong to the queue it created here: the reply names
      // this server (2013+; a Front End's names the hub it proxied to), or names no host at all and
      // is this server's own answer (2007/2010 `[InternalId=N]`, §1.9a)
      const here = q.host ? q.host.toLowerCase().split('.')[0] === ctx.host : ctx.direction === 'receive' && q.internalId !== '';
      q.rejects.forEach((r) => emit(refusal(base, r, ctx.id(`${s.id}#${r.ts}#${r.recipient}#${r.reply}`), q.messageId, here ? q.internalId : '')));
    }
    // refusals in a transaction that queued nothing: no message to file them under
    s.rejects.forEach((r) => emit(refusal(base, r, ctx.id(`${s.id}#${r.ts}#${r.recipient}#${r.reply}`), '', '')));
  }
}

function refusal(session: MailEvent, r: Refusal, id: string, messageId: string, queueId: string): MailEvent {
  return {
    ...session, id, kind: 'reject', ts: isoTime(r.ts) || session.ts, messageId, queueId, recipient: r.recipient, reply: r.reply,
    status: 'rejected', dsn: enhancedCode(r.reply), relay: '', nextQueueId: '',
  };
}

function seqOf(row: Row): number {
  const n = Number(row['sequence-number']);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

function splitEndpoint(ep: string): [string, string] {
  const i = ep.lastIndexOf(':');
  if (i < 0) return [ep, ''];
  return [ep.slice(0, i).replace(/^\[|\]$/g, ''), ep.slice(i + 1)];
}


import { newEvent, type MailEvent, type TlsInfo } from '../../../schemas/index.ts';
import type { HostContext, OutboundTls, PendingReject, QueueEntry, Receipt, Session } from './state.ts';
import { endOfInputTls, fromTlsRecord, isoOf, normalizeStatus, own, ownEnvelope, ownEvent, ownTls, tlsFeature } from './values.ts';

import type { Envelope } from './envelope.ts';
import { splitPeer, type DeliveryRecord, type PostfixRecord } from './records.ts';
import { eventId } from '../../event-id.ts';
import { withCertificate } from './certificate.ts';

export { own, tlsFeature } from './values.ts';
export type { HostContext } from './state.ts';

type Emit = (e: MailEvent) => void;

/**
 * Per-host correlation for Postfix. Lines that carry no queue id (connect, TLS summaries,
 * disconnect) are joined to queue files here: an smtpd session by process id collects the queue
 * ids it received and, when it closes, emits one `receive` event per queue id with the session's
 * TLS evidence; an smtp/lmtp process keeps the TLS summary of its current connection and lends it
 * to the deliveries that follow on the same peer (§4.4 of the format notes).
 *
 * All maps are bounded (oldest entries leave first) and entries expire by log time, so memory does
 * not grow with input size. Nothing is invented: evidence we do not have stays `unknown`.
 */
export interface CorrelatorLimits {
  maxQueues: number;
  maxSessions: number;
  /** log-time after which an unfinished session or queue entry is let go */
  expireMs: number;
}

export const DEFAULT_LIMITS: CorrelatorLimits = { maxQueues: 200_000, maxSessions: 20_000, expireMs: 6 * 3600_000 };

export class HostCorrelator {
  readonly host: string;
  readonly #limits: CorrelatorLimits;
  readonly #sessions = new Map<number, Session>();
  readonly #queues = new Map<string, QueueEntry>();
  readonly #outbound = new Map<number, OutboundTls>();
  #lastSweepMs = 0;
  /** the latest log time seen */
  #lastMs = 0;

  constructor(host: string, limits: CorrelatorLimits = DEFAULT_LIMITS) {
    this.host = host;
    this.#limits = limits;
  }

  get stateSize(): number {
    return this.#sessions.size + this.#queues.size + this.#outbound.size;
  }

  handle(env: Envelope, rec: PostfixRecord, file: string, offset: number, emit: Emit): void {
    if (env.ms - this.#lastSweepMs > 60_000) this.#sweep(env.ms, emit);
    if (env.ms > this.#lastMs) this.#lastMs = env.ms;
    switch (rec.t) {
      case 'connect': {
        // a TLS line stamped in the same second may come before its pid's `connect from` (§4.4 facts):
        // the session it opened is this one
        const early = this.#sessions.get(env.pid);
        if (early && early.receipts.length === 0 && early.pending.length === 0 && early.tls && env.ms - early.startMs <= 1_000) {
          early.client = own(rec.client);
          early.ip = own(rec.ip);
          break;
        }
        this.#closeSession(env.pid, emit, 'replaced');
        this.#sessions.set(env.pid, { client: own(rec.client), ip: own(rec.ip), startMs: env.ms, tls: undefined, tlsFailed: false, receipts: [], pending: [] });
        this.#bound(this.#sessions, this.#limits.maxSessions, (pid) => this.#closeSession(pid, emit, 'evicted'));
        break;
      }
      case 'tls':
        if (rec.direction === 'from') {
          const s = this.#sessions.get(env.pid);
          if (s) s.tls = ownTls(rec);
          else {
            // before its `connect from`, or a log that starts mid-session: the session starts here
            const peer = splitPeer(rec.peer);
            this.#sessions.set(env.pid, { client: own(peer.name), ip: own(peer.ip), startMs: env.ms, tls: ownTls(rec), tlsFailed: false, receipts: [], pending: [] });
          }
        } else {
          this.#outbound.set(env.pid, { tls: ownTls(rec), ms: env.ms, boundQid: '' });
        }
        break;
      case 'certificate':
        // the peer's certificate (TLS log level 2): its own event, not part of a message
        emit(withCertificate(this.#event(env, 'certificate', '', file, offset), rec, env.program));
        break;
      case 'tls-failed': {
        const s = this.#sessions.get(env.pid);
        if (s) s.tlsFailed = true;
        break;
      }
      case 'client': {
        let s = this.#sessions.get(env.pid);
        if (!s) {
          // the connect line is outside what we read: a session that starts here, TLS unknown
          s = { client: own(rec.client), ip: own(rec.ip), startMs: env.ms, tls: undefined, tlsFailed: false, receipts: [], pending: [] };
          this.#sessions.set(env.pid, s);
        }
        // the queue entry itself is kept: qmgr may log `removed` before smtpd's disconnect
        const queue = this.#touchQueue(rec.qid, env.ms);
        s.receipts.push({ qid: own(rec.qid), ms: env.ms, env: ownEnvelope(env), client: own(rec.client), ip: own(rec.ip), file, offset, queue });
        for (const p of s.pending) if (p.qid === '') { p.qid = rec.qid; p.queue = queue; }
        break;
      }
      case 'disconnect': {
        const s = this.#sessions.get(env.pid);
        if (s) this.#finishSession(env.pid, s, rec.counters ? rec.starttls : -1, emit);
        break;
      }
      case 'pickup': {
        const q = this.#touchQueue(rec.qid, env.ms);
        q.sender = own(rec.sender);
        const e = this.#event(env, 'receive', rec.qid, file, offset);
        e.client = 'pickup';
        e.sender = rec.sender;
        e.tlsEvidence = 'local-submission';
        emit(e);
        break;
      }
      case 'message-id': {
        const q = this.#touchQueue(rec.qid, env.ms);
        q.messageId = own(rec.messageId);
        emit(this.#event(env, 'message', rec.qid, file, offset));
        break;
      }
      case 'qmgr-from': {
        const q = this.#touchQueue(rec.qid, env.ms);
        q.sender = own(rec.sender);
        const e = this.#event(env, 'queued', rec.qid, file, offset);
        e.size = rec.size;
        e.nrcpt = rec.nrcpt;
        emit(e);
        break;
      }
      case 'expired': {
        const e = this.#event(env, 'expired', rec.qid, file, offset);
        e.status = 'expired';
        emit(e);
        break;
      }
      case 'removed':
        emit(this.#event(env, 'removed', rec.qid, file, offset));
        this.#queues.delete(rec.qid);
        break;
      case 'delivery': {
        const e = this.#delivery(env, rec, file, offset);
        // still queued, to be retried: worth carrying over a restart (saveContext)
        if (e.status === 'deferred') {
          const q = this.#queues.get(rec.qid);
          if (q) q.deferred = true;
        }
        emit(e);
        break;
      }
      case 'dsn': {
        const e = this.#event(env, 'dsn', rec.qid, file, offset);
        e.nextQueueId = rec.dsnQid;
        e.reply = rec.notice;
        emit(e);
        break;
      }
      case 'reject': {
        const e = this.#event(env, 'reject', rec.qid, file, offset);
        e.client = rec.client;
        e.clientIp = rec.ip;
        e.sender = rec.sender;
        e.recipient = rec.recipient;
        e.reply = rec.reply;
        e.status = 'rejected';
        const dsn = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(rec.reply);
        e.dsn = dsn ? dsn[1] : '';
        if (rec.qid) e.messageId = this.#queues.get(rec.qid)?.messageId ?? '';
        const s = this.#sessions.get(env.pid);
        // Held until the session ends: a NOQUEUE refusal's transaction may still get a queue file,
        // and a queue file's message id is logged (by cleanup) only after the refusal.
        if (s && s.pending.length < 1000) s.pending.push({ event: ownEvent(e), qid: own(rec.qid), fixed: rec.qid !== '', queue: rec.qid ? this.#queues.get(rec.qid) : undefined });
        else emit(e);
        break;
      }
    }
  }

  /** Emit what is still open (end of input): sessions without a disconnect keep TLS from what we saw. */
  flush(emit: Emit): void {
    for (const pid of [...this.#sessions.keys()]) this.#closeSession(pid, emit, 'end-of-input');
  }

  /**
   * A follow cycle ends and more lines will come: the state stays open, so a session or an smtp
   * connection cut by the cycle boundary goes on as in one long read. A session older than
   * `holdMs` of log time gives out what it holds now, as at the end of input (its later receipts
   * follow when they come): nothing waits unboundedly for a disconnect that may never be logged.
   */
  settle(emit: Emit, holdMs: number): void {
    const cutoff = this.#lastMs - holdMs;
    for (const s of this.#sessions.values()) {
      if (s.startMs >= cutoff || (s.receipts.length === 0 && s.pending.length === 0)) continue;
      this.#emitReceipts(s, endOfInputTls(s), emit);
      s.receipts = [];
      s.pending = [];
    }
  }

  /**
   * The state worth carrying over: sessions of the last hour (or holding receipts), smtp
   * connections young enough to be reused, queue entries touched within `holdMs`, and deferred
   * queue entries by the rule memory keeps them by (touched within the expiry window) — so a retry
   * after a restart still names its message id and sender as in one long read. UNVERIFIED (no row
   * in shared/reference shows it): that qmgr logs `from=… (queue active)` again at each retry,
   * which keeps touching the entry, and that retries come within the window (maximal_backoff_time,
   * 4000 s by default). Where that is wrong the entry expires 6 h after its last line, in memory
   * and in the saved state alike, and the retry's events lack the message id (stitching joins by
   * queue id).
   */
  saveContext(holdMs: number): HostContext {
    const queues = new Map<string, QueueEntry>();
    const sessions: HostContext['sessions'] = [];
    for (const [pid, s] of this.#sessions) {
      if (s.startMs < this.#lastMs - 3600_000 && s.receipts.length === 0 && s.pending.length === 0) continue;
      for (const r of s.receipts) queues.set(r.qid, r.queue);
      for (const p of s.pending) if (p.queue && p.qid) queues.set(p.qid, p.queue);
      sessions.push([pid, { ...s, receipts: s.receipts.map(({ queue: _q, ...r }) => r), pending: s.pending.map(({ queue, ...p }) => ({ ...p, queued: queue !== undefined })) }]);
    }
    // queue entries touched lately: a delivery or a bounce after the restart still names its message
    const recent = this.#lastMs - holdMs;
    const kept = this.#lastMs - this.#limits.expireMs;
    for (const [qid, q] of this.#queues) {
      if ((q.lastMs >= recent || (q.deferred && q.lastMs >= kept)) && (q.messageId || q.sender)) queues.set(qid, q);
    }
    const outbound = [...this.#outbound].filter(([, o]) => o.ms >= this.#lastMs - holdMs);
    return { host: this.host, lastMs: this.#lastMs, sessions, outbound, queues: [...queues] };
  }

  restoreContext(ctx: HostContext): void {
    this.#lastMs = Math.max(this.#lastMs, ctx.lastMs);
    for (const [qid, q] of ctx.queues) if (!this.#queues.has(qid)) this.#queues.set(qid, { ...q });
    for (const [pid, o] of ctx.outbound) if (!this.#outbound.has(pid)) this.#outbound.set(pid, o);
    for (const [pid, s] of ctx.sessions) {
      if (this.#sessions.has(pid)) continue;
      this.#sessions.set(pid, {
        ...s,
        receipts: s.receipts.map((r) => ({ ...r, queue: this.#touchQueue(r.qid, r.ms) })),
        pending: s.pending.map(({ queued, ...p }) => ({ ...p, queue: queued && p.qid ? this.#touchQueue(p.qid, this.#lastMs) : undefined })),
      });
    }
  }

  #event(env: Envelope, kind: MailEvent['kind'], qid: string, file: string, offset: number, queue?: QueueEntry): MailEvent {
    const q = queue ?? (qid ? this.#queues.get(qid) : undefined);
    const e = newEvent(eventId(this.host, env.ms, env.program, env.pid, env.text), isoOf(env.ms), this.host, kind);
    e.source = 'postfix';
    e.program = env.program;
    e.instance = env.instance;
    // the service as master.cf names it: the syslog tag without pid
    e.connector = env.instance && env.instance !== env.program ? `${env.instance}/${env.program}` : env.program;
    e.pid = env.pid;
    e.queueId = qid;
    e.messageId = q?.messageId ?? '';
    e.sender = q?.sender ?? '';
    e.sourceFile = file;
    e.sourceOffset = offset;
    return e;
  }

  #delivery(env: Envelope, rec: DeliveryRecord, file: string, offset: number): MailEvent {
    const e = this.#event(env, 'delivery', rec.qid, file, offset);
    e.recipient = rec.to;
    e.origRecipient = rec.origTo;
    e.relay = rec.relayName || rec.relay;
    e.relayIp = rec.relayIp;
    e.relayPort = rec.relayPort;
    e.nextQueueId = rec.nextQid;
    e.status = normalizeStatus(rec.status);
    e.dsn = rec.dsn;
    e.reply = rec.reply;
    e.delay = rec.delay;
    [e.delayBefore, e.delayQueue, e.delayConnect, e.delayTransmit] = rec.delays;
    if (env.program === 'smtp' || env.program === 'lmtp') Object.assign(e, this.#outboundTls(env.pid, rec));
    return e;
  }

  /** TLS of an outbound delivery: the summary line logged by the same process for the same peer. */
  #outboundTls(pid: number, rec: DeliveryRecord): Pick<MailEvent, keyof TlsInfo | 'tlsEvidence'> {
    const o = this.#outbound.get(pid);
    // Postfix ≤ 2.4 named the peer without its address (`to smtp.gmail.com:`): the name must match
    if (o && (o.tls.peer === rec.relay || (!o.tls.peer.includes('[') && o.tls.peer === rec.relayName))) {
      if (o.boundQid === '') o.boundQid = rec.qid;
      if (o.boundQid === rec.qid || rec.connUse > 1) return { ...fromTlsRecord(o.tls), tlsEvidence: 'smtp-tls-line' };
      // Another queue file without conn_use: a new connection that logged no TLS summary. The TLS
      // one is gone; later reuses (conn_use > 1) of this new connection must not inherit it.
      this.#outbound.delete(pid);
    }
    const feature = tlsFeature(rec.tlsFeature);
    if (feature === 'plaintext') return { tls: 'plaintext', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: 'none', tlsEvidence: 'tls-feature' };
    if (feature === 'encrypted') return { tls: 'encrypted', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: 'tls-feature' };
    return { tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: '' };
  }

  #touchQueue(qid: string, ms: number): QueueEntry {
    let q = this.#queues.get(qid);
    if (!q) {
      q = { messageId: '', sender: '', lastMs: ms };
      this.#queues.set(own(qid), q);
      if (this.#queues.size > this.#limits.maxQueues) this.#queues.delete(this.#queues.keys().next().value as string);
    }
    q.lastMs = ms;
    return q;
  }

  /** starttls: the disconnect line's `starttls=` count, or -1 when it logged no counters (Postfix < 3.0) */
  #finishSession(pid: number, s: Session, starttls: number, emit: Emit): void {
    this.#sessions.delete(pid);
    let tls: Pick<MailEvent, keyof TlsInfo | 'tlsEvidence'>;
    if (s.tls) tls = { ...fromTlsRecord(s.tls), tlsEvidence: 'smtpd-tls-line' };
    else if (starttls > 0 && !s.tlsFailed) tls = { tls: 'encrypted', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: 'smtpd-counters' };
    // the counters list every command; without starttls= the session never asked for TLS. A bare
    // `disconnect from` (Postfix < 3.0) proves nothing either way.
    else if (starttls === 0) tls = { tls: 'plaintext', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: 'none', tlsEvidence: 'smtpd-counters' };
    else tls = { tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: '' };
    this.#emitReceipts(s, tls, emit);
  }

  #closeSession(pid: number, emit: Emit, _why: string): void {
    const s = this.#sessions.get(pid);
    if (!s) return;
    this.#sessions.delete(pid);
    this.#emitReceipts(s, endOfInputTls(s), emit);
  }

  #emitReceipts(s: Session, tls: Pick<MailEvent, keyof TlsInfo | 'tlsEvidence'>, emit: Emit): void {
    for (const p of s.pending) {
      // tie a refusal to the transaction that followed only when that message's sender is the
      // refused one's (or not known yet): another MAIL FROM after RSET is another transaction
      const q = p.queue;
      if (p.qid && (p.fixed || !q || !q.sender || q.sender === p.event.sender)) {
        p.event.queueId = p.qid;
        p.event.messageId = q?.messageId || p.event.messageId;
      }
      emit(p.event);
    }
    for (const r of s.receipts) {
      const e = this.#event(r.env, 'receive', r.qid, r.file, r.offset, r.queue);
      e.client = r.client;
      e.clientIp = r.ip;
      Object.assign(e, tls);
      emit(e);
    }
  }

  #bound<K, V>(map: Map<K, V>, max: number, evict: (k: K) => void): void {
    while (map.size > max) evict(map.keys().next().value as K);
  }

  /** Let go of state older than the expiry window (by log time). */
  #sweep(nowMs: number, emit: Emit): void {
    this.#lastSweepMs = nowMs;
    const cutoff = nowMs - this.#limits.expireMs;
    for (const [pid, s] of this.#sessions) if (s.startMs < cutoff) this.#closeSession(pid, emit, 'expired');
    for (const [qid, q] of this.#queues) if (q.lastMs < cutoff) this.#queues.delete(qid);
    if (this.#outbound.size > this.#limits.maxSessions) this.#outbound.clear();
  }
}

import { Program, readSessionPart } from '../schemas/index.ts';
import { splitRole } from './hop.ts';
import { PROXY_PROGRAM, queueKey, shortName, type Queue, type StoredEvent } from './queue.ts';

/**
 * Exchange protocol-log sessions (kind 'session') lend their TLS outcome to the tracking rows: a
 * receipt by its SMTP session id on the same server, a send by the queue id the next hop announced
 * in its reply. A Front End session that proxied the message (its reply names the transport's
 * queue) becomes a queue of its own in front of the transport's, so the client → Front End hop is
 * on the path.
 */
export function applySessions(queues: Map<string, Queue>, parts: readonly StoredEvent[]): void {
  if (parts.length === 0) return;
  const sessions = inheritAcrossParts(parts);
  const byReceive = new Map<string, StoredEvent>();
  const bySend = new Map<string, StoredEvent>();
  for (const s of sessions) {
    if (s.program === Program.smtpReceive && s.sessionId && (s.messageId || !byReceive.has(`${s.host}\u0000${s.sessionId}`))) byReceive.set(`${s.host}\u0000${s.sessionId}`, s);
    if (s.program === Program.smtpSend && s.nextQueueId) bySend.set(`${s.host}\u0000${s.nextQueueId}`, s);
    if (s.program === Program.smtpSend && s.reply) bySend.set(`${s.host}\u0000reply\u0000${s.reply}`, s);
  }
  for (const q of queues.values()) {
    const r = q.receive;
    if (r?.sessionId && r.tls === 'unknown') {
      const s = byReceive.get(`${q.host}\u0000${r.sessionId}`);
      if (s) copyTls(r, s);
    }
    for (const d of q.deliveries) {
      // a send already known encrypted (custom-data) still takes the session's version and cipher
      if (d.status !== 'sent' || (d.tls !== 'unknown' && d.tlsVersion !== '')) continue;
      if (!d.nextQueueId && d.program === Program.submit) {
        // a hand-off whose tracking row names no queue (SUBMIT): the send session of this server
        // that carried this message to the named server got the queue id in its reply
        const relay = shortName(d.relay);
        const s = sessions.find((x) => x.program === Program.smtpSend && x.host === q.host && x.nextQueueId && x.messageId === q.messageId && shortName(x.relay) === relay);
        if (s) d.nextQueueId = s.nextQueueId;
      }
      const s = (d.nextQueueId ? bySend.get(`${q.host}\u0000${d.nextQueueId}`) : undefined) ?? (d.reply ? bySend.get(`${q.host}\u0000reply\u0000${d.reply}`) : undefined);
      if (s && (d.tls === 'unknown' || s.tls === 'encrypted')) copyTls(d, s);
    }
  }
  for (const s of sessions) {
    // one event per queued message (its recipient events repeat it, one per accepted recipient)
    if (s.program !== Program.smtpReceive || !s.messageId || s.recipient || (!s.nextQueueId && !s.relay)) continue;
    const frontEnd = s.role?.startsWith('frontend') ?? false;
    const relay = shortName(s.relay);
    const target = s.nextQueueId ? [...queues.values()].find((q) => q.queueId === s.nextQueueId && (!relay || q.host === relay)) : undefined;
    if (target && !frontEnd) continue;
    const recipients = new Set(sessions.filter((x) => x.recipient && x.host === s.host && x.sessionId === s.sessionId && x.reply === s.reply).map((x) => x.recipient));
    // a receiving service whose own tracking rows we lack (only its protocol log, e.g. the Front
    // End's Default connector, which logs by default): the session is the receipt
    const own = !frontEnd && (!relay || relay === s.host);
    if (!target && !frontEnd && !own) continue;
    const queueId = own ? s.nextQueueId : `fe:${s.sessionId}`;
    const key = queueKey(s.host, queueId);
    if (queues.has(key)) continue;
    const receive: StoredEvent = { ...s, kind: 'receive', queueId, recipient: '' };
    const handOff: StoredEvent = {
      ...s, kind: 'delivery', queueId, program: PROXY_PROGRAM, status: 'sent', recipient: '', origRecipient: '',
      tls: 'unknown', tlsVersion: '', cipher: '', tlsTrust: '', tlsEvidence: '', delayConnect: 0, delayTransmit: 0,
    };
    const [role, roleReason] = splitRole(s.role ?? '');
    queues.set(key, {
      key, host: s.host, queueId, messageId: target?.messageId ?? s.messageId, sender: target?.sender || s.sender, size: target?.size ?? 0, receive,
      queuedAt: s.ts, expiredAt: '', firstTs: s.ts, deliveries: own ? [] : [handOff], receivedFor: recipients, rejects: [], dsns: [],
      role: frontEnd ? 'frontend' : role, roleReason, children: new Map(), parent: undefined,
    });
  }
}

/**
 * One SMTP session may be stored in parts (its protocol log rolled over mid-session, and the files
 * came in separate runs): a later part inherits what an earlier one proved. Only a proof of TLS or
 * of a failed upgrade is inherited; a part's silence never overrides.
 */
function inheritAcrossParts(parts: readonly StoredEvent[]): StoredEvent[] {
  const proof = new Map<string, StoredEvent>();
  for (const [key, p] of wholeWithoutStarttls(parts)) proof.set(key, p);
  for (const p of parts) {
    if (!p.sessionId || p.tls === 'unknown') continue;
    const key = `${p.host}\u0000${p.program}\u0000${p.sessionId}`;
    const have = proof.get(key);
    if (!have || (p.tls === 'encrypted' && (have.tls !== 'encrypted' || (!have.tlsVersion && p.tlsVersion)))) proof.set(key, p);
  }
  // the peer's certificate status may be logged in another part than the TLS line
  const trust = new Map<string, StoredEvent['tlsTrust']>();
  for (const p of parts) if (p.sessionId && p.tlsTrust && p.tlsTrust !== 'none') trust.set(`${p.host}\u0000${p.program}\u0000${p.sessionId}`, p.tlsTrust);
  return parts.map((p) => {
    const key = `${p.host}\u0000${p.program}\u0000${p.sessionId}`;
    const best = p.sessionId ? proof.get(key) : undefined;
    let out = p;
    if (best && best !== p && !(p.tls === 'encrypted' && p.tlsVersion) && !(p.tls !== 'unknown' && best.tls !== 'encrypted')) {
      out = { ...p, tls: best.tls, tlsVersion: best.tlsVersion, cipher: best.cipher, tlsTrust: best.tlsTrust, tlsEvidence: best.tlsEvidence };
    }
    if (out.tls === 'encrypted' && !out.tlsTrust && trust.has(key)) out = { ...out, tlsTrust: trust.get(key)! };
    if (out.tls === 'unknown' && out.tlsTrust) out = { ...out, tlsTrust: '' };
    return out;
  });
}

/**
 * Parts of one session that each prove nothing (no STARTTLS seen, start or mail elsewhere): when
 * together they cover every sequence number from 0 and carried mail, the whole session ran
 * without STARTTLS — plaintext, as a session read in one piece would say.
 */
function wholeWithoutStarttls(parts: readonly StoredEvent[]): Map<string, StoredEvent> {
  const bySession = new Map<string, { first: number; last: number; mail: boolean }[]>();
  for (const p of parts) {
    const part = p.sessionId ? readSessionPart(p.tlsEvidence) : undefined;
    if (!part) continue;
    const key = `${p.host}\u0000${p.program}\u0000${p.sessionId}`;
    bySession.set(key, [...(bySession.get(key) ?? []), part]);
  }
  const out = new Map<string, StoredEvent>();
  for (const [key, list] of bySession) {
    const sorted = [...list].sort((a, b) => a.first - b.first);
    let next = 0;
    for (const r of sorted) if (r.first <= next) next = Math.max(next, r.last + 1);
    if (sorted[0]?.first !== 0 || next <= sorted[sorted.length - 1].last || !sorted.some((r) => r.mail)) continue;
    const any = parts.find((p) => `${p.host}\u0000${p.program}\u0000${p.sessionId}` === key)!;
    out.set(key, { ...any, tls: 'plaintext', tlsVersion: '', cipher: '', tlsTrust: 'none', tlsEvidence: 'exchange-protocol-no-starttls' });
  }
  return out;
}

function copyTls(to: StoredEvent, from: StoredEvent): void {
  // the session also knows how long the hand-off took (tracking rows do not)
  if (to.delayConnect + to.delayTransmit === 0) to.delayTransmit = Number(from.delayTransmit) || 0;
  to.tls = from.tls;
  to.tlsVersion = from.tlsVersion;
  to.cipher = from.cipher;
  to.tlsTrust = from.tlsTrust;
  to.tlsEvidence = from.tlsEvidence;
}


import { Program } from '../schemas/index.ts';
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
    if (s.program === 'smtpsend' && s.nextQueueId) bySend.set(`${s.host}\u0000${s.nextQueueId}`, s);
    if (s.program === 'smtpsend' && s.reply) bySend.set(`${s.host}\u0000reply\u0000${s.reply}`, s);
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
        const s = sessions.find((x) => x.program === 'smtpsend' && x.host === q.host && x.nextQueueId && x.messageId === q.messageId && shortName(x.relay) === relay);
        if (s) d.nextQueueId = s.nextQueueId;
      }
      const s = (d.nextQueueId ? bySend.get(`${q.host}\u0000${d.nextQueueId}`) : undefined) ?? (d.reply ? bySend.get(`${q.host}\u0000reply\u0000${d.reply}`) : undefined);
      if (s && (d.tls === 'unknown' || s.tls === 'encrypted')) copyTls(d, s);
    }
  }
  for (const s of sessions) {
    if (s.program !== 'smtpreceive' || !s.role?.startsWith('frontend') || !s.nextQueueId) continue;
    const relay = shortName(s.relay);
    const target = [...queues.values()].find((q) => q.queueId === s.nextQueueId && (!relay || q.host === relay));
    if (!target) continue;
    const queueId = `fe:${s.sessionId}`;
    const key = queueKey(s.host, queueId);
    if (queues.has(key)) continue;
    const receive: StoredEvent = { ...s, kind: 'receive', queueId };
    const handOff: StoredEvent = {
      ...s, kind: 'delivery', queueId, program: PROXY_PROGRAM, status: 'sent', recipient: '', origRecipient: '',
      tls: 'unknown', tlsVersion: '', cipher: '', tlsTrust: '', tlsEvidence: '', delayConnect: 0, delayTransmit: 0,
    };
    queues.set(key, {
      key, host: s.host, queueId, messageId: target.messageId, sender: target.sender, size: target.size, receive, queuedAt: s.ts, expiredAt: '', firstTs: s.ts,
      deliveries: [handOff], receivedFor: new Set(), rejects: [], dsns: [], role: 'frontend', roleReason: s.role.slice(s.role.indexOf(':') + 1), children: new Map(), parent: undefined,
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
  for (const p of parts) {
    if (!p.sessionId || p.tls === 'unknown') continue;
    const key = `${p.host}\u0000${p.program}\u0000${p.sessionId}`;
    const have = proof.get(key);
    if (!have || (p.tls === 'encrypted' && (have.tls !== 'encrypted' || (!have.tlsVersion && p.tlsVersion)))) proof.set(key, p);
  }
  return parts.map((p) => {
    const best = p.sessionId ? proof.get(`${p.host}\u0000${p.program}\u0000${p.sessionId}`) : undefined;
    if (!best || best === p || (p.tls === 'encrypted' && p.tlsVersion)) return p;
    if (p.tls !== 'unknown' && best.tls !== 'encrypted') return p;
    return { ...p, tls: best.tls, tlsVersion: best.tlsVersion, cipher: best.cipher, tlsTrust: best.tlsTrust, tlsEvidence: best.tlsEvidence };
  });
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


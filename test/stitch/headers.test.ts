import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newEvent, unknownProtection, type Hop, type MailEvent, type Trace } from '../../schemas/index.ts';
import { mergeHeaders } from '../../stitch/headers.ts';

/**
 * The join of a copy's Received headers to a logged path, rule by rule, on small traces. Header
 * shapes: log-formats §4.5 (Postfix id = queue id) and §5.2 (Exchange id = its build number).
 */
const logHop = (from: string, to: string, toQueueId: string, end: string, tls: Hop['tls'] = 'encrypted'): Hop => ({
  from, to, fromRole: '', toRole: '', tls, tlsVersion: tls === 'encrypted' ? 'TLSv1.2' : '', cipher: '', tlsTrust: '', tlsEvidence: tls === 'unknown' ? '' : 'log',
  start: end, end, fromQueueId: '', toQueueId, link: 'queued-as', rule: 'queued-as', status: 'relayed', eventIds: ['e'], provenance: 'log', protocol: '', conflict: '', fromConnector: '', toConnector: '',
});
const trace = (hops: Hop[]): Trace => ({
  messageId: '<m@x>', sender: 's@x', size: 1, firstSeen: hops[0]?.start ?? '', lastSeen: '', queues: hops.map((h) => ({ host: h.to, queueId: h.toQueueId })),
  servers: [], recipients: [{ address: 'bob@corp.example', status: 'delivered', hops, lastHost: '', dsn: '', reply: '', relay: '', lastSeen: '' }],
  related: [], protection: unknownProtection(), notes: [],
});
let offset = 1000;
const rcv = (by: string, from: string, id: string, ts: string, protocol: string, tls: MailEvent['tls'] = 'unknown'): MailEvent => {
  const e = newEvent(`h${offset}`, ts, by, 'received');
  Object.assign(e, { messageId: '<m@x>', recipient: 'bob@corp.example', client: from, queueId: id, protocol, tls, tlsEvidence: tls === 'unknown' ? '' : 'header-microsoft', sourceFile: 'copy.eml', sourceOffset: offset-- });
  return e;
};

test('an Exchange header (id = build number) joins its log hop by server and time', () => {
  const t = trace([logHop('edge1', 'mbx1', '88123', '2026-11-30T10:00:02.000Z')]);
  const out = mergeHeaders(t, [rcv('mbx1.corp.example', 'edge1.corp.example', '15.1.2507.6', '2026-11-30T10:00:03.000Z', 'Microsoft SMTP Server', 'encrypted')], []);
  assert.deepEqual(out.recipients[0].hops.map((h) => [h.provenance, h.protocol]), [['both', 'Microsoft SMTP Server']]);
});

test('the same server far outside the window is a hop of its own; an unknown log verdict is filled from the header', () => {
  const t = trace([logHop('edge1', 'mbx1', '88123', '2026-11-30T10:00:02.000Z', 'unknown')]);
  const late = mergeHeaders(t, [rcv('mbx1.corp.example', 'edge1.corp.example', '15.1.2507.6', '2026-11-30T11:00:00.000Z', 'Microsoft SMTP Server')], []);
  assert.deepEqual(late.recipients[0].hops.map((h) => h.provenance), ['header', 'log']);
  assert.match(late.recipients[0].hops[0].conflict, /claims a receipt from edge1/);
  const filled = mergeHeaders(t, [rcv('mbx1.corp.example', 'edge1.corp.example', '15.1.2507.6', '2026-11-30T10:01:00.000Z', 'Microsoft SMTP Server', 'encrypted')], []);
  assert.equal(filled.recipients[0].hops[0].tls, 'encrypted');
  assert.match(filled.recipients[0].hops[0].tlsEvidence, /^received-header:/);
});

test('a copy with no logs at all is a path of header hops, oldest first, status unknown', () => {
  const t = trace([]);
  t.recipients = [];
  const out = mergeHeaders(t, [
    rcv('mx.corp.example', 'relay.partner.example', 'AAA111', '2026-11-30T10:00:05.000Z', 'ESMTPS', 'encrypted'),
    rcv('relay.partner.example', 'laptop.partner.example', 'BBB222', '2026-11-30T10:00:01.000Z', 'ESMTPSA', 'encrypted'),
  ].map((e, i) => ({ ...e, sourceOffset: 1900 + i * 100 })), []);
  const r = out.recipients[0];
  assert.equal(r.address, 'bob@corp.example');
  assert.equal(r.status, 'unknown');
  assert.deepEqual(r.hops.map((h) => `${h.from}→${h.to}`), ['laptop.partner.example→relay.partner.example', 'relay.partner.example→mx.corp.example']);
  assert.equal(r.hops[1].start, '2026-11-30T10:00:01.000Z');
  assert.ok(r.hops.every((h) => h.provenance === 'header' && h.rule === 'received-header' && h.conflict === ''));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTexts } from './helpers.ts';

const HEAD = (fields: string) => `\uFEFF#Software: Microsoft Exchange Server\r\n#Version: 15.01.2507.039\r\n#Log-type: Message Tracking Log\r\n#Date: 2026-03-01T08:00:00.000Z\r\n#Fields: ${fields}\r\n`;
const F2016 = 'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version';
const F2010 = 'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data';

function row(fields: string, values: Record<string, string>): string {
  return fields.split(',').map((f) => {
    const v = values[f] ?? '';
    return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }).join(',');
}
const deliver = (fields: string, n: number) => row(fields, { 'date-time': `2026-03-01T08:00:0${n}.000Z`, 'server-hostname': 'MBX1', source: 'STOREDRIVER', 'event-id': 'DELIVER', 'internal-message-id': String(100 + n), 'message-id': `<m${n}@x>`, 'recipient-address': 'a@corp.example', 'recipient-status': '250 2.0.0 OK', 'return-path': 's@x', 'message-subject': 'hello, "world"' });

test('columns come from each file\'s #Fields: an Exchange 2010 file and a 2016 file in one run', () => {
  const { events, rejects } = parseTexts([
    ['MBX1/TransportRoles/Logs/MessageTracking/MSGTRKMD2026030108-1.LOG', HEAD(F2016) + deliver(F2016, 1) + '\r\n'],
    ['OLD/TransportRoles/Logs/MessageTracking/MSGTRK2026030108-1.LOG', HEAD(F2010) + deliver(F2010, 2) + '\r\n'],
  ]);
  assert.deepEqual(rejects, []);
  assert.deepEqual(events.map((e) => `${e.host} ${e.queueId} ${e.messageId} ${e.kind} ${e.status} ${e.role}`), ['mbx1 101 <m1@x> delivery sent mailbox:Mailbox Transport tracking log (MSGTRKMD/MS)', 'old 102 <m2@x> delivery sent mailbox:STOREDRIVER rows (mailbox store)']);
});

test('bad input is reported with its line and the rows around it still parse', () => {
  const text = HEAD(F2016)
    + deliver(F2016, 1) + '\r\n'
    + '2026-03-01T08:00:02.000Z,cut short\r\n'              // row cut short
    + '#Fields: ' + F2016.split(',').reverse().join(',') + '\r\n' // repeated header, other order
    + row(F2016.split(',').reverse().join(','), { 'date-time': '2026-03-01T08:00:03.000Z', 'server-hostname': 'MBX1', source: 'STOREDRIVER', 'event-id': 'DELIVER', 'internal-message-id': '103', 'message-id': '<m3@x>', 'recipient-address': 'b@corp.example' }) + '\r\n'
    + 'garbage,"quote opened and never closed\r\n' + deliver(F2016.split(',').reverse().join(','), 4) + '\r\n';
  const { events, rejects } = parseTexts([['MBX1/TransportRoles/Logs/MessageTracking/MSGTRKMD2026030108-1.LOG', text]]);
  // the row after the open quote was swallowed while the quote looked open, then read on its own
  assert.deepEqual(events.map((e) => e.queueId), ['101', '103', '104']);
  assert.deepEqual(rejects.map((r) => `${r.reason}@${r.line}`), ['bad-row@7', 'unterminated-quote@10']);
});

test('rows before any #Fields line are kept aside, not guessed', () => {
  const { events, rejects } = parseTexts([['x.log', deliver(F2016, 1) + '\n']]);
  assert.equal(events.length, 0);
  assert.deepEqual(rejects.map((r) => r.reason), ['no-header']);
});

test('a quoted field may hold a line break: the row is joined, not split', () => {
  const text = HEAD(F2016) + deliver(F2016, 1).replace('hello, "world"', 'x').replace(',x,', ',"two\r\nlines",') + '\r\n';
  const { events, rejects } = parseTexts([['MBX1/TransportRoles/Logs/MessageTracking/MSGTRKMD2026030108-1.LOG', text]]);
  assert.deepEqual(rejects, []);
  assert.equal(events.length, 1);
});

test('a configured role wins over the evidence, and says so', () => {
  const path = 'MBX1/TransportRoles/Logs/MessageTracking/MSGTRK2026030108-1.LOG';
  const inferred = parseTexts([[path, HEAD(F2016) + deliver(F2016, 1) + '\r\n']]);
  assert.equal(inferred.events[0].role, 'mailbox:STOREDRIVER rows (mailbox store)');
  const configured = parseTexts([[path, HEAD(F2016) + deliver(F2016, 1) + '\r\n']], { roles: new Map([['mbx1', 'hub']]) });
  assert.equal(configured.events[0].role, 'hub:configured');
});

test('a TRANSFER fork continues the path from the copy without a hop of its own', async () => {
  const { reconstruct } = await import('../../../../stitch/reconstruct.ts');
  const base = { 'server-hostname': 'MBX1', 'client-hostname': 'MBX1.corp.example', 'message-id': '<fork@x>', 'return-path': 's@x' };
  const rows = [
    row(F2016, { ...base, 'date-time': '2026-03-01T08:00:01.000Z', 'client-hostname': 'mx.ext.example', 'client-ip': '192.0.2.7', 'source-context': '08DE000000000001;2026-03-01T08:00:00.900Z;0', source: 'SMTP', 'event-id': 'RECEIVE', 'internal-message-id': '100', 'recipient-address': 'a@corp.example;b@corp.example' }),
    row(F2016, { ...base, 'date-time': '2026-03-01T08:00:02.000Z', source: 'ROUTING', 'event-id': 'TRANSFER', 'internal-message-id': '101', reference: '100', 'recipient-address': 'b@corp.example' }),
    row(F2016, { ...base, 'date-time': '2026-03-01T08:00:03.000Z', 'server-hostname': 'mbx2.corp.example', 'source-context': ';250 2.6.0 <fork@x> [InternalId=900, Hostname=mbx2.corp.example] Queued mail for delivery;ClientSubmitTime:', source: 'SMTP', 'event-id': 'SEND', 'internal-message-id': '100', 'recipient-address': 'a@corp.example' }),
    row(F2016, { ...base, 'date-time': '2026-03-01T08:00:03.000Z', 'server-hostname': 'mbx2.corp.example', 'source-context': ';250 2.6.0 <fork@x> [InternalId=901, Hostname=mbx2.corp.example] Queued mail for delivery;ClientSubmitTime:', source: 'SMTP', 'event-id': 'SEND', 'internal-message-id': '101', 'recipient-address': 'b@corp.example' }),
  ];
  const { events, rejects } = parseTexts([['MBX1/TransportRoles/Logs/MessageTracking/MSGTRK2026030108-1.LOG', HEAD(F2016) + rows.join('\r\n') + '\r\n']]);
  assert.deepEqual(rejects, []);
  const t = reconstruct('<fork@x>', events);
  const paths = Object.fromEntries(t.recipients.map((r) => [r.address, r.hops.map((h) => `${h.from}>${h.to}`)]));
  assert.deepEqual(paths, { 'a@corp.example': ['mx.ext.example>mbx1', 'mbx1>mbx2.corp.example'], 'b@corp.example': ['mx.ext.example>mbx1', 'mbx1>mbx2.corp.example'] });
});

// found by test/fuzz/exchange.test.ts: a date-time cut so that it still ends in Z threw a
// RangeError out of the parser (ending the whole input); one of 24 characters that is no time was
// stored as the event's ts as it stood
test('a tracking row with a mangled time is reported, not thrown, not stored', () => {
  const path = 'MBX1/TransportRoles/Logs/MessageTracking/MSGTRKMD2026030108-1.LOG';
  const text = HEAD(F2016) + ['26-03-01T08:00:01.000Z', 'aaaaaaaaaaaaaaaaaaaaaaaZ', '+010000-01-01T00:00:00Z', '2026-03-01T08:00:01.000Z']
    .map((t, i) => deliver(F2016, i + 1).replace(`2026-03-01T08:00:0${i + 1}.000Z`, t)).join('\r\n') + '\r\n';
  const { events, rejects } = parseTexts([[path, text]]);
  assert.deepEqual(rejects.map((r) => `${r.reason}@${r.line}`), ['bad-timestamp@6', 'bad-timestamp@7', 'bad-timestamp@8']);
  assert.deepEqual(events.map((e) => e.ts), ['2026-03-01T08:00:01.000Z']);
});

// found by test/fuzz/exchange.test.ts: a per-recipient row whose recipient column is empty gave no
// event and no rejection (a line lost without a count); a negative total-bytes or a recipient-count
// past 32 bits broke the event schema
test('a SEND row that names no recipient is reported; a size or count no column holds is not recorded', () => {
  const path = 'MBX1/TransportRoles/Logs/MessageTracking/MSGTRK2026030108-1.LOG';
  const send = row(F2016, { 'date-time': '2026-03-01T08:00:01.000Z', 'server-hostname': 'MBX2', source: 'SMTP', 'event-id': 'SEND', 'internal-message-id': '7', 'message-id': '<m@x>' });
  const { events, rejects } = parseTexts([[path, HEAD(F2016) + send + '\r\n' + deliver(F2016, 2).replace(',250 2.0.0 OK,,', ',250 2.0.0 OK,-1,4294967296') + '\r\n']]);
  assert.deepEqual(rejects.map((r) => `${r.reason}@${r.line}`), ['bad-row@6']);
  assert.match(rejects[0].detail, /SEND row that names no recipient/);
  assert.deepEqual(events.map((e) => `${e.queueId} ${e.size} ${e.nrcpt}`), ['102 0 0']);
});

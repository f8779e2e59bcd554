import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportTime } from '../../../../ingest/formats/exchange/index.ts';
import { parseTexts } from './helpers.ts';

/**
 * Culture-formatted dates in Exchange Online exports made by Windows PowerShell 5.1 Export-Csv
 * (log-formats §1.9a, PowerShell issue #15828): `9/5/2022 6:10:13 PM`, `05.09.2022 18:10:13`,
 * `21.10.2022 17:25:30`. Never guessed: what cannot tell day from month asks for --date-format.
 */
test('dotted dates are day-first; a slashed date with a part above 12 tells by itself', () => {
  assert.deepEqual(exportTime('05.09.2022 18:10:13'), { iso: '2022-09-05T18:10:13.000Z' });
  assert.deepEqual(exportTime('21.10.2022 17:25:30'), { iso: '2022-10-21T17:25:30.000Z' });
  assert.deepEqual(exportTime('9/25/2022 6:10:13 PM'), { iso: '2022-09-25T18:10:13.000Z' });
  assert.deepEqual(exportTime('25/09/2022 18:10:13'), { iso: '2022-09-25T18:10:13.000Z' });
  assert.deepEqual(exportTime('2022-09-05T18:10:13.4907658'), { iso: '2022-09-05T18:10:13.490Z' });
});

test('9/5/2022 6:10:13 PM cannot tell: refused with the hint, read either way when the order is given', () => {
  const r = exportTime('9/5/2022 6:10:13 PM');
  assert.ok('error' in r && r.error.includes('--date-format'), JSON.stringify(r));
  assert.deepEqual(exportTime('9/5/2022 6:10:13 PM', 'mdy'), { iso: '2022-09-05T18:10:13.000Z' });
  assert.deepEqual(exportTime('9/5/2022 6:10:13 PM', 'dmy'), { iso: '2022-05-09T18:10:13.000Z' });
  assert.deepEqual(exportTime('12/5/2022 12:01:00 AM', 'mdy'), { iso: '2022-12-05T00:01:00.000Z' });
  assert.ok('error' in exportTime('31.02.2022 10:00:00'), 'an impossible date is refused');
});

test('a Get-MessageTrace export in a culture format: unambiguous rows stored, the ambiguous one set aside with the hint', () => {
  const header = '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate","Index"';
  const row = (received: string, id: string) => `"contoso.onmicrosoft.com","<${id}@x.example>","${received}","a@x.example","b@contoso.example","s","Delivered","","81.2.69.144","100","cf7a249a-5edd-4350-130a-08da8f69e0f6","","","0"`;
  const text = [header, row('21.10.2022 17:25:30', 'd1'), row('9/25/2022 6:10:13 PM', 'd2'), row('9/5/2022 6:10:13 PM', 'd3')].join('\r\n') + '\r\n';
  const { events, rejects } = parseTexts([['MessageTrace.csv', text]]);
  assert.deepEqual([...new Set(events.map((e) => `${e.messageId} ${e.ts}`))], ['<d1@x.example> 2022-10-21T17:25:30.000Z', '<d2@x.example> 2022-09-25T18:10:13.000Z']);
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0].reason, 'bad-timestamp');
  assert.match(rejects[0].detail, /--date-format/);
  const given = parseTexts([['MessageTrace.csv', text]], { dateOrder: 'mdy' });
  assert.equal(given.rejects.length, 0);
});

// found by test/fuzz/online-dates.test.ts: minutes and seconds past 59 rolled into the next hour,
// and years 0-99 were read as 1900-1999 (.NET writes DateTime.MinValue as 1/1/0001 12:00:00 AM)
test('a culture date is read as written or refused: no rolling over, years as written', () => {
  assert.ok('error' in exportTime('05.09.2022 18:60:13'));
  assert.ok('error' in exportTime('05.09.2022 18:10:61'));
  assert.deepEqual(exportTime('1/1/0001 12:00:00 AM'), { iso: '0001-01-01T00:00:00.000Z' });
  assert.deepEqual(exportTime('29.02.0096 10:00:00'), { iso: '0096-02-29T10:00:00.000Z' });
  assert.ok('error' in exportTime('29.02.0097 10:00:00'));
});

// found by test/fuzz/exchange.test.ts: a negative Size broke the event schema (and the store's unsigned column)
test('an export row with a negative size is stored with no size', () => {
  const header = '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate","Index"';
  const row = '"contoso.onmicrosoft.com","<d1@x.example>","2022-09-05T18:10:13.4907658","a@x.example","b@contoso.example","s","Delivered","","81.2.69.144","-1","cf7a249a-5edd-4350-130a-08da8f69e0f6","","","0"';
  const { events, rejects } = parseTexts([['MessageTrace.csv', `${header}\r\n${row}\r\n`]]);
  assert.deepEqual(rejects, []);
  assert.deepEqual(events.map((e) => e.size), [0, 0]);
});

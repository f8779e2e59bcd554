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

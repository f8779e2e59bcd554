import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvelope, YearTracker } from '../../../../ingest/formats/postfix/envelope.ts';

// Envelope shapes from shared/reference/log-formats.md §4.1.
const ref = Date.UTC(2026, 5, 30); // 2026-06-30

test('classic syslog line with a space-padded day', () => {
  const e = parseEnvelope('Jun  9 13:44:03 vmi2599867 postfix/smtpd[1349209]: 6285B280F1F: client=mail-lf1-f52.google.com[209.85.167.52]', new YearTracker(ref));
  assert.ok(!('error' in e));
  assert.equal(new Date(e.ms).toISOString(), '2026-06-09T13:44:03.000Z');
  assert.equal(e.host, 'vmi2599867');
  assert.equal(e.instance, 'postfix');
  assert.equal(e.program, 'smtpd');
  assert.equal(e.pid, 1349209);
  assert.equal(e.text, '6285B280F1F: client=mail-lf1-f52.google.com[209.85.167.52]');
});

test('maillog_file line with a zero-padded day and a multi-instance syslog_name', () => {
  const e = parseEnvelope('Jun 09 13:44:03 edge postfix-edge/smtpd[12]: connect from x[1.2.3.4]', new YearTracker(ref));
  assert.ok(!('error' in e));
  assert.equal(new Date(e.ms).toISOString(), '2026-06-09T13:44:03.000Z');
  assert.equal(e.instance, 'postfix-edge');
  assert.equal(e.program, 'smtpd');
});

test('submission service tag postfix/submission/smtpd keeps the last element as program', () => {
  const e = parseEnvelope('Jun 09 13:44:03 mx postfix/submission/smtpd[12]: connect from x[1.2.3.4]', new YearTracker(ref));
  assert.ok(!('error' in e));
  assert.equal(e.instance, 'postfix/submission');
  assert.equal(e.program, 'smtpd');
});

test('ISO 8601 stamp with microseconds and an offset is converted to UTC', () => {
  const e = parseEnvelope('2026-05-16T16:13:25.137663+02:00 mail postfix/smtpd[2312]: 21957407BE: client=localhost[127.0.0.1]', new YearTracker(ref));
  assert.ok(!('error' in e));
  assert.equal(new Date(e.ms).toISOString(), '2026-05-16T14:13:25.137Z');
  assert.equal(e.host, 'mail');
});

test('RFC 5424 line', () => {
  const e = parseEnvelope('<22>1 2026-05-16T16:13:25.137663+02:00 mail postfix/smtpd 2312 - - 21957407BE: client=localhost[127.0.0.1]', new YearTracker(ref));
  assert.ok(!('error' in e));
  assert.equal(e.pid, 2312);
  assert.equal(e.program, 'smtpd');
  assert.equal(e.text, '21957407BE: client=localhost[127.0.0.1]');
});

test('RFC 5424 line with structured data', () => {
  const e = parseEnvelope('<22>1 2026-05-16T16:13:25Z mail postfix/qmgr 77 - [meta x="a\\] b"] 21957407BE: removed', new YearTracker(ref));
  assert.ok(!('error' in e));
  assert.equal(e.text, '21957407BE: removed');
});

test('year comes from the reference time, and a stamp after it belongs to the year before', () => {
  const years = new YearTracker(Date.UTC(2026, 0, 5));
  const e = parseEnvelope('Dec 31 23:59:59 h postfix/qmgr[1]: X: removed', years);
  assert.ok(!('error' in e));
  assert.equal(new Date(e.ms).getUTCFullYear(), 2025);
});

test('December → January rolls the year over', () => {
  const years = new YearTracker(Date.UTC(2026, 0, 5));
  const a = parseEnvelope('Dec 31 23:59:59 h postfix/qmgr[1]: A: removed', years);
  const b = parseEnvelope('Jan  1 00:00:01 h postfix/qmgr[1]: B: removed', years);
  assert.ok(!('error' in a) && !('error' in b));
  assert.equal(new Date(a.ms).toISOString(), '2025-12-31T23:59:59.000Z');
  assert.equal(new Date(b.ms).toISOString(), '2026-01-01T00:00:01.000Z');
});

test('a configured zone offset shifts zone-less stamps', () => {
  const e = parseEnvelope('Jun  9 13:44:03 h postfix/qmgr[1]: A: removed', new YearTracker(ref), 120);
  assert.ok(!('error' in e));
  assert.equal(new Date(e.ms).toISOString(), '2026-06-09T11:44:03.000Z');
});

test('bad envelopes are reasons, not exceptions', () => {
  const years = new YearTracker(ref);
  assert.deepEqual(pick(parseEnvelope('hello world', years)), 'unknown-format');
  assert.deepEqual(pick(parseEnvelope('Jun  9 13:44:03 host', years)), 'truncated');
  assert.deepEqual(pick(parseEnvelope('Jun  9 13:44:03 host postfix/smtpd[1]', years)), 'truncated');
  assert.deepEqual(pick(parseEnvelope('2026-13-45T99:00:00Z host postfix/smtpd[1]: x', years)), 'bad-timestamp');
  assert.deepEqual(pick(parseEnvelope('Foo  9 13:44:03 host postfix/smtpd[1]: x', years)), 'unknown-format');
  assert.deepEqual(pick(parseEnvelope('', years)), 'unknown-format');
});

function pick(r: ReturnType<typeof parseEnvelope>): string {
  return 'error' in r ? r.error : 'ok';
}

// The cases below were found by test/fuzz (postfix.test.ts, postfix-times.test.ts): times that do
// not exist were rolled over into other days, and times past year 9999 gave events a 27-character ts.
const tail = ' mx postfix/smtpd[1]: connect from x[192.0.2.1]';

test('a time that does not exist is refused, not rolled over into another day', () => {
  for (const stamp of ['2026-02-30T08:00:00Z', '2026-04-31T08:00:00Z', '2026-03-01T08:00:00+99:99', '2026-03-01T08:00:00+01:60', '<22>1 2026-02-29T08:00:00Z']) {
    const line = stamp.startsWith('<') ? `${stamp} mx postfix/smtpd 1 - - connect from x[192.0.2.1]` : `${stamp}${tail}`;
    const e = parseEnvelope(line, new YearTracker(ref));
    assert.ok('error' in e && e.error === 'bad-timestamp', `${stamp}: ${JSON.stringify(e)}`);
  }
  for (const stamp of ['Feb 30 08:00:00', 'Apr 31 08:00:00', 'Mar  1 25:00:00', 'Mar  1 08:60:00', 'Mar  1 08:00:61']) {
    const e = parseEnvelope(`${stamp}${tail}`, new YearTracker(ref));
    assert.ok('error' in e && e.error === 'bad-timestamp', `${stamp}: ${JSON.stringify(e)}`);
  }
});

test('a classic day must be digits: `Mar : 08:00:00` is no 10 March', () => {
  for (const stamp of ['Mar : 08:00:00', 'Mar A 08:00:00', 'Mar  ? 08:00:00']) {
    const e = parseEnvelope(`${stamp}${tail}`, new YearTracker(ref));
    assert.ok('error' in e && e.error === 'unknown-format', `${stamp}: ${JSON.stringify(e)}`);
  }
});

test('times outside the years 0000-9999 are refused; years 0-99 are read as written', () => {
  const far = parseEnvelope(`9999-12-31T23:59:59-12:00${tail}`, new YearTracker(ref));
  assert.ok('error' in far && far.error === 'bad-timestamp');
  // a classic stamp takes its year from the file's date, which can be anything
  const late = parseEnvelope(`Mar  1 08:00:00${tail}`, new YearTracker(8.64e15));
  assert.ok('error' in late && late.error === 'bad-timestamp');
  const early = parseEnvelope(`0050-06-01T00:00:00Z${tail}`, new YearTracker(ref));
  assert.ok(!('error' in early));
  assert.equal(new Date(early.ms).toISOString(), '0050-06-01T00:00:00.000Z');
});

test('a process id is a whole number', () => {
  for (const pid of ['1.5', '4294967296', '99999999999999999999']) {
    const e = parseEnvelope(`Mar  1 08:00:00 mx postfix/smtpd[${pid}]: connect from x[192.0.2.1]`, new YearTracker(ref));
    assert.ok('error' in e && e.error === 'unknown-format', `${pid}: ${JSON.stringify(e)}`);
  }
});

// found by test/fuzz/postfix.test.ts: an RFC 5424 line with an empty HOSTNAME gave events with no host
test('an RFC 5424 line without a host name is refused, as a classic one is', () => {
  const e = parseEnvelope('<22>1 2026-03-01T08:00:00Z  postfix/smtpd 10 - - 9CCB411AF6: client=mx11.health.example[192.0.2.82]', new YearTracker(ref));
  assert.ok('error' in e && e.error === 'unknown-format', JSON.stringify(e));
});

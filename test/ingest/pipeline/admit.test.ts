import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contractRejection } from '../../../ingest/pipeline/admit.ts';
import { newEvent, type MailEvent } from '../../../schemas/index.ts';

/**
 * The pipeline's backstop: an event that breaks the event contract (no parser emits one: the fuzz
 * tests hold them to it) is kept aside with reason schema — bad-timestamp for its time — and the
 * position of the line it came from, instead of failing the batch it would have joined.
 */
function event(patch: Partial<Record<keyof MailEvent, unknown>>): MailEvent {
  const e = Object.assign(newEvent('a1', '2026-03-01T08:00:00.000Z', 'edge', 'delivery'), { source: 'postfix', program: 'smtp', sourceFile: '/var/log/mail.log', sourceOffset: 4711 });
  return Object.assign(e, patch) as MailEvent;
}

test('a valid event passes', () => {
  assert.equal(contractRejection(event({})), undefined);
});

test('a column the store cannot hold: reason schema, the column named, the line\'s file and offset kept', () => {
  for (const [patch, column] of [[{ pid: 99_999_999_999 }, 'pid'], [{ kind: 'teleport' }, 'kind'], [{ relayPort: 70_000 }, 'relayPort'], [{ delay: Number.NaN }, 'delay'], [{ host: '' }, 'host'], [{ recipient: undefined }, 'recipient']] as const) {
    const r = contractRejection(event(patch));
    assert.ok(r, column);
    assert.equal(r.reason, 'schema');
    assert.match(r.detail, new RegExp(`\\(postfix smtp (delivery|teleport)\\): ${column}: `));
    assert.equal(r.file, '/var/log/mail.log');
    assert.equal(r.offset, 4711);
  }
});

test('an unreadable time, or one the store cannot hold, is a bad-timestamp', () => {
  const r = contractRejection(event({ ts: '+010000-01-01T00:00:00.000Z' }));
  assert.equal(r?.reason, 'bad-timestamp');
  assert.match(r!.detail, /ts: not an ISO 8601 UTC time/);
  for (const ts of ['1899-12-31T23:59:59.999Z', '2300-01-01T00:00:00.000Z', '0042-05-01T00:00:00.000Z']) {
    assert.match(contractRejection(event({ ts }))?.detail ?? '', /ts: outside the years the store holds \(1900–2299\)/, ts);
  }
  assert.equal(contractRejection(event({ ts: '1900-01-01T00:00:00.000Z' })), undefined);
  assert.equal(contractRejection(event({ ts: '2299-12-31T23:59:59.999Z' })), undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { searchHref, stateFromParams, toApiQuery } from '../../../../dashboard/src/pages/search-state.ts';

test('the id field is a Message-ID when it has @ or starts with <, else a queue id', () => {
  const q = (id: string) => toApiQuery(stateFromParams(new URLSearchParams({ id })));
  assert.equal(q('m1@example.org').messageId, 'm1@example.org');
  assert.equal(q('<m1@example.org>').messageId, '<m1@example.org>');
  assert.equal(q('<odd-id-without-at>').messageId, '<odd-id-without-at>');
  assert.equal(q('4A1B2C3D4E').queueId, '4A1B2C3D4E');
  assert.equal(q('4A1B2C3D4E').messageId, undefined);
});

test('empty and invalid filters are left out; times from the form are read as UTC', () => {
  const s = stateFromParams(new URLSearchParams('sender=+&recipient=a%40b.example&status=bogus&from=2026-03-01T08:00&to=2026-03-01T09:30:15&offset=-5&limit=7'));
  assert.deepEqual(toApiQuery(s), {
    sender: undefined, recipient: 'a@b.example', messageId: undefined, queueId: undefined, status: undefined, protection: undefined,
    from: '2026-03-01T08:00:00Z', to: '2026-03-01T09:30:15Z', limit: 50, offset: 0,
  });
  assert.equal(stateFromParams(new URLSearchParams('from=yesterday')).from, '');
});

test('the page URL keeps only what differs from the plain search', () => {
  const plain = stateFromParams(new URLSearchParams());
  assert.equal(searchHref(plain), '/');
  assert.equal(searchHref({ ...plain, recipient: 'alice@example.test', status: 'bounced', offset: 50, limit: 100 }), '/?recipient=alice%40example.test&status=bounced&offset=50&limit=100');
  const round = stateFromParams(new URL(`http://x${searchHref({ ...plain, id: '<m1@example.org>', offset: 25 })}`).searchParams);
  assert.equal(round.id, '<m1@example.org>');
  assert.equal(round.offset, 25);
  // the protection filter: a known value round-trips, anything else is left out
  assert.equal(searchHref({ ...plain, protection: 'smime-encrypted' }), '/?protection=smime-encrypted');
  assert.equal(stateFromParams(new URLSearchParams('protection=none')).protection, 'none');
  assert.equal(stateFromParams(new URLSearchParams('protection=rot13')).protection, '');
  assert.equal(toApiQuery(stateFromParams(new URLSearchParams('protection=irm'))).protection, 'irm');
});

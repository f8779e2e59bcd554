import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { runIngest } from '../../../ingest/index.ts';
import { buildApp } from '../../../query/index.ts';
import { MessageList, Summary, Trace } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

let app: FastifyInstance;
let cleanup: () => Promise<void>;
// chDB allows one data directory per process: every app in this file shares this store
let store: Store;

before(async () => {
  const t = await tempStore();
  cleanup = t.cleanup;
  store = t.store;
  await runIngest({ inputs: [join(FIXTURES, 'postfix', 'handmade-3hop.log')], store });
  app = await buildApp({ store });
});

after(async () => {
  await app.close();
  await cleanup();
});

test('GET /health answers with the store mode', async () => {
  const res = await app.inject('/health');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ok', store: 'embedded' });
});

test('search by recipient finds the message with its aggregate status and plaintext hop count', async () => {
  const res = await app.inject('/api/messages?recipient=alice@example.test');
  assert.equal(res.statusCode, 200);
  const list = MessageList.parse(res.json());
  assert.equal(list.total, 1);
  const m = list.messages[0];
  assert.equal(m.messageId, '<m1@example.org>');
  assert.equal(m.sender, 's@example.org');
  assert.deepEqual(m.hosts, ['edge', 'hub', 'mailbox'], 'hosts in path order');
  assert.deepEqual([...m.recipients].sort(), ['alice@example.test', 'nobody@example.test']);
  assert.equal(m.status, 'bounced');
  assert.equal(m.plaintextHops, 1);
  assert.equal(m.firstSeen, '2026-03-01T08:00:01.000Z');
});

test('search filters: sender, queue id, status, time range, and no match', async () => {
  const ids = async (q: string) => MessageList.parse((await app.inject(`/api/messages?${q}`)).json()).messages.map((m) => m.messageId);
  assert.deepEqual(await ids('sender=s@example.org'), ['<m1@example.org>']);
  assert.deepEqual(await ids('queueId=6C00000002'), ['<m1@example.org>']);
  assert.deepEqual(await ids('messageId=m1@example.org'), ['<m1@example.org>']);
  assert.deepEqual(await ids('status=bounced'), ['<m1@example.org>']);
  assert.deepEqual(await ids('status=delivered'), []);
  assert.deepEqual(await ids('from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z'), ['<m1@example.org>']);
  assert.deepEqual(await ids('from=2026-03-02T00:00:00Z'), []);
  assert.deepEqual(await ids('sender=nobody@else.example'), []);
});

test('invalid search input is a 400 with a code, not a 500', async () => {
  for (const q of ['status=lost', 'limit=0', 'limit=abc', 'from=yesterday', 'bogus=1']) {
    const res = await app.inject(`/api/messages?${q}`);
    assert.equal(res.statusCode, 400, q);
    assert.equal(res.json().error.code, 'MT_ERR_BAD_INPUT', q);
  }
});

test('trace by message id and by any queue id gives the same path', async () => {
  const a = Trace.parse((await app.inject('/api/messages/%3Cm1%40example.org%3E/trace')).json());
  const b = Trace.parse((await app.inject('/api/messages/6C00000002/trace')).json());
  assert.deepEqual(a, b);
  const alice = a.recipients.find((r) => r.address === 'alice@example.test');
  assert.ok(alice);
  assert.equal(alice.status, 'delivered');
  assert.deepEqual(alice.hops.map((h) => `${h.from}>${h.to}:${h.tls}`), ['client.example.org>edge:encrypted', 'edge>hub:encrypted', 'hub>mailbox:plaintext']);
  const nobody = a.recipients.find((r) => r.address === 'nobody@example.test');
  assert.equal(nobody?.status, 'bounced');
  assert.equal(nobody?.lastHost, 'hub');
  assert.deepEqual(a.related.map((r) => `${r.host}:${r.queueId}`), ['hub:7D00000003']);
});

test('trace of an unknown id is a 404 with a code', async () => {
  const res = await app.inject('/api/messages/nothing%40nowhere/trace');
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'MT_ERR_NOT_FOUND');
});

test('summary counts recipients by final status and hops by TLS', async () => {
  const s = Summary.parse((await app.inject('/api/summary')).json());
  assert.equal(s.messages, 1);
  assert.equal(s.recipientsByStatus.delivered, 1);
  // nobody@ was refused by the mailbox and bounced by the hub: one recipient, bounced
  assert.equal(s.recipientsByStatus.bounced, 1);
  assert.equal(s.recipientsByStatus.rejected, 0);
  assert.equal(s.refusedWithoutMessage, 0);
  assert.deepEqual(s.hopsByTls, { encrypted: 2, plaintext: 1, unknown: 0 });
});

test('with a token, /api needs the bearer token; /health stays open for probes', async () => {
  const secured = await buildApp({ store, token: 'correct-horse-battery-staple' });
  try {
    assert.equal((await secured.inject('/api/summary')).statusCode, 401);
    assert.equal((await secured.inject({ url: '/api/summary', headers: { authorization: 'Bearer wrong-token-wrong-token' } })).statusCode, 401);
    assert.equal((await secured.inject({ url: '/api/summary', headers: { authorization: 'Bearer correct-horse-battery-staple' } })).statusCode, 200);
    assert.equal((await secured.inject('/health')).statusCode, 200);
  } finally {
    await secured.close();
  }
});

test('a read whose answer would pass the API\'s row limit is 422 MT_ERR_QUERY_TOO_LARGE, not an answer built in memory', async () => {
  // the fixture's message has five hop rows: a limit of 2 rows per read is passed by its trace
  const small = await buildApp({ store, maxRows: 2 });
  try {
    const res = await small.inject('/api/messages/%3Cm1%40example.org%3E/trace');
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().error.code, 'MT_ERR_QUERY_TOO_LARGE');
    assert.equal((await small.inject('/api/messages?recipient=alice@example.test')).statusCode, 200, 'a read within the limit answers');
  } finally {
    await small.close();
  }
  // the limit is the view's: the store and the default app read the whole trace
  assert.equal((await app.inject('/api/messages/%3Cm1%40example.org%3E/trace')).statusCode, 200);
});

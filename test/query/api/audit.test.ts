import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { AuditLog } from '../../../query/api/audit.ts';
import { accessDdl, AUDIT_TABLE, AuditList, type AuditEntry } from '../../../schemas/index.ts';
import type { QueryParams, Store } from '../../../store/index.ts';
import { accessConfig, ADMIN, auth, ENV_TOKEN, openWorld, VIEWER, type World } from './access-world.ts';

let world: World;
before(async () => { world = await openWorld(); });
after(() => world.cleanup());

const ID = '<m1@example.org>';
const traceUrl = (id: string) => `/api/messages/${encodeURIComponent(id)}/trace`;

test('every trace lookup is audited with the token\'s name, role, the id and the client address; the admin route lists them newest first', async () => {
  const { app } = await world.app({ token: ENV_TOKEN, access: accessConfig(true) });
  const started = Date.now();
  assert.equal((await app.inject({ url: traceUrl(ID), headers: auth(VIEWER) })).statusCode, 200);
  assert.equal((await app.inject({ url: traceUrl('6C00000002'), headers: auth(ADMIN) })).statusCode, 200);
  assert.equal((await app.inject({ url: traceUrl('nothing@nowhere'), headers: auth(ENV_TOKEN), remoteAddress: '192.0.2.7' })).statusCode, 404, 'a lookup that finds nothing is a lookup too');
  assert.equal((await app.inject({ url: traceUrl(ID) })).statusCode, 401, 'a refused request looked nothing up');
  assert.equal((await app.inject({ url: '/api/messages', headers: auth(VIEWER) })).statusCode, 200, 'a search is not a lookup');

  const res = await app.inject({ url: '/api/admin/audit?limit=10', headers: auth(ADMIN) });
  assert.equal(res.statusCode, 200, res.body);
  const { entries } = AuditList.parse(res.json());
  // the admin route shows redaction nothing (only viewers are redacted) and the ids as sent
  assert.deepEqual(entries.map(({ actor, role, action, target, ip }) => ({ actor, role, action, target, ip })), [
    { actor: 'MAILTRACE_TOKEN', role: 'admin', action: 'trace', target: 'nothing@nowhere', ip: '192.0.2.7' },
    { actor: 'ops', role: 'admin', action: 'trace', target: '6C00000002', ip: '127.0.0.1' },
    { actor: 'helpdesk', role: 'viewer', action: 'trace', target: ID, ip: '127.0.0.1' },
  ]);
  for (const e of entries) assert.ok(Date.parse(e.at) >= started - 1000 && Date.parse(e.at) <= Date.now(), e.at);
  assert.equal(AuditList.parse((await app.inject({ url: '/api/admin/audit?limit=1', headers: auth(ADMIN) })).json()).entries.length, 1);
  assert.equal((await app.inject({ url: '/api/admin/audit?limit=0', headers: auth(ADMIN) })).statusCode, 400);
  assert.equal((await app.inject({ url: '/api/admin/audit', headers: auth(VIEWER) })).statusCode, 403);
  assert.equal((await app.inject('/api/admin/audit')).statusCode, 401);
});

test('an open API (no token, loopback) audits its lookups as loopback-open', async () => {
  const { app } = await world.app();
  assert.equal((await app.inject(traceUrl('5B00000001'))).statusCode, 200);
  const { entries } = AuditList.parse((await app.inject('/api/admin/audit?limit=1')).json());
  assert.deepEqual(entries.map((e) => [e.actor, e.role, e.target]), [['loopback-open', 'admin', '5B00000001']]);
});

/** a pino-compatible logger that keeps what is logged at error level */
function captureLog(): { log: FastifyBaseLogger; errors: Record<string, unknown>[] } {
  const errors: Record<string, unknown>[] = [];
  const log = { error: (obj: Record<string, unknown>, msg: string) => errors.push({ ...obj, msg }), child: () => log } as unknown as FastifyBaseLogger;
  return { log, errors };
}

/** A store whose audit inserts are recorded, and fail while `failing` says so. */
function insertStore(state: { failing: boolean; inserts: string[][]; hang?: boolean }): Store {
  return {
    database: 'mailtrace',
    command: async (_sql: string, params: QueryParams) => {
      if (state.hang) return new Promise<void>(() => {});
      if (state.failing) throw new Error('disk full');
      state.inserts.push(params.target as string[]);
    },
  } as unknown as Store;
}

const fakeRequest = (name: string) => ({ ip: '127.0.0.1', headers: {}, name }) as never;

test('rows are written in small batches; a failed batch goes to the log with its rows, and later batches are written again', async () => {
  const state = { failing: false, inserts: [] as string[][] };
  const { log, errors } = captureLog();
  const audit = new AuditLog(() => insertStore(state), log, { maxItems: 3, maxDelayMs: 60_000 });
  for (let i = 0; i < 7; i++) audit.record(fakeRequest('x'), 'trace', `id${i}`);
  await audit.drain();
  assert.deepEqual(state.inserts, [['id0', 'id1', 'id2'], ['id3', 'id4', 'id5'], ['id6']]);

  state.failing = true;
  audit.record(fakeRequest('x'), 'trace', 'lost-1');
  await audit.drain();
  assert.equal(audit.dropped, 1);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0].msg), /could not be written/);
  assert.deepEqual((errors[0].audit as AuditEntry[]).map((e) => e.target), ['lost-1'], 'the row is in the log line');

  state.failing = false;
  audit.record(fakeRequest('x'), 'trace', 'after');
  await audit.close();
  assert.deepEqual(state.inserts.at(-1), ['after'], 'the batcher kept working after the failure');
});

test('rows waiting for a store that hangs are bounded: past the bound they go to the log only', async () => {
  const state = { failing: false, inserts: [] as string[][], hang: true };
  const { log, errors } = captureLog();
  const audit = new AuditLog(() => insertStore(state), log, { maxItems: 1, maxDelayMs: 60_000, maxPending: 2 });
  for (const id of ['a', 'b', 'c', 'd']) audit.record(fakeRequest('x'), 'trace', id);
  assert.equal(audit.dropped, 2);
  assert.deepEqual(errors.map((e) => (e.audit as AuditEntry[])[0].target), ['c', 'd']);
});

test('when the audit table cannot be written the lookup still answers, and the rows are in the server log', async () => {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const { app } = await world.app({ access: accessConfig(false), logger: { level: 'error', stream } });
  await world.store.command(`DROP TABLE ${world.store.database}.${AUDIT_TABLE}`);
  try {
    const res = await app.inject({ url: traceUrl(ID), headers: auth(VIEWER) });
    assert.equal(res.statusCode, 200, res.body);
    await app.close();
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; audit?: AuditEntry[] }).find((l) => /audit rows could not be written/.test(l.msg));
    assert.ok(logged, lines.join(''));
    assert.deepEqual(logged.audit?.map((e) => [e.actor, e.target]), [['helpdesk', ID]]);
  } finally {
    for (const sql of accessDdl(world.store.database)) await world.store.command(sql);
  }
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { applyAuditRetention, AuditLog } from '../../../query/api/audit.ts';
import { accessDdl, AUDIT_TABLE, AuditList, ConfigFile, type AuditEntry } from '../../../schemas/index.ts';
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

/** the audit table's definition as the engine states it */
async function auditTable(store: Store): Promise<string> {
  const [row] = await store.query<{ statement: string }>(`SHOW CREATE TABLE ${store.database}.${AUDIT_TABLE}`);
  return row?.statement ?? '';
}
const ttlOf = (statement: string) => /\nTTL (.*)\n/.exec(statement)?.[1];

/** Wait until `check` holds: a probe with a deadline (the server applies the retention after it listens, without making listen wait). */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await delay(20);
  }
}

test('the audit log keeps a year by default: a fresh store\'s table is created with that TTL', async () => {
  assert.equal(ttlOf(await auditTable(world.store)), 'toDateTime(at) + toIntervalDay(365)');
  assert.equal(ConfigFile.parse({ access: { auditRetentionDays: 30 } }).access.auditRetentionDays, 30);
  for (const days of [0, -1, 1.5, '30', 36_501]) assert.equal(ConfigFile.safeParse({ access: { auditRetentionDays: days } }).success, false, String(days));
});

test('the server applies the configured retention when it starts, to a table made before retention existed too; entries past it are deleted', async () => {
  const { store } = world;
  const table = `${store.database}.${AUDIT_TABLE}`;
  // the table as stores made before this release have it: no TTL
  await store.command(`DROP TABLE ${table}`);
  await store.command(accessDdl(store.database)[0].replace(/\n\s*TTL .*$/, ''));
  assert.equal(ttlOf(await auditTable(store)), undefined);
  await store.command(`INSERT INTO ${table} (at, actor, role, action, target, ip) VALUES (now64(3) - INTERVAL 40 DAY, 'ops', 'admin', 'trace', 'old', ''), (now64(3) - INTERVAL 1 DAY, 'ops', 'admin', 'trace', 'recent', '')`);
  try {
    const { app } = await world.app({ access: { ...accessConfig(false), auditRetentionDays: 30 } });
    assert.equal((await app.inject({ url: '/api/admin/audit', headers: auth(ADMIN) })).statusCode, 200);
    assert.equal(ttlOf(await auditTable(store)), undefined, 'an app that only answers inject (every test) leaves the table alone');
    await app.listen({ host: '127.0.0.1', port: 0 });
    await until('the configured TTL', async () => ttlOf(await auditTable(store)) === 'toDateTime(at) + toIntervalDay(30)');
    await store.command(`OPTIMIZE TABLE ${table} FINAL`);
    assert.deepEqual((await store.query<{ target: string }>(`SELECT target FROM ${table} ORDER BY at`)).map((r) => r.target), ['recent']);
    await app.close();
    // without the key, the default
    const { app: again } = await world.app({ access: accessConfig(false) });
    await again.listen({ host: '127.0.0.1', port: 0 });
    await until('the default TTL', async () => ttlOf(await auditTable(store)) === 'toDateTime(at) + toIntervalDay(365)');
    await again.close();
  } finally {
    await store.command(`DROP TABLE ${table}`);
    for (const sql of accessDdl(store.database)) await store.command(sql);
  }
});

test('a retention the table already has is not applied again (that would rewrite the table); one that cannot be applied is logged and the server runs', async () => {
  const commands: string[] = [];
  const counting = { database: world.store.database, query: world.store.query.bind(world.store), command: async (sql: string) => { commands.push(sql); await world.store.command(sql); } } as unknown as Store;
  const { log, errors } = captureLog();
  await applyAuditRetention(() => counting, 365, log);
  assert.equal(commands.length, 0, 'the default is what the table has');
  await applyAuditRetention(() => counting, 90, log);
  await applyAuditRetention(() => counting, 90, log);
  assert.deepEqual(commands.map((c) => c.replace(/^.* MODIFY TTL /, '')), ['toDateTime(at) + toIntervalDay(90)']);
  await applyAuditRetention(() => counting, 365, log);
  assert.equal(ttlOf(await auditTable(world.store)), 'toDateTime(at) + toIntervalDay(365)');
  assert.deepEqual(errors, []);

  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  await world.store.command(`DROP TABLE ${world.store.database}.${AUDIT_TABLE}`);
  try {
    const { app } = await world.app({ access: { ...accessConfig(false), auditRetentionDays: 30 }, logger: { level: 'error', stream } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    await until('the failure logged', () => lines.some((l) => /retention could not be applied/.test(l)));
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    await app.close();
  } finally {
    for (const sql of accessDdl(world.store.database)) await world.store.command(sql);
  }
});

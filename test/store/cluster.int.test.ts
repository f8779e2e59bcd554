import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { auditRetentionDdl, clusterDdlStatements, ddlStatements, forCluster, LOCAL_SUFFIX, SHARDING_KEYS } from '../../schemas/index.ts';
import { tempStore } from '../helpers/store.ts';

/**
 * `mailtrace db init --cluster NAME` (schemas/cluster.ts). No ClickHouse cluster runs on the test
 * machines, so what can run here is run: every generated statement is parsed by the embedded
 * engine (EXPLAIN AST), and every replicated table, with ON CLUSTER and its Keeper arguments taken
 * out again, is created by it with its ALTERs applied, its sharding key evaluated and checked to be
 * part of the sort key (rows that replace one another meet on one shard). The rest — the ON
 * CLUSTER clauses, the Replicated engines' Keeper paths, the Distributed engines — is pinned by
 * a snapshot (test/fixtures/cluster/schema.sql; UPDATE_SNAPSHOTS=1 writes it again after a
 * deliberate change). The runtime side on a cluster (a store that finds Distributed tables checks
 * them instead of applying DDL, and inserts wait for every shard) is UNVERIFIED here.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const SNAPSHOT = join(ROOT, 'test', 'fixtures', 'cluster', 'schema.sql');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-cluster-'));
after(() => rmSync(work, { recursive: true, force: true }));

const single = ddlStatements('mailtrace');
const cluster = clusterDdlStatements('mailtrace', 'mail');
const tables = single.map((s) => /^CREATE TABLE IF NOT EXISTS mailtrace\.(\w+) /.exec(s)?.[1]).filter((t): t is string => t !== undefined);

test('every table of the single-node schema has a replicated local table and a Distributed one over it, sharded', () => {
  assert.ok(tables.length >= 8, tables.join(' '));
  for (const t of tables) {
    const local = cluster.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS mailtrace.${t}${LOCAL_SUFFIX} ON CLUSTER \`mail\` (`));
    assert.ok(local, `${t}_local`);
    assert.match(local, new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/mailtrace/${t}${LOCAL_SUFFIX}', '\\{replica\\}'`));
    const dist = cluster.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS mailtrace.${t} ON CLUSTER`));
    assert.equal(dist, `CREATE TABLE IF NOT EXISTS mailtrace.${t} ON CLUSTER \`mail\` AS mailtrace.${t}${LOCAL_SUFFIX} ENGINE = Distributed('mail', 'mailtrace', '${t}${LOCAL_SUFFIX}', ${SHARDING_KEYS[t]})`);
    // created in that order: the Distributed table copies the local one's columns
    assert.ok(cluster.indexOf(local) < cluster.indexOf(dist));
  }
  assert.deepEqual(Object.keys(SHARDING_KEYS).sort(), [...tables].sort(), 'a sharding key for every table and no other');
  assert.ok(cluster.every((s) => s.includes('ON CLUSTER `mail`')), 'every statement runs on every node');
});

test('a statement the cluster form does not know is refused, not passed on; a bad cluster name too', () => {
  assert.throws(() => forCluster('DROP TABLE mailtrace.events', 'mail'), /does not know how to carry over/);
  assert.throws(() => forCluster('CREATE TABLE IF NOT EXISTS mailtrace.unknown (a String) ENGINE = MergeTree ORDER BY a', 'mail'), /does not know how to carry over/);
  assert.throws(() => clusterDdlStatements('mailtrace', "mail'; DROP"), /not a cluster name/);
  // the server's audit retention on a cluster: the local tables, on every node
  assert.deepEqual(forCluster(auditRetentionDdl('mailtrace', 30), 'mail'), [`ALTER TABLE mailtrace.audit_log${LOCAL_SUFFIX} ON CLUSTER \`mail\` MODIFY TTL toDateTime(at) + toIntervalDay(30)`]);
});

test('the embedded engine parses every statement, and creates every local table (Keeper and cluster parts taken out) with its ALTERs and sharding key', async () => {
  const { store, cleanup } = await tempStore();
  try {
    for (const sql of cluster) await store.query(`EXPLAIN AST ${sql}`);
    // the same statements in a scratch database, as one node without Keeper would take them
    const local = (sql: string) => sql.replaceAll('mailtrace.', 'scratch.').replace(/^CREATE DATABASE IF NOT EXISTS mailtrace/, 'CREATE DATABASE IF NOT EXISTS scratch')
      .replace(' ON CLUSTER `mail`', '')
      .replace(/ENGINE = Replicated(\w*MergeTree)\('[^']*', '\{replica\}'(?:, )?([^)]*)\)/, (_m, engine: string, args: string) => `ENGINE = ${engine}${args ? `(${args})` : ''}`)
      // a Distributed table needs the cluster: a Null table AS the local one stands in for its columns
      .replace(/ENGINE = Distributed\(.*\)$/, 'ENGINE = Null');
    for (const sql of cluster) await store.command(local(sql));
    const rows = await store.query<{ name: string; engine: string; sorting_key: string }>("SELECT name, engine, sorting_key FROM system.tables WHERE database = 'scratch'");
    for (const t of tables) {
      const l = rows.find((r) => r.name === `${t}${LOCAL_SUFFIX}`);
      assert.ok(l && /MergeTree$/.test(l.engine), `${t}_local: ${JSON.stringify(l)}`);
      const key = SHARDING_KEYS[t];
      await store.query(`SELECT ${key} AS k FROM scratch.${t}${LOCAL_SUFFIX} LIMIT 0`);
      const column = /^cityHash64\((\w+)\)$/.exec(key)?.[1];
      if (column) assert.ok(l.sorting_key.split(', ').includes(column), `${t}: sharding column ${column} is in the sort key (${l.sorting_key})`);
      else assert.equal(l.engine, 'MergeTree', `${t}: a random sharding key only for a table that never replaces rows`);
      const cols = async (name: string) => (await store.query<{ name: string }>('SELECT name FROM system.columns WHERE database = {d:String} AND table = {t:String} ORDER BY position', { d: 'scratch', t: name })).map((r) => r.name);
      assert.deepEqual(await cols(t), await cols(`${t}${LOCAL_SUFFIX}`), `${t}: the Distributed table has the local one's columns`);
    }
  } finally {
    await cleanup();
  }
});

test('the generated SQL is the snapshot (ON CLUSTER, Keeper paths, Distributed engines: what cannot run here)', () => {
  const sql = cluster.map((s) => `${s};\n`).join('\n');
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(SNAPSHOT)) {
    if (process.env.CI === 'true' && !existsSync(SNAPSHOT)) assert.fail(`${SNAPSHOT} is missing`);
    writeFileSync(SNAPSHOT, sql);
  }
  assert.equal(sql, readFileSync(SNAPSHOT, 'utf8'), 'the cluster schema changed: check it, then UPDATE_SNAPSHOTS=1');
});

test('mailtrace db init: --print writes the cluster SQL; --cluster refuses the embedded store; plain init creates the tables', () => {
  const printed = spawnSync(process.execPath, [BIN, 'db', 'init', '--cluster', 'mail', '--print'], { encoding: 'utf8' });
  assert.equal(printed.status, 0, printed.stderr);
  assert.equal(printed.stdout, readFileSync(SNAPSHOT, 'utf8'));
  const keeper = spawnSync(process.execPath, [BIN, 'db', 'init', '--cluster', 'mail', '--keeper-path', '/ch/{shard}', '--print'], { encoding: 'utf8' });
  assert.match(keeper.stdout, /ReplicatedReplacingMergeTree\('\/ch\/\{shard\}\/mailtrace\/events_local', '\{replica\}'\)/);
  const embedded = spawnSync(process.execPath, [BIN, 'db', 'init', '--cluster', 'mail', '--data', join(work, 'x')], { encoding: 'utf8' });
  assert.equal(embedded.status, 2);
  assert.match(embedded.stderr, /--cluster needs a ClickHouse server/);
  assert.equal(existsSync(join(work, 'x')), false, 'nothing created');
  const plain = spawnSync(process.execPath, [BIN, 'db', 'init', '--data', join(work, 'plain')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stderr, /the schema is in place/);
});

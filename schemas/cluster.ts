import { AUDIT_TABLE } from './access.ts';
import { ddlStatements, EVENTS_TABLE, FILES_TABLE, HOPS_TABLE, MESSAGES_TABLE, META_TABLE, REJECTED_TABLE } from './ddl.ts';
import { INCIDENTS_TABLE } from './policy.ts';

/**
 * The schema on a ClickHouse cluster (`mailtrace db init --cluster NAME`), derived statement by
 * statement from the single-node DDL (schemas/ddl.ts), so a table is defined once:
 *   - each table T becomes `T_local` on every node (ON CLUSTER), its engine replicated
 *     (ReplacingMergeTree → ReplicatedReplacingMergeTree with a Keeper path per shard and the
 *     `{replica}` macro), and `T` a Distributed table over the `T_local`s, which every reader and
 *     writer of mailtrace uses by its usual name;
 *   - the sharding key keeps every row that may replace another on one shard (ReplacingMergeTree
 *     merges within a shard only): an event's id, a message's key for its hops and its row, a
 *     file's fingerprint, an incident's key;
 *   - column additions go to both tables; index and TTL changes to the local one.
 * A statement of the single-node DDL that this does not know how to carry over is an error, so a
 * schema change cannot silently miss the cluster. Needs the `{shard}` and `{replica}` macros and
 * ClickHouse Keeper (or ZooKeeper) on the cluster's nodes; targets ClickHouse >= 23.8 like the rest.
 */
export const LOCAL_SUFFIX = '_local';

export const SHARDING_KEYS: Readonly<Record<string, string>> = {
  [EVENTS_TABLE]: 'cityHash64(id)',
  [REJECTED_TABLE]: 'cityHash64(sourceFile)',
  [HOPS_TABLE]: 'cityHash64(messageKey)',
  [MESSAGES_TABLE]: 'cityHash64(messageKey)',
  [META_TABLE]: 'cityHash64(key)',
  [FILES_TABLE]: 'cityHash64(fingerprint)',
  [INCIDENTS_TABLE]: 'cityHash64(key)',
  // append-only, never replaced: spread evenly
  [AUDIT_TABLE]: 'rand()',
};

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** a cluster name as config.xml's remote_servers names it */
export function checkClusterName(cluster: string): string {
  if (!NAME.test(cluster)) throw new RangeError(`"${cluster}" is not a cluster name (letters, digits, _ . -)`);
  return cluster;
}

export interface ClusterDdlOptions {
  /** where each shard's replicas meet in Keeper (default /clickhouse/tables/{shard}) */
  keeperPrefix?: string;
}

export function clusterDdlStatements(db: string, cluster: string, opts: ClusterDdlOptions = {}): string[] {
  return ddlStatements(db).flatMap((sql) => forCluster(sql, cluster, opts));
}

/** One statement of the single-node DDL (or a later ALTER of it) as the cluster runs it. */
export function forCluster(sql: string, cluster: string, opts: ClusterDdlOptions = {}): string[] {
  checkClusterName(cluster);
  const on = `ON CLUSTER \`${cluster}\``;
  const prefix = opts.keeperPrefix ?? '/clickhouse/tables/{shard}';
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  let m: RegExpExecArray | null;
  if ((m = /^CREATE DATABASE IF NOT EXISTS (\w+)$/.exec(sql))) return [`CREATE DATABASE IF NOT EXISTS ${m[1]} ${on}`];
  if ((m = /^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+) \(/.exec(sql))) {
    const [, d, table] = m;
    const engineAt = sql.lastIndexOf(') ENGINE = ');
    const columns = sql.slice(m[0].length, engineAt);
    const em = /^\) ENGINE = (\w*MergeTree)(?:\(([^)]*)\))?([\s\S]*)$/.exec(sql.slice(engineAt));
    const key = SHARDING_KEYS[table];
    if (!em || !key) throw new Error(`the cluster schema does not know how to carry over: ${sql.slice(0, 120)}`);
    const [, engine, args, rest] = em;
    const local = `${table}${LOCAL_SUFFIX}`;
    const replicated = [q(`${prefix}/${d}/${local}`), q('{replica}'), ...(args ? [args] : [])].join(', ');
    return [
      `CREATE TABLE IF NOT EXISTS ${d}.${local} ${on} (${columns}) ENGINE = Replicated${engine}(${replicated})${rest}`,
      `CREATE TABLE IF NOT EXISTS ${d}.${table} ${on} AS ${d}.${local} ENGINE = Distributed(${q(cluster)}, ${q(d)}, ${q(local)}, ${key})`,
    ];
  }
  // new columns on both tables; indexes and TTLs belong to the tables that hold the rows
  if ((m = /^ALTER TABLE (\w+)\.(\w+) (ADD COLUMN [\s\S]*)$/.exec(sql))) return [`ALTER TABLE ${m[1]}.${m[2]}${LOCAL_SUFFIX} ${on} ${m[3]}`, `ALTER TABLE ${m[1]}.${m[2]} ${on} ${m[3]}`];
  if ((m = /^ALTER TABLE (\w+)\.(\w+) ((?:ADD INDEX|MODIFY TTL) [\s\S]*)$/.exec(sql))) return [`ALTER TABLE ${m[1]}.${m[2]}${LOCAL_SUFFIX} ${on} ${m[3]}`];
  throw new Error(`the cluster schema does not know how to carry over: ${sql.slice(0, 120)}`);
}

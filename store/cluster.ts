import { clusterDdlStatements, EVENTS_TABLE, MailtraceError, type ClusterDdlOptions, type StoreConfig } from '../schemas/index.ts';
import { connect } from './connect.ts';

/**
 * `mailtrace db init --cluster`: run the cluster schema (schemas/cluster.ts) on a node of a
 * ClickHouse cluster, statement by statement (each ON CLUSTER: every node answers, or the
 * statement fails and says which it was). Refuses a node where a plain events table exists.
 */
export async function applyClusterSchema(config: Extract<StoreConfig, { kind: 'server' }>, cluster: string, opts: ClusterDdlOptions, say: (msg: string) => void): Promise<number> {
  const statements = clusterDdlStatements(config.database, cluster, opts);
  const conn = await connect(config);
  try {
    // a plain events table on this node (a mailtrace that ran before without the cluster) would
    // keep its name: the Distributed table could not take it
    const rs = await conn.client.query({ query: 'SELECT engine FROM system.tables WHERE database = {db:String} AND name = {t:String}', query_params: { db: config.database, t: EVENTS_TABLE }, format: 'JSONEachRow' });
    const [row] = await rs.json<{ engine: string }>();
    if (row && row.engine !== 'Distributed') {
      throw new MailtraceError('MT_ERR_BAD_CONFIG', `${config.database}.${EVENTS_TABLE} on this node is a ${row.engine} table, not the cluster's Distributed one (a mailtrace ran here without --cluster): rename or move its tables away first, then run this again and copy the rows into the Distributed tables`);
    }
    say(`creating the schema on cluster ${cluster} (${statements.length} statements, each ON CLUSTER: every node answers, or the statement fails)`);
    for (const [i, sql] of statements.entries()) {
      try {
        await conn.client.command({ query: sql, clickhouse_settings: { max_execution_time: 0 } });
      } catch (err) {
        throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `statement ${i + 1} of ${statements.length} failed: ${(err as Error).message}\n  ${sql.split('\n')[0]}`, { cause: err });
      }
      if ((i + 1) % 10 === 0 || i + 1 === statements.length) say(`${i + 1}/${statements.length}`);
    }
    return statements.length;
  } finally {
    await conn.client.close();
  }
}

import { parseArgs } from 'node:util';
import { checkClusterName, clusterDdlStatements, ddlStatements, EVENTS_TABLE, MailtraceError, type StoreConfig } from '../schemas/index.ts';
import { connect } from '../store/connect.ts';
import type { Store } from '../store/index.ts';
import { storeConfig, type Settings } from './config.ts';
import { HELP } from './help.ts';

/**
 * `mailtrace db init [--cluster NAME]`: create (or bring up to date) the store's tables. Without
 * --cluster every process does this at start anyway; with it, replicated tables on every node of a
 * ClickHouse cluster and Distributed tables over them (schemas/cluster.ts), which the processes
 * then use without touching the schema. `--print` writes the SQL instead, for a DBA to apply.
 */
export async function dbCommand(args: string[], readEnv: () => Settings, openStore: (cfg: StoreConfig) => Promise<Store>): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    cluster: { type: 'string' }, 'keeper-path': { type: 'string' }, print: { type: 'boolean' },
    data: { type: 'string' }, clickhouse: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } });
  if (values.help) {
    process.stdout.write(`${HELP.db}\n`);
    return 0;
  }
  const usage = (why: string) => {
    process.stderr.write(`mailtrace db: ${why}\n\n${HELP.db}\n`);
    return 2;
  };
  if (positionals.length !== 1 || positionals[0] !== 'init') return usage(positionals.length === 0 ? 'which action? (init)' : `unknown action: ${positionals.join(' ')}`);
  if (values['keeper-path'] !== undefined && values.cluster === undefined) return usage('--keeper-path goes with --cluster');
  if (values['keeper-path'] !== undefined && !/^\/[\w{}./-]*$/.test(values['keeper-path'])) return usage(`--keeper-path ${values['keeper-path']}: a Keeper path (/…, letters, digits, _ . - / and {macros})`);
  if (values.cluster !== undefined) {
    try {
      checkClusterName(values.cluster);
    } catch (err) {
      return usage((err as Error).message);
    }
  }
  const say = (msg: string) => process.stderr.write(`mailtrace: ${msg}\n`);
  const settings = readEnv();
  const cfg = storeConfig(values, settings);
  const database = cfg.kind === 'server' ? cfg.database : 'mailtrace';
  const statements = values.cluster !== undefined ? clusterDdlStatements(database, values.cluster, { keeperPrefix: values['keeper-path'] }) : ddlStatements(database);
  if (values.print) {
    process.stdout.write(statements.map((s) => `${s};\n`).join('\n'));
    return 0;
  }
  if (values.cluster === undefined) {
    const store = await openStore(cfg);
    await store.close();
    say(`the schema is in place (${cfg.kind === 'server' ? 'ClickHouse server' : cfg.dataDir}, ${statements.length} statements, every one idempotent)`);
    return 0;
  }
  if (cfg.kind !== 'server') return usage('--cluster needs a ClickHouse server: --clickhouse URL (or $MAILTRACE_CLICKHOUSE_URL), one of the cluster\'s nodes');
  const conn = await connect(cfg);
  try {
    // a plain events table on this node (a mailtrace that ran before without the cluster) would
    // keep its name: the Distributed table could not take it
    const rs = await conn.client.query({ query: 'SELECT engine FROM system.tables WHERE database = {db:String} AND name = {t:String}', query_params: { db: database, t: EVENTS_TABLE }, format: 'JSONEachRow' });
    const [row] = await rs.json<{ engine: string }>();
    if (row && row.engine !== 'Distributed') {
      throw new MailtraceError('MT_ERR_BAD_CONFIG', `${database}.${EVENTS_TABLE} on this node is a ${row.engine} table, not the cluster's Distributed one (a mailtrace ran here without --cluster): rename or move its tables away first, then run this again and copy the rows into the Distributed tables`);
    }
    say(`creating the schema on cluster ${values.cluster} (${statements.length} statements, each ON CLUSTER: every node answers, or the statement fails)`);
    for (const [i, sql] of statements.entries()) {
      try {
        await conn.client.command({ query: sql, clickhouse_settings: { max_execution_time: 0 } });
      } catch (err) {
        throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `statement ${i + 1} of ${statements.length} failed: ${(err as Error).message}\n  ${sql.split('\n')[0]}`, { cause: err });
      }
      if ((i + 1) % 10 === 0 || i + 1 === statements.length) say(`${i + 1}/${statements.length}`);
    }
    say(`the cluster schema is in place: mailtrace ingest, sink and serve use ${database}'s Distributed tables from any node`);
    return 0;
  } finally {
    await conn.client.close();
  }
}

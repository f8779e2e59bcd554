import { parseArgs } from 'node:util';
import { checkClusterName, clusterDdlStatements, ddlStatements, type StoreConfig } from '../schemas/index.ts';
import { applyClusterSchema, type Store } from '../store/index.ts';
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
  await applyClusterSchema(cfg, values.cluster, { keeperPrefix: values['keeper-path'] }, say);
  say(`the cluster schema is in place: mailtrace ingest, sink and serve use ${database}'s Distributed tables from any node`);
  return 0;
}

import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { MailtraceError, type StoreConfig } from '../schemas/index.ts';

/** Raw insert into the embedded engine: the TSV buffer goes to the engine's own parser, no SQL parsing. */
export type RawInsert = (table: string, columns: readonly string[], tsv: Buffer) => Promise<void>;

export interface Connected {
  client: ClickHouseClient;
  database: string;
  mode: 'embedded' | 'server';
  rawInsert: RawInsert | undefined;
}

const LOCK_HINT = /Cannot lock file|Another server instance in same directory/i;

/**
 * The one place that opens the engine. Embedded: chDB in-process on a data directory (one process
 * may own it; a second gets MT_ERR_STORE_LOCKED with advice instead of the engine's lock error).
 * Server: the same client over HTTP.
 */
export async function connect(config: StoreConfig): Promise<Connected> {
  if (config.kind === 'server') {
    const client = createClient({
      url: config.url,
      username: config.username,
      password: config.password,
      request_timeout: 60_000,
    });
    const ping = await client.ping();
    if (!ping.success) throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `ClickHouse at ${redactUrl(config.url)} did not answer`, { cause: ping.error });
    return { client, database: config.database, mode: 'server', rawInsert: undefined };
  }
  const { mkdirSync } = await import('node:fs');
  mkdirSync(config.dataDir, { recursive: true });
  const { createChdbConnection } = await import('chdb/connection');
  let connection: ReturnType<typeof createChdbConnection>;
  try {
    connection = createChdbConnection({ path: config.dataDir });
    // Opening is lazy in some versions: touch the engine now so a lock error surfaces here.
    await connection.chdb.queryAsync('SELECT 1', { format: 'CSV' });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (LOCK_HINT.test(text)) {
      throw new MailtraceError('MT_ERR_STORE_LOCKED', `the data directory ${config.dataDir} is in use by another mailtrace process (is \`mailtrace serve\` running? point --server at it, or stop it)`, { cause: err });
    }
    throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `cannot open the embedded store in ${config.dataDir}: ${text}`, { cause: err });
  }
  // chdb types its connection against @clickhouse/client-common while the client bundles its own
  // copy of the same interface; the shapes match at run time (pinned versions, covered by store tests).
  type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection: connection as unknown as ClientConnection });
  const rawInsert: RawInsert = async (table, columns, tsv) => {
    await connection.chdb.rawInsert({ table, columns, values: tsv, format: 'TabSeparated' });
  };
  return { client, database: 'mailtrace', mode: 'embedded', rawInsert };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.username = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

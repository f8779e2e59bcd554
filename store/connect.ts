import { readFileSync } from 'node:fs';
import { writeFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { MailtraceError, type StoreConfig } from '../schemas/index.ts';

/** Raw insert into the embedded engine: the TSV buffer goes to the engine's own parser, no SQL parsing. */
export type RawInsert = (table: string, columns: readonly string[], tsv: Buffer) => Promise<void>;

export interface Connected {
  client: ClickHouseClient;
  database: string;
  mode: 'embedded' | 'server';
  rawInsert: RawInsert | undefined;
  /** embedded: the data directory (batch files for fast loads are written under it) */
  dataDir?: string;
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
  const lockedBy = lockOwner(config.dataDir);
  // checked first: the engine would print its own lock error to stderr before throwing
  if (lockedBy !== undefined) throw lockedError(config.dataDir, lockedBy);
  let connection: ReturnType<typeof createChdbConnection>;
  try {
    connection = createChdbConnection({ path: config.dataDir });
    // Opening is lazy in some versions: touch the engine now so a lock error surfaces here.
    await connection.chdb.queryAsync('SELECT 1', { format: 'CSV' });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const owner = lockOwner(config.dataDir);
    if (owner !== undefined || LOCK_HINT.test(text)) {
      throw lockedError(config.dataDir, owner, err);
    }
    throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `cannot open the embedded store in ${config.dataDir}: ${text}`, { cause: err });
  }
  // chdb types its connection against @clickhouse/client-common while the client bundles its own
  // copy of the same interface; the shapes match at run time (pinned versions, covered by store tests).
  type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection: connection as unknown as ClientConnection });
  // Not chdb's rawInsert: when the process's stdin is not a terminal (`ingest -` from a pipe or a
  // file) the engine takes stdin for an insert's external data and refuses the inlined rows
  // (NOT_IMPLEMENTED: "both inlined and external data"). A file the engine reads itself, typed by
  // the table it goes into, has no such ambiguity.
  let seq = 0;
  const rawInsert: RawInsert = async (table, columns, tsv) => {
    // named like the store's batch files, which a later open removes if a kill left them
    const path = join(resolve(config.dataDir), `.insert-${process.pid}-${1_000_000_000 + ++seq}.tsv`);
    await writeFile(path, tsv);
    try {
      await client.command({ query: `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) SELECT * FROM file({path:String}, 'TabSeparated')`, query_params: { path } });
    } finally {
      await rm(path, { force: true });
    }
  };
  return { client, database: 'mailtrace', mode: 'embedded', rawInsert, dataDir: config.dataDir };
}

function lockedError(dataDir: string, pid: number | undefined, cause?: unknown): MailtraceError {
  return new MailtraceError('MT_ERR_STORE_LOCKED', `the data directory ${dataDir} is in use by another mailtrace process${pid ? ` (pid ${pid})` : ''}: wait for it or stop it (while \`mailtrace serve\` runs, \`mailtrace ingest\` and \`trace\` go through it)`, { cause });
}

/**
 * The engine prints its lock error to stderr and throws a generic one; the lock itself is the
 * `status` file it keeps in the data directory, which names the owning process.
 */
function lockOwner(dataDir: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(join(dataDir, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/PID:\s*(\d+)/.exec(status)?.[1]);
  if (!pid || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
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

import { readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseSettings } from '@clickhouse/client';
import {
  ddlStatements, EVENT_COLUMNS, EVENTS_TABLE, FILES_TABLE, HOP_COLUMN_TYPES, HOPS_TABLE, MailtraceError, MESSAGE_COLUMN_TYPES, MESSAGES_TABLE, META_TABLE, REJECTED_TABLE,
  type MailEvent, type QueryLimits, type Rejection, type StoreConfig,
} from '../schemas/index.ts';
import { connect, type Connected } from './connect.ts';
import { eventBlockWriter, EVENT_NATIVE_STRUCTURE } from './native.ts';
import { Limiter } from './limiter.ts';
import { limitError, readSettings, SessionSettings, WRITE_SETTINGS, type StatementLimits } from './settings.ts';
import { REJECTED_COLUMNS, rejectionToTsv, tsvEscape, tsvTime, tsvUnescape } from './tsv.ts';

export type StoreTable = typeof EVENTS_TABLE | typeof REJECTED_TABLE | typeof FILES_TABLE | typeof HOPS_TABLE | typeof MESSAGES_TABLE | typeof META_TABLE;

export type QueryParams = Record<string, string | number | boolean | string[] | number[]>;

/** the store's own small reads (checkpoints, meta) may wait behind a queue of API reads and inserts: not the API's 10 s */
const STORE_OWN_READ_MS = 300_000;

export interface FileCheckpoint {
  fingerprint: string;
  path: string;
  offset: number;
  lines: number;
}

/**
 * The columnar store: owns the connection, applies the DDL, writes events and rejections,
 * runs queries under a timeout and a concurrency limit. Ingest writes through it and the API reads
 * through it; in embedded mode both share this one engine session in one process.
 */
export class Store {
  readonly #conn: Connected;
  readonly #limiter: Limiter;
  readonly #settings: SessionSettings;
  readonly #timeoutMs: number;
  /** rows one read may answer; 0: no bound (stitching reads whole tables) */
  readonly #maxRows: number;
  /** a view made by withReadLimit shares the connection and leaves closing it to the store */
  readonly #isView: boolean;
  /** the ClickHouse cluster whose Distributed tables these are (`db init --cluster`), or undefined */
  readonly cluster: string | undefined;
  readonly #writeSettings: ClickHouseSettings;
  #closed = false;
  #batchSeq = 0;

  private constructor(conn: Connected, limiter: Limiter, settings: SessionSettings, timeoutMs: number, maxRows: number, isView: boolean, cluster: string | undefined) {
    this.cluster = cluster;
    // on a cluster, an insert returns once every shard has its rows (not queued on this node): the
    // sink commits offsets and ingest writes checkpoints only after that (UNVERIFIED here: no
    // ClickHouse cluster runs on the test machines; the setting is insert_distributed_sync, ClickHouse docs)
    this.#writeSettings = cluster ? { ...WRITE_SETTINGS, insert_distributed_sync: 1 } : WRITE_SETTINGS;
    this.#conn = conn;
    this.#limiter = limiter;
    this.#settings = settings;
    this.#timeoutMs = timeoutMs;
    this.#maxRows = maxRows;
    this.#isView = isView;
  }

  static async open(config: StoreConfig, limits: Partial<QueryLimits> = {}): Promise<Store> {
    const conn = await connect(config);
    if (conn.dataDir) await removeStaleBatches(conn.dataDir);
    // The embedded engine executes one statement at a time; queueing in JS keeps timeouts honest.
    // the embedded engine runs one statement at a time: up to 64 API reads may wait their turn
    const concurrency = conn.mode === 'embedded' ? 1 : limits.concurrency ?? 4;
    const limiter = new Limiter(concurrency, Math.max(64, concurrency * 16));
    let cluster: string | undefined;
    try {
      cluster = conn.mode === 'server' ? await clusterOf(conn) : undefined;
      // a cluster's schema is `mailtrace db init --cluster`'s (ON CLUSTER, replicated): checked, not applied
      if (cluster) await checkClusterSchema(conn, cluster);
      else for (const sql of ddlStatements(conn.database)) await conn.client.command({ query: sql });
    } catch (err) {
      await conn.client.close();
      if (err instanceof MailtraceError) throw err;
      throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `cannot apply the schema: ${(err as Error).message}`, { cause: err });
    }
    return new Store(conn, limiter, new SessionSettings(conn.mode === 'embedded'), limits.timeoutMs ?? 10_000, 0, false, cluster);
  }

  /**
   * The same store (one connection, one limiter) whose reads answer at most `maxRows` rows each:
   * past it a read fails with MT_ERR_QUERY_TOO_LARGE instead of building an answer the process
   * must hold in memory. The API reads through one; closing a view leaves the store open.
   */
  withReadLimit(maxRows: number): Store {
    return new Store(this.#conn, this.#limiter, this.#settings, this.#timeoutMs, maxRows, true, this.cluster);
  }

  get mode(): 'embedded' | 'server' {
    return this.#conn.mode;
  }

  get database(): string {
    return this.#conn.database;
  }

  /** Fully qualified name of one of our tables; only names from the DDL module are ever spliced. */
  table(name: StoreTable): string {
    return `${this.#conn.database}.${name}`;
  }

  /**
   * Run a SELECT with {name:Type} parameters; rows as objects. Past `timeoutMs` the caller gets
   * MT_ERR_QUERY_TIMEOUT and the engine stops the query at its own limit (the same time, rounded up
   * to whole seconds, see settings.ts); until it has, the query keeps its limiter slot. No abort
   * signal goes to the client: the embedded engine cannot be interrupted (an abort only settles the
   * promise early), and a settled promise must mean a stopped query.
   */
  async query<T>(sql: string, params: QueryParams = {}, timeoutMs = this.#timeoutMs): Promise<T[]> {
    const limits = { timeoutMs, maxRows: this.#maxRows };
    return this.#limiter.run(() => this.#statement(readSettings(limits), limits, async (settings) => {
      const rs = await this.#conn.client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: settings });
      return rs.json<T>();
    }), timeoutMs, this.#isView);
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    await this.#limiter.run(() => this.#statement(this.#writeSettings, undefined, async (settings) => {
      await this.#conn.client.command({ query: sql, query_params: params, clickhouse_settings: settings });
    }), Math.max(this.#timeoutMs, 120_000), false);
  }

  /**
   * One statement handed to the engine with its settings (called when the limiter starts it); a
   * read's failure at one of its limits becomes the catalogue's code for it.
   */
  async #statement<R>(wanted: ClickHouseSettings, limits: StatementLimits | undefined, run: (settings: ClickHouseSettings) => Promise<R>): Promise<R> {
    try {
      return await run(this.#settings.toSend(wanted));
    } catch (err) {
      this.#settings.forget();
      throw limits ? limitError(err, limits) : err;
    }
  }

  async insertEvents(events: readonly MailEvent[]): Promise<void> {
    if (events.length === 0) return;
    const writer = eventBlockWriter();
    const blocks: Buffer[] = [];
    for (const e of events) {
      const b = writer.add(e);
      if (b) blocks.push(b);
    }
    const last = writer.take();
    if (last) blocks.push(last);
    await this.insertEventBlocks(blocks);
  }

  /**
   * Insert events already encoded as Native blocks (store/native.ts). Embedded: the batch goes
   * through a file the engine reads with file() (the engine's own reader, no SQL parsing; rawInsert
   * takes text formats only). Server: the blocks are the body of an INSERT … FORMAT Native.
   * Duplicates (a re-read line) are left to the merges, and readers that count use FINAL:
   * collapsing them at insert cost ~35%.
   */
  async insertEventBlocks(blocks: readonly Buffer[]): Promise<void> {
    await this.#load(EVENTS_TABLE, EVENT_COLUMNS, EVENT_NATIVE_STRUCTURE, blocks, 'Native');
  }

  /**
   * Rows already rendered as TabSeparated into one of stitching's tables (same fast path as events).
   * `optimize_on_insert = 0`: the rows of one batch never replace each other.
   */
  async insertRows(table: typeof HOPS_TABLE | typeof MESSAGES_TABLE, tsv: string): Promise<void> {
    if (tsv.length === 0) return;
    const types = table === HOPS_TABLE ? HOP_COLUMN_TYPES : MESSAGE_COLUMN_TYPES;
    await this.#load(table, types.map(([n]) => n), types.map(([n, t]) => `\`${n}\` ${t}`).join(', '), [Buffer.from(tsv)]);
  }

  async #load(table: StoreTable, columns: readonly string[], structure: string, chunks: readonly Buffer[], format: 'TabSeparated' | 'Native' = 'TabSeparated'): Promise<void> {
    if (chunks.length === 0) return;
    const dataDir = this.#conn.dataDir;
    if ((this.#conn.mode !== 'embedded' || !dataDir) && format === 'Native') {
      // UNVERIFIED here (no ClickHouse server on the test machines): the HTTP interface takes an
      // INSERT … FORMAT Native with the blocks as its body (ClickHouse docs, "Native" format)
      const cols = columns.map((c) => `\`${c}\``).join(', ');
      await this.#limiter.run(() => this.#statement(this.#writeSettings, undefined, (settings) => this.#conn.client.exec({
        query: `INSERT INTO ${this.table(table)} (${cols}) FORMAT Native`, values: Readable.from(chunks), clickhouse_settings: settings,
      }).then((r) => { r.stream.destroy(); })), Math.max(this.#timeoutMs, 300_000), false);
      return;
    }
    if (this.#conn.mode !== 'embedded' || !dataDir) {
      await this.#insertTsv(this.table(table), columns, Buffer.concat(chunks));
      return;
    }
    const path = join(resolve(dataDir), `.insert-${process.pid}-${++this.#batchSeq}.${format === 'Native' ? 'native' : 'tsv'}`);
    await writeFile(path, chunks);
    let started = false;
    try {
      await this.#limiter.run(async () => {
        started = true;
        // removed when the engine is done with it, which may be after its caller gave up waiting
        try {
          await this.#statement(this.#writeSettings, undefined, (settings) => this.#conn.client.command({
            query: `INSERT INTO ${this.table(table)} (${columns.map((c) => `\`${c}\``).join(', ')}) SELECT * FROM file({path:String}, {format:String}, {structure:String}) SETTINGS optimize_on_insert = 0`,
            query_params: { path, structure, format },
            clickhouse_settings: settings,
          }));
        } finally {
          await rm(path, { force: true });
        }
      }, Math.max(this.#timeoutMs, 300_000), false);
    } finally {
      if (!started) await rm(path, { force: true });
    }
  }

  /**
   * A SELECT whose rows come back as TabSeparated fields (unescaped), in the order the query names
   * them: for bulk reads, where JSON costs several times the query itself.
   */
  async queryFields(sql: string, params: QueryParams = {}, timeoutMs = this.#timeoutMs): Promise<string[][]> {
    const limits = { timeoutMs, maxRows: this.#maxRows };
    // exec hands back the engine's bytes as they are: decoded once here (the client's text() cost
    // as much again as the engine for a large answer)
    const text = await this.#limiter.run(() => this.#statement(readSettings(limits), limits, async (settings) => {
      const r = await this.#conn.client.exec({ query: `${sql}\nFORMAT TabSeparated`, query_params: params, clickhouse_settings: settings });
      const parts: Buffer[] = [];
      for await (const chunk of r.stream) parts.push(chunk as Buffer);
      return parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8');
    }), timeoutMs, this.#isView);
    const rows: string[][] = [];
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const fields = text.slice(start, end).split('\t');
      for (let i = 0; i < fields.length; i++) if (fields[i].includes('\\')) fields[i] = tsvUnescape(fields[i]);
      rows.push(fields);
      start = end + 1;
    }
    return rows;
  }

  async insertRejections(rows: readonly Rejection[]): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date().toISOString();
    let body = '';
    for (const r of rows) body += rejectionToTsv(r, now) + '\n';
    await this.#insertTsv(this.table(REJECTED_TABLE), REJECTED_COLUMNS, body);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const rows = await this.query<{ value: string }>(`SELECT argMax(value, updatedAt) AS value FROM ${this.table(META_TABLE)} WHERE key = {key:String} GROUP BY key`, { key }, STORE_OWN_READ_MS);
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    const body = [tsvEscape(key), tsvEscape(value), tsvTime(new Date().toISOString())].join('\t') + '\n';
    await this.#insertTsv(this.table(META_TABLE), ['key', 'value', 'updatedAt'], body);
  }

  async getCheckpoint(fingerprint: string): Promise<FileCheckpoint | undefined> {
    const rows = await this.query<FileCheckpoint>(
      `SELECT fingerprint, argMax(path, updatedAt) AS path, toUInt64(argMax(offset, updatedAt)) AS offset, toUInt64(argMax(lines, updatedAt)) AS lines
       FROM ${this.table(FILES_TABLE)} WHERE fingerprint = {fp:String} GROUP BY fingerprint`,
      { fp: fingerprint },
      STORE_OWN_READ_MS,
    );
    const row = rows[0];
    return row ? { ...row, offset: Number(row.offset), lines: Number(row.lines) } : undefined;
  }

  async setCheckpoint(cp: FileCheckpoint): Promise<void> {
    await this.setCheckpoints([cp]);
  }

  /** Many checkpoints in one insert: they land together or not at all (a run's files count as read as one). */
  async setCheckpoints(cps: readonly FileCheckpoint[]): Promise<void> {
    if (cps.length === 0) return;
    const at = tsvTime(new Date().toISOString());
    // a path may hold a tab or a newline: escaped, or the row would break
    const body = cps.map((cp) => [tsvEscape(cp.fingerprint), tsvEscape(cp.path), String(cp.offset), String(cp.lines), at].join('\t') + '\n').join('');
    await this.#insertTsv(this.table(FILES_TABLE), ['fingerprint', 'path', 'offset', 'lines', 'updatedAt'], body);
  }

  async close(): Promise<void> {
    if (this.#closed || this.#isView) return;
    this.#closed = true;
    await this.#conn.client.close();
  }

  async #insertTsv(table: string, columns: readonly string[], body: string | Buffer): Promise<void> {
    const raw = this.#conn.rawInsert;
    await this.#limiter.run(async () => {
      if (raw) {
        // the engine's own parser: no settings, and none of the session's limits apply to it
        await raw(table, columns, typeof body === 'string' ? Buffer.from(body) : body);
      } else {
        await this.#statement(this.#writeSettings, undefined, (settings) => this.#conn.client.insert({ table, columns: [...columns] as [string, ...string[]], values: Readable.from([body]), format: 'TabSeparated', clickhouse_settings: settings }));
      }
    }, Math.max(this.#timeoutMs, 300_000), false);
  }
}

/** The cluster of a store whose events table is Distributed (made by `db init --cluster`). */
async function clusterOf(conn: Connected): Promise<string | undefined> {
  const rs = await conn.client.query({ query: 'SELECT engine, engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}', query_params: { db: conn.database, t: EVENTS_TABLE }, format: 'JSONEachRow' });
  const [row] = await rs.json<{ engine: string; engine_full: string }>();
  if (row?.engine !== 'Distributed') return undefined;
  return /^Distributed\('([^']+)'/.exec(row.engine_full)?.[1];
}

/** Every column this version reads and writes is there on the cluster, or the answer says what to run. */
async function checkClusterSchema(conn: Connected, cluster: string): Promise<void> {
  const rs = await conn.client.query({ query: 'SELECT table, name FROM system.columns WHERE database = {db:String}', query_params: { db: conn.database }, format: 'JSONEachRow' });
  const have = new Set((await rs.json<{ table: string; name: string }>()).map((r) => `${r.table}.${r.name}`));
  const want = [...EVENT_COLUMNS.map((c) => `${EVENTS_TABLE}.${c}`), ...HOP_COLUMN_TYPES.map(([c]) => `${HOPS_TABLE}.${c}`), ...MESSAGE_COLUMN_TYPES.map(([c]) => `${MESSAGES_TABLE}.${c}`)];
  const missing = want.filter((c) => !have.has(c));
  if (missing.length > 0) {
    throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `the cluster's tables lack ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}: run \`mailtrace db init --cluster ${cluster}\` with this version`);
  }
}

/** Batch files a killed ingest left behind (we hold the directory's lock, so none is in use). */
async function removeStaleBatches(dataDir: string): Promise<void> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => /^\.insert-\d+-\d+\.(tsv|native)$/.test(n)).map((n) => rm(join(dataDir, n), { force: true })));
}

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { AUDIT_TABLE, AuditEntry, forCluster, LOCAL_SUFFIX, AuditQuery, auditRetentionDdl, auditTtl, DEFAULT_AUDIT_RETENTION_DAYS, type AuditAction, type AuditList } from '../../schemas/index.ts';
import { Batcher, isoFromStore, type Store } from '../../store/index.ts';
import { callerOf } from './access.ts';

/**
 * The audit log of trace lookups: who (the token's name), when, which id, from where. Rows are
 * buffered and written in small batches, so a lookup never waits for its audit row.
 *
 * A row that cannot be written does not fail the lookup: the lookup has already been answered, and
 * an audit table that is down (a full disk, a server restarting) must not take tracing down with
 * it — tracing is what an operator needs most while things break. The rows are written to the
 * server's log instead (pino, level error), so the trail survives there and the failure is seen.
 */
export interface AuditOptions {
  /** rows per insert; a lookup burst larger than this is several inserts */
  maxItems: number;
  /** a lone row is written at most this long after its lookup */
  maxDelayMs: number;
  /** rows waiting to be written past which new rows go to the log only (a store that hangs cannot grow memory) */
  maxPending: number;
}

const DEFAULTS: AuditOptions = { maxItems: 100, maxDelayMs: 1_000, maxPending: 10_000 };

export class AuditLog {
  readonly #store: () => Store;
  readonly #log: FastifyBaseLogger;
  readonly #batcher: Batcher<AuditEntry>;
  readonly #maxPending: number;
  #pending = 0;
  #dropped = 0;

  constructor(store: () => Store, log: FastifyBaseLogger, opts: Partial<AuditOptions> = {}) {
    const o = { ...DEFAULTS, ...opts };
    this.#store = store;
    this.#log = log;
    this.#maxPending = o.maxPending;
    // the flush never throws: the batcher would stop for good after a failed batch
    this.#batcher = new Batcher({ maxItems: o.maxItems, maxDelayMs: o.maxDelayMs, flush: (batch) => this.#write(batch) });
  }

  /** rows that went to the log instead of the table */
  get dropped(): number {
    return this.#dropped;
  }

  /** Note a lookup; returns at once. */
  record(req: FastifyRequest, action: AuditAction, target: string): void {
    const caller = callerOf(req);
    const entry: AuditEntry = { at: new Date().toISOString(), actor: caller?.name ?? 'unknown', role: caller?.role ?? 'admin', action, target, ip: req.ip };
    if (this.#pending >= this.#maxPending) {
      this.#lost([entry], undefined);
      return;
    }
    this.#pending++;
    // the batcher's backpressure promise is not awaited: the lookup must not wait for the store
    void this.#batcher.add(entry);
  }

  /** Write what is buffered (the admin route reads after it, so a listing includes every lookup so far). */
  drain(): Promise<void> {
    return this.#batcher.drain();
  }

  /** Write the rest, once (app close). */
  close(): Promise<void> {
    return this.#batcher.close();
  }

  async #write(batch: AuditEntry[]): Promise<void> {
    try {
      const store = this.#store();
      const col = <K extends keyof AuditEntry>(k: K) => batch.map((e) => e[k]);
      await store.command(
        `INSERT INTO ${store.database}.${AUDIT_TABLE} (at, actor, role, action, target, ip)
         SELECT fromUnixTimestamp64Milli(r.1, 'UTC'), r.2, r.3, r.4, r.5, r.6
         FROM (SELECT arrayJoin(arrayZip({at:Array(Int64)}, {actor:Array(String)}, {role:Array(String)}, {action:Array(String)}, {target:Array(String)}, {ip:Array(String)})) AS r)`,
        { at: batch.map((e) => Date.parse(e.at)), actor: col('actor'), role: col('role'), action: col('action'), target: col('target'), ip: col('ip') },
      );
    } catch (err) {
      this.#lost(batch, err);
    } finally {
      this.#pending -= batch.length;
    }
  }

  #lost(entries: AuditEntry[], err: unknown): void {
    this.#dropped += entries.length;
    this.#log.error({ err, audit: entries, droppedTotal: this.#dropped }, err ? 'audit rows could not be written to the store: they are in this log line' : 'too many audit rows are waiting for the store: this one is in this log line only');
  }
}

/**
 * Keeps the audit table to the configured retention (the config file's access.auditRetentionDays):
 * the TTL is changed only when the table's differs, since changing it rewrites the table's parts to
 * drop what has expired. A store that cannot be changed (a ClickHouse user without ALTER) does not
 * stop the server, as a failed audit write does not stop a lookup: the failure is logged.
 */
export async function applyAuditRetention(store: () => Store, days: number, log: FastifyBaseLogger): Promise<void> {
  try {
    const s = store();
    // on a cluster the TTL is the local tables' (the Distributed one holds no rows)
    const [table] = await s.query<{ engine_full: string }>(
      'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {table:String}', { db: s.database, table: s.cluster ? `${AUDIT_TABLE}${LOCAL_SUFFIX}` : AUDIT_TABLE });
    if (/ TTL (.*?)(?: SETTINGS |$)/.exec(table?.engine_full ?? '')?.[1] === auditTtl(days)) return;
    for (const sql of s.cluster ? forCluster(auditRetentionDdl(s.database, days), s.cluster) : [auditRetentionDdl(s.database, days)]) await s.command(sql);
  } catch (err) {
    log.error({ err, auditRetentionDays: days }, 'the audit log\'s retention could not be applied: its entries are kept as the table says');
  }
}

/** GET /api/admin/audit?limit=: the newest entries first. Admin only (as everything under /api/admin/). */
export async function registerAudit(app: FastifyInstance, store: () => Store, audit: AuditLog): Promise<void> {
  // once the server listens (serve), not when the app is built or made ready: building an app, as
  // every test does, touches nothing of the store. Listening does not wait for it.
  app.addHook('onListen', async () => applyAuditRetention(store, app.accessConfig.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS, app.log));
  app.get('/api/admin/audit', { config: { role: 'admin' } }, async (req): Promise<AuditList> => {
    const { limit } = AuditQuery.parse(req.query);
    await audit.drain();
    const s = store();
    const rows = await s.query<AuditEntry>(
      `SELECT toString(at) AS at, actor, role, action, target, ip FROM ${s.database}.${AUDIT_TABLE} ORDER BY at DESC LIMIT {limit:UInt32}`,
      { limit },
    );
    return { entries: rows.map((r) => AuditEntry.parse({ ...r, at: isoFromStore(r.at) })) };
  });
}

import { z } from 'zod';

/**
 * API tokens with roles (the `access` section of the config file) and the audit log of trace
 * lookups. The file holds a token's SHA-256, never the token: a leaked config file (a backup, a
 * support bundle) then grants nothing. `mailtrace token hash` makes the hash (query/api/access.ts).
 */

/** What a token may do: a viewer reads (every GET, header analysis); an admin also ingests and runs the admin routes. */
export const ROLES = ['viewer', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/**
 * Who the audit log names when no config token did: the single MAILTRACE_TOKEN, or nobody (an API
 * left open on loopback). Reserved, so that no configured token can pass for either.
 */
export const TOKEN_ENV_ACTOR = 'MAILTRACE_TOKEN';
export const OPEN_ACTOR = 'loopback-open';

export const AccessToken = z.object({
  /** who holds it, as the audit log names them */
  name: z.string().regex(/^[A-Za-z0-9][\w.@-]{0,63}$/, 'a name is 1 to 64 letters, digits, _ . @ - (starting with a letter or digit)')
    .refine((n) => n !== TOKEN_ENV_ACTOR && n !== OPEN_ACTOR, { message: `${TOKEN_ENV_ACTOR} and ${OPEN_ACTOR} are reserved names` }),
  role: Role,
  /** hex SHA-256 of the token (either case) */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 is the 64 hex digits of the token\'s SHA-256 (`mailtrace token hash`)').transform((h) => h.toLowerCase()),
}).strict();
export type AccessToken = z.infer<typeof AccessToken>;

/** How long the audit log keeps an entry when the config file does not say. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

/**
 * The `access` section. Every key is optional (the file may leave the section out): no tokens,
 * no redaction, a year of audit log — read through `tokens ?? []`,
 * `redactForViewers?.addresses ?? false` and `auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS`.
 */
export const AccessConfig = z.object({
  tokens: z.array(AccessToken).max(1000).optional(),
  /** viewers see `…@example.org` instead of an address's local part in every read answer, and may not search by one */
  redactForViewers: z.object({ addresses: z.boolean().default(false) }).strict().optional(),
  /** audit entries older than this many days are deleted by the store (a TTL on the table; at most 100 years) */
  auditRetentionDays: z.number().int().min(1).max(36_500).optional(),
}).strict().superRefine((cfg, ctx) => {
  // one name per holder and one holder per token: otherwise the audit log could not say who it was
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const [i, t] of (cfg.tokens ?? []).entries()) {
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'name'], message: `the name ${t.name} is used twice` });
    if (hashes.has(t.sha256)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'sha256'], message: 'the same token is listed twice' });
    names.add(t.name);
    hashes.add(t.sha256);
  }
});
export type AccessConfig = z.infer<typeof AccessConfig>;

/** The audit log: one row per trace lookup. */
export const AUDIT_TABLE = 'audit_log';

/** What is audited (a closed set: the table and the admin route say the same). */
export const AuditAction = z.enum(['trace']);
export type AuditAction = z.infer<typeof AuditAction>;

export const AuditEntry = z.object({
  /** ISO 8601 UTC */
  at: z.string(),
  /** the token's name, MAILTRACE_TOKEN, or loopback-open */
  actor: z.string(),
  role: Role,
  action: AuditAction,
  /** the id asked for, as sent */
  target: z.string(),
  /** the client's address as the server saw it (a proxy's, behind one) */
  ip: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** GET /api/admin/audit query string and answer (newest first). */
export const AuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();
export type AuditQuery = z.infer<typeof AuditQuery>;
export const AuditList = z.object({ entries: z.array(AuditEntry) });
export type AuditList = z.infer<typeof AuditList>;

/**
 * The audit table's TTL for a retention in days. Spliced, not a parameter: it is part of the table's
 * definition, and written as the engine writes it back (SHOW CREATE TABLE), so that the server can
 * tell whether the table already keeps what it is configured to (query/api/audit.ts).
 */
export function auditTtl(days: number): string {
  if (!Number.isSafeInteger(days) || days < 1) throw new RangeError(`an audit retention is a whole number of days, not ${days}`);
  return `toDateTime(at) + toIntervalDay(${days})`;
}

/** Sets the audit table's retention (the server applies its configured one at start; a table created earlier may have none). */
export function auditRetentionDdl(db: string, days: number): string {
  return `ALTER TABLE ${db}.${AUDIT_TABLE} MODIFY TTL ${auditTtl(days)}`;
}

/**
 * The tables access control keeps, created with the others (schemas/ddl.ts). MergeTree, not
 * ReplacingMergeTree: two lookups in the same millisecond are two entries, never merged away.
 * Created with the default retention; only the server, which reads the config file, changes it —
 * every process runs this DDL at start, and one that does not know the configured retention must
 * not shorten or lengthen it (CREATE … IF NOT EXISTS leaves an existing table as it is).
 */
export function accessDdl(db: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${AUDIT_TABLE} (
      at DateTime64(3, 'UTC'),
      actor String,
      role LowCardinality(String),
      action LowCardinality(String),
      target String,
      ip String
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(at)
    ORDER BY at
    TTL ${auditTtl(DEFAULT_AUDIT_RETENTION_DAYS)}`,
  ];
}

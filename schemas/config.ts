import { z } from 'zod';

/** Where events live: an embedded engine in a data directory, or a ClickHouse server by URL. */
export const StoreConfig = z.union([
  z.object({ kind: z.literal('embedded'), dataDir: z.string().min(1) }),
  z.object({
    kind: z.literal('server'),
    url: z.url(),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'database must be a plain identifier').default('mailtrace'),
    username: z.string().optional(),
    password: z.string().optional(),
  }),
]);
export type StoreConfig = z.infer<typeof StoreConfig>;

export const ServeConfig = z.object({
  /** loopback unless the operator says otherwise: the API exposes mail metadata */
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** required when host is not loopback */
  token: z.string().min(16, 'MAILTRACE_TOKEN must be at least 16 characters').optional(),
});
export type ServeConfig = z.infer<typeof ServeConfig>;

export const QueryLimits = z.object({
  timeoutMs: z.number().int().positive().default(10_000),
  concurrency: z.number().int().positive().default(4),
});
export type QueryLimits = z.infer<typeof QueryLimits>;

export const BatchConfig = z.object({
  maxRows: z.number().int().positive().default(50_000),
  maxDelayMs: z.number().int().positive().default(1_000),
});
export type BatchConfig = z.infer<typeof BatchConfig>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const EXCHANGE_ROLE_NAMES = ['edge', 'hub', 'mailbox', 'frontend'] as const;
export type ExchangeRoleName = (typeof EXCHANGE_ROLE_NAMES)[number];

/** An unset variable and an empty one mean the same: the default. */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

/**
 * Every environment variable mailtrace reads, checked once when a command starts (cli/config.ts is
 * the one reader of the environment). The keys are the catalogue the README's configuration table is
 * pinned against (test/cli/catalogue.test.ts).
 */
export const EnvConfig = z.object({
  /** embedded store directory */
  MAILTRACE_DATA: z.preprocess(unsetIfEmpty, z.string().optional()),
  /** a ClickHouse server instead of the embedded engine */
  MAILTRACE_CLICKHOUSE_URL: z.preprocess(unsetIfEmpty, z.url('must be a URL such as http://127.0.0.1:8123').optional()),
  /** bearer token the API requires */
  MAILTRACE_TOKEN: z.preprocess(unsetIfEmpty, z.string().min(16, 'must be at least 16 characters').optional()),
  /** minutes east of UTC for syslog stamps without a zone */
  MAILTRACE_TZ_OFFSET: z.preprocess(unsetIfEmpty, z.coerce.number('must be whole minutes east of UTC, e.g. 60 or -300')
    .int('must be whole minutes east of UTC, e.g. 60 or -300').min(-840, 'must be between -840 and 840 minutes').max(840, 'must be between -840 and 840 minutes').default(0)),
  /** pino level of `serve` */
  MAILTRACE_LOG_LEVEL: z.preprocess((v) => (typeof v === 'string' && v !== '' ? v.toLowerCase() : undefined), z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('warn')),
  /** the config file (JSON): policy, alerts, reports, tokens, SMTP relay */
  MAILTRACE_CONFIG: z.preprocess(unsetIfEmpty, z.string().optional()),
  /** the SMTP relay's password (never in the config file) */
  MAILTRACE_SMTP_PASSWORD: z.preprocess(unsetIfEmpty, z.string().optional()),
  /** Exchange roles by server: `EDGE1=edge,MBX1=mailbox` */
  MAILTRACE_EXCHANGE_ROLES: z.preprocess(unsetIfEmpty, z.string().default('').transform((raw, ctx) => {
    const out = new Map<string, ExchangeRoleName>();
    for (const item of raw.split(',').map((x) => x.trim()).filter(Boolean)) {
      const [server, role] = item.split('=').map((x) => x.trim());
      if (!server || !(EXCHANGE_ROLE_NAMES as readonly string[]).includes(role ?? '')) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not SERVER=${EXCHANGE_ROLE_NAMES.join('|')}` });
        return z.NEVER;
      }
      out.set(server.toLowerCase().split('.')[0], role as ExchangeRoleName);
    }
    return out as ReadonlyMap<string, ExchangeRoleName>;
  })),
});
export type EnvConfig = z.infer<typeof EnvConfig>;

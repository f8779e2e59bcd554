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

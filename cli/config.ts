import { resolve } from 'node:path';
import { MailtraceError, ServeConfig, StoreConfig } from '../schemas/index.ts';

/**
 * The one reader of process.env. Flags win over environment variables, which win over defaults.
 *   MAILTRACE_DATA            data directory of the embedded store (default ./data)
 *   MAILTRACE_CLICKHOUSE_URL  use a ClickHouse server instead of the embedded engine
 *   MAILTRACE_TOKEN           bearer token the API requires (mandatory when not bound to loopback)
 *   MAILTRACE_TZ_OFFSET       minutes east of UTC for syslog stamps without a zone (default 0)
 */
export interface CommonFlags {
  data?: string;
  clickhouse?: string;
}

export function storeConfig(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const url = flags.clickhouse ?? env.MAILTRACE_CLICKHOUSE_URL;
  const parsed = StoreConfig.safeParse(url ? { kind: 'server', url } : { kind: 'embedded', dataDir: resolve(flags.data ?? env.MAILTRACE_DATA ?? './data') });
  if (!parsed.success) throw new MailtraceError('MT_ERR_BAD_CONFIG', parsed.error.issues.map((i) => i.message).join('; '));
  return Object.freeze(parsed.data);
}

export function serveConfig(flags: { host?: string; port?: string }, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const parsed = ServeConfig.safeParse({ host: flags.host, port: flags.port, token: env.MAILTRACE_TOKEN || undefined });
  if (!parsed.success) throw new MailtraceError('MT_ERR_BAD_CONFIG', parsed.error.issues.map((i) => i.message).join('; '));
  const cfg = parsed.data;
  if (!isLoopback(cfg.host) && !cfg.token) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `refusing to listen on ${cfg.host} without a token: set MAILTRACE_TOKEN (16+ characters) or bind to 127.0.0.1`);
  }
  return Object.freeze(cfg);
}

export function tzOffset(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MAILTRACE_TZ_OFFSET;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || Math.abs(n) > 14 * 60) throw new MailtraceError('MT_ERR_BAD_CONFIG', `MAILTRACE_TZ_OFFSET must be whole minutes east of UTC, got ${raw}`);
  return n;
}

export function apiToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.MAILTRACE_TOKEN || undefined;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** pino level for `serve` (MAILTRACE_LOG_LEVEL, or LOG_LEVEL); default warn: requests are not logged */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const raw = (env.MAILTRACE_LOG_LEVEL || env.LOG_LEVEL || 'warn').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `MAILTRACE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(raw)})`);
  }
  return raw;
}

const ROLES = ['edge', 'hub', 'mailbox', 'frontend'] as const;

/**
 * Exchange server roles given by the operator (MAILTRACE_EXCHANGE_ROLES="EDGE1=edge,MBX1=mailbox"):
 * they win over what mailtrace infers from the log trees. Names are matched by their first label.
 */
export function exchangeRoles(env: NodeJS.ProcessEnv = process.env): Map<string, (typeof ROLES)[number]> {
  const out = new Map<string, (typeof ROLES)[number]>();
  const raw = env.MAILTRACE_EXCHANGE_ROLES ?? '';
  for (const item of raw.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [server, role] = item.split('=').map((x) => x.trim());
    if (!server || !(ROLES as readonly string[]).includes(role ?? '')) {
      throw new MailtraceError('MT_ERR_BAD_CONFIG', `MAILTRACE_EXCHANGE_ROLES: "${item}" is not SERVER=${ROLES.join('|')}`);
    }
    out.set(server.toLowerCase().split('.')[0], role as (typeof ROLES)[number]);
  }
  return out;
}

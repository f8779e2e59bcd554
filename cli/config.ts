import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigFile, EnvConfig, MailtraceError, ServeConfig, StoreConfig, type AccessConfig, type ExchangeRoleName } from '../schemas/index.ts';

/**
 * The one reader of process.env, read once when a command starts: a bad value stops the command
 * before it opens the store, listens or ingests, naming the variable and what it allows. Flags win
 * over environment variables, which win over defaults. The variables (schemas/config.ts EnvConfig):
 *   MAILTRACE_DATA            data directory of the embedded store (default ./data)
 *   MAILTRACE_CLICKHOUSE_URL  use a ClickHouse server instead of the embedded engine
 *   MAILTRACE_TOKEN           bearer token the API requires (mandatory when not bound to loopback)
 *   MAILTRACE_TZ_OFFSET       minutes east of UTC for syslog stamps without a zone (default 0)
 *   MAILTRACE_LOG_LEVEL       pino level of `serve` (default warn: requests are not logged)
 *   MAILTRACE_EXCHANGE_ROLES  Exchange server roles that win over inference (EDGE1=edge,MBX1=mailbox)
 *   MAILTRACE_CONFIG          the config file (JSON): policy, alerts, reports, tokens, SMTP relay
 *   MAILTRACE_SMTP_PASSWORD   the SMTP relay's password
 */
export interface Settings {
  readonly dataDir: string | undefined;
  readonly clickhouseUrl: string | undefined;
  readonly token: string | undefined;
  readonly tzOffsetMin: number;
  readonly logLevel: string;
  readonly exchangeRoles: ReadonlyMap<string, ExchangeRoleName>;
  readonly configPath: string | undefined;
  readonly smtpPassword: string | undefined;
}

export interface CommonFlags {
  data?: string;
  clickhouse?: string;
}

/** Parse every variable; the first bad one (by name) fails with MT_ERR_BAD_CONFIG. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(EnvConfig.shape)) raw[key] = env[key];
  const parsed = EnvConfig.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${String(i.path[0] ?? '')}=${JSON.stringify(raw[String(i.path[0] ?? '')] ?? '')}: ${i.message}`).join('; ');
    throw new MailtraceError('MT_ERR_BAD_CONFIG', msg);
  }
  const e = parsed.data;
  return Object.freeze({
    dataDir: e.MAILTRACE_DATA,
    clickhouseUrl: e.MAILTRACE_CLICKHOUSE_URL,
    token: e.MAILTRACE_TOKEN,
    tzOffsetMin: e.MAILTRACE_TZ_OFFSET,
    logLevel: e.MAILTRACE_LOG_LEVEL,
    exchangeRoles: e.MAILTRACE_EXCHANGE_ROLES,
    configPath: e.MAILTRACE_CONFIG,
    smtpPassword: e.MAILTRACE_SMTP_PASSWORD,
  });
}

export function storeConfig(flags: CommonFlags, settings: Settings): StoreConfig {
  const url = flags.clickhouse ?? settings.clickhouseUrl;
  const parsed = StoreConfig.safeParse(url ? { kind: 'server', url } : { kind: 'embedded', dataDir: resolve(flags.data ?? settings.dataDir ?? './data') });
  if (!parsed.success) throw new MailtraceError('MT_ERR_BAD_CONFIG', parsed.error.issues.map((i) => `${flags.clickhouse ? '--clickhouse' : 'MAILTRACE_CLICKHOUSE_URL'}: ${i.message}`).join('; '));
  return Object.freeze(parsed.data);
}

export function serveConfig(flags: { host?: string; port?: string }, settings: Settings, access: AccessConfig = {}): ServeConfig {
  const parsed = ServeConfig.safeParse({ host: flags.host, port: flags.port, token: settings.token });
  if (!parsed.success) throw new MailtraceError('MT_ERR_BAD_CONFIG', parsed.error.issues.map((i) => `${i.path[0] === 'port' ? '--port' : String(i.path[0])}: ${i.message}`).join('; '));
  const cfg = parsed.data;
  if (!isLoopback(cfg.host) && !cfg.token && (access.tokens ?? []).length === 0) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `refusing to listen on ${cfg.host} without a token: set MAILTRACE_TOKEN (16+ characters), list tokens in the config file's access section, or bind to 127.0.0.1`);
  }
  return Object.freeze(cfg);
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The config file (`--config` wins over MAILTRACE_CONFIG), read and checked once; none given is
 * the defaults (no policy, no reports, no tokens beyond MAILTRACE_TOKEN). A file that cannot be
 * read, is no JSON or breaks the schema is MT_ERR_BAD_CONFIG naming the path and the key.
 */
export function readConfigFile(flag: string | undefined, settings: Settings): ConfigFile {
  const path = flag ?? settings.configPath;
  if (!path) return Object.freeze(ConfigFile.parse({}));
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `config file ${path}: ${(err as Error).message}`);
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `config file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  return Object.freeze(parsed.data);
}

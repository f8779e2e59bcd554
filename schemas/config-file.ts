import { z } from 'zod';
import { AccessConfig } from './access.ts';
import { AlertSinks, TlsPolicy } from './policy.ts';
import { ReportsConfig } from './reports.ts';

/**
 * The SMTP relay mailtrace sends alerts and reports through (a local Postfix, usually). No
 * credentials in the file: a relay that needs them takes them from MAILTRACE_SMTP_PASSWORD.
 */
export const SmtpConfig = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(25),
  /** envelope and header sender of what mailtrace sends */
  from: z.email(),
  /** STARTTLS when the relay offers it (nodemailer's opportunistic default); `require` refuses a relay without it */
  tls: z.enum(['opportunistic', 'require', 'none']).default('opportunistic'),
  username: z.string().optional(),
}).strict();
export type SmtpConfig = z.infer<typeof SmtpConfig>;

/**
 * The config file (`--config FILE` or MAILTRACE_CONFIG; JSON): what environment variables cannot
 * hold well — the TLS policy, alert sinks, report schedules, API tokens. Read and checked once,
 * when a command starts (cli/config.ts); an unknown key is an error, not ignored.
 */
export const ConfigFile = z.object({
  smtp: SmtpConfig.optional(),
  policy: TlsPolicy.default({ rules: [] }),
  alerts: AlertSinks.default({}),
  reports: ReportsConfig.default({}),
  access: AccessConfig.default({}),
}).strict();
export type ConfigFile = z.infer<typeof ConfigFile>;

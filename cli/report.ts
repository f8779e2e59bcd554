import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runReport, sendReport } from '../query/index.ts';
import { MailtraceError, ReportKind, ReportName, reportsSettings, type StoreConfig } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import { readConfigFile, storeConfig, type Settings } from './config.ts';
import { findOwner } from './owner.ts';

/**
 * `mailtrace report <kind>`: one report for a period, written to a directory and, with --mail,
 * sent through the config file's SMTP relay. The same code as `serve`'s schedules
 * (query/reports/), run once from the command line.
 */
export const REPORT_HELP = `usage: mailtrace report <kind> --from TIME --to TIME [options]

Writes one report over a period: an HTML page with its charts drawn in (no script, nothing
fetched), one CSV per table and report.json (the data of the views it was made from), in
DIR/<name>-<kind>-<from>_<to>/. A report for the same name, kind and period is replaced.

kinds:
  tls-compliance       per route (server pair) and recipient domain: hand-offs, plaintext,
                       weak TLS (below 1.2), unverified certificates; the plaintext routes;
                       the config file's TLS policy: each rule's violations, and what the
                       logs cannot judge
  delivery-failures    deferrals, bounces and refusals grouped by reason; latency per route
  protection-coverage  S/MIME, PGP and IRM by sender and recipient domain
  volume-summary       messages, outcome and TLS share over time

options:
  --from TIME         start of the period, ISO 8601 (2026-11-23 or 2026-11-23T00:00:00+01:00)
  --to TIME           end of the period (excluded); a date alone is midnight UTC
  --out DIR           where to write (default: the config file's reports.dir, else ./reports)
  --name NAME         first part of the report's directory name (default report)
  --mail ADDR,...     also mail it to these addresses, through the config file's smtp relay
                      (password from $MAILTRACE_SMTP_PASSWORD)
  --config FILE       the config file (or $MAILTRACE_CONFIG)
  --data DIR          embedded store directory (default ./data, or $MAILTRACE_DATA)
  --clickhouse URL    use a ClickHouse server instead (or $MAILTRACE_CLICKHOUSE_URL)
  -h, --help

The mail's HTML body holds the charts as inline SVG, which some mail programs (Gmail, Outlook)
do not show: the charts are attached as SVG files too, and every table as CSV.
While \`mailtrace serve\` owns the data directory, run reports from its schedules (config file,
reports.schedules) instead: the embedded store has one owner at a time.
Exit status: 0 when the report was written (and mailed); 1 when it could not be made or mailed;
2 on a usage or configuration error.`;

/** a date alone is that day's midnight, UTC; a time must say its offset */
const Time = z.union([z.iso.datetime({ offset: true }), z.iso.date().transform((d) => `${d}T00:00:00Z`)]);

/** where the command writes (tests pass their own) */
export interface CommandOutput {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

export async function reportCommand(args: string[], readEnv: () => Settings, openStore: (cfg: StoreConfig) => Promise<Store>, io: CommandOutput = { out: process.stdout, err: process.stderr }): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, mail: { type: 'string' }, config: { type: 'string' },
      data: { type: 'string' }, clickhouse: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out.write(`${REPORT_HELP}\n`);
    return 0;
  }
  const usage = (why: string): number => {
    io.err.write(`mailtrace report: ${why}\n\n${REPORT_HELP}\n`);
    return 2;
  };
  if (positionals.length !== 1) return usage('give exactly one kind of report');
  const kind = ReportKind.safeParse(positionals[0]);
  if (!kind.success) return usage(`unknown kind ${JSON.stringify(positionals[0])} (${ReportKind.options.join(', ')})`);
  if (values.from === undefined || values.to === undefined) return usage('give the period: --from and --to');
  const from = Time.safeParse(values.from);
  const to = Time.safeParse(values.to);
  if (!from.success) return usage(`--from ${JSON.stringify(values.from)} is not an ISO 8601 date or time with an offset`);
  if (!to.success) return usage(`--to ${JSON.stringify(values.to)} is not an ISO 8601 date or time with an offset`);
  if (values.name !== undefined && !ReportName.safeParse(values.name).success) return usage(`--name ${JSON.stringify(values.name)}: letters, digits, _ and - only`);
  const recipients = values.mail === undefined ? [] : values.mail.split(',').map((a) => a.trim()).filter(Boolean);
  const badAddress = recipients.find((a) => !z.email().safeParse(a).success);
  if (values.mail !== undefined && (recipients.length === 0 || badAddress !== undefined)) return usage(`--mail: ${JSON.stringify(badAddress ?? values.mail)} is not an e-mail address`);

  const settings = readEnv();
  const config = readConfigFile(values.config, settings);
  // checked before the store is opened: a report that cannot be mailed is not made
  if (recipients.length > 0 && !config.smtp) throw new MailtraceError('MT_ERR_BAD_CONFIG', '--mail needs the smtp section of the config file (--config FILE or MAILTRACE_CONFIG)');
  const dir = values.out ?? reportsSettings(config.reports).dir;
  const cfg = storeConfig(values, settings);
  if (cfg.kind === 'embedded') {
    if (!existsSync(cfg.dataDir)) throw new MailtraceError('MT_ERR_NOT_FOUND', `no store at ${cfg.dataDir}: run \`mailtrace ingest\` first`);
    const owner = findOwner(cfg.dataDir);
    if (owner) throw new MailtraceError('MT_ERR_STORE_LOCKED', `${cfg.dataDir} is served by pid ${owner.pid} (${owner.url}): stop it, or let its report schedules make this report`);
  }
  const store = await openStore(cfg);
  let written;
  try {
    written = await runReport(store, { kind: kind.data, from: from.data, to: to.data, dir, name: values.name, policy: config.policy });
  } finally {
    await store.close();
  }
  io.out.write(`${written.report.title}, ${written.report.period.from} – ${written.report.period.to}: ${written.path}\n`);
  for (const f of [written.files.html, ...written.files.csv, written.files.json]) io.out.write(`  ${f}\n`);
  if (recipients.length > 0 && config.smtp) {
    const sent = await sendReport(config.smtp, written.report, recipients, settings.smtpPassword);
    io.out.write(`mailed to ${sent.accepted.join(', ')} through ${config.smtp.host}:${config.smtp.port}: ${sent.response}\n`);
    if (sent.rejected.length > 0) {
      io.err.write(`mailtrace report: the relay refused ${sent.rejected.join(', ')}\n`);
      return 1;
    }
  }
  return 0;
}

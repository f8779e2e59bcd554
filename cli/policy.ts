import { parseArgs } from 'node:util';
import { checkPolicy, type CheckResult } from '../query/index.ts';
import { scopeWords, type StoreConfig } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import { readConfigFile, storeConfig, type Settings } from './config.ts';

/**
 * `mailtrace policy check`: one TLS policy check over the recent window, as `serve` runs them
 * every five minutes — incidents opened or resolved, their alerts sent. While `serve` owns the
 * data directory, the check is asked of the running server.
 */
export const POLICY_HELP = `usage: mailtrace policy check [options]

Checks the TLS policy of the config file against the hops of the recent window
(policy.windowMinutes, default 15): a rule's route that starts violating opens an incident (one per
route, or per sending / receiving server, domain or rule: the rule's groupBy) and sends one alert to
the configured webhook and/or e-mail recipients; nothing more is sent while it goes on; one resolved
notice follows after policy.healAfterMinutes (default 60) without a violation on any of its routes.
At most alerts.maxPerCheck (default 20) notices are sent per check; the rest go out as one digest.
A hop whose TLS the logs did not record is reported as unknown, never as a violation.

options:
  --config FILE       the config file (default $MAILTRACE_CONFIG)
  --data DIR          embedded store directory (default ./data, or $MAILTRACE_DATA)
  --clickhouse URL    use a ClickHouse server instead (or $MAILTRACE_CLICKHOUSE_URL)
  -h, --help

Exit status: 0 when every notice (and digest) was delivered; 4 when one could not be delivered (its
notices stay owed and are tried again at the next check); 2 on a usage or configuration error.`;

export interface PolicyDeps {
  openStore(cfg: StoreConfig): Promise<Store>;
  /** the URL of the server that owns an embedded data directory, if one runs */
  ownerUrl(cfg: StoreConfig): string | undefined;
  remote<T>(settings: Settings, base: string, path: string, body?: unknown): Promise<T>;
}

export async function policyCommand(args: string[], settings: Settings, deps: PolicyDeps, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, data: { type: 'string' }, clickhouse: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals[0] !== 'check') {
    out(`${POLICY_HELP}\n`);
    return values.help ? 0 : 2;
  }
  const file = readConfigFile(values.config, settings);
  const cfg = storeConfig(values, settings);
  const owner = deps.ownerUrl(cfg);
  let result: CheckResult;
  if (owner) {
    const answer = await deps.remote<{ ran: boolean; reason?: string; result?: CheckResult }>(settings, owner, '/api/admin/policy/check', {});
    if (!answer.ran || !answer.result) {
      out(`no check ran: ${answer.reason ?? 'the server has no policy'} (the server reads its own config file)\n`);
      return 0;
    }
    result = answer.result;
  } else {
    const store = await deps.openStore(cfg);
    try {
      result = await checkPolicy(store, { policy: file.policy, alerts: file.alerts, smtp: file.smtp }, { now: new Date(), smtpPassword: settings.smtpPassword });
    } finally {
      await store.close();
    }
  }
  out(`${formatCheck(result, file.policy.rules.length)}\n`);
  return result.failed.length > 0 || result.digests.some((d) => d.error !== undefined) ? 4 : 0;
}

function formatCheck(r: CheckResult, rules: number): string {
  const lines = [`policy check ${r.windowStart} → ${r.now} (${rules} rule(s)): ${r.opened.length} incident(s) opened, ${r.resolved.length} resolved, ${r.ongoing.length} ongoing`];
  for (const i of r.opened) lines.push(`  opened   ${i.id}: ${i.handoffs} hand-off(s) on ${scopeWords(i)}`);
  for (const i of r.resolved) lines.push(`  resolved ${i.id}`);
  for (const d of r.delivered) lines.push(`  sent     ${d.notice} for ${d.id}: ${d.receipt}`);
  for (const f of r.failed) lines.push(`  FAILED   ${f.notice} for ${f.id}: ${f.error} (kept; tried again at the next check)`);
  if (r.heldBack.length > 0) lines.push(`  held     ${r.heldBack.length} notice(s) past alerts.maxPerCheck, summarised in one digest per sink`);
  for (const d of r.digests) {
    lines.push(d.error === undefined ? `  sent     digest of ${d.heldBack} to ${d.sink}: ${d.receipt ?? ''}` : `  FAILED   digest of ${d.heldBack} to ${d.sink}: ${d.error} (its notices kept; tried again at the next check)`);
  }
  if (r.unknown.length > 0) lines.push(`  ${r.unknown.length} rule/route(s) the logs cannot judge (TLS not recorded): unknown, not violations`);
  return lines.join('\n');
}

import { ALERT_DEFAULTS, POLICY_DEFAULTS, type AlertSinks, type PendingNotice, type PolicyFinding, type PolicyIncident, type SmtpConfig, type TlsPolicy } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { alertDelivery, sinksOf, type Deliver } from './alerts.ts';
import { deliverAll, type DigestOutcome } from './deliver.ts';
import { evaluatePolicy } from './evaluate.ts';
import { groupFindings } from './group.ts';
import { activeIncidents, advance, writeIncident, type StoredIncident } from './incidents.ts';
import { defaultPolicyLog, type PolicyLog } from './log.ts';

/**
 * One policy check: evaluate the recent window, gather the violations per incident key (the
 * rule's groupBy), open an incident (one alert per sink) for a key that starts violating, keep
 * quiet while it goes on, close it (one resolved notice per sink) once none of its routes has had
 * a violation for healAfterMinutes. At most alerts.maxPerCheck notices go out; the rest as one
 * digest (deliver.ts). Notices are at least once: the incident is written
 * with its owed notices before any is sent, and a notice leaves the list only once its sink took
 * it; a failure stays owed and is tried again at the next check. Time comes from the caller.
 * Checks on one store must not overlap (the caller runs them one after another).
 */
export interface CheckOptions {
  now: Date;
  /** how far back this check looks (default: the policy's windowMinutes, else 15) */
  windowMinutes?: number;
  /** how notices are delivered (default: the config's webhook and e-mail sinks) */
  send?: Deliver;
  /** MAILTRACE_SMTP_PASSWORD, for a relay that wants a login */
  smtpPassword?: string;
  /** where held-back notices are logged (default: pino on stderr) */
  log?: PolicyLog;
}

export interface PolicyCheckConfig {
  policy: TlsPolicy;
  alerts: AlertSinks;
  smtp?: SmtpConfig;
}

export interface CheckResult {
  now: string;
  windowStart: string;
  opened: PolicyIncident[];
  resolved: PolicyIncident[];
  ongoing: PolicyIncident[];
  /** with the sink's receipt (a relay's `250 … queued as ID` to follow in its log) */
  delivered: { id: string; notice: PendingNotice; receipt: string }[];
  failed: { id: string; notice: PendingNotice; error: string }[];
  /** notices past alerts.maxPerCheck: not sent on their own, listed in this check's digest */
  heldBack: { id: string; notice: PendingNotice }[];
  /** the digest per sink (when anything was held back): its receipt, or the error (its notices stay owed) */
  digests: DigestOutcome[];
  /** owed to a sink that is no longer configured: given up, and said so */
  dropped: { id: string; notice: PendingNotice }[];
  /** what the logs cannot judge in the window (never an incident) */
  unknown: PolicyFinding[];
}

export async function checkPolicy(store: Store, config: PolicyCheckConfig, opts: CheckOptions): Promise<CheckResult> {
  const sinks = sinksOf(config.alerts);
  const send = opts.send ?? alertDelivery(config, opts.smtpPassword);
  const now = opts.now.toISOString();
  const windowMinutes = opts.windowMinutes ?? config.policy.windowMinutes ?? POLICY_DEFAULTS.windowMinutes;
  const windowStart = new Date(opts.now.getTime() - windowMinutes * 60_000).toISOString();

  const stored = await activeIncidents(store);
  const resume = stored.filter((i) => i.state === 'open').map((i) => ({ rule: i.rule, groupBy: i.groupBy, from: i.from, to: i.to, domain: i.domain, since: i.firstSeen }));
  const findings = await evaluatePolicy(store, config.policy, { from: windowStart, to: now, resume });
  const adv = advance({
    stored, violations: groupFindings(findings.filter((f) => f.verdict === 'violation'), config.policy.rules), now, windowStart,
    healAfterMinutes: config.policy.healAfterMinutes ?? POLICY_DEFAULTS.healAfterMinutes, sinks,
  });
  // the owed notices are durable before the first is sent
  for (const inc of adv.changed) await writeIncident(store, inc);

  const latest = new Map<string, StoredIncident>(stored.map((i) => [i.id, i]));
  for (const inc of adv.changed) latest.set(inc.id, inc);
  const delivery = await deliverAll([...latest.values()].filter((i) => i.pending.length > 0), {
    sinks, send, now, maxPerCheck: config.alerts.maxPerCheck ?? ALERT_DEFAULTS.maxPerCheck, log: opts.log ?? defaultPolicyLog(),
  });
  for (const inc of delivery.changed) await writeIncident(store, inc);
  return {
    now, windowStart, opened: adv.opened.map(plain), resolved: adv.resolved.map(plain), ongoing: adv.ongoing.map(plain),
    delivered: delivery.delivered, failed: delivery.failed, dropped: delivery.dropped, heldBack: delivery.heldBack, digests: delivery.digests,
    unknown: findings.filter((f) => f.verdict === 'unknown'),
  };
}

function plain(i: StoredIncident): PolicyIncident {
  const { version: _v, ...rest } = i;
  return rest;
}

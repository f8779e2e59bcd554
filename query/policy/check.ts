import { POLICY_DEFAULTS, type AlertSink, type AlertSinks, type PendingNotice, type PolicyFinding, type PolicyIncident, type SmtpConfig, type TlsPolicy } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { alertDelivery, noticeOf, sinksOf, type Deliver } from './alerts.ts';
import { evaluatePolicy } from './evaluate.ts';
import { activeIncidents, advance, writeIncident, type StoredIncident } from './incidents.ts';

/**
 * One policy check: evaluate the recent window, open an incident (one alert per sink) for a key
 * that starts violating, keep quiet while it goes on, close it (one resolved notice per sink) once
 * it has had no violation for healAfterMinutes. Notices are at least once: the incident is written
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
  const resume = stored.filter((i) => i.state === 'open').map((i) => ({ rule: i.rule, from: i.from, to: i.to, domain: i.domain, since: i.firstSeen }));
  const findings = await evaluatePolicy(store, config.policy, { from: windowStart, to: now, resume });
  const adv = advance({
    stored, violations: findings.filter((f) => f.verdict === 'violation'), now, windowStart,
    healAfterMinutes: config.policy.healAfterMinutes ?? POLICY_DEFAULTS.healAfterMinutes, sinks,
  });
  // the owed notices are durable before the first is sent
  for (const inc of adv.changed) await writeIncident(store, inc);

  const latest = new Map<string, StoredIncident>(stored.map((i) => [i.id, i]));
  for (const inc of adv.changed) latest.set(inc.id, inc);
  const result: CheckResult = {
    now, windowStart, opened: adv.opened.map(plain), resolved: adv.resolved.map(plain), ongoing: adv.ongoing.map(plain),
    delivered: [], failed: [], dropped: [], unknown: findings.filter((f) => f.verdict === 'unknown'),
  };
  for (const inc of latest.values()) {
    if (inc.pending.length > 0) await deliverOwed(store, inc, sinks, send, result);
  }
  return result;
}

const PARTS: Record<PendingNotice, readonly ['opened' | 'resolved', AlertSink]> = {
  'opened:webhook': ['opened', 'webhook'], 'opened:email': ['opened', 'email'], 'resolved:webhook': ['resolved', 'webhook'], 'resolved:email': ['resolved', 'email'],
};

/** Try every notice an incident owes, oldest first; per sink, a resolved notice waits for its alert. */
async function deliverOwed(store: Store, inc: StoredIncident, sinks: readonly AlertSink[], send: Deliver, result: CheckResult): Promise<void> {
  const owed: PendingNotice[] = [];
  const blocked = new Set<string>();
  let failures = 0;
  let lastError = '';
  for (const p of inc.pending) {
    const [type, sink] = PARTS[p];
    if (!sinks.includes(sink)) {
      result.dropped.push({ id: inc.id, notice: p });
      continue;
    }
    if (blocked.has(sink)) {
      owed.push(p);
      continue;
    }
    try {
      const receipt = await send(sink, noticeOf(inc, type));
      result.delivered.push({ id: inc.id, notice: p, receipt });
    } catch (err) {
      lastError = `${sink}: ${(err as Error).message}`;
      failures++;
      owed.push(p);
      blocked.add(sink);
      result.failed.push({ id: inc.id, notice: p, error: lastError });
    }
  }
  await writeIncident(store, { ...inc, pending: owed, failures: inc.failures + failures, lastError: owed.length > 0 ? lastError || inc.lastError : '', version: inc.version + 1 });
}

function plain(i: StoredIncident): PolicyIncident {
  const { version: _v, ...rest } = i;
  return rest;
}

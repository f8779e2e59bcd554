import { AlertDigest, AlertNotice, DIGEST_LISTED, MailtraceError, type AlertMessage, type AlertSink, type AlertSinks, type PolicyIncident, type SmtpConfig } from '../../schemas/index.ts';
import { sendMail } from '../notify/smtp.ts';
import { renderEmail } from './email.ts';

/**
 * Alert notices and their delivery: a webhook (POST of the notice as JSON) and e-mail through the
 * one mail sender. A delivery either resolves or throws MT_ERR_NOTIFY with the sink's words; the
 * check records the failure on the incident and tries again at the next check.
 */
/** Delivers one notice or digest; resolves to the sink's receipt (the relay's `250 … queued as ID`, the webhook's status). */
export type Deliver = (sink: AlertSink, notice: AlertMessage) => Promise<string>;

/** A webhook that has not answered by then is a failure (retried at the next check). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export function sinksOf(alerts: AlertSinks): AlertSink[] {
  const out: AlertSink[] = [];
  if (alerts.webhook) out.push('webhook');
  if (alerts.email) out.push('email');
  return out;
}

export function noticeOf(incident: PolicyIncident, type: AlertNotice['type']): AlertNotice {
  const { pending: _p, failures: _f, lastError: _e, ...rest } = incident;
  return AlertNotice.parse({ type, incident: rest });
}

/** A notice a check held back (past alerts.maxPerCheck), for its digest. */
export interface HeldNotice {
  type: AlertNotice['type'];
  incident: PolicyIncident;
}

/** The digest of a check's held-back notices (all of them counted, the first DIGEST_LISTED listed). */
export function digestOf(at: string, maxPerCheck: number, held: readonly HeldNotice[]): AlertDigest {
  return AlertDigest.parse({
    type: 'digest', id: `digest@${at}`, at, maxPerCheck, heldBack: held.length,
    notices: held.slice(0, DIGEST_LISTED).map(({ type, incident: i }) => ({
      type,
      incident: { id: i.id, rule: i.rule, kind: i.kind, severity: i.severity, groupBy: i.groupBy, from: i.from, to: i.to, domain: i.domain, routeCount: i.routeCount, handoffs: i.handoffs, firstSeen: i.firstSeen, lastSeen: i.lastSeen },
    })),
  });
}

/** what the X-Mailtrace-Incident header carries: the incident's id, or the digest's */
export const idOf = (m: AlertMessage): string => (m.type === 'digest' ? m.id : m.incident.id);

/** The real sinks of a config. An e-mail sink without an `smtp` section is a config error, said before any check. */
export function alertDelivery(config: { alerts: AlertSinks; smtp?: SmtpConfig }, smtpPassword?: string): Deliver {
  const { webhook, email } = config.alerts;
  if (email && !config.smtp) throw new MailtraceError('MT_ERR_BAD_CONFIG', 'alerts.email needs the smtp section (the relay alerts are sent through)');
  return async (sink, notice) => {
    if (sink === 'webhook' && webhook) return postWebhook(webhook, notice);
    if (sink === 'email' && email && config.smtp) return (await sendMail(config.smtp, renderEmail(notice, email.to), smtpPassword)).response;
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `no ${sink} sink is configured`);
  };
}

async function postWebhook(cfg: NonNullable<AlertSinks['webhook']>, notice: AlertMessage): Promise<string> {
  // the URL's query may hold a token: errors name the origin and path only
  const where = (() => {
    const u = new URL(cfg.url);
    return `${u.origin}${u.pathname}`;
  })();
  let res: Response;
  try {
    res = await fetch(cfg.url, {
      method: 'POST',
      headers: { ...cfg.headers, 'content-type': 'application/json', 'x-mailtrace-incident': idOf(notice), 'x-mailtrace-notice': notice.type },
      body: JSON.stringify(notice),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error;
    const why = e.name === 'TimeoutError' ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s` : `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}`;
    throw new MailtraceError('MT_ERR_NOTIFY', `webhook ${where}: ${why}`, { cause: err });
  }
  // read the body either way: an unread body keeps its connection from the pool
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new MailtraceError('MT_ERR_NOTIFY', `webhook ${where} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  return `HTTP ${res.status}`;
}

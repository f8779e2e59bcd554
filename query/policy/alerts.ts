import { AlertNotice, MailtraceError, type AlertSink, type AlertSinks, type PolicyIncident, type SmtpConfig } from '../../schemas/index.ts';
import { sendMail, type OutgoingMail } from '../notify/smtp.ts';

/**
 * Alert notices and their delivery: a webhook (POST of the notice as JSON) and e-mail through the
 * one mail sender. A delivery either resolves or throws MT_ERR_NOTIFY with the sink's words; the
 * check records the failure on the incident and tries again at the next check.
 */
/** Delivers one notice; resolves to the sink's receipt (the relay's `250 … queued as ID`, the webhook's status). */
export type Deliver = (sink: AlertSink, notice: AlertNotice) => Promise<string>;

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

async function postWebhook(cfg: NonNullable<AlertSinks['webhook']>, notice: AlertNotice): Promise<string> {
  // the URL's query may hold a token: errors name the origin and path only
  const where = (() => {
    const u = new URL(cfg.url);
    return `${u.origin}${u.pathname}`;
  })();
  let res: Response;
  try {
    res = await fetch(cfg.url, {
      method: 'POST',
      headers: { ...cfg.headers, 'content-type': 'application/json', 'x-mailtrace-incident': notice.incident.id, 'x-mailtrace-notice': notice.type },
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

const KIND_WORDS: Record<PolicyIncident['kind'], string> = {
  'min-tls-version': 'TLS below the required version (or none)',
  'verified-tls': 'TLS without a verified certificate (or none)',
  'no-plaintext': 'plaintext (no TLS)',
};

/** The mail of a notice: subject and header carry the incident; the body the evidence. */
export function renderEmail(notice: AlertNotice, to: readonly string[]): OutgoingMail {
  const i = notice.incident;
  const pair = `${i.from || '?'} -> ${i.to || '?'}${i.domain ? ` (${i.domain})` : ''}`;
  const subject = notice.type === 'opened'
    ? `[mailtrace] ${i.severity.toUpperCase()}: ${i.rule} violated on ${pair}`
    : `[mailtrace] resolved: ${i.rule} on ${pair}`;
  const lines = [
    notice.type === 'opened' ? `Rule ${i.rule} (${i.kind}) is violated: ${KIND_WORDS[i.kind]}.` : `Rule ${i.rule} (${i.kind}) has had no violation on this route since ${i.lastSeen}.`,
    '',
    `Route:        ${pair}`,
    `Severity:     ${i.severity}`,
    `Hand-offs:    ${i.handoffs} violating, ${i.firstSeen} to ${i.lastSeen}`,
    `Opened:       ${i.openedAt}`,
    ...(i.resolvedAt ? [`Resolved:     ${i.resolvedAt}`] : []),
    `Incident:     ${i.id}`,
    '',
    'Samples (message, recipient, TLS as the logs recorded it):',
    ...i.samples.map((s) => `  ${s.start}  ${s.messageId || s.traceId}  ${s.recipient}  ${s.tls}${s.tlsVersion ? ` ${s.tlsVersion}` : ''}${s.tlsTrust ? ` trust=${s.tlsTrust}` : ''}${s.tlsEvidence ? ` evidence=${s.tlsEvidence}` : ''}`),
  ];
  return { to, subject, text: `${lines.join('\n')}\n`, headers: { 'X-Mailtrace-Incident': i.id, 'X-Mailtrace-Notice': notice.type } };
}

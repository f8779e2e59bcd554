import { pino } from 'pino';

/**
 * Where a check says what it did not send on its own (notices held back past
 * alerts.maxPerCheck): pino's logger fits, and a test's recorder. The default writes JSON lines
 * to stderr, so `mailtrace policy check` keeps its stdout for its summary.
 */
export interface PolicyLog {
  warn(details: object, message: string): void;
}

let fallback: PolicyLog | undefined;

/** One pino logger on stderr for every check of the process (made when first needed). */
export function defaultPolicyLog(): PolicyLog {
  fallback ??= pino({ name: 'mailtrace-policy', level: 'warn' }, pino.destination({ dest: 2, sync: true }));
  return fallback;
}

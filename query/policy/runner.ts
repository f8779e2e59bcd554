import type { Store } from '../../store/index.ts';
import { checkPolicy, type CheckResult, type PolicyCheckConfig } from './check.ts';
import type { PolicyLog } from './log.ts';

/**
 * Policy checks while `serve` runs: one every `everyMs`, never two at once (a check asked for
 * while one runs waits for it and runs after), the timer unref'd so it never holds the process,
 * and stop() waits for the running check. A failed check is reported through onError and the
 * next one runs on schedule (its owed notices are still owed: check.ts keeps them).
 */
export interface PolicyRunner {
  /** run a check now (after the running one, if any) */
  runNow(): Promise<CheckResult>;
  stop(): Promise<void>;
}

export function startPolicyChecks(opts: { store: Store; config: PolicyCheckConfig; everyMs: number; smtpPassword?: string; log?: PolicyLog; now?: () => Date; onResult?: (r: CheckResult) => void; onError?: (err: unknown) => void }): PolicyRunner {
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const run = (): Promise<CheckResult> => {
    const next = chain.then(() => checkPolicy(opts.store, opts.config, { now: (opts.now ?? (() => new Date()))(), smtpPassword: opts.smtpPassword, log: opts.log }));
    chain = next.catch(() => undefined);
    return next;
  };
  const tick = () => {
    if (stopped) return;
    run().then((r) => opts.onResult?.(r), (err) => opts.onError?.(err));
  };
  const timer = opts.config.policy.rules.length > 0 && opts.everyMs > 0 ? setInterval(tick, opts.everyMs) : undefined;
  timer?.unref();
  return {
    runNow: run,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await chain;
    },
  };
}

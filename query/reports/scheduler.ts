import { Cron } from 'croner';
import { MailtraceError, reportsSettings, type ReportsConfig, type SmtpConfig, type TlsPolicy } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import type { SentMail } from '../notify/smtp.ts';
import { runReport } from './files.ts';
import { sendReport } from './mail.ts';
import { planRun, type PlannedRun } from './period.ts';

/**
 * The report schedules of `serve`: one croner job per schedule. A firing plans its run from the
 * fire time (period.ts), writes the report and mails it when the schedule names recipients.
 * One run at a time per schedule: a firing while the last run is still going is skipped and
 * logged, not queued. Nothing a run does can throw out of here: every outcome, failures
 * included, goes to the log and to onRun.
 */
export type RunOutcome =
  | { status: 'done'; run: PlannedRun; id: string; path: string; ms: number; mailed?: SentMail }
  | { status: 'skipped'; schedule: string; reason: string }
  /** `id` set when the report was written and only the mail failed */
  | { status: 'failed'; schedule: string; run?: PlannedRun; id?: string; error: Error };

/** pino's logger (fastify's app.log) fits; so does console */
export interface SchedulerLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface SchedulerOptions {
  store: Store;
  /** the config file's `reports` section */
  config: ReportsConfig;
  /** the config file's `policy` section: TLS compliance reports list its rules' findings */
  policy?: TlsPolicy;
  /** required when any schedule has recipients */
  smtp?: SmtpConfig;
  smtpPassword?: string;
  /** the clock a firing plans its period by (tests inject one) */
  now?: () => Date;
  onRun?: (outcome: RunOutcome) => void;
  log?: SchedulerLog;
}

export interface Scheduler {
  /** the croner job of each schedule, by name: nextRun(), and trigger() to fire one now */
  readonly jobs: ReadonlyMap<string, Cron>;
  /** fire a schedule now, as its cron would (the overlap rule applies) */
  runNow(name: string): Promise<RunOutcome>;
  /** stop every job; resolves when the runs already going have finished (they cannot be cut short: a store query is not interruptible) */
  stop(): Promise<void>;
}

const STDERR_LOG: SchedulerLog = {
  info: (m) => process.stderr.write(`mailtrace: ${m}\n`),
  warn: (m) => process.stderr.write(`mailtrace: ${m}\n`),
  error: (m) => process.stderr.write(`mailtrace: ${m}\n`),
};

export function startScheduler(o: SchedulerOptions): Scheduler {
  const { dir, schedules } = reportsSettings(o.config);
  const mailing = schedules.filter((s) => (s.to ?? []).length > 0);
  if (mailing.length > 0 && !o.smtp) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `report schedule${mailing.length > 1 ? 's' : ''} ${mailing.map((s) => JSON.stringify(s.name)).join(', ')} mail${mailing.length > 1 ? '' : 's'} reports, but the config file has no smtp section`);
  }
  const now = o.now ?? (() => new Date());
  const log = o.log ?? STDERR_LOG;
  const running = new Map<string, Promise<RunOutcome>>();
  const jobs = new Map<string, Cron>();
  let stopped = false;

  const report = (outcome: RunOutcome): RunOutcome => {
    try {
      o.onRun?.(outcome);
    } catch (err) {
      log.error(`report schedule: the onRun callback failed: ${(err as Error).message}`);
    }
    return outcome;
  };

  async function execute(name: string): Promise<RunOutcome> {
    const schedule = schedules.find((s) => s.name === name);
    if (!schedule) throw new MailtraceError('MT_ERR_NOT_FOUND', `no report schedule named ${JSON.stringify(name)}`);
    let run: PlannedRun | undefined;
    let id: string | undefined;
    const started = performance.now();
    try {
      run = planRun(schedule, now(), dir);
      const written = await runReport(o.store, { kind: run.kind, name: run.name, from: run.from, to: run.to, dir: run.dir, policy: o.policy });
      id = written.id;
      // checked at start: a schedule with recipients has a relay here
      const mailed = run.recipients.length > 0 && o.smtp ? await sendReport(o.smtp, written.report, run.recipients, o.smtpPassword) : undefined;
      log.info(`report ${written.id} written to ${written.path}${mailed ? `, mailed to ${run.recipients.join(', ')} (${mailed.response})` : ''}`);
      return { status: 'done', run, id: written.id, path: written.path, ms: performance.now() - started, mailed };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      log.error(`report schedule ${JSON.stringify(name)} failed${id ? ` after writing ${id}` : ''}: ${error.message}`);
      return { status: 'failed', schedule: name, run, id, error };
    }
  }

  function fire(name: string): Promise<RunOutcome> {
    if (stopped) return Promise.resolve(report({ status: 'skipped', schedule: name, reason: 'the scheduler is stopped' }));
    const going = running.get(name);
    if (going) {
      log.warn(`report schedule ${JSON.stringify(name)} fired while its last run is still going: skipped`);
      return Promise.resolve(report({ status: 'skipped', schedule: name, reason: 'the previous run is still going' }));
    }
    const p = (async () => {
      try {
        return report(await execute(name));
      } catch (err) {
        return report({ status: 'failed', schedule: name, error: err instanceof Error ? err : new Error(String(err)) });
      } finally {
        running.delete(name);
      }
    })();
    running.set(name, p);
    return p;
  }

  for (const s of schedules) {
    // unref: the jobs alone do not keep the process alive; `catch` is a second net under fire()'s own
    jobs.set(s.name, new Cron(s.cron, { timezone: s.timezone, unref: true, catch: (err) => log.error(`report schedule ${s.name}: ${String(err)}`) }, async () => {
      await fire(s.name);
    }));
  }

  return {
    jobs,
    runNow: fire,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const j of jobs.values()) j.stop();
      await Promise.allSettled([...running.values()]);
    },
  };
}

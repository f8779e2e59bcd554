import { Cron } from 'croner';
import type { ReportRange, ReportSchedule } from '../../schemas/index.ts';
import type { Period } from './model.ts';

/**
 * The period a scheduled run covers: the last complete calendar day, week (Monday 00:00 to
 * Monday 00:00, ISO 8601) or month that ended at or before the run time, in the schedule's
 * timezone (UTC when none). A run at Monday 07:00 with range `week` reports the week that ended
 * seven hours before, whatever the cron says, so a late or repeated run reports the same period.
 *
 * The boundaries are croner's too (midnight, Monday, the 1st as cron patterns): its calendar
 * walk already knows daylight saving time (a day may be 23 or 25 hours long).
 */
const BOUNDARY: Record<ReportRange, string> = { day: '0 0 * * *', week: '0 0 * * 1', month: '0 0 1 * *' };

export function periodBefore(range: ReportRange, at: Date, timezone?: string): Period {
  const job = new Cron(BOUNDARY[range], { paused: true, timezone });
  try {
    // previousRuns is strictly before its reference: one millisecond on, a run at the boundary itself counts it
    const [end, start] = job.previousRuns(2, new Date(at.getTime() + 1));
    return { from: start.toISOString(), to: end.toISOString() };
  } finally {
    job.stop();
  }
}

/** What one firing of a schedule does: which report, over which period, written where, mailed to whom. */
export interface PlannedRun {
  schedule: string;
  kind: ReportSchedule['kind'];
  name: string;
  from: string;
  to: string;
  dir: string;
  recipients: string[];
}

export function planRun(schedule: ReportSchedule, fireTime: Date, dir: string): PlannedRun {
  const period = periodBefore(schedule.range, fireTime, schedule.timezone);
  return { schedule: schedule.name, kind: schedule.kind, name: schedule.name, ...period, dir, recipients: schedule.to ?? [] };
}

import { Cron } from 'croner';
import { z } from 'zod';

/**
 * Scheduled reports (the `reports` section of the config file, issue 9): which report, when
 * (a cron expression, read by croner), over which period, and to whom it is mailed.
 */
export const ReportKind = z.enum(['tls-compliance', 'delivery-failures', 'protection-coverage', 'volume-summary']);
export type ReportKind = z.infer<typeof ReportKind>;

/**
 * The period a scheduled run covers: the last complete calendar day, week (Monday to Monday) or
 * month before the run time, in the schedule's timezone (query/reports/period.ts).
 */
export const ReportRange = z.enum(['day', 'week', 'month']);
export type ReportRange = z.infer<typeof ReportRange>;

/**
 * A report's name becomes part of a directory name and of the report's id in URLs: letters,
 * digits, `_` and `-` only, so no name can climb out of the reports directory or need escaping.
 */
export const ReportName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and - only (1–64, starting with a letter or digit)');

export const DEFAULT_REPORTS_DIR = './reports';

/** croner's own reading of the expression and zone: what it refuses now would fail at the first run */
function cronProblem(cron: string, timezone: string | undefined): string | undefined {
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      return `unknown timezone ${JSON.stringify(timezone)} (an IANA name such as Europe/Berlin)`;
    }
  }
  try {
    const job = new Cron(cron, { paused: true, timezone });
    job.stop();
    return undefined;
  } catch (err) {
    return `cron ${JSON.stringify(cron)}: ${(err as Error).message}`;
  }
}

export const ReportSchedule = z.object({
  name: ReportName,
  kind: ReportKind,
  /** five fields (minute hour day month weekday), e.g. `0 7 * * 1`: Mondays at 07:00 */
  cron: z.string().min(1),
  range: ReportRange,
  /** mailed to these addresses through the config's smtp relay; none: only written to `dir` */
  to: z.array(z.email()).optional(),
  /** IANA zone the cron and the period are read in (default UTC) */
  timezone: z.string().min(1).optional(),
}).strict().superRefine((s, ctx) => {
  const problem = cronProblem(s.cron, s.timezone);
  if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: `schedule ${JSON.stringify(s.name)}: ${problem}` });
});
export type ReportSchedule = z.infer<typeof ReportSchedule>;

/**
 * Both fields are optional in the parsed value: the config file gives this section a default of
 * `{}`, and zod 4 returns a default as it is, without applying the fields' own defaults. Readers
 * take `reportsSettings(section)`, which fills them in one place.
 */
export const ReportsConfig = z.object({
  /** where reports are written (default ./reports), one directory per report */
  dir: z.string().min(1).optional(),
  schedules: z.array(ReportSchedule).optional(),
}).strict().superRefine((r, ctx) => {
  const seen = new Set<string>();
  for (const [i, s] of (r.schedules ?? []).entries()) {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['schedules', i, 'name'], message: `schedule name ${JSON.stringify(s.name)} is used twice` });
    seen.add(s.name);
  }
});
export type ReportsConfig = z.infer<typeof ReportsConfig>;

export function reportsSettings(section: ReportsConfig): { dir: string; schedules: ReportSchedule[] } {
  return { dir: section.dir ?? DEFAULT_REPORTS_DIR, schedules: section.schedules ?? [] };
}

/**
 * A written report as the API lists it (query/reports/files.ts). Its id is its directory's name,
 * `<name>-<kind>-<from>_<to>` with compact UTC stamps (20261123T000000Z): the API serves a file
 * only by an id and a file name that the listing holds, never a path joined from a request.
 */
export const REPORT_ID = new RegExp(`^([A-Za-z0-9][A-Za-z0-9_-]{0,63})-(${ReportKind.options.join('|')})-(\\d{8}T\\d{6}Z)_(\\d{8}T\\d{6}Z)$`);
export const REPORT_FILE = /^[a-z0-9][a-z0-9-]{0,63}\.(html|csv|json|svg)$/;

export const ReportEntry = z.object({
  id: z.string().regex(REPORT_ID),
  name: ReportName,
  kind: ReportKind,
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** when it was written (its report.json's modification time) */
  created: z.iso.datetime(),
  files: z.array(z.object({ name: z.string().regex(REPORT_FILE), bytes: z.number().int().nonnegative() })),
});
export type ReportEntry = z.infer<typeof ReportEntry>;

/** GET /api/reports: newest first */
export const ReportList = z.object({ reports: z.array(ReportEntry) });
export type ReportList = z.infer<typeof ReportList>;

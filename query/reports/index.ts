/**
 * Reports (issue 9): the views of a period rendered as a self-contained HTML page with server-side
 * SVG charts, one CSV per table and the view data as JSON; written to a directory, listed and
 * served by id, mailed, and run on cron schedules by `serve`.
 */
export { REPORT_KINDS, buildReport, renderContent, timeReport } from './render.ts';
export { listReports, normalizePeriod, reportFile, reportId, runReport, REPORT_CSP, type RunReportOptions, type WrittenReport } from './files.ts';
export { reportSubject, reportText, sendReport } from './mail.ts';
export { periodBefore, planRun, type PlannedRun } from './period.ts';
export { startScheduler, type RunOutcome, type Scheduler, type SchedulerLog, type SchedulerOptions } from './scheduler.ts';
export { csvCell, toCsv } from './csv.ts';
export { escapeHtml, periodText } from './html.ts';
export type { Cell, ChartSpec, Period, RenderedReport, ReportContent, ReportOptions, ReportSection, ReportTable } from './model.ts';

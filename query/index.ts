export { buildApp, type AppOptions } from './api/app.ts';
export type { IngestHook, IngestLimits } from './api/ingest.ts';
export { traceMessage, normalizeMessageId } from './trace/read.ts';
export { searchMessages, summarize } from './sql/messages.ts';
export { overviewView, topologyView, securityView, deliveryView, protectionView, ingestionView } from './sql/views.ts';
export { listHops } from './sql/hop-list.ts';
export { hashToken, generateToken } from './api/access.ts';
export { checkPolicy, evaluatePolicy, listIncidents, alertDelivery, startPolicyChecks, type CheckResult, type PolicyRunner } from './policy/index.ts';
export { listReports, reportFile, runReport, sendReport, startScheduler, timeReport, REPORT_CSP, type RunOutcome, type Scheduler, type WrittenReport } from './reports/index.ts';

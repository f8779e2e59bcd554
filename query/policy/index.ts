/** The TLS policy: evaluation of its rules on stored hops, incidents, and the alerts they send. */
export { evaluatePolicy, type EvaluationRange, type ResumePoint } from './evaluate.ts';
export { checkPolicy, type CheckOptions, type CheckResult, type PolicyCheckConfig } from './check.ts';
export { listIncidents } from './incidents.ts';
export { alertDelivery, WEBHOOK_TIMEOUT_MS, type Deliver } from './alerts.ts';
export { renderEmail } from './email.ts';
export { type DigestOutcome } from './deliver.ts';
export { type PolicyLog } from './log.ts';
export { startPolicyChecks, type PolicyRunner } from './runner.ts';

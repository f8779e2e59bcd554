export { buildApp, type AppOptions, type IngestHook } from './api/app.ts';
export { traceMessage, normalizeMessageId } from './trace/read.ts';
export { searchMessages, summarize } from './sql/messages.ts';

export { buildApp, type AppOptions, type IngestHook } from './api/app.ts';
export { traceMessage, normalizeMessageId } from './trace/fetch.ts';
export { reconstruct, type StoredEvent } from './trace/reconstruct.ts';
export { searchMessages, summarize } from './sql/messages.ts';

export { runIngest, type IngestOptions, type IngestSummary, type IngestProgress, type InputFormat } from './pipeline/run.ts';
export type { DateOrder } from './formats/exchange/index.ts';
export { PostfixParser } from './formats/postfix/index.ts';

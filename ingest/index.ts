export { runIngest, type IngestOptions, type IngestSummary, type IngestProgress, type InputFormat } from './pipeline/run.ts';
export { PostfixParser } from './formats/postfix/index.ts';

export { runIngest, type BadInput, type IngestOptions, type IngestSummary, type IngestProgress, type InputFormat } from './pipeline/run.ts';
export { inputFiles, type InputSpec } from './sources/files.ts';
export type { DateOrder } from './formats/exchange/index.ts';
export { PostfixParser } from './formats/postfix/index.ts';
export { analyzeHeaders } from './formats/headers/analyze.ts';
export { decodeRecord, encodeEvent, encodeEventBody, encodeEvents, encodeRejection, eventKey, KafkaPublisher, Sink, type EventPublisher, type SinkBatchReport, type SinkTotals } from './stream/index.ts';
export { followInputs, type FollowOptions, type FollowTotals } from './pipeline/follow.ts';
export { Metrics, METRIC } from './metrics.ts';
export { parseListen, SyslogReceiver, type ListenSpec } from './sources/syslog.ts';

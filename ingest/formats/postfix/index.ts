export { PostfixParser, SETTLE_HOLD_MS, type HostContext, type ParseSink, type LineRef, type PostfixParserOptions } from './parser.ts';
export { parseEnvelope, YearTracker, parseIsoTime } from './envelope.ts';
export { parseRecord, type PostfixRecord } from './records.ts';
export { looksLikePostfix } from './detect.ts';

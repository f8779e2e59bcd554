export { KafkaPublisher, type EventPublisher } from './producer.ts';
export { Sink, type SinkBatchReport, type SinkOptions, type SinkTotals } from './sink.ts';
export { decodeRecord, encodeEvent, encodeEventBody, encodeEvents, encodeRejection, eventKey } from './codec.ts';

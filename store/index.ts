export { Store, type FileCheckpoint, type QueryParams } from './store.ts';
export { Batcher, type BatcherOptions } from './batcher.ts';
export { Limiter } from './limiter.ts';
export { eventToTsv, TsvChunker } from './tsv.ts';

export { Store, type FileCheckpoint, type QueryParams, type StoreTable } from './store.ts';
export { Batcher, type BatcherOptions } from './batcher.ts';
export { Limiter } from './limiter.ts';
export { eventToTsv, isoFromStore, TsvChunker, tsvArray, tsvEscape, tsvTime } from './tsv.ts';

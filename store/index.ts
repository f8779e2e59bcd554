export { Store, type FileCheckpoint, type QueryParams, type StoreTable } from './store.ts';
export { Batcher, type BatcherOptions } from './batcher.ts';
export { Limiter } from './limiter.ts';
export { isoFromStore, tsvArray, tsvEscape, tsvTime } from './tsv.ts';
export { eventBlockWriter, EVENT_NATIVE_STRUCTURE, NativeBlockWriter, nativeStructure } from './native.ts';
export { applyClusterSchema } from './cluster.ts';

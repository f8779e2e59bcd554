export { ensureStitched, STITCH_PENDING, stitchAll, stitchTouched, STITCH_VERSION, Touched, type StitchOptions, type StitchSummary } from './run.ts';
export { reconstruct, type StoredEvent } from './reconstruct.ts';
export { messageKey, queueKeyOf } from './rows.ts';

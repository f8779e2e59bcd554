// The parse worker's entry (ingest/pipeline/parallel.ts): a worker starts without the main
// thread's TypeScript loader, so it registers tsx before it loads the worker's source.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../store/index.ts';

/** A real embedded store in a fresh temp directory. */
export async function tempStore(): Promise<{ store: Store; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-test-'));
  const store = await Store.open({ kind: 'embedded', dataDir: join(dir, 'data') });
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

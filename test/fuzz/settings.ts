import type { Parameters } from 'fast-check';

/**
 * How many cases each fuzz property runs, and from which seed. Fixed by default so that a CI
 * failure is reproducible as it stands; the environment overrides it (tests may read env, product
 * code may not):
 *   FUZZ_RUNS=N      cases per property (default 500; 11 properties, so 5,500 cases per `npm test`)
 *   FUZZ_SEED=N      the seed (default 20260301)
 *   FUZZ_PATH=a:b:c  replay one failing case: the `path` fast-check printed with its seed (set it
 *                    together with a test name filter, `--test-name-pattern`)
 * A failure prints the seed and path that replay it, and the shrunk input.
 */
const DEFAULT_RUNS = 500;
const DEFAULT_SEED = 20260301;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name}=${raw}: an integer is needed`);
  return n;
}

export const FUZZ_RUNS = Math.max(1, intFromEnv('FUZZ_RUNS', DEFAULT_RUNS));
export const FUZZ_SEED = intFromEnv('FUZZ_SEED', DEFAULT_SEED);
const FUZZ_PATH = process.env.FUZZ_PATH || undefined;

/** fast-check parameters for one property (the same seed for all of them: each is replayable alone). */
export function fuzzParams<T>(): Parameters<T> {
  return { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, path: FUZZ_PATH, includeErrorInReport: true };
}

/** The label a property's test carries, so CI output says how many cases ran and from which seed. */
export function cases(what: string): string {
  return `${what} [${FUZZ_RUNS} cases, seed ${FUZZ_SEED}]`;
}

/** Below this many cases a run may miss a path by chance, so what it reached is not asserted. */
const COVERAGE_RUNS = 200;

/**
 * Log what ran once the property passed (the test name says it too; this line is greppable), and
 * what it reached; on a run of a usual size, fail when an expected outcome was never reached.
 */
export function ran(what: string, started: number, reached?: { missing(expected: readonly string[]): string[]; toString(): string }, expected: readonly string[] = []): void {
  console.log(`fuzz: ${what}: ${FUZZ_RUNS} cases (seed ${FUZZ_SEED}) in ${((performance.now() - started) / 1000).toFixed(1)} s${reached ? `; reached ${reached}` : ''}`);
  if (reached && FUZZ_RUNS >= COVERAGE_RUNS && FUZZ_PATH === undefined) {
    const missing = reached.missing(expected);
    if (missing.length > 0) throw new Error(`fuzz: ${what}: ${FUZZ_RUNS} cases never reached ${missing.join(', ')}: the generators no longer test them`);
  }
}

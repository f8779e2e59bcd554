import type { TestContext } from 'node:test';

/**
 * A test that needs a real component (Postfix, Chromium, Kafka) and cannot start it: in CI
 * (CI=true) that is a failure; on a laptop the test is skipped with a loud message.
 * Returns true when the test should go on.
 */
export function requireComponent(t: TestContext, available: { ok: true } | { ok: false; why: string }): boolean {
  if (available.ok) return true;
  if (process.env.CI === 'true') throw new Error(`required component unavailable in CI: ${available.why}`);
  console.warn(`\n*** SKIPPED ${t.name}: ${available.why} ***\n`);
  t.skip(available.why);
  return false;
}

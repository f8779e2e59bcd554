import type { z } from 'zod';
import { MailtraceError } from '../schemas/index.ts';

/**
 * What the store answers is parsed against the contract before it leaves the query layer, never
 * cast: a row written by another version, or damaged, is an error that says so (MT_ERR_INTERNAL,
 * with the first problems), not a shape the API or the dashboard half-understands.
 */
export function fromStore<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ');
  throw new MailtraceError('MT_ERR_INTERNAL', `the store holds ${what} that does not match the contract (${problems}); if the store was made by another version, run any mailtrace command on it to rebuild its hops`);
}

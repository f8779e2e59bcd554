import { z } from 'zod';
import { PolicyIncident } from './policy.ts';

/** What alert sinks receive (query/policy/alerts.ts): one notice per incident change, or a digest of those a check held back. */

const count = z.number().int().nonnegative();

/** What a sink receives about one incident: the webhook's JSON body; the e-mail says the same in words. */
export const AlertNotice = z.object({
  type: z.enum(['opened', 'resolved']),
  incident: PolicyIncident.omit({ pending: true, failures: true, lastError: true }),
});
export type AlertNotice = z.infer<typeof AlertNotice>;

/** held-back notices a digest lists at most (the count says how many there were) */
export const DIGEST_LISTED = 50;

/**
 * The one notice that stands for those a check held back (past alerts.maxPerCheck): how many,
 * and the first DIGEST_LISTED of them. A held-back notice is owed until a digest naming it was
 * delivered to its sink.
 */
export const AlertDigest = z.object({
  type: z.literal('digest'),
  /** `digest@<check time>`: the X-Mailtrace-Incident header of the digest */
  id: z.string(),
  at: z.string(),
  maxPerCheck: count,
  /** notices held back by this check */
  heldBack: count,
  notices: z.array(z.object({
    type: z.enum(['opened', 'resolved']),
    incident: PolicyIncident.pick({ id: true, rule: true, kind: true, severity: true, groupBy: true, from: true, to: true, domain: true, routeCount: true, handoffs: true, firstSeen: true, lastSeen: true }),
  })).max(DIGEST_LISTED),
});
export type AlertDigest = z.infer<typeof AlertDigest>;

/** Every body a webhook receives, told apart by `type` (the X-Mailtrace-Notice header says the same). */
export const AlertMessage = z.discriminatedUnion('type', [AlertNotice, AlertDigest]);
export type AlertMessage = z.infer<typeof AlertMessage>;

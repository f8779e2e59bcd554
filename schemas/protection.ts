import { z } from 'zod';

/** End-to-end protection a message's MIME structure shows (log-formats §6); claims, not verified */
export const ProtectionMechanism = z.enum(['smime-signed', 'smime-encrypted', 'pgp-signed', 'pgp-encrypted', 'irm']);
export type ProtectionMechanism = z.infer<typeof ProtectionMechanism>;
export const Protection = z.object({
  mechanisms: z.array(ProtectionMechanism),
  /** the content is encrypted or rights-protected */
  endToEnd: z.boolean(),
  evidence: z.string(),
  /** a copy of the content (a delivered message, headers given to the analyzer) was read: without one, nothing above is known */
  known: z.boolean(),
});
export type Protection = z.infer<typeof Protection>;

/** What a message whose content no ingested input showed says: unknown, not 'unprotected'. */
export function unknownProtection(): Protection {
  return { mechanisms: [], endToEnd: false, evidence: 'no copy of the message content was ingested (logs alone do not show it)', known: false };
}

/** The search filter: one mechanism, any of them, none seen in a copy that was read, or no copy read. */
export const ProtectionFilter = z.enum([...ProtectionMechanism.options, 'any', 'none', 'unknown']);
export type ProtectionFilter = z.infer<typeof ProtectionFilter>;

/** Encryption or rights management hides the content end to end; a signature alone does not. */
export function isEndToEnd(mechanisms: readonly ProtectionMechanism[]): boolean {
  return mechanisms.some((m) => m === 'smime-encrypted' || m === 'pgp-encrypted' || m === 'irm');
}

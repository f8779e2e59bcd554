import { z } from 'zod';

/**
 * TLS policy and alert sinks (the `policy` and `alerts` sections of the config file).
 * PLACEHOLDER: the rule kinds and their evaluation are being written (issue 9).
 */
export const TlsPolicy = z.object({ rules: z.array(z.unknown()).default([]) }).strict();
export type TlsPolicy = z.infer<typeof TlsPolicy>;

export const AlertSinks = z.object({}).passthrough();
export type AlertSinks = z.infer<typeof AlertSinks>;

/** The tables policy evaluation keeps (incidents), created with the others (schemas/ddl.ts). PLACEHOLDER. */
export function policyDdl(_db: string): string[] {
  return [];
}

import { z } from 'zod';

/**
 * API tokens with roles (the `access` section of the config file).
 * PLACEHOLDER: hashed tokens, roles and redaction are being written (issue 9).
 */
export const AccessConfig = z.object({}).passthrough();
export type AccessConfig = z.infer<typeof AccessConfig>;

/** The tables access control keeps (the audit log), created with the others (schemas/ddl.ts). PLACEHOLDER. */
export function accessDdl(_db: string): string[] {
  return [];
}

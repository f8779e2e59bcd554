import { z } from 'zod';

/** Whether a hop was protected by TLS. `unknown` means no log we hold says either way: never a guess. */
export const TlsStatus = z.enum(['encrypted', 'plaintext', 'unknown']);
export type TlsStatus = z.infer<typeof TlsStatus>;

/**
 * How far the peer's certificate was checked, lowest to highest.
 * Postfix: Anonymous (no certificate) / Untrusted / Trusted (chain ok) / Verified (name matched by policy).
 */
export const TlsTrust = z.enum(['', 'none', 'anonymous', 'untrusted', 'trusted', 'verified']);
export type TlsTrust = z.infer<typeof TlsTrust>;

export const TlsInfo = z.object({
  tls: TlsStatus,
  tlsVersion: z.string(),
  cipher: z.string(),
  cipherBits: z.number().int().nonnegative(),
  tlsTrust: TlsTrust,
});
export type TlsInfo = z.infer<typeof TlsInfo>;

export const UNKNOWN_TLS: TlsInfo = Object.freeze({ tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '' });
export const PLAINTEXT_TLS: TlsInfo = Object.freeze({ tls: 'plaintext', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: 'none' });

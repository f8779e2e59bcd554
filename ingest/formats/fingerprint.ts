/**
 * A certificate fingerprint in one spelling for every source: uppercase hex, no separators.
 * Exchange logs `12DEABC6…` (SHA-1 thumbprint), Postfix `1C:51:19:…` (its fingerprint digest);
 * '' for text that is not hex (Microsoft's redacted `xxxx` examples).
 */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/[:\s]/g, '').toUpperCase();
  return /^[0-9A-F]+$/.test(hex) ? hex : '';
}

/**
 * Deterministic event id: the same source line always gets the same id, whichever file or path it
 * is read from, so re-ingesting never double-counts. Two independent 32-bit FNV-1a lanes → 16 hex.
 */
export function eventId(host: string, ms: number, program: string, pid: number, text: string): string {
  const key = `${host}\u0000${ms}\u0000${program}\u0000${pid}\u0000${text}`;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

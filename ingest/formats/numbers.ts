/**
 * Numbers read from log text, in the form the event contract wants (schemas/event.ts): counts,
 * sizes, ports and bits are whole numbers from 0 to what their column holds, durations are finite
 * and ≥ 0. A value a line gives that is none of these (`size=-5`, `delay=-1`, `1e400`, a port of
 * 99999) is not recorded: 0, as for a field the line does not have. One bad field must not cost
 * the line its event, nor the store a batch.
 */

/** the largest port or key size (UInt16 columns: relayPort, cipherBits) */
export const MAX_U16 = 65_535;
/** the largest process id or recipient count (UInt32 columns: pid, nrcpt) */
export const MAX_U32 = 4_294_967_295;

export function wholeNumber(n: number, max = Number.MAX_SAFE_INTEGER): number {
  return Number.isSafeInteger(n) && n >= 0 && n <= max ? n : 0;
}

export function nonNegative(n: number): number {
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

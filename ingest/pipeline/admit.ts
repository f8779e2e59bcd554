import { checkEvent, type MailEvent, type RejectReason } from '../../schemas/index.ts';

/**
 * The event contract at the boundary (schemas/event.ts): an event the store would refuse, or
 * readers could not trust, is kept aside with the position of the line it came from. The parsers
 * are fuzzed never to emit one (test/fuzz/); this is the backstop that keeps one bad event from
 * failing a whole batch insert.
 */
export function contractRejection(e: MailEvent): { reason: RejectReason; detail: string; file: string; offset: number } | undefined {
  let problem = checkEvent(e);
  // the contract's times run from year 0000 to 9999; the store's DateTime64 holds 1900–2299, and
  // one time outside would fail the whole insert it is in
  if (problem === '' && (e.ts < '1900' || e.ts >= '2300')) problem = 'ts: outside the years the store holds (1900–2299)';
  if (problem === '') return undefined;
  return {
    reason: problem.startsWith('ts:') ? 'bad-timestamp' : 'schema',
    detail: `an event that breaks the event contract (${String(e.source)} ${String(e.program)} ${String(e.kind)}): ${problem}`,
    file: typeof e.sourceFile === 'string' ? e.sourceFile : '',
    offset: typeof e.sourceOffset === 'number' && Number.isFinite(e.sourceOffset) && e.sourceOffset >= 0 ? e.sourceOffset : 0,
  };
}

/**
 * An event at the boundary: true when it goes on to the store; false when it broke the contract
 * and was kept aside through `reject` with its source position (both the pipeline's sink and the
 * parse workers' use this).
 */
export function admit(e: MailEvent, reject: (reason: RejectReason, detail: string, ref: { file: string; offset: number; lineNumber: number }, line: string) => void): boolean {
  const refused = contractRejection(e);
  if (!refused) return true;
  reject(refused.reason, refused.detail, { file: refused.file, offset: refused.offset, lineNumber: 0 }, '');
  return false;
}

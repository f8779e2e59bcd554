import { simpleParser } from 'mailparser';
import type { HeaderAnalysis } from '../../../schemas/index.ts';
import { authClaims } from './auth-results.ts';
import { detectProtection } from './protection.ts';
import { receivedChain } from './received.ts';

/**
 * A message's headers (pasted, or a whole message) → the hops its Received chain claims, and the
 * end-to-end protection its MIME structure shows. mailparser splits and unfolds the header fields; a header block it
 * cannot read gives no hops rather than guesses.
 */
export async function analyzeHeaders(text: string): Promise<HeaderAnalysis> {
  // the body is of no use here, and may be large: cut at the first empty line
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n/g, '\r\n') + '\r\n\r\n';
  const parsed = await simpleParser(head, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const received = parsed.headerLines.filter((h) => h.key === 'received').map((h) => h.line);
  const { hops, rejected } = receivedChain(received);
  // protection is read from the whole message (its MIME parts), when the text holds one
  const authentication = parsed.headerLines.flatMap((h) => {
    const value = h.line.slice(h.line.indexOf(':') + 1);
    if (h.key === 'authentication-results') return authClaims('Authentication-Results', value);
    if (h.key === 'arc-authentication-results') return authClaims('ARC-Authentication-Results', value);
    if (h.key === 'x-ms-exchange-authentication-results') return authClaims('X-MS-Exchange-Authentication-Results', value);
    return [];
  });
  return { messageId: parsed.messageId ?? '', protection: await detectProtection(text), hops, rejected, authentication };
}

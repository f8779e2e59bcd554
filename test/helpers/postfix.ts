import { PostfixParser } from '../../ingest/formats/postfix/index.ts';
import type { MailEvent } from '../../schemas/index.ts';

/** Parse Postfix log lines into events (pure, no store), as the store would hold them. */
export function postfixEvents(lines: readonly string[], referenceMs = Date.UTC(2026, 5, 30)): MailEvent[] {
  const parser = new PostfixParser({ referenceMs });
  const out: MailEvent[] = [];
  const sink = { event: (e: MailEvent) => out.push(e), reject: () => {}, skipped: () => {} };
  lines.forEach((l, i) => parser.parseLine(l, { file: 'f', offset: i, lineNumber: i + 1 }, sink));
  parser.flush(sink);
  return out;
}

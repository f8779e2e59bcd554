import { readFileSync } from 'node:fs';
import { ExchangeParser, type ExchangeParserOptions } from '../../../../ingest/formats/exchange/index.ts';
import type { MailEvent } from '../../../../schemas/index.ts';

export interface Parsed {
  events: MailEvent[];
  rejects: { reason: string; detail: string; line: number }[];
  skipped: number;
}

/** Feed files (path → text) to one parser the way the pipeline does: line by line, a file at a time. */
export function parseTexts(files: [string, string][], opts: ExchangeParserOptions = {}): Parsed {
  const out: Parsed = { events: [], rejects: [], skipped: 0 };
  const sink = {
    event: (e: MailEvent) => { out.events.push(e); },
    reject: (reason: string, detail: string, ref: { lineNumber: number }) => { out.rejects.push({ reason, detail, line: ref.lineNumber }); },
    skipped: () => { out.skipped++; },
  };
  const parser = new ExchangeParser({ allPaths: files.map(([p]) => p), ...opts });
  for (const [path, text] of files) {
    parser.beginFile(path);
    let offset = 0;
    text.split('\n').forEach((raw, i, all) => {
      if (i === all.length - 1 && raw === '') return;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      parser.parseLine(line, { file: path, offset, lineNumber: i + 1 }, sink);
      offset += Buffer.byteLength(raw) + 1;
    });
    parser.endFile(sink);
  }
  parser.flush(sink);
  return out;
}

export function fixture(name: string): string {
  return readFileSync(new URL(`../../../fixtures/exchange/${name}`, import.meta.url), 'utf8');
}

import { open } from 'node:fs/promises';
import { looksLikeExchange } from '../formats/exchange/index.ts';
import { looksLikeMessage } from '../formats/headers/fields.ts';
import { isMsgFile } from '../formats/headers/msg.ts';
import { looksLikePostfix } from '../formats/postfix/index.ts';
import { readAsWhole, sniff, type InputFile } from '../sources/files.ts';
import { looksLikeMbox } from '../sources/mbox.ts';
import { looksLikeJournal } from '../formats/journal.ts';
import type { MessageFormat } from './messages.ts';

export type Detected = 'postfix' | 'exchange' | 'journal' | MessageFormat;

/** An input's format from its first bytes and lines (undefined: none we read). */
export async function detect(file: InputFile): Promise<Detected | undefined> {
  if (file.path === '-') return 'postfix';  // stdin: Postfix unless --format says otherwise
  if (!readAsWhole(file) && isMsgFile(await firstBytes(file.source ?? file.path, 8))) return 'msg';
  const lines = await sniff(file);
  if (looksLikeExchange(lines)) return 'exchange';
  if (looksLikeJournal(lines)) return 'journal';
  if (lines.some(looksLikePostfix)) return 'postfix';
  if (looksLikeMbox(lines)) return 'mbox';
  return looksLikeMessage(lines) ? 'message' : undefined;
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

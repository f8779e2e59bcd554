import { readFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { isEndToEnd, type RejectReason } from '../../schemas/index.ts';
import { copyEvents, readCopy, type CopyRead } from '../formats/headers/copy.ts';
import { protectionOfMsg, readMsg } from '../formats/headers/msg.ts';
import type { LineRef, ParseSink } from '../formats/types.ts';
import { openInput, type InputFile } from '../sources/files.ts';
import { splitMbox } from '../sources/mbox.ts';

/**
 * Inputs that are messages rather than logs: one message per file (`.eml`, a maildir file), an
 * mbox (many, split as they stream), an Outlook `.msg` (its transport headers). Each message is
 * read in bounded memory (ingest/formats/headers/copy.ts) and becomes events through the same sink
 * as log lines; a message that is none (no header block, a broken separator, a .msg that is not
 * one) is kept aside with its reason, and the messages around it are still read.
 */
export type MessageFormat = 'message' | 'mbox' | 'msg';

export interface MessageRead {
  bytes: number;
  messages: number;
}

export async function readMessages(file: InputFile, format: MessageFormat, start: number, sink: ParseSink, between: () => Promise<void> | undefined): Promise<MessageRead> {
  const fallbackTs = new Date(file.mtimeMs).toISOString();
  const reject = (reason: RejectReason, detail: string, offset: number, excerpt = ''): void => {
    const ref: LineRef = { file: file.path, offset, lineNumber: 0 };
    sink.reject(reason, detail, ref, excerpt);
  };
  const emit = (copy: CopyRead, offset: number): void => {
    if (copy.head.length === 0) return reject('bad-message', 'no header block: not a message (or its headers were lost)', offset);
    if (!copy.headComplete) reject('bad-message', `header block longer than ${copy.head.length} bytes with no end: read as far as it goes`, offset);
    if (copy.mimeProblem) reject('bad-message', copy.mimeProblem, offset);
    if (copy.mimeError) reject('bad-message', `the MIME structure could not be read (${copy.mimeError}); hops kept, protection unknown`, offset);
    const { events, problems } = copyEvents(copy, { file: file.path, offset, fallbackTs });
    for (const p of problems) reject('bad-header', p.detail, p.offset, p.excerpt);
    if (events.length === 0) return reject('bad-message', 'no Received header and no readable content: nothing to trace', offset);
    for (const e of events) sink.event(e);
  };

  if (format === 'msg') {
    const bytes = await readFile(file.source ?? file.path);
    const read = readMsg(bytes);
    if (!read.ok) {
      reject('bad-message', `not an Outlook message: ${read.reason}`, 0);
      return { bytes: bytes.length, messages: 0 };
    }
    // a .msg keeps the internet headers it arrived with; its MIME body is not there, its message class and attachments are
    const head = Buffer.from(read.msg.headers.replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, ''));
    const { mechanisms, evidence } = protectionOfMsg(read.msg);
    const copy: CopyRead = { head, headComplete: true, size: bytes.length, mimeError: '', mimeProblem: '', protection: { mechanisms, endToEnd: isEndToEnd(mechanisms), evidence: evidence || 'no signature, encryption or rights management in the message class or attachments', known: true } };
    if (head.length === 0) {
      reject('bad-message', 'an Outlook message without transport headers (a draft, or never sent over SMTP): no hops', 0);
      return { bytes: bytes.length, messages: 0 };
    }
    emit(copy, 0);
    return { bytes: bytes.length, messages: 1 };
  }

  if (format === 'message') {
    const copy = await readCopy(openInput(file, 0));
    emit(copy, 0);
    return { bytes: copy.size, messages: 1 };
  }

  let messages = 0;
  // every byte read counts toward the checkpoint: a grown mbox is read on from its old end
  let bytes = 0;
  const source = openInput(file, start);
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // a read error (vanished, truncated .gz) reaches the splitter's reader, and fails this input alone
  source.on('error', (err) => counted.destroy(err));
  source.pipe(counted);
  for await (const m of splitMbox(counted, { startOffset: start, onProblem: (p) => reject('bad-message', p.reason, p.offset) })) {
    const copy = await readCopy(m.stream);
    emit(copy, m.offset);
    messages++;
    const wait = between();
    if (wait) await wait;
  }
  return { bytes, messages };
}

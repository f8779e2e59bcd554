/**
 * A message's header block → its fields with their byte offsets, unfolded (RFC 5322 §2.2: a field
 * is `name: value`, continued on lines that start with space or tab). Offsets make each Received
 * header's event point at its own line in the file. Lenient like the mail systems that write
 * these: 8-bit bytes are read as UTF-8 (replacement characters where they are not), a line that is
 * neither a field nor a continuation is reported, not fatal.
 */
export interface HeaderField {
  /** lower-case name */
  name: string;
  /** unfolded value, trimmed */
  value: string;
  /** byte offset of the field's first byte, from the start of the block */
  offset: number;
}

const NAME = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

export function headerFields(block: Buffer): { fields: HeaderField[]; problems: string[] } {
  const fields: HeaderField[] = [];
  const problems: string[] = [];
  let pos = 0;
  let current: HeaderField | undefined;
  while (pos < block.length) {
    let nl = block.indexOf(10, pos);
    if (nl < 0) nl = block.length;
    const line = block.toString('utf8', pos, nl).replace(/\r$/, '');
    if (line === '') break;
    if ((line[0] === ' ' || line[0] === '\t') && current) {
      current.value += ` ${line.trim()}`;
    } else {
      const m = NAME.exec(line);
      if (m) {
        current = { name: m[1].toLowerCase(), value: line.slice(m[0].length).trim(), offset: pos };
        fields.push(current);
      } else {
        problems.push(`header line at byte ${pos} is neither a field nor a continuation: ${JSON.stringify(line.slice(0, 80))}`);
      }
    }
    pos = nl + 1;
  }
  for (const f of fields) f.value = f.value.trim();
  return { fields, problems };
}

/** The first value of a field, or ''. */
export function fieldValue(fields: readonly HeaderField[], name: string): string {
  return fields.find((f) => f.name === name)?.value ?? '';
}

/** `<local@domain>` out of a Message-ID field (its comments and folding already gone), or ''. */
export function messageIdOf(value: string): string {
  const m = /<[^<>\s]+>/.exec(value);
  return m ? m[0] : '';
}

/** The address in `Name <a@b>` or a bare `a@b`, or ''. */
export function addressOf(value: string): string {
  const m = /<([^<>\s]*)>/.exec(value);
  if (m) return m[1];
  return /^[^\s<>@]+@[^\s<>@]+$/.test(value.trim()) ? value.trim() : '';
}

/** Fields a message's header block nearly always has (RFC 5322 §3.6) and no log line starts with. */
const MESSAGE_FIELDS = new Set(['received', 'message-id', 'from', 'date', 'subject', 'return-path', 'delivered-to', 'to', 'mime-version', 'x-original-to']);

/** First lines of a file (split at '\n') → is it one message (an .eml, a maildir file)? */
export function looksLikeMessage(lines: readonly string[]): boolean {
  let known = 0;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line === '') return known > 0;
    if (line[0] === ' ' || line[0] === '\t') continue;
    const m = NAME.exec(line);
    if (!m) return false;
    if (MESSAGE_FIELDS.has(m[1].toLowerCase())) known++;
  }
  return known >= 2;
}

import msgreader, { type FieldsData } from '@kenjiuno/msgreader';
import { ProtectionMechanism } from '../../../schemas/index.ts';
import { fieldValue, headerFields } from './fields.ts';
import { partMechanisms } from './protection.ts';

/**
 * Outlook .msg files ([MS-OXMSG]: a compound file [MS-CFB] of MAPI properties), read with
 * @kenjiuno/msgreader. A .msg is what a user saves from Outlook when asked "send me the message":
 * its PR_TRANSPORT_MESSAGE_HEADERS are the internet headers the message arrived with, which the
 * header analyser reads like any pasted header block. Property IDs are from [MS-OXPROPS].
 */

export interface MsgAttachment {
  name: string;
  mimeType: string;
  size: number;
  /** for an S/MIME .p7m attachment: the CMS content type its ContentInfo names (RFC 5652 §3) */
  cms?: CmsContentType;
}

export interface MsgContent {
  /** PR_TRANSPORT_MESSAGE_HEADERS (0x007D): the internet headers the message arrived with ('' for a message never sent over SMTP, e.g. a draft) */
  headers: string;
  /** PR_MESSAGE_CLASS (0x001A), e.g. IPM.Note, IPM.Note.SMIME, IPM.Note.SMIME.MultipartSigned, IPM.Note.rpmsg.Microsoft.* */
  messageClass: string;
  /** PR_INTERNET_MESSAGE_ID (0x1035) when present */
  messageId: string;
  subject: string;
  /** PR_SENDER_SMTP_ADDRESS (0x5D01), else PR_SENDER_EMAIL_ADDRESS (0x0C1F), else PR_SENDER_NAME (0x0C1A) */
  sender: string;
  attachments: MsgAttachment[];
  /** the original Content-Type kept as a PS_INTERNET_HEADERS named property ([MS-OXOSMIME] 2.1.3.2) */
  contentType?: string;
  /** PidNameContentClass, "rpmsg.message" on rights-managed mail ([MS-OXORMMS] 2.2.2.1) */
  contentClass?: string;
  /** bytes of the whole file */
  size: number;
}

/** Why a file was not read: a closed set, so the UI can count skipped files by cause. */
export type MsgRejection = 'empty' | 'not-compound-file' | 'truncated' | 'corrupt' | 'not-a-message';
export type ReadMsgResult = { ok: true; msg: MsgContent } | { ok: false; code: MsgRejection; reason: string };

/** [MS-CFB] 2.2: every compound file starts with this Header Signature. */
const CFB_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export function isMsgFile(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(0, 8).equals(CFB_SIGNATURE);
}

/** [MS-CFB] 2.1 ENDOFCHAIN, 2.6.1 NOSTREAM, 2.2 Mini Stream Cutoff Size (smaller streams live in 64-byte mini sectors) */
const [ENDOFCHAIN, NOSTREAM, MINI_CUTOFF] = [0xfffffffe, 0xffffffff, 4096];

/**
 * msgreader follows sector chains and the directory tree without bounds, so one crafted file (a
 * FAT chain or a sibling pointing back at itself) makes it loop forever: tried, it does. Before it
 * runs, every chain and tree walk it will make is done here once, bounded by the file's own size.
 * Layout: [MS-CFB] 2.2 header fields, 2.3 FAT, 2.4 mini FAT, 2.5 DIFAT, 2.6.1 directory entries
 * (128 bytes: siblings at 0x44/0x48, child 0x4C, start sector 0x74, size 0x78); sector n starts
 * at byte (n + 1) × sector size.
 */
function compoundFileProblem(b: Buffer): { code: MsgRejection; reason: string } | undefined {
  const truncated = (what: string) => ({ code: 'truncated' as const, reason: `truncated compound file: ${what} lies past the end of the ${b.length}-byte file` });
  const corrupt = (what: string) => ({ code: 'corrupt' as const, reason: `corrupt compound file: ${what}` });
  if (b.length < 512) return truncated('the 512-byte header');
  const shift = b.readUInt16LE(0x1e);
  if (shift !== 9 && shift !== 12) return corrupt(`sector shift ${shift} (must be 9 or 12)`);
  const size = 1 << shift;
  const perSector = size / 4;
  const sectors = Math.floor(b.length / size) - 1;
  const at = (sector: number, index: number) => b.readUInt32LE((sector + 1) * size + index * 4);
  const fatSectors: number[] = [];
  const fatCount = b.readUInt32LE(0x2c);
  for (let i = 0; i < Math.min(fatCount, 109); i++) fatSectors.push(b.readUInt32LE(0x4c + i * 4));
  let difat = b.readUInt32LE(0x44);
  const difatCount = b.readUInt32LE(0x48);
  if (difatCount > sectors) return truncated(`a DIFAT of ${difatCount} sectors`);
  for (let i = 0; i < difatCount && difat !== ENDOFCHAIN; i++) {
    if (difat >= sectors) return truncated(`DIFAT sector ${difat}`);
    for (let j = 0; j < perSector - 1; j++) fatSectors.push(at(difat, j));
    difat = at(difat, perSector - 1);
  }
  const fatCap = fatSectors.slice(0, fatCount);
  for (const s of fatCap) if (s >= sectors) return truncated(`FAT sector ${s}`);
  // a sector's successor; a FAT sector that is not there ends the chain, as msgreader takes it
  const nextIn = (table: number[]) => (s: number) => {
    const t = table[Math.floor(s / perSector)];
    return t === undefined ? ENDOFCHAIN : at(t, s % perSector);
  };
  const walk = (start: number, next: (s: number) => number, limit: number, what: string, inFile: boolean) => {
    const chain: number[] = [];
    const seen = new Set<number>();
    for (let s = start; s !== ENDOFCHAIN; s = next(s)) {
      if (s >= limit) return inFile ? truncated(`sector ${s} of the ${what}`) : corrupt(`the ${what} runs past the mini stream`);
      if (seen.has(s)) return corrupt(`the ${what} loops`);
      seen.add(s);
      chain.push(s);
    }
    return chain;
  };
  const fat = nextIn(fatCap);
  const directory = walk(b.readUInt32LE(0x30), fat, sectors, 'directory chain', true);
  if (!Array.isArray(directory)) return directory;
  const miniFat = walk(b.readUInt32LE(0x3c), fat, sectors, 'mini FAT chain', true);
  if (!Array.isArray(miniFat)) return miniFat;
  const perDirSector = size / 128;
  const entry = (id: number) => (directory[Math.floor(id / perDirSector)] + 1) * size + (id % perDirSector) * 128;
  const entries = directory.length * perDirSector;
  if (entries === 0 || b[entry(0) + 0x42] !== 5) return corrupt('no root storage entry');
  const miniStream = walk(b.readUInt32LE(entry(0) + 0x74), fat, sectors, 'mini stream', true);
  if (!Array.isArray(miniStream)) return miniStream;
  const miniNext = nextIn(miniFat.slice(0, b.readUInt32LE(0x40)));
  const seen = new Set<number>([0]); // nothing in a tree points back at its root
  const pending = [b.readUInt32LE(entry(0) + 0x4c)];
  while (pending.length > 0) {
    const id = pending.pop() as number;
    if (id === NOSTREAM) continue;
    if (id >= entries) return corrupt(`directory entry ${id} is outside the directory`);
    if (seen.has(id)) return corrupt('the directory tree loops');
    seen.add(id);
    const e = entry(id);
    pending.push(b.readUInt32LE(e + 0x44), b.readUInt32LE(e + 0x48));
    if (b[e + 0x42] === 1) pending.push(b.readUInt32LE(e + 0x4c));
    if (b[e + 0x42] !== 2) continue;
    const length = b.readUInt32LE(e + 0x78);
    if (length > b.length) return truncated(`a ${length}-byte stream`);
    if (length === 0) continue;
    const start = b.readUInt32LE(e + 0x74);
    const chain = length >= MINI_CUTOFF ? walk(start, fat, sectors, 'chain of a stream', true) : walk(start, miniNext, miniStream.length * (size / 64), 'mini-sector chain of a stream', false);
    if (!Array.isArray(chain)) return chain;
  }
  return undefined;
}

/** RFC 5652 §3 ContentInfo content types, by the DER bytes of their OIDs. */
export type CmsContentType = 'signed-data' | 'enveloped-data' | 'authenveloped-data' | 'compressed-data' | 'other';
const CMS_OIDS: Record<string, CmsContentType> = {
  '2a864886f70d010702': 'signed-data', // 1.2.840.113549.1.7.2, RFC 5652 §5.1
  '2a864886f70d010703': 'enveloped-data', // 1.2.840.113549.1.7.3, RFC 5652 §6.1
  '2a864886f70d0109100117': 'authenveloped-data', // 1.2.840.113549.1.9.16.1.23, RFC 5083 §2.1
  '2a864886f70d0109100109': 'compressed-data', // 1.2.840.113549.1.9.16.1.9, RFC 3274 §1.1
};

/** ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, … }: the OID is the first thing inside. */
function cmsContentType(data: Uint8Array): CmsContentType | undefined {
  if (data.length < 4 || data[0] !== 0x30) return undefined;
  // after the SEQUENCE tag: a short length, a long one (0x8N + N bytes) or BER's indefinite 0x80
  const i = 2 + (data[1] > 0x80 ? data[1] & 0x7f : 0);
  if (data[i] !== 0x06 || i + 2 + data[i + 1] > data.length) return undefined;
  return CMS_OIDS[Buffer.from(data.subarray(i + 2, i + 2 + data[i + 1])).toString('hex')] ?? 'other';
}

export function readMsg(bytes: Buffer): ReadMsgResult {
  if (bytes.length === 0) return { ok: false, code: 'empty', reason: 'empty file' };
  if (!isMsgFile(bytes)) return { ok: false, code: 'not-compound-file', reason: 'not an Outlook .msg file: it does not start with the compound file signature D0 CF 11 E0 A1 B1 1A E1' };
  const problem = compoundFileProblem(bytes);
  if (problem) return { ok: false, ...problem };
  let fields: FieldsData;
  const attachments: MsgAttachment[] = [];
  try {
    // a copy: a Buffer may be a view into a larger pooled ArrayBuffer, which the reader would read whole
    const reader = new msgreader.default(new Uint8Array(bytes).buffer);
    reader.parserConfig = { includeRawProps: true };
    fields = reader.getFileData();
    if (fields.error) return { ok: false, code: 'corrupt', reason: `unreadable .msg: ${fields.error}` };
    for (const a of fields.attachments ?? []) {
      const name = a.fileName ?? a.fileNameShort ?? a.name ?? '';
      const mimeType = a.attachMimeTag ?? '';
      // [MS-OXOSMIME] 2.1.3.2.2.2: the opaque S/MIME attachment is (x-)pkcs7-mime, or octet-stream named *.p7m
      const p7m = /^application\/(x-)?pkcs7-mime$/i.test(mimeType) || /\.p7m$/i.test(name);
      const cms = p7m && !a.innerMsgContent ? cmsContentType(reader.getAttachment(a).content) : undefined;
      attachments.push({ name, mimeType, size: a.contentLength ?? 0, ...(cms ? { cms } : {}) });
    }
  } catch (error) {
    return { ok: false, code: 'corrupt', reason: `unreadable compound file: ${(error as Error).message}` };
  }
  // [MS-OXCMSG] 2.2.1.3: every Message object has a non-empty PidTagMessageClass
  if (!fields.messageClass) {
    return { ok: false, code: 'not-a-message', reason: 'a compound file, but not an Outlook message: it has no PR_MESSAGE_CLASS (0x001A) property at its root' };
  }
  // string-named properties arrive without their property set; PS_INTERNET_HEADERS names are header names
  const named = (header: string) => {
    const value = fields.rawProps?.find((p) => p.propertyName?.toLowerCase() === header)?.value;
    return typeof value === 'string' ? value : undefined;
  };
  const contentType = named('content-type');
  const contentClass = named('content-class');
  return {
    ok: true,
    msg: {
      headers: fields.headers ?? '',
      messageClass: fields.messageClass,
      messageId: fields.messageId ?? '',
      subject: fields.subject ?? '',
      sender: fields.senderSmtpAddress || fields.senderEmail || fields.senderName || '',
      attachments,
      ...(contentType ? { contentType } : {}),
      ...(contentClass ? { contentClass } : {}),
      size: bytes.length,
    },
  };
}

/** The header block's first `name:` field, unfolded (RFC 5322 §2.2.3). */

/** S/MIME and PGP as a Content-Type shows them (RFC 5751 §3.4-3.5, RFC 3156 §4-5). */
function fromContentType(value: string, where: string, add: (m: ProtectionMechanism, why: string) => void): void {
  const type = value.split(';', 1)[0].trim().toLowerCase();
  const params: Record<string, string> = {};
  for (const m of value.matchAll(/;\s*([\w.-]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/g)) params[m[1].toLowerCase()] = (m[2] ?? m[3] ?? '').toLowerCase();
  partMechanisms({ type, params, name: '' }, (m, why) => add(m, `${where} ${why}`));
}

/**
 * What protects the message, from what the .msg itself says (claims, nothing is verified):
 *   PR_MESSAGE_CLASS  IPM.Note.SMIME.MultipartSigned (or *.SMIME.MultipartSigned) → clear-signed
 *                     ([MS-OXOSMIME] 2.1.3.1 and its "Recognizing" subsection). IPM.Note.SMIME →
 *                     opaque-signed OR encrypted ([MS-OXOSMIME] 2.1.3.2, 2.1.3.2.2.2: "can be ambiguous"), told
 *                     apart by the smime-type of the Content-Type kept as a named property
 *                     (2.1.3.2) or in the transport headers, or by the CMS content type at the
 *                     start of the smime.p7m attachment (RFC 5652 §3); when none is there, no
 *                     mechanism is reported and the evidence says why. A clear-signed message MAY
 *                     also carry IPM.Note.SMIME (2.1.3.1): its one attachment is multipart/signed.
 *   attachments       message.rpmsg or application/x-microsoft-rpmsg-message → IRM
 *                     ([MS-OXORMMS] 2.2.3.1, 2.2.3.2); PidNameContentClass rpmsg.message → IRM
 *                     ([MS-OXORMMS] 2.2.2.1, as cited by [MS-OXBBODY] 2.1.3.4)
 *   IPM.Note.rpmsg.*  → IRM. Outlook's class for protected mail, but no [MS-OX*] text found
 *                     defines it: an unverified fact, kept because the attachment rule backs it
 *   transport headers Content-Type and Content-Class, as for any header block
 */
export function protectionOfMsg(msg: MsgContent): { mechanisms: ProtectionMechanism[]; evidence: string } {
  const found = new Map<ProtectionMechanism, string[]>();
  const add = (m: ProtectionMechanism, why: string) => found.set(m, [...(found.get(m) ?? []), why]);
  const cls = msg.messageClass.toLowerCase(); // [MS-OXCMSG] 2.2.1.3: compared case-insensitively
  const isClearSigned = cls.endsWith('.smime.multipartsigned');
  const isOpaque = !isClearSigned && cls.endsWith('.smime');
  if (isClearSigned) add('smime-signed', `PR_MESSAGE_CLASS ${msg.messageClass} (clear-signed)`);
  if (cls.startsWith('ipm.note.rpmsg')) add('irm', `PR_MESSAGE_CLASS ${msg.messageClass}`);
  if (msg.contentClass?.toLowerCase().startsWith('rpmsg.message')) add('irm', `PidNameContentClass ${msg.contentClass}`);
  for (const a of msg.attachments) {
    if (a.name.toLowerCase() === 'message.rpmsg' || a.mimeType.toLowerCase() === 'application/x-microsoft-rpmsg-message') add('irm', `attachment ${a.name} (${a.mimeType})`);
    // only the S/MIME wrapper counts: a signed document.p7m attached to an IPM.Note protects no mail
    if (!isOpaque) continue;
    if (a.mimeType.toLowerCase() === 'multipart/signed') add('smime-signed', `PR_MESSAGE_CLASS ${msg.messageClass} with a multipart/signed attachment ${a.name} (clear-signed)`);
    if (a.cms === 'signed-data') add('smime-signed', `attachment ${a.name} is CMS signed-data (opaque-signed)`);
    if (a.cms === 'enveloped-data' || a.cms === 'authenveloped-data') add('smime-encrypted', `attachment ${a.name} is CMS ${a.cms}`);
  }
  if (msg.contentType) fromContentType(msg.contentType, 'named property Content-Type:', add);
  // the transport headers read as any header block is (fields.ts)
  const transport = headerFields(Buffer.from(msg.headers)).fields;
  const transportType = fieldValue(transport, 'content-type');
  if (transportType) fromContentType(transportType, 'transport headers Content-Type:', add);
  const transportClass = fieldValue(transport, 'content-class');
  if (transportClass?.toLowerCase().startsWith('rpmsg.message')) add('irm', `transport headers Content-Class: ${transportClass}`);
  const mechanisms = ProtectionMechanism.options.filter((m) => found.has(m));
  const told = mechanisms.some((m) => m === 'smime-signed' || m === 'smime-encrypted');
  const notes = isOpaque && !told ? [`PR_MESSAGE_CLASS ${msg.messageClass} marks an opaque-signed or encrypted S/MIME message, but this .msg names neither (no smime-type, no readable CMS content type in a .p7m attachment), so no S/MIME mechanism is claimed`] : [];
  const evidence = [...mechanisms.map((m) => `${m}: ${(found.get(m) ?? []).join(', ')}`), ...notes];
  return { mechanisms, evidence: evidence.length > 0 ? evidence.join('; ') : `no signature, encryption or rights management in PR_MESSAGE_CLASS ${msg.messageClass}, the attachments or the transport headers` };
}

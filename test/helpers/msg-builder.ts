import CFB, { type CFB$Container } from 'cfb';

/**
 * Builds Outlook .msg files for tests, written from the published format and not from any reader,
 * so that the reader under test (@kenjiuno/msgreader, behind ingest/formats/headers/msg.ts) is
 * checked against an independent writer. Facts and where they come from:
 *   [MS-CFB]     the container: a compound file of storages and streams (SheetJS `cfb` writes it,
 *                adding its own marker stream "\u0001Sh33tJ5" at the root, which .msg readers ignore)
 *   [MS-OXMSG]   2.1.3   a variable-length property lives in its own stream "__substg1.0_" + the
 *                        8 hex digits of its property tag, e.g. __substg1.0_0037001F for the subject
 *                2.2.2   attachment storages "__attach_version1.0_#XXXXXXXX" (hex index), each with
 *                        its own property stream
 *                2.2.3   the named property mapping storage "__nameid_version1.0" (GUID, entry and
 *                        string streams __substg1.0_00020102 / 00030102 / 00040102)
 *                2.4     the property stream "__properties_version1.0": a header (2.4.1.1: 32 bytes
 *                        for the top-level message; 2.4.1.3: 8 bytes for an attachment) then 16-byte
 *                        entries (2.4.2.1 fixed length: tag, flags, 8-byte value; 2.4.2.2 variable
 *                        length: tag, flags, size, reserved)
 *   [MS-OXPROPS] the property tags below; [MS-OXCDATA] 2.11.1 the type codes (PtypInteger32 0x0003,
 *                PtypString 0x001F = UTF-16LE, PtypBinary 0x0102)
 */

export interface MsgAttachmentSpec {
  name: string;
  mimeType: string;
  data: Buffer;
}

export interface MsgSpec {
  messageClass: string;
  subject?: string;
  /** PidTagTransportMessageHeaders; leave out for a message never sent over SMTP (a draft) */
  headers?: string;
  messageId?: string;
  /** an SMTP address, written as PidTagSenderEmailAddress and PidTagSenderSmtpAddress */
  sender?: string;
  attachments?: MsgAttachmentSpec[];
  /**
   * String-named properties in the PS_INTERNET_HEADERS set, e.g. { 'Content-Type': '…' }: where an
   * opaque-signed or encrypted S/MIME message keeps its original Content-Type ([MS-OXOSMIME] 2.1.3.2)
   */
  internetHeaders?: Record<string, string>;
}

const PT_INTEGER32 = 0x0003;
const PT_UNICODE = 0x001f;
const PT_BINARY = 0x0102;

/** [MS-OXPROPS] property IDs */
const PID = {
  messageClass: 0x001a, // PidTagMessageClass
  subject: 0x0037, // PidTagSubject
  transportHeaders: 0x007d, // PidTagTransportMessageHeaders
  senderAddressType: 0x0c1e, // PidTagSenderAddressType
  senderEmail: 0x0c1f, // PidTagSenderEmailAddress
  internetMessageId: 0x1035, // PidTagInternetMessageId
  storeSupportMask: 0x340d, // PidTagStoreSupportMask
  attachDataBinary: 0x3701, // PidTagAttachDataBinary
  attachMethod: 0x3705, // PidTagAttachMethod
  attachLongFilename: 0x3707, // PidTagAttachLongFilename
  attachMimeTag: 0x370e, // PidTagAttachMimeTag
  senderSmtp: 0x5d01, // PidTagSenderSmtpAddress
} as const;

/** [MS-OXMSG] 2.1.1.1: with STORE_UNICODE_OK set, every string in the file is Unicode (as here) */
const STORE_UNICODE_OK = 0x00040000;
/** [MS-OXCMSG] 2.2.2.9: afByValue, the attachment's bytes are in PidTagAttachDataBinary */
const AF_BY_VALUE = 0x00000001;
/** [MS-OXMSG] 2.4.2.1 flags: PROPATTR_READABLE | PROPATTR_WRITABLE */
const FLAGS = 0x2 | 0x4;
/** [MS-OXOSMIME] 2.1.3.2: PS_INTERNET_HEADERS {00020386-0000-0000-C000-000000000046} */
const PS_INTERNET_HEADERS = guidBytes('00020386-0000-0000-C000-000000000046');

type Prop =
  | { id: number; type: typeof PT_INTEGER32; value: number }
  | { id: number; type: typeof PT_UNICODE; value: string }
  | { id: number; type: typeof PT_BINARY; value: Buffer };

/** A GUID as stored on disk: Data1-3 little-endian, Data4 as written ([MS-DTYP] 2.3.4.2). */
function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

function tagHex(p: Prop): string {
  return (((p.id << 16) | p.type) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * Writes one object's property stream and value streams under `dir` (storage path ending in '/').
 * A string is stored without its terminating NUL, and its entry's Size counts the NUL
 * ([MS-OXMSG] 2.4.2.2: "2 plus the size of the stream"); an empty string is left out, since a
 * PtypString stream must hold at least one character (same section).
 */
function writeObject(cfb: CFB$Container, dir: string, header: Buffer, props: Prop[]): void {
  const entries: Buffer[] = [header];
  for (const p of props) {
    const e = Buffer.alloc(16);
    e.writeUInt32LE(((p.id << 16) | p.type) >>> 0, 0);
    e.writeUInt32LE(FLAGS, 4);
    if (p.type === PT_INTEGER32) {
      e.writeUInt32LE(p.value >>> 0, 8); // 4-byte value, then 4 reserved zero bytes (2.4.2.1.1)
    } else {
      const data = p.type === PT_UNICODE ? Buffer.from(p.value, 'utf16le') : p.value;
      e.writeUInt32LE(p.type === PT_UNICODE ? data.length + 2 : data.length, 8);
      CFB.utils.cfb_add(cfb, `${dir}__substg1.0_${tagHex(p)}`, data);
    }
    entries.push(e);
  }
  CFB.utils.cfb_add(cfb, `${dir}__properties_version1.0`, Buffer.concat(entries));
}

/**
 * The named property mapping ([MS-OXMSG] 2.2.3.1, worked example in 3.2.1.1.2): each string-named
 * property gets property ID 0x8000 + its index. Entry stream: 8 bytes per property, a ULONG string
 * offset, then a ULONG whose low 16 bits are (GUID index << 1 | kind 1 = string) and high 16 bits
 * the property index. GUID index 3 is the first GUID of the GUID stream (1 and 2 are the
 * predefined PS_MAPI and PS_PUBLIC_STRINGS). String stream: a ULONG byte length, the UTF-16LE
 * name, padded to a 4-byte boundary. The optional name-to-ID hash streams (2.2.3.2) are not
 * written: a reader resolving IDs to names, as msgreader does, does not need them.
 */
function writeNameIds(cfb: CFB$Container, names: string[]): void {
  const strings: Buffer[] = [];
  const entries: Buffer[] = [];
  let offset = 0;
  names.forEach((name, index) => {
    const text = Buffer.from(name, 'utf16le');
    const padded = Buffer.alloc(4 + text.length + ((4 - (text.length % 4)) % 4));
    padded.writeUInt32LE(text.length, 0);
    text.copy(padded, 4);
    const entry = Buffer.alloc(8);
    entry.writeUInt32LE(offset, 0);
    entry.writeUInt16LE((3 << 1) | 1, 4);
    entry.writeUInt16LE(index, 6);
    strings.push(padded);
    entries.push(entry);
    offset += padded.length;
  });
  CFB.utils.cfb_add(cfb, '/__nameid_version1.0/__substg1.0_00020102', names.length > 0 ? PS_INTERNET_HEADERS : Buffer.alloc(0));
  CFB.utils.cfb_add(cfb, '/__nameid_version1.0/__substg1.0_00030102', Buffer.concat(entries));
  CFB.utils.cfb_add(cfb, '/__nameid_version1.0/__substg1.0_00040102', Buffer.concat(strings));
}

export function buildMsg(spec: MsgSpec): Buffer {
  const cfb = CFB.utils.cfb_new();
  const attachments = spec.attachments ?? [];
  const named = Object.entries(spec.internetHeaders ?? {});
  const str = (id: number, value: string | undefined): Prop[] => (value ? [{ id, type: PT_UNICODE, value }] : []);
  const props: Prop[] = [
    { id: PID.storeSupportMask, type: PT_INTEGER32, value: STORE_UNICODE_OK },
    ...str(PID.messageClass, spec.messageClass),
    ...str(PID.subject, spec.subject),
    ...str(PID.transportHeaders, spec.headers),
    ...str(PID.internetMessageId, spec.messageId),
    ...str(PID.senderAddressType, spec.sender ? 'SMTP' : undefined),
    ...str(PID.senderEmail, spec.sender),
    ...str(PID.senderSmtp, spec.sender),
    ...named.flatMap(([, value], index) => str(0x8000 + index, value)),
  ];
  // [MS-OXMSG] 2.4.1.1: 8 reserved bytes, next recipient ID, next attachment ID, recipient count,
  // attachment count, 8 reserved bytes; the next IDs are 0 when there are no such storages
  const header = Buffer.alloc(32);
  header.writeUInt32LE(attachments.length, 12);
  header.writeUInt32LE(attachments.length, 20);
  writeObject(cfb, '/', header, props);
  writeNameIds(cfb, named.map(([name]) => name));
  attachments.forEach((a, index) => {
    const dir = `/__attach_version1.0_#${index.toString(16).toUpperCase().padStart(8, '0')}/`;
    writeObject(cfb, dir, Buffer.alloc(8), [
      { id: PID.attachMethod, type: PT_INTEGER32, value: AF_BY_VALUE },
      ...str(PID.attachLongFilename, a.name),
      ...str(PID.attachMimeTag, a.mimeType),
      { id: PID.attachDataBinary, type: PT_BINARY, value: a.data },
    ]);
  });
  return Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

/** A compound file with arbitrary streams, e.g. one that is a valid CFB but no message. */
export function buildCfb(streams: Record<string, Buffer>): Buffer {
  const cfb = CFB.utils.cfb_new();
  for (const [path, data] of Object.entries(streams)) CFB.utils.cfb_add(cfb, path, data);
  return Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

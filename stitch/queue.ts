import { Program, type LinkRule, type MailEvent } from '../schemas/index.ts';

/** The columns a trace reads of each stored event. */
export type StoredEvent = Pick<MailEvent,
  'ts' | 'host' | 'kind' | 'program' | 'queueId' | 'messageId' | 'sender' | 'recipient' | 'origRecipient' | 'client' | 'clientIp'
  | 'relay' | 'relayIp' | 'relayPort' | 'nextQueueId' | 'status' | 'dsn' | 'reply' | 'delayConnect' | 'delayTransmit' | 'size'
  | 'tls' | 'tlsVersion' | 'cipher' | 'tlsTrust' | 'tlsEvidence' | 'id'> & Partial<Pick<MailEvent, 'sessionId' | 'role' | 'source' | 'networkMessageId' | 'protocol' | 'protection' | 'protectionEvidence' | 'sourceFile' | 'sourceOffset' | 'connector'>>;

export interface Queue {
  key: string;
  host: string;
  queueId: string;
  messageId: string;
  sender: string;
  size: number;
  receive: StoredEvent | undefined;
  queuedAt: string;
  /** the queue manager gave up on the queue (`status=expired` / `force-expired`): '' when it did not */
  expiredAt: string;
  /** time of the queue's first line (the order of segments and of candidates for a join) */
  firstTs: string;
  deliveries: StoredEvent[];
  /** recipients the receipt named (Exchange RECEIVE rows list them; Postfix receipts do not) */
  receivedFor: Set<string>;
  rejects: StoredEvent[];
  dsns: StoredEvent[];
  /** what the logs say this queue's service is (edge, hub, mailbox, frontend; '' unknown) */
  role: string;
  /** the evidence for the role, as the parser gave it */
  roleReason: string;
  /** delivery event → child queue */
  children: Map<StoredEvent, { queue: Queue; rule: LinkRule }>;
  parent: Queue | undefined;
}

/** a hand-off made by a proxy (Exchange Front End) carries every recipient of the message */
export const PROXY_PROGRAM = Program.proxy;

export function queueKey(host: string, queueId: string): string {
  return `${host}\u0000${queueId}`;
}

/** A server's short name as logs use it for a host: `MBX1.corp.example` → `mbx1`. */
export function shortName(name: string): string {
  return name.toLowerCase().split('.')[0];
}

/** Event times as the store returns them, in ISO 8601 (one helper, in store/). */
export { isoFromStore as isoOf } from '../store/index.ts';

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Real lines for the fuzzers to start from: the bundled samples (bench/sample), the golden fixtures
 * (test/fixtures), and Postfix shapes those do not hold, quoted from
 * ../shared/reference/log-formats.md (§4.2–§4.4; sources there). Read once, from the repository
 * only, so the fuzz run needs nothing outside it.
 */
const ROOT = join(import.meta.dirname, '..', '..');

function linesOf(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l !== '');
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** log-formats.md §4.2–§4.4: lines the samples lack (RFC 5424, ISO stamps, refusals, expiry, notices, tls=, old TLS wording). */
const POSTFIX_SHAPES = [
  '<22>1 2026-05-16T16:13:25.137663+02:00 mail postfix/smtpd 2312 - - 21957407BE: client=localhost[127.0.0.1]',
  '2026-05-16T16:13:25.138386+02:00 mail postfix/cleanup[2315]: 21957407BE: message-id=<20260516161325.002322@mail.u8.cyberlab.fhnw.ch>',
  '2026-05-16T16:13:26.396352+02:00 mail postfix/smtp[2323]: 21957407BE: to=<reflector@cyberlab.fhnw.ch>, relay=srvMSG01.cyberlab.fhnw.ch[192.168.64.33]:25, delay=1.3, delays=0/0.01/1/0.23, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4B2A1C3D)',
  '2026-05-16T16:13:26.397062+02:00 mail postfix/qmgr[2267]: 21957407BE: removed',
  'Jun 24 13:43:46 vmi2599867 postfix/error[1349195]: 96E69280F04: to=<soporte@connectia.info>, relay=none, delay=50825, delays=50825/0.04/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mail.connectia.info[private/dovecot-lmtp]: Connection refused)',
  'Jun 24 13:44:03 vmi2599867 postfix/lmtp[1349193]: 932E2280F22: to=<soporte@connectia.info>, relay=none, delay=0.05, delays=0.04/0.01/0/0, dsn=4.4.1, status=deferred (connect to mail.connectia.info[private/dovecot-lmtp]: Connection refused)',
  'Mar  1 08:00:00 mx postfix/cleanup[501]: 4104E3D: milter-reject: END-OF-MESSAGE from 061238241086.static.ctinets.com[61.238.241.86]: 5.7.1 Blocked by SpamAssassin; from=<wumt5@cchfdc.com> to=<voorzitter@example.com> proto=ESMTP helo=<ecsolved.com>',
  'Mar  1 08:00:00 mx postfix/qmgr[502]: 585BC3F: from=<>, status=expired, returned to sender',
  'Mar  1 08:00:00 mx postfix/qmgr[502]: 585BC3F: from=<a@b.example>, status=force-expired, returned to sender',
  'Mar  1 08:00:00 mx postfix/bounce[503]: 17CCA8044: sender non-delivery notification: ADD2F8052',
  'Mar  1 08:00:00 mx postfix/smtpd[504]: NOQUEUE: reject: RCPT from 061238241086.static.ctinets.com[61.238.241.86]: 550 5.1.1 <toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<wumt5@cchfdc.com> to=<toernooicommissie@example.com> proto=ESMTP helo=<ecsolved.com>',
  'Mar  1 08:00:00 mx postfix/smtpd[504]: NOQUEUE: milter-reject: RCPT from mailrelay.example.com[8.8.8.8]: 451 4.7.1 Greylisting in action, please come back later; from=<support@example.com> to=<example@example.org> proto=ESMTP helo=<mailrelay.example.com>',
  'Mar  1 08:00:00 mx postfix/smtpd[504]: NOQUEUE: filter: RCPT from unknown[85.25.255.255]: <mail@sender.com>: Sender address triggers FILTER smtp-amavis:[127.0.0.1]:10024; from=<mail@sender.com> to=<user@domain.com> proto=ESMTP helo=<plutoapp.biz>',
  'Mar  1 08:00:00 mx postfix/smtpd[504]: NOQUEUE: reject: RCPT from [27.157.200.233]:4984: 550 5.7.1 Service unavailable; client [27.157.200.233] blocked using zen.spamhaus.org; from=<hcdvbnm@qhhn.com>, to=<4ECEA00F.9040306@example.com>, proto=ESMTP, helo=<qhhn.com>',
  'Mar  1 08:00:00 mx postfix/smtpd[505]: lost connection after STARTTLS from unknown[72.13.58.7]',
  'Mar  1 08:00:00 mx postfix/smtpd[505]: SSL_accept error from unknown[72.13.58.7]: lost connection',
  'Mar  1 08:00:01 mx postfix/smtp[506]: Untrusted TLS connection established to mx4.hotmail.com[65.55.92.136]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-SHA384 (256/256 bits)',
  'Mar  1 08:00:01 mx postfix/smtp[506]: Verified TLS connection established to mail.sys4.de[2001:1578:400:111::7]:25: TLSv1 with cipher ECDHE-RSA-AES256-SHA (256/256 bits)',
  'Mar  1 08:00:01 mx postfix/smtp[506]: 7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, delay=3.6, delays=0.08/0.02/0.85/0.14, tls=may:none, dsn=2.1.5, status=sent (250 2.0.0 Ok: queued as 153053D)',
  'Mar  1 08:00:01 mx postfix/smtp[506]: 7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, conn_use=2, delay=3.6, delays=0.08/0.02/0.85/0.14, tls=dane/requiretls, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
  'Mar  1 08:00:02 mx postfix/smtpd[507]: TLS connection established from host.example[192.0.2.9]: TLSv1 with cipher DHE-RSA-AES256-SHA (256/256 bits)',
  'Mar  1 08:00:02 mx postfix/smtp[508]: TLS connection established to smtp.gmail.com: TLSv1 with cipher DHE-RSA-AES256-SHA (256/256 bits)',
  'Mar  1 08:00:03 mx postfix/local[509]: 4B2A1C3D: to=<bob@mx.example>, orig_to=<root@mx.example>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (forwarded as 5C3B2D4E)',
  'Mar  1 08:00:03 mx postfix/pickup[510]: 5C3B2D4E: uid=0 from=<root>',
  'Mar  1 08:00:03 mx postfix/cleanup[501]: 6D4C3E5F: reject: header Subject: free money from unknown[192.0.2.7]; from=<x@y.example> to=<z@mx.example> proto=ESMTP helo=<y.example>: 5.7.1 message content rejected',
  'Mar  1 08:00:04 mx postfix/smtpd[511]: NOQUEUE: reject: EHLO from unknown[192.0.2.8]: 504 5.5.2 <bad>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<bad>',
];

let postfix: string[] | undefined;
/** Every line of the bundled maillog and the Postfix fixtures, then the shapes above. */
export function postfixLines(): string[] {
  if (!postfix) {
    const fixtures = join(ROOT, 'test', 'fixtures', 'postfix');
    const files = [join(ROOT, 'bench', 'sample', 'maillog'), ...walk(fixtures).filter((p) => p.endsWith('.log'))];
    postfix = [...files.flatMap(linesOf), ...POSTFIX_SHAPES];
  }
  return postfix;
}

/** How many lines at the end of postfixLines() are the shapes above (windows start there now and then). */
export const POSTFIX_SHAPE_COUNT = POSTFIX_SHAPES.length;

/** The message text after `program[pid]: ` of every corpus line (to put under other envelopes). */
export function postfixBodies(): string[] {
  return [...new Set(postfixLines().map((l) => /\]: (.*)$/.exec(l)?.[1] ?? '').filter((b) => b !== ''))];
}

export interface CorpusFile {
  /** relative to the corpus root: `MBX1/TransportRoles/Logs/…` keeps the server and role the path tells */
  path: string;
  /** the header block (`#…` lines, a BOM on the first) */
  head: string[];
  rows: string[];
}

let exchange: CorpusFile[] | undefined;
/** Every Exchange log of the bundled sample organisation and the fixtures, header and rows apart. */
export function exchangeFiles(): CorpusFile[] {
  if (!exchange) {
    const sample = join(ROOT, 'bench', 'sample', 'exchange');
    const fixtures = join(ROOT, 'test', 'fixtures', 'exchange');
    const paths = [...walk(sample).map((p) => [p, relative(sample, p)]), ...walk(fixtures).map((p) => [p, relative(fixtures, p)])];
    exchange = paths.filter(([p]) => /\.log$/i.test(p)).map(([p, rel]) => {
      const lines = linesOf(p);
      const body = lines.findIndex((l) => !l.replace(/^\uFEFF/, '').startsWith('#'));
      return { path: rel.split('\\').join('/'), head: lines.slice(0, body), rows: lines.slice(body) };
    });
  }
  return exchange;
}

/**
 * Exchange Online exports (log-formats.md §3): Get-MessageTrace and Get-MessageTraceDetail objects
 * as Export-Csv writes them, and the extended report (tracking columns with `_`). Values of the
 * rows are the real ones quoted there (§3.1, §3.2); the fuzzer varies them and their dates.
 */
export const EXO_TRACE_COLUMNS = ['Organization', 'MessageId', 'Received', 'SenderAddress', 'RecipientAddress', 'Subject', 'Status', 'ToIP', 'FromIP', 'Size', 'MessageTraceId', 'StartDate', 'EndDate', 'Index'];
export const EXO_DETAIL_COLUMNS = ['Organization', 'MessageId', 'MessageTraceId', 'RecipientAddress', 'SenderAddress', 'Date', 'Event', 'Action', 'Detail', 'Data'];
export const EXO_EXTENDED_COLUMNS = ['date_time_utc', 'client_ip', 'client_hostname', 'server_ip', 'server_hostname', 'source_context', 'connector_id', 'source', 'event_id', 'internal_message_id', 'message_id', 'network_message_id', 'recipient_address', 'recipient_status', 'total_bytes', 'recipient_count', 'related_recipient_address', 'reference', 'message_subject', 'sender_address', 'return_path', 'message_info', 'directionality', 'tenant_id', 'original_client_ip', 'original_server_ip', 'custom_data'];

/** Values per column name (lower case); a column not named here takes a value from `any`. */
export const EXO_VALUES: Record<string, string[]> = {
  organization: ['wildsecurity.onmicrosoft.com', 'contoso.onmicrosoft.com', ''],
  messageid: ['<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>', 'd1@x.example', ''],
  message_id: ['<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>', ''],
  messagetraceid: ['cf7a249a-5edd-4350-130a-08da8f69e0f6', ''],
  network_message_id: ['cf7a249a-5edd-4350-130a-08da8f69e0f6', ''],
  senderaddress: ['azure-noreply@microsoft.com', ''],
  recipientaddress: ['linus@wildsecurity.onmicrosoft.com', 'a@x.example;b@x.example', ''],
  recipient_address: ['linus@wildsecurity.onmicrosoft.com', 'a@x.example;b@x.example', ''],
  status: ['Delivered', 'Expanded', 'Failed', 'FilteredAsSpam', 'GettingStatus', 'None', 'Pending', 'Quarantined', 'Resolved', ''],
  toip: ['', '52.100.1.2', '2001:db8::1'],
  fromip: ['81.2.69.144', '', '::1'],
  size: ['87891', '0', '-1', '1.5', '1e400', 'NaN', '99999999999999999999', ''],
  total_bytes: ['87891', '-1', '1.5', ''],
  recipient_count: ['1', '-3', '2.5', ''],
  event: ['Receive', 'Send', 'Send external', 'Deliver', 'Fail', 'Defer', 'Expand', 'Transfer', 'Submit', 'Drop', 'Spam Diagnostics', ''],
  event_id: ['RECEIVE', 'SEND', 'SENDEXTERNAL', 'DELIVER', 'FAIL', 'DEFER', 'DSN', 'EXPAND', 'REDIRECT', 'TRANSFER', 'SUBMIT', 'AGENTINFO', 'HARECEIVE', ''],
  source: ['SMTP', 'STOREDRIVER', 'AGENT', ''],
  detail: ['Message received by: MWHPR14MB1808.namprd14.prod.outlook.com using TLS1.2 with AES256', 'Message sent to mx.example.com at 203.0.113.9 using TLS1.3 with AES99999999999999999999', 'The message was successfully delivered.', 'Reason: [{LED=250 2.1.5 RESOLVER.OOF.IntToExt; handled internal OOF addressed to external recipient};{MSG=};{FQDN=};{IP=};{LRT=}]', ''],
  server_hostname: ['AM0PR01MB1234.eurprd01.prod.exchangelabs.com', '', '.', '10.0.0.1'],
  client_hostname: ['MBX1.corp.example', '', '.corp'],
  source_context: [';250 2.6.0 <m@x> [InternalId=123456789, Hostname=AM0PR01MB1234.eurprd01.prod.exchangelabs.com] 5000 bytes in 0.100, 48.828 KB/sec Queued mail for delivery;ClientSubmitTime:', '08DE0A008862BF31;2026-03-01T08:00:00.000Z;0', ''],
  custom_data: ['S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=EncryptionOnly;S:E2ELatency=1.5', 'S:E2ELatency=-4;S:ExternalSendLatency=Infinity', ''],
  any: ['', 'x', '"', ',', 'a,b', 'line\nbreak', '0', '-1'],
};

/**
 * Times as the exports write them, and ways they go wrong: ISO with 7 decimals and no zone, the
 * exporting machine's culture (§1.9a: `9/5/2022 6:10:13 PM`, `05.09.2022 18:10:13`), impossible,
 * ambiguous, out of range, cut.
 */
export const ODD_DATES = [
  '2022-09-05T18:10:13.4907658', '2022-09-05T18:10:13.4907658Z', '2022-09-05T18:10:13', '2022-09-05 18:10:13', '2022-09-05',
  '9/5/2022 6:10:13 PM', '9/25/2022 6:10:13 PM', '25/09/2022 18:10:13', '05.09.2022 18:10:13', '21.10.2022 17:25:30',
  '12/5/2022 12:01:00 AM', '12/12/2022 12:00:00 PM', '31.02.2022 10:00:00', '13/13/2022 1:00:00', '0/0/0000 0:00',
  '1/1/0001 12:00:00 AM', '31/12/0099 23:59:59', '12/31/9999 11:59:59 PM', '9/5/2022 13:00:00 PM', '9/5/2022 0:00:00 AM',
  '09.05.2022 6:10:13 a.m.', '9-5-2022 6:10', '5.9.2022 25:61:61', '2022-13-45T99:99:99', '+275760-09-13T00:00:00',
  '-000001-01-01T00:00:00', '9999-12-31T23:59:59.9999999', '0000-01-01T00:00:00', '2022-09-05T18:10:13+02:00',
  '2022-09-05T18:10:13.4907658-08:00', '1', '', 'not a date', 'Mon, 05 Sep 2022 18:10:13 GMT', '2022-02-30T00:00:00',
];

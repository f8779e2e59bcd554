import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runIngest } from '../../../../ingest/index.ts';
import { traceMessage } from '../../../../query/index.ts';
import { tempStore } from '../../../helpers/store.ts';

/**
 * A hybrid message: an on-premises server hands it to Exchange Online over the "Outbound to
 * Office 365" connector (SENDEXTERNAL with EXO's `[InternalId=…, Hostname=…]` reply, the shape of
 * the real row in log-formats.md §1.6), and the tenant's extended message trace report (tracking
 * columns with `_` names, a header row instead of #Fields, §3.3) shows it received and delivered.
 * Both halves must be one trace.
 */
const F = 'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version';
const EXO_HOST = 'AM0PR01MB1234.eurprd01.prod.outlook.example';
const MID = '<hybrid-1@corp.example>';

function csv(values: string[]): string {
  return values.map((v) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
}
function row(v: Record<string, string>, names: string[]): string {
  return csv(names.map((n) => v[n] ?? ''));
}

test('on-premises → Exchange Online: the SENDEXTERNAL reply joins the tenant\'s extended report', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const names = F.split(',');
    const onprem = join(dir, 'MBX1', 'TransportRoles', 'Logs', 'MessageTracking');
    mkdirSync(onprem, { recursive: true });
    const head = `\uFEFF#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-type: Message Tracking Log\r\n#Date: 2026-03-01T08:00:00.000Z\r\n#Fields: ${F}\r\n`;
    const send = row({
      'date-time': '2026-03-01T08:00:05.000Z', 'client-hostname': 'MBX1.corp.example', 'server-hostname': EXO_HOST, 'server-ip': '52.100.1.2',
      'source-context': `;250 2.6.0 ${MID} [InternalId=123456789, Hostname=${EXO_HOST}] 5000 bytes in 0.100, 48.828 KB/sec Queued mail for delivery;ClientSubmitTime:`,
      'connector-id': 'Outbound to Office 365 - 0000', source: 'SMTP', 'event-id': 'SENDEXTERNAL', 'internal-message-id': '555', 'message-id': MID,
      'recipient-address': 'cloud.user@corp.example', 'recipient-status': '250 2.1.5 Recipient OK', 'return-path': 'alice@corp.example',
      'custom-data': 'S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=DomainValidation',
    }, names);
    writeFileSync(join(onprem, 'MSGTRK2026030108-1.LOG'), `${head}${send}\r\n`);

    const xnames = names.map((n) => (n === 'date-time' ? 'date_time_utc' : n.replace(/-/g, '_')));
    const rcv = { date_time_utc: '2026-03-01T08:00:05.500Z', client_hostname: 'MBX1.corp.example', client_ip: '203.0.113.5', server_hostname: EXO_HOST, source: 'SMTP', event_id: 'RECEIVE', internal_message_id: '123456789', message_id: MID, recipient_address: 'cloud.user@corp.example', return_path: 'alice@corp.example' };
    const dlv = { ...rcv, date_time_utc: '2026-03-01T08:00:06.000Z', source: 'STOREDRIVER', event_id: 'DELIVER', recipient_status: '250 2.1.5 RESOLVER.MSGTYPE.AF; handled AutoForward addressed to external recipient' };
    const report = `${csv(xnames)}\r\n${row(rcv, xnames)}\r\n${row(dlv, xnames)}\r\n`;
    writeFileSync(join(dir, 'extended_report.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`\uFEFF${report}`.slice(1), 'utf16le')]));

    const s = await runIngest({ inputs: [join(dir, 'MBX1'), join(dir, 'extended_report.csv')], store });
    assert.equal(s.rejectedTotal, 0, JSON.stringify(s.rejected));
    const t = await traceMessage(store, MID);
    const r = t.recipients.find((x) => x.address === 'cloud.user@corp.example');
    assert.ok(r);
    assert.equal(r.status, 'delivered');
    assert.deepEqual(r.hops.map((h) => `${h.from}>${h.to}:${h.tls}:${h.link}`), ['mbx1>am0pr01mb1234:encrypted:queued-as']);
    assert.equal(r.lastHost, 'am0pr01mb1234');
  } finally {
    await cleanup();
  }
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runIngest } from '../../../../ingest/index.ts';
import { traceMessage } from '../../../../query/index.ts';
import { tempStore } from '../../../helpers/store.ts';

/**
 * A Get-MessageTraceV2 result exported with Windows PowerShell's Export-Csv (a `#TYPE` line, every
 * field quoted, UTF-16LE with BOM as Exchange Online exports come). The row's values are the real
 * message trace object quoted in ../shared/reference/log-formats.md §3.1 (elastic integration).
 */
const CSV = [
  '#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace',
  '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate","Index"',
  '"wildsecurity.onmicrosoft.com","<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>","2022-09-05T18:10:13.4907658","azure-noreply@microsoft.com","linus@wildsecurity.onmicrosoft.com","PIM: A privileged directory role was assigned outside of PIM","Delivered","","81.2.69.144","87891","cf7a249a-5edd-4350-130a-08da8f69e0f6","2022-09-03T21:46:46.4206759Z","2022-09-05T21:46:46.4206759Z","0"',
].join('\r\n') + '\r\n';

test('a UTF-16LE Get-MessageTrace export ingests and traces: sender IP → Exchange Online, delivered', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const file = join(dir, 'MessageTrace.csv');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CSV, 'utf16le')]));
    const summary = await runIngest({ inputs: [file], store });
    assert.equal(summary.rejectedTotal, 0);
    assert.equal(summary.events, 2);
    const trace = await traceMessage(store, '<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>');
    assert.equal(trace.recipients.length, 1);
    const r = trace.recipients[0];
    assert.equal(r.address, 'linus@wildsecurity.onmicrosoft.com');
    assert.equal(r.status, 'delivered');
    assert.deepEqual(r.hops.map((h) => `${h.from}>${h.to}`), ['81.2.69.144>exchange-online']);
    assert.equal(r.hops[0].start, '2022-09-05T18:10:13.490Z', 'Received is UTC without a zone');
    // the export is read as a whole: ingesting it again adds nothing
    const again = await runIngest({ inputs: [file], store });
    assert.equal(again.events, 0);

    // the detail export of the same message: its Receive text carries the TLS of the inbound hop
    // (wording from the real trace detail quoted in log-formats.md §3.2; columns as the cmdlet's
    // object has them, mapped by the header row)
    const detail = join(dir, 'MessageTraceDetail.csv');
    writeFileSync(detail, [
      '"Organization","MessageId","MessageTraceId","RecipientAddress","SenderAddress","Date","Event","Action","Detail","Data"',
      '"wildsecurity.onmicrosoft.com","<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>","cf7a249a-5edd-4350-130a-08da8f69e0f6","linus@wildsecurity.onmicrosoft.com","azure-noreply@microsoft.com","2022-09-05T18:10:13.5000000","Receive","","Message received by: MWHPR14MB1808.namprd14.prod.outlook.com using TLS1.2 with AES256",""',
      '"wildsecurity.onmicrosoft.com","<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>","cf7a249a-5edd-4350-130a-08da8f69e0f6","linus@wildsecurity.onmicrosoft.com","azure-noreply@microsoft.com","2022-09-05T18:10:14.0000000","Deliver","","The message was successfully delivered.",""',
    ].join('\r\n') + '\r\n');
    const d = await runIngest({ inputs: [detail], store });
    assert.equal(d.rejectedTotal, 0);
    const withTls = await traceMessage(store, '<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>');
    const hop = withTls.recipients[0].hops[0];
    assert.deepEqual([hop.from, hop.to, hop.tls, hop.tlsVersion, hop.cipher], ['81.2.69.144', 'exchange-online', 'encrypted', 'TLSv1.2', 'AES256']);
    assert.equal(withTls.recipients[0].status, 'delivered');
  } finally {
    await cleanup();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, escapeHtml, periodText, renderContent, toCsv } from '../../../query/reports/index.ts';
import { tlsCompliance } from '../../../query/reports/kinds/tls-compliance.ts';
import { deliveryFailures } from '../../../query/reports/kinds/delivery-failures.ts';
import { HTML_ROWS } from '../../../query/reports/html.ts';
import { DeliveryView, HopList, OverviewView, PolicyFinding, SecurityView, type SecurityRow } from '../../../schemas/index.ts';

/**
 * Rendering without a store: view data made by hand (checked against the views' contracts), with
 * the names a hostile sender or peer could choose, through the real echarts and the real page.
 */
const period = { from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' };
const EVIL_HOST = '<script>alert("x")</script>.evil.example';
const FORMULA_HOST = '=HYPERLINK("http://evil.example","x")';

const row = (from: string, to: string, n: Partial<SecurityRow>): SecurityRow => ({
  key: `${from} → ${to}`, from, to, handoffs: 0, plaintext: 0, weakTls: 0, unverified: 0, unknown: 0, firstPlaintext: '', lastPlaintext: '', ...n,
});

const overview = OverviewView.parse({
  bucketSeconds: 86_400,
  volume: [{ t: '2026-11-23T00:00:00.000Z', messages: 5, recipients: 7 }, { t: '2026-11-24T00:00:00.000Z', messages: 3, recipients: 3 }],
  outcome: { delivered: 8, deferred: 1, bounced: 1, rejected: 0, unknown: 0 },
  tls: [{ t: '2026-11-23T00:00:00.000Z', encrypted: 6, plaintext: 2, unknown: 1 }, { t: '2026-11-24T00:00:00.000Z', encrypted: 3, plaintext: 0, unknown: 0 }],
});
const security = SecurityView.parse({
  totals: { handoffs: 12, plaintext: 2, weakTls: 1, unverified: 3, unknown: 1 },
  byPair: [
    row(EVIL_HOST, 'edge', { handoffs: 4, plaintext: 2, firstPlaintext: '2026-11-23T08:00:00.000Z', lastPlaintext: '2026-11-23T09:00:00.000Z' }),
    row(FORMULA_HOST, 'hub', { handoffs: 8, weakTls: 1, unverified: 3, unknown: 1 }),
  ],
  byDomain: [{ ...row('', '', { handoffs: 12, plaintext: 2 }), key: '@evil.example' }],
  overTime: [{ t: '2026-11-23T00:00:00.000Z', plaintext: 2, weakTls: 1, unverified: 3 }],
  newPlaintextPeers: [{ peer: EVIL_HOST, firstPlaintext: '2026-11-23T08:00:00.000Z', handoffs: 2 }],
  bucketSeconds: 86_400,
});
const plaintextHops = HopList.parse({ total: 2, rows: [] });
const NO_POLICY = { rules: [], findings: [] };

test('CSV: RFC 4180 quoting (comma, quote, CR, LF), CRLF records, numbers as numbers', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('cr\rhere'), '"cr\rhere"');
  assert.equal(csvCell(42), '42');
  assert.equal(csvCell(0.5), '0.5');
  assert.equal(toCsv(['a', 'b'], [['x,y', 1], ['z', 2]]), 'a,b\r\n"x,y",1\r\nz,2\r\n');
});

test('CSV: text cells that a spreadsheet would run as a formula get a leading apostrophe', () => {
  for (const evil of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) assert.ok(csvCell(evil).replace(/^"/, '').startsWith("'"), `${JSON.stringify(evil)} → ${csvCell(evil)}`);
  // guarded first, then quoted: the apostrophe is inside the quotes
  assert.equal(csvCell('=HYPERLINK("u","x")'), `"'=HYPERLINK(""u"",""x"")"`);
  assert.equal(csvCell('a=b'), 'a=b', 'only a leading character is a formula');
  assert.equal(csvCell(-3), '-3', 'numbers are never guarded');
});

test('HTML escaping covers the five characters that matter', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(periodText(period), '2026-11-23 – 2026-11-29 (UTC)');
  assert.equal(periodText({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-24T00:00:00.000Z' }), '2026-11-23 (UTC)');
  assert.match(periodText({ from: '2026-11-23T06:00:00.000Z', to: '2026-11-23T07:00:00.000Z' }), /06:00:00.000Z – .*07:00/);
});

test('TLS compliance: a self-contained page with server-drawn SVG charts, escaped data, CSVs guarded', async () => {
  const r = await renderContent('tls-compliance', 'weekly', tlsCompliance.content({ security, overview, plaintextHops, policy: NO_POLICY }, period), period, '2026-11-30T07:00:00.000Z');
  assert.equal(r.charts.length, 3);
  for (const c of r.charts) {
    assert.match(c.svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(r.html.includes(c.svg), `${c.name} is inline in the page`);
  }
  assert.deepEqual(r.charts.map((c) => c.name), ['tls-share.svg', 'findings.svg', 'top-routes.svg']);
  // no script anywhere: not in the page, not in a chart, though a host name asks for one
  assert.doesNotMatch(r.html, /<script/i);
  assert.ok(r.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.evil.example'), 'the host name is escaped in the tables');
  assert.ok(r.charts.some((c) => c.svg.includes('&lt;script&gt;')), 'echarts escapes it in the top-routes chart');
  assert.doesNotMatch(r.html, /<(link|img|iframe|object|embed)\b|\s(src|href)=|url\(/i, 'nothing is fetched');
  assert.match(r.html, /<title>TLS compliance — 2026-11-23 – 2026-11-29 \(UTC\)<\/title>/);
  // the totals are the view's, the encrypted share is the overview's buckets (9 of 12)
  assert.deepEqual(r.totals.slice(0, 5), [['hand-offs', 12], ['plaintext', 2], ['weak TLS', 1], ['unverified certificate', 3], ['TLS unknown', 1]]);
  assert.deepEqual(r.totals.at(-2), ['encrypted share', '75.0 %']);
  const routes = r.csv.find((c) => c.name === 'routes.csv');
  assert.ok(routes);
  const lines = routes.text.split('\r\n');
  assert.equal(lines[0], 'from,to,handoffs,plaintext,weak TLS,unverified,unknown TLS,first plaintext,last plaintext');
  assert.equal(lines[2], `"'=HYPERLINK(""http://evil.example"",""x"")",hub,8,0,1,3,1,,`);
  assert.equal(r.csv.find((c) => c.name === 'plaintext-routes.csv')?.text.split('\r\n').length, 3, 'header, the one plaintext route, and the final CRLF');
  assert.equal(r.csv.find((c) => c.name === 'domains.csv')?.text.split('\r\n')[1].slice(0, 15), "'@evil.example,", 'a domain key starting with @ is guarded too');
  assert.deepEqual(r.json.data, { security, overview, plaintextHops, policy: NO_POLICY });
});

test('delivery failures: outcome pie, reasons with SMTP text escaped, long tables cut in the page but not in the CSV', async () => {
  const reasons = Array.from({ length: HTML_ROWS + 5 }, (_, i) => ({ status: 'bounced' as const, dsn: '5.1.1', reason: `550 <user${i}> "unknown" & gone`, recipients: 1, lastSeen: '2026-11-24T00:00:00.000Z', sampleTraceId: `<m${i}@x>` }));
  const delivery = DeliveryView.parse({ reasons, latency: [{ from: 'edge', to: 'hub', handoffs: 3, p50: 0.5, p95: 1.25, max: 2 }], endToEnd: { messages: 8, p50: 1, p95: 3 } });
  const r = await renderContent('delivery-failures', 'report', deliveryFailures.content({ delivery, overview }, period), period);
  assert.ok(r.html.includes('550 &lt;user0&gt; &quot;unknown&quot; &amp; gone'));
  assert.match(r.html, new RegExp(`first ${HTML_ROWS} of ${HTML_ROWS + 5} rows; all of them in reasons.csv`));
  assert.equal(r.csv.find((c) => c.name === 'reasons.csv')?.text.trimEnd().split('\r\n').length, HTML_ROWS + 6);
  assert.equal(r.csv.find((c) => c.name === 'latency.csv')?.text, 'from,to,handoffs,p50,p95,max\r\nedge,hub,3,0.5,1.25,2\r\n');
  const pie = r.charts.find((c) => c.name === 'outcome.svg');
  assert.ok(pie && /delivered/.test(pie.svg) && /bounced/.test(pie.svg), 'the pie names its slices');
  assert.deepEqual(r.totals.slice(0, 6), [['recipients', 10], ['delivered', 8], ['deferred', 1], ['bounced', 1], ['rejected', 0], ['failure share', '20.0 %']]);
});

test('an empty period still renders: charts say there is no data, tables say none', async () => {
  const empty = OverviewView.parse({ bucketSeconds: 3600, volume: [], outcome: { delivered: 0, deferred: 0, bounced: 0, rejected: 0, unknown: 0 }, tls: [] });
  const sec = SecurityView.parse({ totals: { handoffs: 0, plaintext: 0, weakTls: 0, unverified: 0, unknown: 0 }, byPair: [], byDomain: [], overTime: [], newPlaintextPeers: [], bucketSeconds: 3600 });
  const r = await renderContent('tls-compliance', 'report', tlsCompliance.content({ security: sec, overview: empty, plaintextHops, policy: NO_POLICY }, period), period);
  assert.equal(r.charts.length, 3);
  for (const c of r.charts) assert.match(c.svg, /no data in this period/);
  assert.match(r.html, /none in this period/);
  assert.deepEqual(r.totals.find(([l]) => l === 'encrypted share'), ['encrypted share', '–']);
});

test('TLS policy part: names, recipients and certificates a peer chooses are escaped in the page and guarded in the CSV', async () => {
  const sample = { messageId: '<m1@evil.example>', traceId: '<m1@evil.example>', recipient: '"<b>x</b>"@evil.example', start: '2026-11-23T08:00:00.000Z', tls: 'plaintext', tlsVersion: '', tlsTrust: 'none', tlsEvidence: 'smtpd-counters' };
  const findings = [
    PolicyFinding.parse({ key: 'k1', rule: 'inbound', kind: 'no-plaintext', severity: 'critical', verdict: 'violation', from: FORMULA_HOST, to: 'edge', domain: '', handoffs: 2, firstSeen: '2026-11-23T08:00:00.000Z', lastSeen: '2026-11-23T09:00:00.000Z', samples: [sample] }),
    PolicyFinding.parse({
      key: 'k2', rule: 'ca', kind: 'ca-issued-certificate', severity: 'warning', verdict: 'violation', from: EVIL_HOST, to: 'Default EVIL', domain: '', handoffs: 1, firstSeen: '2026-11-23T08:00:00.000Z', lastSeen: '2026-11-30T00:00:00.000Z',
      samples: [{ ...sample, messageId: '', traceId: '', recipient: '', tls: 'unknown', tlsTrust: '', tlsEvidence: 'certificate', certificate: { subject: '=CN=<i>evil</i>', issuer: '=CN=<i>evil</i>', serial: '01', fingerprint: 'AB', notAfter: '2026-12-01T00:00:00.000Z', daysLeft: 1, issuance: 'self-signed', loggedBy: 'EVIL' } }],
    }),
  ];
  const policy = { rules: [{ name: 'inbound', kind: 'no-plaintext' as const, severity: 'critical' as const }, { name: 'ca', kind: 'ca-issued-certificate' as const, severity: 'warning' as const }], findings };
  const r = await renderContent('tls-compliance', 'report', tlsCompliance.content({ security, overview, plaintextHops, policy }, period), period);
  assert.doesNotMatch(r.html, /<b>x<\/b>|<i>evil/);
  assert.ok(r.html.includes('to &quot;&lt;b&gt;x&lt;/b&gt;&quot;@evil.example: plaintext, trust none, evidence smtpd-counters'));
  assert.ok(r.html.includes('certificate =CN=&lt;i&gt;evil&lt;/i&gt;, issuer =CN=&lt;i&gt;evil&lt;/i&gt;, self-signed, fingerprint AB, not after 2026-12-01T00:00:00.000Z (1 days left), logged by EVIL'));
  const rows = r.csv.find((c) => c.name === 'policy-violations.csv')?.text.split('\r\n') ?? [];
  assert.ok(rows[1].startsWith(`inbound,no-plaintext,critical,"'=HYPERLINK(""http://evil.example"",""x"")",edge,,2,`), rows[1]);
  assert.ok(rows[2].startsWith('ca,ca-issued-certificate,warning,"<script>alert(""x"")</script>.evil.example",Default EVIL,,1,'), rows[2]);
  assert.deepEqual(r.csv.map((c) => c.name).slice(0, 3), ['policy-rules.csv', 'policy-violations.csv', 'policy-unknown.csv']);
  assert.deepEqual(r.totals.at(-1), ['policy rules violated', '2 of 2']);
});

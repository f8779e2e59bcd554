/**
 * The Exchange workload generator keeps its own contract (bench/generate/exchange.ts header):
 * same seed → same bytes; every file is BOM + 5 header lines + RFC 4180 rows of #Fields width,
 * CRLF, in time order; every SEND InternalId is a RECEIVE internal-message-id on the next org
 * server; every SMTP RECEIVE session id is a session of that server's RECV log; the truth covers
 * every message id in the logs; every scenario shows up in 100 messages.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeExchangeOrg, generateExchangeOrg, type TruthMessage } from '../../bench/generate/exchange.ts';

/** RFC 4180 fields of one line (quoted fields, `""` inside them) */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (line[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  assert.equal(quoted, false, `unterminated quote in ${line}`);
  out.push(field);
  return out;
}

type Row = Record<string, string>;
interface LogFile { path: string; server: string; kind: string; fields: string[]; rows: Row[] }

const SEED = 7;
const MESSAGES = 100;
let dir: string;
let files: LogFile[];
let truth: TruthMessage[];
let result: Awaited<ReturnType<typeof writeExchangeOrg>>;

/** which log a path is: MSGTRK / MSGTRKMS / MSGTRKMD or the protocol-log folder */
function kindOf(path: string): string {
  const m = /\/MessageTracking\/(MSGTRK(?:MS|MD)?)\d{10}-\d+\.LOG$/.exec(path);
  if (m) return m[1];
  const p = /\/Logs\/(FrontEnd|Hub|Mailbox|Edge)\/ProtocolLog\/(SmtpReceive|SmtpSend)(?:\/(Delivery|Submission))?\/(RECV|SEND)\d{10}-\d+\.LOG$/.exec(path);
  assert.ok(p, `unexpected file ${path}`);
  return `${p[1]}/${p[2]}${p[3] ? `/${p[3]}` : ''}`;
}

let trackingRows: Row[] = [];
/** protocol-log rows by `server kind session-id` */
const sessions = new Map<string, Row[]>();
/** RECEIVE rows by `server internal-message-id` */
const receives = new Map<string, Row[]>();

function index(): void {
  trackingRows = files.filter((f) => f.kind.startsWith('MSGTRK')).flatMap((f) => f.rows.map((r): Row => ({ ...r, server: f.server, log: f.kind })));
  for (const r of trackingRows) {
    if (r['event-id'] !== 'RECEIVE') continue;
    const k = `${r.server} ${r['internal-message-id']}`;
    receives.set(k, [...(receives.get(k) ?? []), r]);
  }
  for (const f of files) {
    if (f.kind.startsWith('MSGTRK')) continue;
    for (const r of f.rows) {
      const k = `${f.server} ${f.kind} ${r['session-id']}`;
      const list = sessions.get(k);
      if (list) list.push(r);
      else sessions.set(k, [r]);
    }
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mt-exgen-'));
  result = await writeExchangeOrg(join(dir, 'a'), { messages: MESSAGES, seed: SEED }, join(dir, 'a.jsonl'));
  truth = readFileSync(join(dir, 'a.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TruthMessage);
  files = result.files.map((path) => {
    const buf = readFileSync(join(dir, 'a', path));
    assert.deepEqual([...buf.subarray(0, 3)], [0xef, 0xbb, 0xbf], `${path}: UTF-8 BOM`);
    const text = buf.subarray(3).toString('utf8');
    assert.ok(text.endsWith('\r\n'), `${path}: ends with CRLF`);
    assert.equal(text.replace(/\r\n/g, '').includes('\n'), false, `${path}: bare LF`);
    const lines = text.slice(0, -2).split('\r\n');
    const kind = kindOf(path);
    const tracking = kind.startsWith('MSGTRK');
    assert.equal(lines[0], '#Software: Microsoft Exchange Server');
    assert.match(lines[1], tracking ? /^#Version: 15\.01\.\d{4}\.\d{3}$/ : /^#Version: 15\.0\.0\.0$/);
    assert.equal(lines[2], `#Log-type: ${tracking ? 'Message Tracking Log' : kind.includes('SmtpReceive') ? 'SMTP Receive Protocol Log' : 'SMTP Send Protocol Log'}`);
    assert.match(lines[3], /^#Date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(lines[4], /^#Fields: /);
    const fields = lines[4].slice('#Fields: '.length).split(',');
    assert.equal(fields.length, tracking ? 30 : 9, `${path}: #Fields`);
    let last = '';
    const rows = lines.slice(5).map((line, i) => {
      assert.ok(!line.startsWith('#'), `${path}:${i + 6}: a data line never starts with #`);
      const cols = splitCsv(line);
      assert.equal(cols.length, fields.length, `${path}:${i + 6}: ${cols.length} columns, #Fields has ${fields.length}`);
      assert.match(cols[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(cols[0] >= last, `${path}:${i + 6}: time goes backwards`);
      last = cols[0];
      return Object.fromEntries(fields.map((f, j) => [f, cols[j]]));
    });
    assert.ok(rows.length > 0, `${path}: no rows`);
    assert.equal(lines[3].slice('#Date: '.length), rows[0]['date-time'], `${path}: #Date is the creation time`);
    return { path, server: path.split('/')[0], kind, fields, rows };
  });
  index();
});

after(() => rmSync(dir, { recursive: true, force: true }));

const protocol = (server: string, kind: string) => files.filter((f) => f.server === server && f.kind === kind).flatMap((f) => f.rows);

describe('Exchange generator', () => {
  test('same seed → same bytes; another seed → other bytes', async () => {
    const hashAll = async (seed: number, sub: string) => {
      const r = await writeExchangeOrg(join(dir, sub), { messages: 60, seed }, join(dir, `${sub}.jsonl`));
      const h = createHash('sha256');
      for (const f of [...r.files].sort()) h.update(f).update(readFileSync(join(dir, sub, f)));
      h.update(readFileSync(join(dir, `${sub}.jsonl`)));
      return h.digest('hex');
    };
    const a = await hashAll(3, 'd1');
    assert.equal(await hashAll(3, 'd2'), a);
    assert.notEqual(await hashAll(4, 'd3'), a);
  });

  test('the generator yields the same lines as written, files close once', () => {
    const seen = new Map<string, number>();
    const closed = new Set<string>();
    for (const { file, line } of generateExchangeOrg({ messages: 20, seed: 11 })) {
      assert.equal(closed.has(file), false, `${file}: line after close`);
      if (line === null) closed.add(file);
      else seen.set(file, (seen.get(file) ?? 0) + 1);
    }
    assert.deepEqual([...closed].sort(), [...seen.keys()].sort());
  });

  test('files are laid out per server as Exchange does, rolling over on the hour', () => {
    const kinds = new Set(files.map((f) => `${f.server} ${f.kind}`));
    for (const mbx of ['MBX1', 'MBX2']) {
      for (const k of ['MSGTRK', 'MSGTRKMS', 'MSGTRKMD', 'FrontEnd/SmtpReceive', 'FrontEnd/SmtpSend', 'Hub/SmtpReceive', 'Hub/SmtpSend', 'Mailbox/SmtpReceive/Delivery', 'Mailbox/SmtpSend/Submission']) {
        assert.ok(kinds.has(`${mbx} ${k}`), `${mbx} ${k}`);
      }
    }
    for (const edge of ['EDGE1', 'EDGE2']) for (const k of ['MSGTRK', 'Edge/SmtpReceive', 'Edge/SmtpSend']) assert.ok(kinds.has(`${edge} ${k}`), `${edge} ${k}`);
    for (const f of files) {
      const hour = /(\d{10})-\d+\.LOG$/.exec(f.path)![1];
      for (const r of f.rows) assert.equal(r['date-time'].slice(0, 13).replace(/[-T]/g, ''), hour, `${f.path}: row of another hour`);
    }
    assert.equal(result.rows, files.reduce((a, f) => a + f.rows.length, 0));
  });

  test('every SEND InternalId is the internal-message-id of a RECEIVE row on the next org server, and its send session shows the reply', () => {
    const replies = new Set<string>();
    for (const [k, rows] of sessions) for (const p of rows) if (p.event === '<') replies.add(`${k.split(' ').slice(0, 2).join(' ')} ${p.data}`);
    let checked = 0;
    let deliveries = 0;
    for (const r of trackingRows) {
      if (r['event-id'] !== 'SEND' && r['event-id'] !== 'SENDEXTERNAL') continue;
      // to Mailbox Transport Delivery: `250 2.0.0 OK <id> [Hostname=…]`, no InternalId, no RECEIVE row (§1.9a)
      const d = /^;(250 2\.0\.0 OK (<[^>]+>) \[Hostname=([^\]]+)\]);ClientSubmitTime:$/.exec(r['source-context']);
      if (d) {
        assert.equal(d[2], r['message-id']);
        assert.equal(d[3], r['server-hostname']);
        assert.ok(replies.has(`${r.server} Hub/SmtpSend ${d[1]}`), `${r.server} Hub/SmtpSend shows ${d[1]}`);
        deliveries++;
        continue;
      }
      const m = /^;(250 2\.6\.0 <[^>]+> \[InternalId=(\d+), Hostname=([^\]]+)\] \d+ bytes in [\d.]+, [\d.]+ KB\/sec Queued mail for delivery);ClientSubmitTime:$/.exec(r['source-context']);
      if (!r['server-hostname'].endsWith('.corp.example')) continue;
      assert.ok(m, `SEND to an org server without the 2.6.0 reply: ${r['source-context']}`);
      const [, reply, iid, host] = m;
      assert.equal(host, r['server-hostname']);
      assert.equal(r['client-hostname'], `${r.server.toLowerCase()}.corp.example`);
      const next = host.split('.')[0].toUpperCase();
      const got = receives.get(`${next} ${iid}`) ?? [];
      assert.equal(got.length, 1, `InternalId=${iid} on ${next}`);
      assert.equal(got[0]['message-id'], r['message-id']);
      assert.equal(got[0]['network-message-id'], r['network-message-id']);
      const sendLog = r.server.startsWith('EDGE') ? 'Edge/SmtpSend' : 'Hub/SmtpSend';
      assert.ok(replies.has(`${r.server} ${sendLog} ${reply}`), `${r.server} ${sendLog} shows ${reply}`);
      checked++;
    }
    assert.ok(checked > 50, `${checked} SEND rows checked`);
    assert.ok(deliveries > 50, `${deliveries} SEND rows to mailbox delivery checked`);
    assert.equal(trackingRows.filter((r) => r.log === 'MSGTRKMD' && r['event-id'] === 'RECEIVE').length, 0, 'no MSGTRKMD RECEIVE rows');
  });

  test('every SMTP RECEIVE session id is a session of that server\'s RECV log with the same `receiving message` triple', () => {
    let checked = 0;
    for (const r of trackingRows) {
      if (r['event-id'] !== 'RECEIVE' || r.source !== 'SMTP') continue;
      const [sid, start, n] = r['source-context'].split(';');
      assert.match(sid, /^[0-9A-F]{16}$/);
      assert.equal(n, '0');
      const recv = r.log === 'MSGTRKMD' ? 'Mailbox/SmtpReceive/Delivery' : r.server.startsWith('EDGE') ? 'Edge/SmtpReceive' : 'Hub/SmtpReceive';
      const session = sessions.get(`${r.server} ${recv} ${sid}`) ?? [];
      assert.ok(session.length > 0, `${r.server} ${recv} has session ${sid}`);
      assert.equal(session[0].event, '+');
      assert.equal(session[0]['date-time'], start);
      assert.ok(session.some((p) => p.event === '*' && p.data === r['source-context'] && p.context === 'receiving message'));
      assert.ok(session.some((p) => p.event === '>' && p.data.includes(`[InternalId=${r['internal-message-id']}, Hostname=`)), `${sid} answers with InternalId=${r['internal-message-id']}`);
      assert.equal(r['server-hostname'], r.server);
      checked++;
    }
    assert.ok(checked > 100, `${checked} RECEIVE rows checked`);
  });

  test('every Front End session answers with the InternalId of the proxied Transport', () => {
    let checked = 0;
    for (const mbx of ['MBX1', 'MBX2']) {
      for (const p of protocol(mbx, 'FrontEnd/SmtpReceive')) {
        const m = /^250 2\.6\.0 <[^>]+> \[InternalId=(\d+), Hostname=(mbx\d)\.corp\.example\]/.exec(p.data);
        if (!m) continue;
        assert.ok(receives.has(`${m[2].toUpperCase()} ${m[1]}`));
        checked++;
      }
    }
    assert.ok(checked > 0);
  });

  test('the truth covers every message id of the logs; network-message-id is one GUID per message', () => {
    const byId = new Map(truth.map((t) => [t.messageId, t]));
    assert.equal(byId.size, truth.length, 'message ids are unique');
    assert.equal(result.messages, truth.length);
    const nmids = new Map<string, string>();
    for (const r of trackingRows) {
      const id = r['message-id'];
      if (!id) {
        assert.equal(r['event-id'], 'NOTIFYMAPI');
        continue;
      }
      const t = byId.get(id);
      assert.ok(t, `${id} is in the truth`);
      assert.equal(r['network-message-id'], t.networkMessageId, `${id}: network-message-id`);
      const seen = nmids.get(r['network-message-id']);
      assert.ok(seen === undefined || seen === id);
      nmids.set(r['network-message-id'], id);
    }
    for (const t of truth) assert.ok(nmids.has(t.networkMessageId), `${t.messageId} appears in the logs`);
  });

  test('every scenario appears in 100 messages', () => {
    const hops = truth.flatMap((t) => t.recipients.flatMap((r) => r.hops));
    const has = (what: string, ok: boolean) => assert.ok(ok, what);
    const rows = trackingRows;
    has('inbound internet mail over TLS 1.2', hops.some((h) => h.fromRole === 'external' && h.toRole === 'edge' && h.tlsVersion === 'TLS1.2'));
    has('a legacy sender with TLS 1.0', hops.some((h) => h.toRole === 'edge' && h.tlsVersion === 'TLS1.0'));
    has('a plaintext internet sender', hops.some((h) => h.fromRole === 'external' && h.toRole === 'edge' && h.tls === 'plaintext'));
    has('outbound to the internet, TLS known', hops.some((h) => h.fromRole === 'edge' && h.toRole === 'external' && h.tls === 'encrypted'));
    has('outbound through EDGE2, whose internet connector logs nothing', hops.some((h) => h.from === 'edge2' && h.toRole === 'external' && h.tls === 'unknown'));
    has('EDGE2 outbound sessions are never logged', !hops.some((h) => h.from === 'edge2' && h.toRole === 'external' && h.tls !== 'unknown'));
    has('the plaintext internal hop mbx2 → edge2', hops.some((h) => h.from === 'mbx2' && h.to === 'edge2' && h.tls === 'plaintext'));
    has('mbx2 → edge2 is always plaintext', !hops.some((h) => h.from === 'mbx2' && h.to === 'edge2' && h.tls !== 'plaintext'));
    has('internal user → user on the other mailbox server', truth.some((t) => t.recipients.some((r) => {
      const first = r.hops[0];
      const last = r.hops[r.hops.length - 1];
      return first?.fromRole === 'mailbox' && last?.toRole === 'mailbox' && first.from !== last.to && r.status === 'delivered';
    })));
    has('a hand-off between two services of one box', hops.some((h) => h.from === h.to && h.fromRole === 'hub' && h.toRole === 'mailbox'));
    has('a multi-recipient message', truth.some((t) => t.recipients.filter((r) => r.status === 'delivered').length >= 3));
    has('a distribution-list expansion', rows.some((r) => r['event-id'] === 'EXPAND' && r['related-recipient-address'].endsWith('@corp.example') && r['recipient-address'] !== ''));
    const deferred = rows.filter((r) => r['event-id'] === 'DEFER');
    has('a DEFER followed by a later SEND', deferred.some((d) => rows.some((r) => r['message-id'] === d['message-id'] && r.server === d.server && (r['event-id'] === 'SEND' || r['event-id'] === 'SENDEXTERNAL') && r['date-time'] > d['date-time'])));
    has('a DEFER of a mailbox delivery', deferred.some((d) => d['recipient-status'].startsWith('432 ')));
    has('a message still deferred at the end', truth.some((t) => t.recipients.some((r) => r.status === 'deferred')));
    const fails = rows.filter((r) => r['event-id'] === 'FAIL');
    has('a FAIL for an unknown recipient', fails.some((r) => r.source === 'ROUTING'));
    has('a FAIL from a remote 5xx', fails.some((r) => r.source === 'SMTP'));
    for (const f of fails) {
      const dsn = truth.find((t) => t.messageId === f.reference);
      assert.ok(dsn, `FAIL of ${f['message-id']} references its DSN`);
      assert.ok(rows.some((r) => r['event-id'] === 'DSN' && r['message-id'] === dsn.messageId && r.reference === f['message-id']), 'the DSN row references the original');
      assert.equal(dsn.sender, '');
      assert.deepEqual(dsn.recipients.map((r) => r.status), ['delivered']);
      assert.equal(dsn.recipients[0].address, f['sender-address']);
      assert.ok(rows.some((r) => r['event-id'] === 'DELIVER' && r['message-id'] === dsn.messageId), 'the DSN is delivered to the internal sender');
    }
    has('a recipient refused by the Edge recipient filter', truth.some((t) => t.recipients.some((r) => r.status === 'rejected' && r.hops.length === 1 && r.hops[0].toRole === 'edge')));
    has('app1 relay through a Front End', truth.some((t) => t.recipients.some((r) => r.hops[0]?.from === 'app1.corp.example' && r.hops[0].toRole === 'frontend' && r.hops[1]?.fromRole === 'frontend' && r.hops[1].toRole === 'hub')));
    has('mailbox submission', rows.some((r) => r.log === 'MSGTRKMS' && r['event-id'] === 'SUBMIT') && rows.some((r) => r.log === 'MSGTRKMS' && r['event-id'] === 'NOTIFYMAPI'));
  });

  test('the truth tells what the logs prove: every delivered recipient ends at a DELIVER row or an external MX', () => {
    const delivers = new Set(trackingRows.filter((r) => r['event-id'] === 'DELIVER').map((r) => `${r['message-id']} ${r['recipient-address']} ${r.server.toLowerCase()}`));
    for (const t of truth) {
      for (const r of t.recipients) {
        if (r.status !== 'delivered') continue;
        const last = r.hops[r.hops.length - 1];
        assert.ok(last, `${t.messageId} ${r.address}: hops`);
        if (last.toRole === 'external') continue;
        assert.equal(last.toRole, 'mailbox');
        assert.ok(delivers.has(`${t.messageId} ${r.address} ${last.to}`), `${t.messageId} ${r.address} delivered on ${last.to}`);
        for (let i = 1; i < r.hops.length; i++) assert.equal(r.hops[i].from, r.hops[i - 1].to, 'hops chain');
      }
    }
  });
});

describe('the Exchange 2010 mode keeps the 2010 shapes of log-formats §1.9a', () => {
  let root: string;
  const text = new Map<string, string>();
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'mailtrace-gen2010-'));
    const r = await writeExchangeOrg(root, { messages: 80, seed: 5, version: 2010 });
    for (const f of r.files) text.set(f, readFileSync(join(root, f), 'utf8'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('daily files under <SERVER>/V14/TransportRoles/Logs/{MessageTracking,ProtocolLog/SmtpReceive|SmtpSend}, #Version 14.0.0.0, 26 tracking fields', () => {
    for (const [f, t] of text) {
      assert.match(f, /^(EDGE[12]|HUB[12]|MBX[12])\/V14\/TransportRoles\/Logs\/(MessageTracking\/MSGTRK|ProtocolLog\/SmtpReceive\/RECV|ProtocolLog\/SmtpSend\/SEND)\d{8}-\d+\.LOG$/);
      assert.match(t, /^\uFEFF#Software: Microsoft Exchange Server\r\n#Version: 14\.0\.0\.0\r\n/);
      const fields = /#Fields: ([^\r]*)/.exec(t)![1].split(',');
      if (f.includes('MSGTRK')) {
        assert.equal(fields.length, 26);
        assert.ok(!fields.includes('network-message-id'));
        for (const line of t.split('\r\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('\uFEFF'))) assert.equal(splitCsv(line).length, 26, line);
      }
    }
    // mailbox servers write tracking logs only (no SMTP of their own in 2010)
    assert.ok(![...text.keys()].some((f) => f.startsWith('MBX') && f.includes('ProtocolLog')));
  });

  test('no negotiation line; X-ANONYMOUSTLS between hubs; queued replies without Hostname; store-driver DELIVER on the hub into a mailbox server', () => {
    const all = [...text.values()].join('');
    assert.ok(!all.includes('negotiation succeeded'));
    assert.ok(!all.includes('TlsDomainCapabilities'));
    assert.ok(!all.includes('SENDEXTERNAL'));
    const hubRecv = [...text].filter(([f]) => f.startsWith('HUB') && f.includes('SmtpReceive')).map(([, t]) => t).join('');
    assert.match(hubRecv, /,<,X-ANONYMOUSTLS,/);
    assert.match(all, /250 2\.6\.0 <[^>]+> \[InternalId=\d+\] Queued mail for delivery/);
    assert.ok(!/\[InternalId=\d+, Hostname=/.test(all));
    const hubTrack = [...text].filter(([f]) => f.startsWith('HUB') && f.includes('MSGTRK')).map(([, t]) => t).join('');
    assert.match(hubTrack, /,HUB[12],10\.\d+\.\d+\.\d+,mbx[12]\.corp\.example,"MDB:[^"]*",,STOREDRIVER,DELIVER,/);
    assert.match(hubTrack, /,mbx[12]\.corp\.example,[\d.]+,HUB[12],"MDB:[^"]*",,STOREDRIVER,RECEIVE,/);
    const mbxTrack = [...text].filter(([f]) => f.startsWith('MBX')).map(([, t]) => t).join('');
    assert.match(mbxTrack, /,STOREDRIVER,SUBMIT,/);
    assert.match(mbxTrack, /,STOREDRIVER,NOTIFYMAPI,/);
  });
});

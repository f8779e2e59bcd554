import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { requireComponent } from '../helpers/component.ts';
import { DEFAULT_CONFIG_DIR } from './alternate-dirs.ts';
import { run } from './exec.ts';
import { fqdnOf, greeting, INSTANCES, postfixAvailability, startPostfixTopology } from './postfix.ts';

async function alternates(): Promise<string[]> {
  const r = await run('postconf', ['-c', DEFAULT_CONFIG_DIR, '-h', 'alternate_config_directories']);
  return r.stdout.split(/[\s,]+/).filter(Boolean);
}

/** `Mmm dd hh:mm:ss host syslog_name/…/program[pid]: text` as postlogd writes it (zero-padded day). */
const LINE_RE = /^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} (\S+) ([\w.-]+)(?:\/[\w.-]+)*\/[\w-]+\[\d+\]: /;

test('three instances start, greet on their own loopback ports and log under their own host names', { timeout: 90_000 }, async (t) => {
  if (!requireComponent(t, postfixAvailability())) return;
  const topo = await startPostfixTopology();
  t.after(() => topo.stop());

  const ports = INSTANCES.map((n) => topo.instances[n].port);
  assert.equal(new Set([...ports, topo.deadPort]).size, 4, 'one port per instance, and another for dead.test');
  const registered = await alternates();
  for (const n of INSTANCES) {
    assert.ok(registered.includes(topo.instances[n].configDir), `${n} is listed in ${DEFAULT_CONFIG_DIR}/main.cf`);
    const banner = await greeting(topo.instances[n].port);
    assert.match(banner, new RegExp(`^220 ${fqdnOf(n).replace(/\./g, '\\.')} ESMTP`), `${n} greets as itself`);
  }
  await assert.rejects(greeting(topo.deadPort), /ECONNREFUSED/, 'nothing listens on the dead.test port');

  // the greetings above are SMTP sessions, logged by postlogd a moment later
  const logs = topo.logs();
  for (const n of INSTANCES) {
    await topo.waitForLog(n, /\/smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\] quit=1 commands=1$/);
    const lines = readFileSync(logs[n], 'utf8').trimEnd().split('\n');
    assert.ok(lines.some((l) => l.includes(' daemon started -- version ')), `${n}: master start logged`);
    assert.ok(lines.some((l) => /\/smtpd\[\d+\]: connect from localhost\[127\.0\.0\.1\]$/.test(l)), `${n}: our connection logged`);
    for (const l of lines) {
      const m = LINE_RE.exec(l);
      assert.ok(m, `${n}: unexpected line shape: ${l}`);
      assert.equal(m[1], n, `${n}: host field is the first label of myhostname: ${l}`);
      assert.equal(m[2], `postfix-${n}`, `${n}: syslog_name: ${l}`);
    }
  }

  await topo.stop();
  assert.ok(!existsSync(topo.root), 'the temp root is removed');
  const after = await alternates();
  for (const n of INSTANCES) assert.ok(!after.includes(topo.instances[n].configDir), `${n} is unregistered again`);
  await assert.rejects(greeting(topo.instances.edge.port), /ECONNREFUSED/, 'the edge is down');
});

test('a configuration Postfix refuses fails the start with Postfix\'s own words and leaves nothing behind', { timeout: 90_000 }, async (t) => {
  if (!requireComponent(t, postfixAvailability())) return;
  // a maillog_file outside maillog_file_prefixes: `postfix start` exits 1 and prints nothing
  const err = await startPostfixTopology({ mainCf: { hub: { maillog_file: '/nonexistent-prefix/hub.log' } } }).then(
    () => assert.fail('the start should have failed'),
    (e: unknown) => e as Error,
  );
  assert.match(err.message, /start failed for hub/);
  assert.match(err.message, /maillog_file value '\/nonexistent-prefix\/hub\.log' does not match any prefix in maillog_file_prefixes/);
  const configDir = /postfix -c (\S+) start failed/.exec(err.message)?.[1] ?? '';
  assert.ok(configDir.endsWith('/hub/conf'), err.message);
  const root = configDir.slice(0, -'/hub/conf'.length);
  assert.ok(!existsSync(root), 'the temp root is removed');
  const after = await alternates();
  assert.ok(!after.some((d) => d.startsWith(`${root}/`)), 'no config directory of the failed start stays registered');
});

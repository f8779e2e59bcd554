import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

/**
 * docker-compose.yml cannot be started here (no Docker engine on the build machines): what can be
 * checked is checked — every mailtrace service runs a command this CLI has, with flags its --help
 * names; every dependency and volume exists; secrets come from the environment, never the file;
 * the broker is the version the tests run.
 */
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'cli', 'bin.js');

interface Service { image?: string; entrypoint?: string[]; command?: string[]; depends_on?: Record<string, unknown>; volumes?: string[]; environment?: Record<string, string | number> }
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

test('every mailtrace service runs a real command with flags its --help names', () => {
  const mailtrace = Object.entries(compose.services).filter(([, s]) => s.entrypoint?.join(' ') === 'node cli/bin.js');
  assert.deepEqual(mailtrace.map(([n]) => n).sort(), ['api', 'ingest-exchange', 'ingest-postfix', 'sink']);
  for (const [name, s] of mailtrace) {
    const [command, ...args] = s.command ?? [];
    const help = spawnSync(process.execPath, [BIN, command, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, `${name}: mailtrace ${command} --help: ${help.stderr}`);
    for (const flag of args.filter((a) => a.startsWith('--'))) assert.match(help.stdout, new RegExp(`^\\s+${flag}\\b`, 'm'), `${name}: ${flag} is an option of mailtrace ${command}`);
  }
});

test('dependencies and volumes exist; secrets come from the environment; the broker is the tested version', () => {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  for (const [name, s] of Object.entries(compose.services)) {
    for (const dep of Object.keys(s.depends_on ?? {})) assert.ok(dep in compose.services, `${name} depends on ${dep}, a service of the file`);
    for (const v of s.volumes ?? []) {
      const source = v.split(':')[0];
      if (!source.startsWith('.') && !source.startsWith('/') && !source.startsWith('$')) assert.ok(source in (compose.volumes ?? {}), `${name}: volume ${source} is declared`);
    }
    for (const [k, v] of Object.entries(s.environment ?? {})) {
      if (/PASSWORD|TOKEN/.test(k)) assert.match(String(v), /\$\{[A-Z_]+:\?/, `${name}: ${k} comes from the environment and is required`);
    }
  }
  assert.doesNotMatch(text, /MAILTRACE_TOKEN:\s*[A-Za-z0-9]{16,}\s*$/m);
  const pom = readFileSync(join(ROOT, 'test', 'harness', 'kafka', 'pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  assert.equal(compose.services.kafka.image, `apache/kafka:${version}`);
  // the sink answers beyond loopback: the token must be there
  assert.ok('MAILTRACE_TOKEN' in (compose.services.sink.environment ?? {}));
});

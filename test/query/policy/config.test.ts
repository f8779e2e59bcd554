import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlertSinks, ConfigFile, groupedIncidentKey, incidentKey, INCIDENT_SCOPES, scopeWords, TLS_VERSION_RANK, TlsPolicy, WEAK_TLS_VERSIONS } from '../../../schemas/index.ts';

/** The `policy` and `alerts` sections: what parses, and what a bad rule is told (path: message, as cli/config.ts prints it). */
function problems(value: unknown): string[] {
  const r = ConfigFile.safeParse(value);
  assert.equal(r.success, false, 'expected a refusal');
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('a policy with each rule kind parses, with the defaults filled in', () => {
  const cfg = ConfigFile.parse({
    policy: {
      rules: [
        { name: 'internal-tls12', kind: 'min-tls-version', internal: true, minVersion: 'TLSv1.2' },
        { name: 'partner', kind: 'verified-tls', domains: ['Partner.Example'], from: ['EDGE'], severity: 'critical' },
        { name: 'no-plain-hub', kind: 'no-plaintext', servers: ['hub'] },
      ],
      healAfterMinutes: 30,
    },
    alerts: { webhook: { url: 'https://hooks.example/mailtrace', headers: { Authorization: 'Bearer x' } }, email: { to: ['soc@example.org'] } },
  });
  assert.equal(cfg.policy.rules.length, 3);
  assert.equal(cfg.policy.rules[0].severity, 'warning');
  assert.equal(cfg.policy.rules[0].groupBy, 'route', 'one incident per route unless the rule says otherwise');
  const partner = cfg.policy.rules[1];
  assert.ok(partner.kind === 'verified-tls');
  assert.deepEqual(partner.domains, ['partner.example'], 'domains compare lower case');
  assert.deepEqual(partner.from, ['edge'], 'server names compare lower case');
  assert.equal(cfg.policy.healAfterMinutes, 30);
  assert.equal(cfg.policy.windowMinutes, undefined, 'read through POLICY_DEFAULTS');
  assert.deepEqual(ConfigFile.parse({}).policy, { rules: [] });
  assert.deepEqual(ConfigFile.parse({}).alerts, {});
});

test('bad rules are refused with the key and a message that says what to write', () => {
  const rule = (r: Record<string, unknown>) => problems({ policy: { rules: [r] } });
  assert.deepEqual(rule({ name: 'cert', kind: 'tls-everywhere', servers: ['edge'] }),
    ['policy.rules.0.kind: unknown rule kind "tls-everywhere": one of min-tls-version, verified-tls, no-plaintext, ca-issued-certificate, certificate-expiry']);
  // certificate rules take servers/roles, not the hop scope; their groupBy has no `to` or `domain`
  assert.deepEqual(rule({ name: 'c', kind: 'ca-issued-certificate', to: ['edge'] }), ['policy.rules.0: Unrecognized key: "to"']);
  assert.match(rule({ name: 'c', kind: 'certificate-expiry', groupBy: 'domain' })[0], /^policy\.rules\.0\.groupBy: groupBy "domain" is not one of route, from, rule for a certificate rule/);
  assert.match(rule({ name: 'c', kind: 'certificate-expiry', withinDays: 0 })[0], /^policy\.rules\.0\.withinDays: /);
  const cert = ConfigFile.parse({ policy: { rules: [{ name: 'c', kind: 'certificate-expiry', roles: ['edge'] }] } }).policy.rules[0];
  assert.ok(cert.kind === 'certificate-expiry' && cert.withinDays === 30 && cert.groupBy === 'route', 'a certificate rule needs no hop scope; 30 days by default');
  assert.match(rule({ name: 'x', servers: ['edge'] })[0], /^policy\.rules\.0\.kind: unknown rule kind undefined/);
  assert.deepEqual(rule({ name: 'all', kind: 'no-plaintext' }), ['policy.rules.0: rule all needs a scope: internal, servers, from, to or domains']);
  assert.deepEqual(rule({ name: 'v', kind: 'min-tls-version', internal: true }), ['policy.rules.0.minVersion: Invalid option: expected one of "TLSv1.0"|"TLSv1.1"|"TLSv1.2"|"TLSv1.3"']);
  assert.match(rule({ name: 'v', kind: 'min-tls-version', internal: true, minVersion: 'TLSv1.4' })[0], /^policy\.rules\.0\.minVersion: /);
  assert.deepEqual(rule({ name: 'p', kind: 'no-plaintext', internal: true, minVersion: 'TLSv1.2' }), ['policy.rules.0: Unrecognized key: "minVersion"']);
  assert.deepEqual(rule({ name: 'bad name!', kind: 'no-plaintext', internal: true }), ['policy.rules.0.name: a rule name is 1 to 64 letters, digits, . _ - (it becomes part of incident keys and mail headers)']);
  assert.deepEqual(rule({ name: 'd', kind: 'verified-tls', domains: ['not a domain'] }), ['policy.rules.0.domains.0: a domain such as partner.example']);
  assert.deepEqual(rule({ name: 'd', kind: 'verified-tls', domains: [] }), ['policy.rules.0.domains: list at least one domain']);
  assert.deepEqual(rule({ name: 'm', kind: 'verified-tls', servers: ['edge'], domainMatch: 'host' }), ['policy.rules.0.domainMatch: domainMatch needs domains']);
  assert.deepEqual(rule({ name: 's', kind: 'no-plaintext', servers: ['edge hub'] }), ['policy.rules.0.servers.0: a server name has no spaces']);
  assert.deepEqual(rule({ name: 'sev', kind: 'no-plaintext', internal: true, severity: 'page-me' }), ['policy.rules.0.severity: Invalid option: expected one of "warning"|"critical"']);
  assert.deepEqual(problems({ policy: { rules: [{ name: 'a', kind: 'no-plaintext', internal: true }, { name: 'a', kind: 'verified-tls', servers: ['edge'] }] } }),
    ['policy.rules.1.name: the rule name a is used twice (incident keys start with it)']);
  assert.deepEqual(rule({ name: 'g', kind: 'no-plaintext', internal: false, groupBy: 'client' }),
    ['policy.rules.0.groupBy: groupBy "client" is not one of route, from, to, domain, rule (route: one incident per server pair; from / to: per sending / receiving server; domain: per matched domain; rule: one for the whole rule)']);
  assert.deepEqual(rule({ name: 'g', kind: 'no-plaintext', servers: ['edge'], groupBy: 'domain' }), ['policy.rules.0.groupBy: groupBy domain needs domains (a rule without them matches no domain)']);
  assert.deepEqual(problems({ policy: { rules: [], healAfterMinutes: 0 } }), ['policy.healAfterMinutes: Too small: expected number to be >=1']);
  assert.deepEqual(problems({ policy: { rule: [] } }), ['policy: Unrecognized key: "rule"']);
});

test('bad alert sinks are refused with the key', () => {
  const sinks = (a: unknown) => {
    const r = AlertSinks.safeParse(a);
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(sinks({ webhook: { url: 'ftp://hooks.example/x' } }), ['webhook.url: webhook.url is an http:// or https:// URL']);
  assert.deepEqual(sinks({ webhook: { url: 'https://h.example/', headers: { 'X-Token': 'a\r\nBcc: x' } } }), ['webhook.headers.X-Token: a header value is one line']);
  assert.deepEqual(sinks({ email: { to: [] } }), ['email.to: list at least one address']);
  assert.match(sinks({ email: { to: ['not-an-address'] } })[0], /^email\.to\.0: /);
  assert.deepEqual(sinks({ slack: {} }), [': Unrecognized key: "slack"']);
  assert.deepEqual(sinks({ maxPerCheck: -1 }), ['maxPerCheck: maxPerCheck is 0 or more (0: every notice goes into the digest)']);
  assert.deepEqual(sinks({ maxPerCheck: 2.5 }), ['maxPerCheck: maxPerCheck is a whole number of notices']);
  assert.deepEqual(sinks({ maxPerCheck: 5000 }), ['maxPerCheck: maxPerCheck is at most 1000']);
  assert.equal(AlertSinks.parse({ maxPerCheck: 0 }).maxPerCheck, 0);
  assert.ok(TlsPolicy.safeParse({ rules: [] }).success);
});

test('the weak TLS versions of the views are exactly those ranked below TLSv1.2 here (one rule)', () => {
  const below12 = Object.keys(TLS_VERSION_RANK).filter((v) => (TLS_VERSION_RANK[v] ?? 0) < (TLS_VERSION_RANK['TLSv1.2'] ?? 0));
  assert.deepEqual([...below12].sort(), [...WEAK_TLS_VERSIONS].sort());
});

test('incident keys are deterministic, one header-safe line, and never shared by two routes', () => {
  assert.equal(incidentKey('internal-plaintext', 'hub', 'mailbox', ''), 'internal-plaintext:hub>mailbox');
  assert.equal(incidentKey('partner', 'edge', 'mx.partner.example', 'partner.example'), 'partner:edge>mx.partner.example:partner.example');
  const tricky = [['a>b', 'c', ''], ['a', 'b>c', ''], ['a', 'b', 'c'], ['a', 'b:c', ''], ['x\r\nBcc: y', '', '']] as const;
  const keys = tricky.map(([f, t, d]) => incidentKey('r', f, t, d));
  assert.equal(new Set(keys).size, keys.length);
  for (const k of keys) assert.match(k, /^[\x21-\x7e]+$/, k);
});

test('grouped incident keys: one per scope value, never a route key, header-safe', () => {
  const route = { from: 'mx1.outside.example', to: 'edge', domain: 'partner.example' };
  const keys = INCIDENT_SCOPES.map((g) => groupedIncidentKey('inbound', g, route));
  assert.deepEqual(keys, ['inbound:mx1.outside.example>edge:partner.example', 'inbound/from:mx1.outside.example', 'inbound/to:edge', 'inbound/domain:partner.example', 'inbound/all']);
  assert.equal(groupedIncidentKey('r', 'route', route), incidentKey('r', route.from, route.to, route.domain), 'route keys are those of stores made before groupBy');
  assert.equal(groupedIncidentKey('r', 'to', { from: 'a', to: 'x\r\nBcc: y', domain: '' }), 'r/to:x%0D%0ABcc%3A%20y');
  assert.notEqual(groupedIncidentKey('r', 'to', { from: '', to: 'all', domain: '' }), groupedIncidentKey('r', 'rule', route));
  assert.equal(scopeWords({ groupBy: 'to', from: '', to: 'edge', domain: '', routeCount: 30 }), '* -> edge (30 routes)');
  assert.equal(scopeWords({ groupBy: 'route', from: 'hub', to: 'mailbox', domain: '', routeCount: 1 }), 'hub -> mailbox');
  assert.equal(scopeWords({ groupBy: 'rule', from: '', to: '', domain: '', routeCount: 7 }), 'all routes of the rule (7)');
});

import { readFileSync } from 'node:fs';

/**
 * main.cf and master.cf of one harness instance. Facts behind each setting:
 * shared/reference/harness-notes.md (several Postfix instances on one machine, as root).
 */
export type InstanceName = 'edge' | 'hub' | 'mailbox';

export const DOMAIN = 'example.test';
export const DEAD_DOMAIN = 'dead.test';
/** the harness's own DNS-free naming: `edge.mt.test` etc.; logs name hosts by the first label */
export const HOST_DOMAIN = 'mt.test';

export interface InstancePlan {
  name: InstanceName;
  port: number;
  root: string;
  configDir: string;
  queueDir: string;
  dataDir: string;
  logFile: string;
  certFile: string;
  keyFile: string;
}

export interface TopologyPlan {
  root: string;
  caFile: string;
  deadPort: number;
  mailboxUsers: readonly string[];
  vmailDir: string;
  vmailUid: number;
  vmailGid: number;
  instances: Record<InstanceName, InstancePlan>;
}

export function fqdnOf(name: InstanceName): string {
  return `${name}.${HOST_DOMAIN}`;
}

/** main.cf settings to replace or add, per instance (tests of the harness itself, experiments) */
export type MainCfOverrides = Partial<Record<InstanceName, Record<string, string>>>;

export function mainCf(plan: TopologyPlan, i: InstancePlan, overrides: MainCfOverrides = {}): string {
  const common = [
    `# mailtrace test harness: the ${i.name} instance (written by test/harness/postfix-config.ts)`,
    'compatibility_level = 3.6',
    `myhostname = ${fqdnOf(i.name)}`,
    `mydomain = ${HOST_DOMAIN}`,
    'myorigin = $myhostname',
    `syslog_name = postfix-${i.name}`,
    `queue_directory = ${i.queueDir}`,
    // the master's lock lives here; it must belong to the mail_owner (postfix)
    `data_directory = ${i.dataDir}`,
    // no syslog daemon: postlogd writes this file, and only under an allowed prefix
    `maillog_file = ${i.logFile}`,
    `maillog_file_prefixes = ${plan.root}`,
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'smtp_dns_support_level = disabled',
    'lmtp_dns_support_level = disabled',
    // nothing is delivered by local(8): no aliases, no local domains on any instance
    'mydestination =',
    'alias_maps =',
    'alias_database =',
    'local_recipient_maps =',
    'biff = no',
    'append_dot_mydomain = no',
    // relay only for the domains each role serves, even from loopback: the routing is the test
    'smtpd_relay_restrictions = reject_unauth_destination',
    // short retries so a test can wait for a queue to drain instead of minutes of backoff
    'queue_run_delay = 2s',
    'minimal_backoff_time = 2s',
    'maximal_backoff_time = 10s',
    'maximal_queue_lifetime = 1h',
    'bounce_queue_lifetime = 1h',
    // TLS offered by every smtpd; the client side is chosen per route in master.cf
    `smtpd_tls_cert_file = ${i.certFile}`,
    `smtpd_tls_key_file = ${i.keyFile}`,
    'smtpd_tls_security_level = may',
    'smtpd_tls_loglevel = 1',
    // the Received header then names protocol and cipher: evidence the tests compare the logs with
    'smtpd_tls_received_header = yes',
    `smtp_tls_CAfile = ${plan.caFile}`,
    'smtp_tls_security_level = may',
    'smtp_tls_loglevel = 1',
  ];
  const extra = overrides[i.name] ?? {};
  const lines = [...common, ...roleCf(plan, i.name)].filter((l) => !((/^(\w+)\s*=/.exec(l)?.[1] ?? '') in extra));
  for (const [k, v] of Object.entries(extra)) lines.push(`${k} = ${v}`);
  return `${lines.join('\n')}\n`;
}

function roleCf(plan: TopologyPlan, name: InstanceName): string[] {
  const { hub, mailbox } = plan.instances;
  switch (name) {
    case 'edge':
      // the MX of example.test: hands everything to the hub over TLS; dead.test points at a closed port
      return [
        `relay_domains = ${DOMAIN}, ${DEAD_DOMAIN}`,
        `transport_maps = inline:{ ${DOMAIN}=relay-tls:[127.0.0.1]:${hub.port}, ${DEAD_DOMAIN}=smtp:[127.0.0.1]:${plan.deadPort} }`,
      ];
    case 'hub':
      // deliberately plaintext to the mailbox host, although the mailbox offers STARTTLS
      return [
        `relay_domains = ${DOMAIN}`,
        `transport_maps = inline:{ ${DOMAIN}=relay-plain:[127.0.0.1]:${mailbox.port} }`,
      ];
    case 'mailbox': {
      const users = plan.mailboxUsers.map((u) => `${u}@${DOMAIN}=${DOMAIN}/${u}/`).join(', ');
      return [
        `virtual_mailbox_domains = ${DOMAIN}`,
        // trailing slash: Maildir. Unknown users are refused at RCPT (smtpd_reject_unlisted_recipient)
        `virtual_mailbox_maps = inline:{ ${users} }`,
        `virtual_mailbox_base = ${plan.vmailDir}`,
        `virtual_uid_maps = static:${plan.vmailUid}`,
        `virtual_gid_maps = static:${plan.vmailGid}`,
        'virtual_transport = virtual',
      ];
    }
  }
}

/**
 * Debian's stock master.cf with four changes: the SMTP listener on this instance's loopback port,
 * no chroot anywhere (no copies of /etc files in each queue directory), tlsproxy enabled, and the two relay
 * transports that fix the TLS policy per route. Like Debian's own `relay` service they log under
 * `syslog_name/service` — the program part of the tag stays `smtp`.
 */
export function masterCf(i: InstancePlan, distFile = '/usr/share/postfix/master.cf.dist'): string {
  const out: string[] = [`# mailtrace test harness: the ${i.name} instance (from ${distFile})`];
  for (let line of readFileSync(distFile, 'utf8').split('\n')) {
    // tlsproxy carries TLS for reused connections (smtp_tls_connection_reuse = yes)
    if (line.startsWith('#tlsproxy ')) line = line.slice(1);
    if (line.startsWith('#') || /^\s/.test(line) || line.trim() === '') {
      out.push(line);
      continue;
    }
    const f = line.split(/\s+/);
    if (f[0] === 'smtp' && f[1] === 'inet') {
      out.push(`127.0.0.1:${i.port} inet n - n - - smtpd`);
      continue;
    }
    if (f.length >= 8) f[4] = 'n';
    out.push(f.join(' '));
  }
  out.push(
    `relay-tls unix - - n - - smtp`,
    `  -o syslog_name=postfix-${i.name}/relay-tls`,
    '  -o smtp_tls_security_level=encrypt',
    `relay-plain unix - - n - - smtp`,
    `  -o syslog_name=postfix-${i.name}/relay-plain`,
    '  -o smtp_tls_security_level=none',
  );
  return `${out.join('\n')}\n`;
}

/**
 * Which server wrote a file, and what role its services play, from where the file lies: Exchange
 * keeps every log under `<install>\TransportRoles\Logs\…`, and collected trees are usually
 * `<SERVER>\TransportRoles\Logs\…` (log-formats.md §1.1, §2.1).
 *   Logs\Edge\…                     → edge (only an Edge Transport server has it)
 *   Logs\FrontEnd\…                 → frontend (Front End Transport on a Mailbox server)
 *   Logs\Hub\…                      → hub (the Transport service)
 *   Logs\Mailbox\…, MSGTRKMD/MS     → mailbox (Mailbox Transport Delivery / Submission)
 * A plain MSGTRK file is the Transport service: edge on a server that has Edge logs, else hub.
 */
export type ExchangeRole = 'edge' | 'hub' | 'mailbox' | 'frontend' | '';

/**
 * Folders of the install path between a collected server folder and TransportRoles: a copy of
 * `C:\Program Files\Microsoft\Exchange Server\V14\TransportRoles\…` (§2.1, the 2010 path) keeps
 * some of them, and none of them names a server.
 */
const INSTALL_FOLDER = /^(v\d+|exchange server|microsoft|program files( \(x86\))?|[a-z]:|[a-z]\$)$/i;

export function serverFromPath(path: string): string {
  const parts = path.split(/[\\/]+/);
  let i = parts.findIndex((p) => p.toLowerCase() === 'transportroles') - 1;
  while (i >= 0 && INSTALL_FOLDER.test(parts[i])) i--;
  return i >= 0 && parts[i] !== '' && parts[i] !== '.' && parts[i] !== '..' ? parts[i].toLowerCase().split('.')[0] : '';
}

export function roleFromPath(path: string): ExchangeRole {
  const lower = path.toLowerCase().replace(/\\/g, '/');
  const name = lower.slice(lower.lastIndexOf('/') + 1);
  if (/^msgtrk(md|ms|ma)/.test(name)) return 'mailbox';
  if (lower.includes('/logs/edge/')) return 'edge';
  if (lower.includes('/logs/frontend/')) return 'frontend';
  if (lower.includes('/logs/hub/')) return 'hub';
  if (lower.includes('/logs/mailbox/')) return 'mailbox';
  return '';
}

/** Servers whose tree holds Edge Transport logs: their plain MSGTRK files are Edge tracking logs. */
export function edgeServers(paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const p of paths) if (roleFromPath(p) === 'edge') {
    const s = serverFromPath(p);
    if (s) out.add(s);
  }
  return out;
}

/** Role hints from names the logs carry when the path says nothing (connector names, §2.3). */
export function roleFromConnector(connector: string): ExchangeRole {
  const c = connector.toLowerCase();
  if (c.includes('default internal receive connector') || c.startsWith('edgesync') || c.includes('\\edgesync')) return 'edge';
  if (c.includes('frontend')) return 'frontend';
  return '';
}

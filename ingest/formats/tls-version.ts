/**
 * One spelling of a TLS protocol version for every source: Exchange's `TLS1_2` (protocol log,
 * Received `version=`), Exchange Online's `TLS1.2`, Google's and Postfix's `TLSv1.2`, `TLSv1` and
 * `TLSv1/SSLv3` for 1.0 → `TLSv1.2` … `TLSv1.0`; `SSL3`/`SSLv3` → `SSLv3`. Anything else as written.
 */
const TLS_VERSION = /^(?:TLS1[_.]([0-3])|TLSv1(?:\.([0-3]))?(?:\/SSLv3)?)$/i;

export function normalizeTlsVersion(v: string): string {
  const t = v.trim();
  if (/^SSLv?3$/i.test(t)) return 'SSLv3';
  const m = TLS_VERSION.exec(t);
  return m ? `TLSv1.${m[1] ?? m[2] ?? '0'}` : t;
}

/**
 * The dashboard's pages: `/` (search; its filters live in the query string so that back/forward
 * and shared links restore them), `/message/<url-encoded id>` (one trace), `/headers` (the header
 * analyzer: nothing goes into its URL, pasted headers may be private) and the views (`/overview`,
 * `/topology`, `/security`, `/hops`, `/delivery`, `/protection`, `/certificates`, `/ingestion`), whose time range
 * and filters live in the query string too; `/reports` lists the written reports. The server must answer every such path with index.html.
 */
export const VIEW_PAGES = ['overview', 'topology', 'security', 'hops', 'delivery', 'protection', 'certificates', 'ingestion'] as const;
export type ViewPage = (typeof VIEW_PAGES)[number];

export type Route =
  | { page: 'search'; params: URLSearchParams }
  | { page: 'trace'; id: string }
  | { page: 'headers' }
  | { page: 'reports' }
  | { page: ViewPage; params: URLSearchParams }
  | { page: 'unknown'; path: string };

export const HEADERS_HREF = '/headers';

export function parseRoute(loc: Pick<Location, 'pathname' | 'search'>): Route {
  if (loc.pathname === '/' || loc.pathname === '/index.html') return { page: 'search', params: new URLSearchParams(loc.search) };
  if (loc.pathname === HEADERS_HREF) return { page: 'headers' };
  if (loc.pathname === '/reports') return { page: 'reports' };
  const view = VIEW_PAGES.find((v) => loc.pathname === `/${v}`);
  if (view) return { page: view, params: new URLSearchParams(loc.search) };
  if (loc.pathname.startsWith('/message/')) {
    const raw = loc.pathname.slice('/message/'.length);
    try {
      const id = decodeURIComponent(raw);
      if (id) return { page: 'trace', id };
    } catch {
      // malformed escape: fall through to the unknown page
    }
  }
  return { page: 'unknown', path: loc.pathname };
}

export function isViewPage(page: Route['page']): page is ViewPage {
  return (VIEW_PAGES as readonly string[]).includes(page);
}

export function traceHref(id: string): string {
  return `/message/${encodeURIComponent(id)}`;
}

type Render = (route: Route) => void;
let render: Render = () => {};

export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  render(parseRoute(location));
  if (!opts.replace) window.scrollTo(0, 0);
}

/**
 * Start routing: render the current location, re-render on back/forward, and take over plain
 * left clicks on same-origin links (modified clicks still open new tabs).
 */
export function startRouter(onRoute: Render): void {
  render = onRoute;
  window.addEventListener('popstate', () => render(parseRoute(location)));
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || parseRoute(url).page === 'unknown') return;
    ev.preventDefault();
    navigate(url.pathname + url.search);
  });
  render(parseRoute(location));
}

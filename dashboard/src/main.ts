import { disposeCharts } from './charts/setup.ts';
import { h, fill, stateBox } from './dom.ts';
import { renderDeliveryPage } from './pages/delivery.ts';
import { renderHeadersPage } from './pages/headers.ts';
import { renderHopListPage } from './pages/hop-list.ts';
import { renderIngestionPage } from './pages/ingestion.ts';
import { renderReportsPage } from './pages/reports.ts';
import { renderOverviewPage } from './pages/overview.ts';
import { renderProtectionPage } from './pages/protection-page.ts';
import { renderCertificatesPage } from './pages/certificates.ts';
import { renderSearchPage } from './pages/search.ts';
import { renderSecurityPage } from './pages/security.ts';
import { renderTopologyPage } from './pages/topology.ts';
import { renderTracePage, type BackLink } from './pages/trace.ts';
import { scopeFromParams, scopeParams } from './pages/view-scope.ts';
import { isViewPage, startRouter, type Route } from './router.ts';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
const app: HTMLElement = root;

// the list the user came from, so that "← Search" or "← Hop list" returns to their filters and page
let back: BackLink = { href: '/', label: 'Search' };
let current: AbortController | undefined;

function show(route: Route): void {
  // a page still loading must not draw over the next one
  current?.abort();
  current = new AbortController();
  const signal = current.signal;
  disposeCharts();
  app.dataset.page = route.page;
  markNav(route);
  switch (route.page) {
    case 'search':
      back = { href: location.pathname + location.search, label: 'Search' };
      renderSearchPage(app, route.params, signal);
      break;
    case 'trace':
      void renderTracePage(app, route.id, back, signal);
      break;
    case 'headers':
      renderHeadersPage(app, signal);
      break;
    case 'overview':
      renderOverviewPage(app, route.params, signal);
      break;
    case 'topology':
      back = { href: location.pathname + location.search, label: 'Topology' };
      renderTopologyPage(app, route.params, signal);
      break;
    case 'security':
      renderSecurityPage(app, route.params, signal);
      break;
    case 'hops':
      back = { href: location.pathname + location.search, label: 'Hop list' };
      renderHopListPage(app, route.params, signal);
      break;
    case 'delivery':
      back = { href: location.pathname + location.search, label: 'Delivery' };
      renderDeliveryPage(app, route.params, signal);
      break;
    case 'protection':
      renderProtectionPage(app, route.params, signal);
      break;
    case 'certificates':
      renderCertificatesPage(app, route.params, signal);
      break;
    case 'ingestion':
      renderIngestionPage(app, signal);
      break;
    case 'reports':
      renderReportsPage(app, signal);
      break;
    default:
      document.title = 'Not found · mailtrace';
      fill(app, stateBox('error', 'No such page', route.path, h('a', { href: '/', class: 'btn' }, 'Go to search')));
  }
}

/**
 * The top bar's link to the page shown says so (a trace belongs to the list it came from), and
 * the view links carry the current range and filters: moving between views keeps the scope.
 */
function markNav(route: Route): void {
  const here = route.page === 'trace' ? (back.label === 'Search' ? 'search' : back.href.slice(1).split('?')[0]) : route.page;
  const scope = isViewPage(route.page) ? scopeParams(scopeFromParams(new URLSearchParams(location.search))).toString() : undefined;
  document.querySelectorAll<HTMLAnchorElement>('nav.nav a[data-nav]').forEach((a) => {
    if (a.dataset.nav === here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    if (scope !== undefined && a.dataset.scoped !== undefined) a.href = `/${a.dataset.nav}${scope ? `?${scope}` : ''}`;
  });
}

startRouter(show);

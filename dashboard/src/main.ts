import { disposeCharts } from './charts/setup.ts';
import { h, fill, stateBox } from './dom.ts';
import { renderHeadersPage } from './pages/headers.ts';
import { renderSearchPage } from './pages/search.ts';
import { renderTracePage } from './pages/trace.ts';
import { startRouter, type Route } from './router.ts';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
const app: HTMLElement = root;

// the search the user came from, so that "← Search" returns to their filters and page
let lastSearch = '/';
let current: AbortController | undefined;

function show(route: Route): void {
  // a page still loading must not draw over the next one
  current?.abort();
  current = new AbortController();
  disposeCharts();
  app.dataset.page = route.page;
  markNav(route);
  switch (route.page) {
    case 'search':
      lastSearch = location.pathname + location.search;
      renderSearchPage(app, route.params, current.signal);
      break;
    case 'trace':
      void renderTracePage(app, route.id, lastSearch, current.signal);
      break;
    case 'headers':
      renderHeadersPage(app, current.signal);
      break;
    default:
      document.title = 'Not found · mailtrace';
      fill(app, stateBox('error', 'No such page', route.path, h('a', { href: '/', class: 'btn' }, 'Go to search')));
  }
}

/** The top bar's link to the page shown says so (a trace belongs to search). */
function markNav(route: Route): void {
  const here = route.page === 'trace' ? 'search' : route.page;
  document.querySelectorAll<HTMLAnchorElement>('nav.nav a[data-nav]').forEach((a) => {
    if (a.dataset.nav === here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

startRouter(show);

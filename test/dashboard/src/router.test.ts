import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADERS_HREF, parseRoute, traceHref, VIEW_PAGES } from '../../../dashboard/src/router.ts';

test('routes: search with its query, trace by url-encoded id, the header analyzer, anything else unknown', () => {
  const r = parseRoute({ pathname: '/', search: '?recipient=a%40b.example' });
  assert.equal(r.page, 'search');
  assert.equal(r.page === 'search' && r.params.get('recipient'), 'a@b.example');
  assert.deepEqual(parseRoute({ pathname: '/index.html', search: '' }).page, 'search');
  for (const id of ['<m1@example.org>', '4A1B2C3D4E', '<a/b?c#d%e@x>']) {
    assert.deepEqual(parseRoute(new URL(`http://x${traceHref(id)}`)), { page: 'trace', id });
  }
  assert.deepEqual(parseRoute({ pathname: '/message/', search: '' }), { page: 'unknown', path: '/message/' });
  assert.deepEqual(parseRoute({ pathname: '/message/%E0%A4%A', search: '' }), { page: 'unknown', path: '/message/%E0%A4%A' });
  assert.deepEqual(parseRoute({ pathname: HEADERS_HREF, search: '' }), { page: 'headers' });
  // pasted headers never travel in the URL: a query string changes nothing
  assert.deepEqual(parseRoute({ pathname: '/headers', search: '?x=1' }), { page: 'headers' });
  assert.deepEqual(parseRoute({ pathname: '/headers/x', search: '' }), { page: 'unknown', path: '/headers/x' });
  assert.deepEqual(parseRoute({ pathname: '/nope', search: '' }), { page: 'unknown', path: '/nope' });
});

test('routes: every view page by its path, with its query string', () => {
  for (const v of VIEW_PAGES) {
    const r = parseRoute({ pathname: `/${v}`, search: '?range=7d&host=hub' });
    assert.equal(r.page, v);
    assert.equal('params' in r && r.params.get('host'), 'hub');
    assert.equal(parseRoute({ pathname: `/${v}/x`, search: '' }).page, 'unknown');
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiQuery, fixedScope, hopSelectionFromParams, hopsHref, normalizeTime, scopeFromParams, viewHref } from '../../../../dashboard/src/pages/view-scope.ts';

const NOW = Date.parse('2026-12-02T11:00:00Z');
const scope = (qs: string) => scopeFromParams(new URLSearchParams(qs));

test('view scope: a relative range is resolved against the clock; a fixed one is read as UTC', () => {
  assert.deepEqual(apiQuery(scope(''), NOW), {});
  assert.deepEqual(apiQuery(scope('range=24h'), NOW), { from: '2026-12-01T11:00:00Z' });
  assert.deepEqual(apiQuery(scope('range=7d&host=hub&domain=example.net'), NOW), { from: '2026-11-25T11:00:00Z', host: 'hub', domain: 'example.net' });
  assert.deepEqual(apiQuery(scope('range=30d'), NOW), { from: '2026-11-02T11:00:00Z' });
  // from/to win over a range; a datetime-local value without a zone is UTC; an offset is converted
  assert.deepEqual(apiQuery(scope('range=7d&from=2026-11-27T09:00&to=2026-11-27T10:30:15%2B01:00'), NOW), { from: '2026-11-27T09:00:00Z', to: '2026-11-27T09:30:15Z' });
  assert.equal(scope('from=2026-11-27T09:00').range, 'custom');
  assert.equal(scope('range=1y').range, 'all');
  assert.equal(normalizeTime('yesterday'), '');
  assert.equal(normalizeTime('2026-13-45T99:00'), '');
  assert.equal(normalizeTime('2026-11-27T09:00:00.250Z'), '2026-11-27T09:00:00Z');
});

test('view scope: the URL keeps only what is set, and reads back the same', () => {
  const s = scope('range=7d&host=hub');
  assert.equal(viewHref('/security', s), '/security?range=7d&host=hub');
  assert.equal(viewHref('/security', scope('')), '/security');
  assert.equal(viewHref('/overview', scope('from=2026-11-27T09:00&range=24h')), '/overview?from=2026-11-27T09%3A00%3A00Z');
  const round = scope(new URL(`http://x${viewHref('/topology', { ...s, domain: 'example.net' }, { hopFrom: 'hub', hopTo: '' })}`).search);
  assert.deepEqual(round, { range: '7d', from: '', to: '', host: 'hub', domain: 'example.net' });
});

test('hop list: a drill-down carries the resolved range; an unnamed end is kept; paging is bounded', () => {
  const fixed = fixedScope(apiQuery(scope('range=24h'), NOW));
  assert.equal(hopsHref(fixed, { hopFrom: 'hub', hopTo: 'mailbox', filter: 'plaintext' }), '/hops?from=2026-12-01T11%3A00%3A00Z&hopFrom=hub&hopTo=mailbox&filter=plaintext');
  assert.equal(hopsHref(fixedScope({}), { hopFrom: '', filter: 'all', offset: 0 }), '/hops?hopFrom=');
  const sel = hopSelectionFromParams(new URLSearchParams('hopFrom=&filter=weak-tls&offset=100&limit=25'));
  assert.deepEqual(sel, { hopFrom: '', hopTo: undefined, filter: 'weak-tls', offset: 100, limit: 25 });
  assert.deepEqual(hopSelectionFromParams(new URLSearchParams('filter=bogus&offset=-3&limit=7')), { hopFrom: undefined, hopTo: undefined, filter: 'all', offset: 0, limit: 50 });
});

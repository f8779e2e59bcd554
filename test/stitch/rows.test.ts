import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HOP_COLUMNS } from '../../schemas/index.ts';
import { reconstruct } from '../../stitch/reconstruct.ts';
import { hopRows, recipientDomain } from '../../stitch/rows.ts';
import { postfixEvents } from '../helpers/postfix.ts';
import { FIXTURES } from '../helpers/store.ts';

const fixture = readFileSync(join(FIXTURES, 'postfix', 'handmade-3hop.log'), 'utf8').trim().split('\n');

test('a recipient domain is what follows the last @, lower-cased; none without an @', () => {
  assert.equal(recipientDomain('Alice@Example.TEST'), 'example.test');
  assert.equal(recipientDomain('"a@b"@x.test'), 'x.test');
  assert.equal(recipientDomain('postmaster'), '');
});

test('hop rows: firstOfHop once per hand-off; firstOfDomain once per hand-off and domain, on its earliest row', () => {
  const t = reconstruct('<m1@example.org>', postfixEvents(fixture));
  const base = t.recipients[0];
  const at = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
  // three recipients over the same hand-offs: two of one domain (spelt two ways), the second starting earlier on the first hop
  const recipients = [
    { ...base, address: 'a@Example.TEST' },
    { ...base, address: 'b@example.test', hops: base.hops.map((h, i) => (i === 0 ? { ...h, start: at(h.start, -500) } : h)) },
    { ...base, address: 'c@other.test' },
  ];
  const col = (name: string) => HOP_COLUMNS.indexOf(name);
  const rows = hopRows('k', { ...t, recipients }, 1).trim().split('\n').map((l) => l.split('\t'));
  const n = base.hops.length;
  assert.equal(rows.length, 3 * n);
  assert.deepEqual(rows.map((r) => r[col('domain')]), [...Array(2 * n).fill('example.test'), ...Array(n).fill('other.test')]);
  assert.deepEqual(rows.map((r) => r[col('firstOfHop')]), [...Array(n).fill('1'), ...Array(2 * n).fill('0')]);
  const first = rows.map((r) => r[col('firstOfDomain')]);
  assert.deepEqual(first.slice(0, n), ['0', ...Array(n - 1).fill('1')], 'the earlier-starting recipient stands for the domain on the first hop');
  assert.deepEqual(first.slice(n, 2 * n), ['1', ...Array(n - 1).fill('0')]);
  assert.deepEqual(first.slice(2 * n), Array(n).fill('1'));
});

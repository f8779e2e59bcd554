import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitRow } from '../../../../ingest/formats/exchange/index.ts';

// RFC 4180 as Exchange writes it (log-formats.md §1.8): quotes only around fields with a comma,
// doubled quotes inside; unquoted fields carry ; | < > : freely
test('fields split on commas outside quotes, doubled quotes unescaped', () => {
  assert.deepEqual(splitRow('a,b,,c'), { fields: ['a', 'b', '', 'c'], open: false });
  assert.deepEqual(splitRow('x,"MDB:1, Mailbox:2",y'), { fields: ['x', 'MDB:1, Mailbox:2', 'y'], open: false });
  assert.deepEqual(splitRow('"O=""thawte, Inc.""",z,'), { fields: ['O="thawte, Inc."', 'z', ''], open: false });
  assert.deepEqual(splitRow('a@x;b@y,250 2.1.5 Recipient OK;550 4.4.7 QUEUE.Expired;text'), { fields: ['a@x;b@y', '250 2.1.5 Recipient OK;550 4.4.7 QUEUE.Expired;text'], open: false });
});

test('a quote left open says so, so the caller can join the next line', () => {
  assert.equal(splitRow('a,"starts here, and').open, true);
  assert.deepEqual(splitRow('a,"starts here, and\ncontinues",b'), { fields: ['a', 'starts here, and\ncontinues', 'b'], open: false });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkEvent, ddlStatements, EVENT_COLUMN_TYPES, EVENT_COLUMNS, EVENT_FIELDS, MailEvent, newEvent } from '../../schemas/index.ts';
import { eventBlockWriter } from '../../store/index.ts';

/**
 * The event columns are declared once (schemas/event.ts EVENT_FIELDS): the zod schema, the table,
 * the blank event and the fast boundary check all come from that list and must agree.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

// compile-time: the column list and the zod type name the same fields, in both directions
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const columnsMatchType: Same<(typeof EVENT_COLUMNS)[number], keyof MailEvent> = true;
const fieldsMatchType: Same<keyof typeof EVENT_FIELDS, keyof MailEvent> = true;

test('the table, the Native writer and the blank event are made from the one declaration', () => {
  assert.ok(columnsMatchType && fieldsMatchType);
  const ddl = ddlStatements('db').find((s) => s.includes('CREATE TABLE IF NOT EXISTS db.events'))!;
  for (const [name, type] of EVENT_COLUMN_TYPES) assert.ok(ddl.includes(`${name} ${type},`), `${name} ${type} in the DDL`);
  assert.deepEqual(EVENT_COLUMN_TYPES.map(([n]) => n), EVENT_COLUMNS);
  const blank = newEvent('id1', '2026-03-01T08:00:00.000Z', 'edge', 'receive');
  assert.deepEqual(Object.keys(blank), EVENT_COLUMNS, 'one object shape, in column order');
  assert.equal(MailEvent.safeParse(blank).success, true);
  assert.equal(checkEvent(blank), '');
  assert.equal(eventBlockWriter().add(blank), undefined, 'the Native writer knows every column type');
});

/** a valid event with one column replaced by an arbitrary value (often of the wrong kind) */
const mutated = fc.record({
  column: fc.constantFrom(...EVENT_COLUMNS),
  value: fc.oneof(
    fc.string(), fc.constant(''), fc.integer({ min: -5, max: 70000 }), fc.double(), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY),
    fc.constant(2 ** 53), fc.constant(undefined), fc.constant(null), fc.boolean(),
    fc.constantFrom('sent', 'deferred', 'encrypted', 'plaintext', 'unknown', 'verified', 'receive', 'other', 'Sent', '2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00Z', '2026-03-01 08:00:00.000', '1899-12-31T23:59:59.999Z', '2300-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'),
  ),
});

test(`the fast boundary check and the zod schema give the same verdict (${RUNS} cases)`, () => {
  let invalid = 0;
  fc.assert(fc.property(mutated, ({ column, value }) => {
    const e = newEvent('a1b2', '2026-03-01T08:00:00.000Z', 'mx1', 'delivery') as unknown as Record<string, unknown>;
    e[column] = value;
    const zodOk = MailEvent.safeParse(e).success;
    const fast = checkEvent(e as unknown as MailEvent);
    if (!zodOk) invalid++;
    assert.equal(fast === '', zodOk, `${column} = ${JSON.stringify(value)}: zod ${zodOk ? 'accepts' : 'refuses'}, the fast check says ${JSON.stringify(fast)}`);
    if (fast !== '') assert.ok(fast.startsWith(`${column}:`), fast);
  }), { numRuns: RUNS, seed: 42 });
  assert.ok(invalid > RUNS / 4, `${invalid} of ${RUNS} cases were invalid: both verdicts were exercised`);
});

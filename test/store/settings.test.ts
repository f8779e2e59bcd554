import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MailtraceError } from '../../schemas/index.ts';
import { limitError, readSettings, SessionSettings, WRITE_SETTINGS } from '../../store/settings.ts';

test('a read is stopped at its deadline in whole seconds, rounded up, and past its row limit', () => {
  assert.deepEqual(readSettings({ timeoutMs: 300, maxRows: 0 }), { max_execution_time: 1, timeout_overflow_mode: 'throw', max_result_rows: '0', result_overflow_mode: 'throw' });
  assert.deepEqual(readSettings({ timeoutMs: 10_000, maxRows: 100_000 }), { max_execution_time: 10, timeout_overflow_mode: 'throw', max_result_rows: '100000', result_overflow_mode: 'throw' });
  assert.deepEqual(Object.keys(WRITE_SETTINGS).sort(), Object.keys(readSettings({ timeoutMs: 1, maxRows: 1 })).sort(), 'a write names every limit a read sets');
});

test('embedded (sticky SETs): only what differs from the session is sent; after a failure, everything again', () => {
  const s = new SessionSettings(true);
  const api = readSettings({ timeoutMs: 10_000, maxRows: 100_000 });
  assert.deepEqual(s.toSend(api), api, 'the first statement sends all');
  assert.deepEqual(s.toSend(api), {}, 'the same limits again: nothing to send');
  assert.deepEqual(s.toSend(readSettings({ timeoutMs: 600_000, maxRows: 0 })), { max_execution_time: 600, max_result_rows: '0' });
  assert.deepEqual(s.toSend(WRITE_SETTINGS), { max_execution_time: 0 });
  assert.deepEqual(s.toSend(api), { max_execution_time: 10, max_result_rows: '100000' });
  s.forget();
  assert.deepEqual(s.toSend(api), api);
});

test('server (per-request settings): every statement sends all', () => {
  const s = new SessionSettings(false);
  const api = readSettings({ timeoutMs: 10_000, maxRows: 100_000 });
  assert.deepEqual(s.toSend(api), api);
  assert.deepEqual(s.toSend(api), api);
});

test('the engine\'s refusals at our limits become the catalogue\'s codes; other errors pass unchanged', () => {
  const limits = { timeoutMs: 300, maxRows: 10 };
  const timeout = limitError(Object.assign(new Error('Timeout exceeded'), { code: '159' }), limits);
  assert.ok(timeout instanceof MailtraceError && timeout.code === 'MT_ERR_QUERY_TIMEOUT');
  const large = limitError(Object.assign(new Error('Limit for result exceeded'), { code: '396' }), limits);
  assert.ok(large instanceof MailtraceError && large.code === 'MT_ERR_QUERY_TOO_LARGE' && /10 rows/.test(large.message));
  const other = Object.assign(new Error('Syntax error'), { code: '62' });
  assert.equal(limitError(other, limits), other);
  assert.equal(limitError(undefined, limits), undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cron } from 'croner';
import { periodBefore, planRun } from '../../../query/reports/index.ts';
import { ConfigFile, ReportSchedule, ReportsConfig, reportsSettings } from '../../../schemas/index.ts';

/** What a schedule runs for a fire time: injected times, no clock, no waiting. */
const at = (iso: string) => new Date(iso);
const period = (from: string, to: string) => ({ from, to });

test('day: the last whole day before the run (UTC), a run exactly at midnight included', () => {
  assert.deepEqual(periodBefore('day', at('2026-11-24T07:00:00.004Z')), period('2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'));
  assert.deepEqual(periodBefore('day', at('2026-11-24T00:00:00.000Z')), period('2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'));
  assert.deepEqual(periodBefore('day', at('2026-11-23T23:59:59.999Z')), period('2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z'));
  assert.deepEqual(periodBefore('day', at('2027-01-01T00:30:00Z')), period('2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'));
});

test('week: Monday to Monday (ISO weeks), whatever weekday the cron fires on', () => {
  // 2026-11-30 is a Monday
  assert.deepEqual(periodBefore('week', at('2026-11-30T07:00:00Z')), period('2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'));
  assert.deepEqual(periodBefore('week', at('2026-12-02T12:00:00Z')), period('2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'));
  assert.deepEqual(periodBefore('week', at('2026-12-06T23:59:59Z')), period('2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'));
});

test('month: the last calendar month, of whatever length', () => {
  assert.deepEqual(periodBefore('month', at('2026-03-01T06:00:00Z')), period('2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'));
  assert.deepEqual(periodBefore('month', at('2028-03-15T06:00:00Z')), period('2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'));
  assert.deepEqual(periodBefore('month', at('2027-01-01T00:00:00Z')), period('2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'));
});

test('a timezone moves the boundaries to its midnights, across daylight saving time too', () => {
  // Berlin: UTC+1 in winter
  assert.deepEqual(periodBefore('day', at('2026-11-24T06:00:00Z'), 'Europe/Berlin'), period('2026-11-22T23:00:00.000Z', '2026-11-23T23:00:00.000Z'));
  // 2026-03-29 is 23 hours long in Berlin (clocks go forward at 02:00)
  const spring = periodBefore('day', at('2026-03-30T05:00:00Z'), 'Europe/Berlin');
  assert.deepEqual(spring, period('2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'));
  assert.equal(Date.parse(spring.to) - Date.parse(spring.from), 23 * 3_600_000);
  // New York's clocks go back on 2026-11-01: the week that holds that Sunday is 169 hours long
  const fall = periodBefore('week', at('2026-11-02T12:00:00Z'), 'America/New_York');
  assert.deepEqual(fall, period('2026-10-26T04:00:00.000Z', '2026-11-02T05:00:00.000Z'));
  assert.equal(Date.parse(fall.to) - Date.parse(fall.from), 169 * 3_600_000);
});

test('planRun: a schedule and a fire time give the report, the period, the directory and the recipients', () => {
  const s = ReportSchedule.parse({ name: 'weekly-tls', kind: 'tls-compliance', cron: '0 7 * * 1', range: 'week', to: ['sec@example.test'] });
  // the fire times croner computes for this cron are the ones planned
  const job = new Cron(s.cron, { paused: true });
  const fire = job.nextRun(at('2026-11-25T00:00:00Z'));
  job.stop();
  assert.equal(fire?.toISOString(), '2026-11-30T07:00:00.000Z');
  assert.deepEqual(planRun(s, fire ?? new Date(0), '/r'), {
    schedule: 'weekly-tls', kind: 'tls-compliance', name: 'weekly-tls', from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z', dir: '/r', recipients: ['sec@example.test'],
  });
  // a late firing (the process was busy) still reports the same week
  assert.equal(planRun(s, at('2026-11-30T09:41:00Z'), '/r').from, '2026-11-23T00:00:00.000Z');
  assert.deepEqual(planRun({ ...s, to: undefined }, at('2026-11-30T07:00:00Z'), '/r').recipients, []);
});

test('config: cron expressions and timezones are checked by croner at parse time, naming the schedule', () => {
  const bad = (schedule: Record<string, unknown>) => {
    const r = ReportsConfig.safeParse({ schedules: [{ name: 'weekly', kind: 'volume-summary', cron: '0 7 * * 1', range: 'week', ...schedule }] });
    assert.equal(r.success, false, JSON.stringify(schedule));
    return r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? '';
  };
  assert.match(bad({ cron: '0 7 * * 8' }), /schedules\.0\.cron: schedule "weekly": cron "0 7 \* \* 8": .*dayOfWeek/);
  assert.match(bad({ cron: '0 7 * *' }), /schedule "weekly": cron "0 7 \* \*": .*five, six, or seven/);
  assert.match(bad({ cron: 'every monday' }), /schedule "weekly"/);
  assert.match(bad({ timezone: 'Mars/Olympus' }), /schedule "weekly": unknown timezone "Mars\/Olympus"/);
  assert.match(bad({ kind: 'everything' }), /kind/);
  assert.match(bad({ range: 'year' }), /range/);
  assert.match(bad({ to: ['not-an-address'] }), /to\.0/);
  assert.match(bad({ name: '../etc' }), /name/);
  assert.match(bad({ extra: 1 }), /Unrecognized key/);
  const twice = ReportsConfig.safeParse({ schedules: [1, 2].map(() => ({ name: 'same', kind: 'volume-summary', cron: '@daily', range: 'day' })) });
  assert.match(twice.error?.issues[0]?.message ?? '', /"same" is used twice/);
});

test('config: the defaults (./reports, no schedules) hold with and without the section', () => {
  assert.deepEqual(reportsSettings(ConfigFile.parse({}).reports), { dir: './reports', schedules: [] });
  assert.deepEqual(reportsSettings(ConfigFile.parse({ reports: {} }).reports), { dir: './reports', schedules: [] });
  const cfg = ConfigFile.parse({ reports: { dir: '/var/lib/mailtrace/reports', schedules: [{ name: 'daily', kind: 'delivery-failures', cron: '30 6 * * *', range: 'day', timezone: 'Europe/Berlin' }] } });
  assert.equal(reportsSettings(cfg.reports).dir, '/var/lib/mailtrace/reports');
  assert.equal(reportsSettings(cfg.reports).schedules[0].timezone, 'Europe/Berlin');
  assert.equal(ConfigFile.safeParse({ reports: { dir: './r', extra: true } }).success, false, 'strict');
});

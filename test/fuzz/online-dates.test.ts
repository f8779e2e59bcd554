/**
 * Property-based fuzzing of how Exchange times are read: ISO stamps of tracking and protocol logs
 * and exports (isoTime, tracking.ts), and dates in the exporting machine's culture (exportTime,
 * online.ts: `9/5/2022 6:10:13 PM`, `05.09.2022 18:10:13`, log-formats §1.9a), with every part
 * allowed to be out of range. Leap seconds (:60) are not generated: both readings are defensible.
 *
 * Property 1: an ISO stamp (`2026-03-01T08:00:00.123Z` as logged, or as exports write it: 7
 * decimals, no zone, a space for the T) is read as written or refused, never shifted: the result
 * is that UTC time in the canonical 24-character form when its parts name one (years 0000–9999 as
 * written, the fraction cut to milliseconds), and '' when they do not (month 13, 30 February, 24 h).
 *
 * Property 2: a culture date is read as written or refused, never shifted. Its reading of day and
 * month is the documented one (a dotted date is day-first; a slashed or dashed one is day-first
 * when its first part is above 12 or both are equal, month-first when its second part is above
 * 12, else as --date-format says, else refused as ambiguous). With that reading, the result is
 * exactly that calendar time in UTC (12 AM is 0 h, 12 PM is 12 h, the fraction cut to
 * milliseconds, years 0000–9999 as written) when it exists, and an error when it does not (a
 * month past 12, 30 February, 24 h, 60 min, 60 s).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { exportTime } from '../../ingest/formats/exchange/index.ts';
import { isoTime } from '../../ingest/formats/exchange/tracking.ts';
import { cases, fuzzParams, ran } from './settings.ts';

const written = fc.record({
  year: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1990, max: 2035 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 4, 99, 100, 1000, 1900, 2000, 2100, 9999) }),
  month: fc.integer({ min: 0, max: 13 }),
  day: fc.integer({ min: 0, max: 32 }),
  hour: fc.integer({ min: 0, max: 25 }),
  minute: fc.integer({ min: 0, max: 61 }),
  second: fc.option(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 59 }) }, { weight: 1, arbitrary: fc.constant(61) })),
  fraction: fc.option(fc.stringMatching(/^\d{1,7}$/)),
  style: fc.constantFrom('dmy.', 'dmy/', 'mdy/', 'dmy-', 'mdy-'),
  half: fc.constantFrom('', '', ' AM', ' PM', ' am', ' p.m.', 'PM'),
  pad: fc.boolean(),
  order: fc.option(fc.constantFrom('mdy' as const, 'dmy' as const)),
});

const two = (n: number): string => String(n).padStart(2, '0');

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

test(cases('exchange: an ISO time of a log row or an export is read as written or refused, never shifted'), () => {
  const started = performance.now();
  let read = 0;
  const stamp = fc.record({
    year: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1990, max: 2035 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 4, 99, 100, 1900, 2000, 9999) }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 59 }) }, { weight: 1, arbitrary: fc.constant(61) }),
    fraction: fc.option(fc.stringMatching(/^\d{1,7}$/)),
    t: fc.constantFrom('T', 'T', ' '),
    z: fc.constantFrom('Z', ''),
  });
  fc.assert(
    fc.property(stamp, (s) => {
      const text = `${String(s.year).padStart(4, '0')}-${two(s.month)}-${two(s.day)}${s.t}${two(s.hour)}:${two(s.minute)}:${two(s.second)}${s.fraction === null ? '' : `.${s.fraction}`}${s.z}`;
      const exists = s.month >= 1 && s.month <= 12 && s.day >= 1 && s.day <= daysIn(s.year, s.month) && s.hour <= 23 && s.minute <= 59 && s.second <= 59;
      const ms = ((s.fraction ?? '') + '000').slice(0, 3);
      const want = exists ? `${String(s.year).padStart(4, '0')}-${two(s.month)}-${two(s.day)}T${two(s.hour)}:${two(s.minute)}:${two(s.second)}.${ms}Z` : '';
      assert.equal(isoTime(text), want, text);
      if (exists) read++;
    }),
    fuzzParams(),
  );
  ran(`isoTime (${read} read, the rest refused)`, started);
});

test(cases('exchange online: a culture-formatted export time is read as written or refused, never shifted'), () => {
  const started = performance.now();
  let read = 0;
  fc.assert(
    fc.property(written, (w) => {
      const [a, b] = w.style.startsWith('dmy') ? [w.day, w.month] : [w.month, w.day];
      const sep = w.style[3];
      const part = (n: number): string => (w.pad ? two(n) : String(n));
      const seconds = w.second === null ? '' : `:${two(w.second)}${w.fraction === null ? '' : `.${w.fraction}`}`;
      const text = `${part(a)}${sep}${part(b)}${sep}${String(w.year).padStart(4, '0')} ${part(w.hour)}:${two(w.minute)}${seconds}${w.half}`;
      const result = exportTime(text, w.order ?? undefined);

      const dayFirst = sep === '.' || a > 12 || a === b ? true : b > 12 ? false : w.order === null ? undefined : w.order === 'dmy';
      if (dayFirst === undefined) {
        assert.ok('error' in result && result.error.includes('--date-format'), `${text}: ambiguous, yet ${JSON.stringify(result)}`);
        return;
      }
      const [day, month] = dayFirst ? [a, b] : [b, a];
      const pm = /p/i.test(w.half);
      const am = /a/i.test(w.half);
      const hour = pm && w.hour < 12 ? w.hour + 12 : am && w.hour === 12 ? 0 : w.hour;
      const second = w.second ?? 0;
      const exists = month >= 1 && month <= 12 && day >= 1 && day <= daysIn(w.year, month) && hour <= 23 && w.minute <= 59 && second <= 59;
      if (!exists) {
        assert.ok('error' in result, `${text}: no such time, yet read as ${JSON.stringify(result)}`);
        return;
      }
      const ms = ((w.second === null ? '' : w.fraction ?? '') + '000').slice(0, 3);
      const want = `${String(w.year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(w.minute)}:${two(second)}.${ms}Z`;
      assert.deepEqual(result, { iso: want }, text);
      read++;
    }),
    fuzzParams(),
  );
  ran(`exportTime culture dates (${read} read, the rest refused)`, started);
});

/**
 * Property-based fuzzing of how the Postfix envelope reads its time (parseEnvelope, envelope.ts):
 * classic syslog, ISO 8601 and RFC 5424 stamps with every part allowed to be out of range, and
 * garbage where the classic day should be.
 *
 * Property: a stamp is read as written or refused, never shifted. When month, day (in that month
 * of that year), hour, minute and second exist and the zone offset is one (hours ≤ 23, minutes ≤
 * 59), the line's time is exactly that instant (the zone or the configured offset taken off; a
 * classic stamp in the year its YearTracker gives; years 0000–9999 as written) or refused when it
 * falls outside the years 0000–9999; otherwise the line is refused (Feb 30, 24 h, 60 min, 61 s, a
 * classic day that is not digits). Leap seconds (:60) are not generated: both readings are defensible.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseEnvelope, YearTracker } from '../../ingest/formats/postfix/index.ts';
import { cases, fuzzParams, ran } from './settings.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const REFERENCE = Date.UTC(2026, 5, 30);

const stamp = fc.record({
  style: fc.constantFrom('classic', 'iso', 'rfc5424'),
  year: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1990, max: 2035 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 4, 99, 100, 1900, 2000, 2100, 9999) }),
  month: fc.integer({ min: 0, max: 13 }),
  day: fc.integer({ min: 0, max: 32 }),
  /** how the classic day is written: space-padded, zero-padded, bare, or a character that is no digit */
  dayForm: fc.constantFrom('space', 'zero', 'bare', 'bare', ':', 'A', '?'),
  hour: fc.integer({ min: 0, max: 25 }),
  minute: fc.integer({ min: 0, max: 61 }),
  second: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 59 }) }, { weight: 1, arbitrary: fc.constant(61) }),
  fraction: fc.option(fc.stringMatching(/^\d{1,9}$/)),
  zone: fc.constantFrom('', 'Z', 'Z', '+02:00', '-05:30', '+0200', '+14:00', '-23:59', '+24:00', '+01:60', '+99:99'),
  tzOffsetMin: fc.constantFrom(0, 0, 120, -600),
});

const two = (n: number): string => String(n).padStart(2, '0');

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Epoch ms of a UTC calendar time, years 0–99 included (Date.UTC alone makes them 1900–1999). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const d = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms));
  return d.setUTCFullYear(year, month - 1, day);
}

test(cases('postfix: an envelope time is read as written or refused, never shifted'), () => {
  const started = performance.now();
  let read = 0;
  fc.assert(
    fc.property(stamp, (s) => {
      const frac = s.fraction === null ? '' : `.${s.fraction}`;
      const time = `${two(s.hour)}:${two(s.minute)}:${two(s.second)}`;
      const years = new YearTracker(REFERENCE);
      let line: string;
      let year = s.year;
      let offsetMin: number = s.tzOffsetMin;
      let zoneOk = true;
      let dayOk = true;
      if (s.style === 'classic') {
        const name = MONTHS[s.month - 1] ?? 'Foo';
        const dayText = s.dayForm === 'space' ? (s.day < 10 ? ` ${s.day}` : String(s.day)) : s.dayForm === 'zero' ? two(s.day) : s.dayForm === 'bare' ? String(s.day) : s.dayForm;
        dayOk = /^ ?\d+$/.test(dayText) && String(s.day).length <= 2;
        line = `${name} ${dayText} ${time}${frac} mx postfix/smtpd[1]: connect from x[192.0.2.1]`;
        // the year is the tracker's business, not what is under test here
        year = dayOk && s.month >= 1 && s.month <= 12 && s.day >= 1 && s.day <= 31 ? new YearTracker(REFERENCE).yearFor(s.month - 1, s.day) : 2026;
      } else {
        const iso = `${String(s.year).padStart(4, '0')}-${two(s.month)}-${two(s.day)}T${time}${frac}${s.zone}`;
        line = s.style === 'iso' ? `${iso} mx postfix/smtpd[1]: connect from x[192.0.2.1]` : `<22>1 ${iso} mx postfix/smtpd 1 - - connect from x[192.0.2.1]`;
        if (s.zone !== '') {
          const z = /^([+-])(\d\d):?(\d\d)$/.exec(s.zone);
          offsetMin = z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) : 0;
          zoneOk = z === null || (Number(z[2]) <= 23 && Number(z[3]) <= 59);
        }
      }
      const env = parseEnvelope(line, years, s.tzOffsetMin);
      const exists = dayOk && zoneOk && s.month >= 1 && s.month <= 12 && s.day >= 1 && s.day <= daysIn(year, s.month) && s.hour <= 23 && s.minute <= 59 && s.second <= 59;
      const ms = Number(((s.fraction ?? '') + '000').slice(0, 3));
      const want = exists ? utc(year, s.month, s.day, s.hour, s.minute, s.second, ms) - offsetMin * 60_000 : Number.NaN;
      const storable = want >= -62_167_219_200_000 && want <= 253_402_300_799_999;  // 0000-01-01 … 9999-12-31T23:59:59.999Z
      if (!storable) {
        assert.ok('error' in env, `${line}: no such time (or none a 4-digit year can say), yet read as ${'error' in env ? '' : new Date(env.ms).toISOString()}`);
        return;
      }
      assert.ok(!('error' in env), `${line}: ${JSON.stringify(env)}`);
      assert.equal(new Date(env.ms).toISOString(), new Date(want).toISOString(), line);
      read++;
    }),
    fuzzParams(),
  );
  ran(`postfix envelope times (${read} read, the rest refused)`, started);
});

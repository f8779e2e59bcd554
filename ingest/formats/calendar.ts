/**
 * Calendar times read from log text. Date.UTC rolls parts over (30 February is 2 March, 0:60 an
 * hour later) and reads the years 0–99 as 1900–1999, so a mangled stamp would be stored at a time
 * nobody wrote. Here the parts are checked, and the year is the one written.
 */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;  // 400 years, after which the calendar repeats
const MIN_MS = -62_167_219_200_000;  // 0000-01-01T00:00:00.000Z
const MAX_MS = 253_402_300_799_999;  // 9999-12-31T23:59:59.999Z

/** Days in a month (1–12) of a (proleptic Gregorian) year. */
export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/**
 * Epoch ms of a UTC calendar time, or NaN when its parts name none (month 13, 30 February, 24 h,
 * 60 min, 61 s). A leap second (:60) is the first instant of the next minute.
 */
export function calendarMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  return year >= 100 ? Date.UTC(year, month - 1, day, hour, minute, second, ms) : Date.UTC(year + 400, month - 1, day, hour, minute, second, ms) - GREGORIAN_CYCLE_MS;
}

/** Years 0000–9999: the times the 24-character ISO form events carry can say (schemas/event.ts); the pipeline keeps aside what the store cannot hold. */
export function storable(ms: number): boolean {
  return ms >= MIN_MS && ms <= MAX_MS;
}

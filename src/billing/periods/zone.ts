import { Temporal } from 'temporal-polyfill';

/**
 * The date an instant falls on in a zone. Lago converts every billing timestamp this way before deriving a period.
 *
 * @example localDateAt(Temporal.Instant.from('2022-03-01T00:00:00Z'), 'America/New_York') // 2022-02-28
 */
export const localDateAt = (instant: Temporal.Instant, timeZone: string): Temporal.PlainDate =>
  instant.toZonedDateTimeISO(timeZone).toPlainDate();

/**
 * The first instant of a local day: 00:00, or the first existing time when a DST jump skips midnight.
 *
 * @example startOfLocalDay(Temporal.PlainDate.from('2022-01-01'), 'America/New_York') // 2022-01-01T05:00:00Z
 */
export const startOfLocalDay = (date: Temporal.PlainDate, timeZone: string): Temporal.Instant =>
  date.toZonedDateTime({ timeZone }).toInstant();

/**
 * The last millisecond of a local day (23:59:59.999 local), i.e. one millisecond before the next day starts; this stays
 * right on days that are 23 or 25 hours long.
 *
 * @example endOfLocalDay(Temporal.PlainDate.from('2022-01-31'), 'America/New_York') // 2022-02-01T04:59:59.999Z
 */
export const endOfLocalDay = (date: Temporal.PlainDate, timeZone: string): Temporal.Instant =>
  startOfLocalDay(date.add({ days: 1 }), timeZone).subtract({ milliseconds: 1 });

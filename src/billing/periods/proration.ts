import type { Temporal } from 'temporal-polyfill';
import type { DateRange } from './dates.ts';
import type { Interval } from './types.ts';

const NANOS_PER_DAY = 86_400_000_000_000n;

/**
 * The inclusive count of local days in a whole period, the divisor of `single_day_price`: 28–31 for months, 7 for
 * weeks, 90–92 for quarters, 181–184 for halves, 365/366 for years. The period's local dates already carry the zone,
 * so DST never adds or removes a day.
 *
 * @example
 * daysInPeriod({ startDate: PlainDate.from('2022-01-31'), endDate: PlainDate.from('2022-02-27') }) // 28
 * daysInPeriod({ startDate: PlainDate.from('2022-02-28'), endDate: PlainDate.from('2022-03-30') }) // 31
 */
export const daysInPeriod = (period: DateRange): number =>
  period.startDate.until(period.endDate, { largestUnit: 'days' }).days + 1;

const ceilDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a > 0n === b > 0n ? q + 1n : q;
};

/**
 * The days a fee bills between two instants, as Lago's `date_diff_with_timezone`:
 * `ceil((to − from − (offset(from) − offset(to))) / 1 day)`, where `to` is first moved one second forward when it sits
 * exactly on a local midnight. With `to` at 23:59:59 of the last day this counts the first and the last local day, and a
 * DST change inside the window neither adds nor loses a day.
 *
 * @example
 * // Europe/Paris, Sep 1 01:10 → Sep 30 00:59:59 local:
 * billedDays(Instant.from('2023-08-31T23:10:00Z'), Instant.from('2023-09-30T22:59:59Z'), 'Europe/Paris') // 30
 * // across the October change: Oct 1 01:10 CEST → Oct 31 23:59:59 CET:
 * billedDays(Instant.from('2023-09-30T23:10:00Z'), Instant.from('2023-10-31T22:59:59Z'), 'Europe/Paris') // 31
 * // calendar week started on Wednesday 2022-06-22 (UTC): Wed 00:00 → Sun 23:59:59 = 5 of 7 days
 */
export const billedDays = (from: Temporal.Instant, to: Temporal.Instant, timeZone: string): number => {
  let end = to.toZonedDateTimeISO(timeZone);
  if (end.equals(end.startOfDay())) end = end.add({ seconds: 1 });
  const start = from.toZonedDateTimeISO(timeZone);
  const offsetShift = BigInt(start.offsetNanoseconds - end.offsetNanoseconds);
  const span = end.epochNanoseconds - start.epochNanoseconds - offsetShift;
  return Number(ceilDiv(span, NANOS_PER_DAY));
};

const PERIODS_PER_YEAR: Readonly<Record<Interval, number>> = {
  weekly: 52,
  monthly: 12,
  quarterly: 4,
  semiannual: 2,
  yearly: 1,
};

/**
 * How many periods of an interval Lago counts in a year, to compare plans on a plan change: the new plan is an upgrade
 * when `amount × factor` is at least the old plan's.
 *
 * @example
 * // 100 €/month (×12 = 1200) to 1000 €/year (×1 = 1000) is a downgrade.
 * yearlyAmountFactor('monthly') // 12
 * yearlyAmountFactor('weekly') // 52
 */
export const yearlyAmountFactor = (interval: Interval): number => PERIODS_PER_YEAR[interval];

import { Temporal } from 'temporal-polyfill';

/**
 * Dates as documents print them ("Mar 1, 2025"), written out by hand rather than through Intl so that the text does
 * not depend on the ICU data of the machine that renders it.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const formatPlainDate = (date: Temporal.PlainDate): string => `${MONTHS[date.month - 1]} ${date.day}, ${date.year}`;

/** A `YYYY-MM-DD` date (an invoice's issuing or due date); null when absent. */
export const formatIsoDate = (text: string | null | undefined): string | null => (text ? formatPlainDate(Temporal.PlainDate.from(text)) : null);

/**
 * The calendar day of a timestamp in the customer's time zone: billing periods are cut at local midnights, so
 * `2025-02-28T23:00:00Z` is March 1 for a customer in Paris. An unknown zone falls back to UTC.
 */
export const localDate = (iso: string, timeZone: string | null | undefined): Temporal.PlainDate => {
  const instant = Temporal.Instant.from(iso);
  try {
    return instant.toZonedDateTimeISO(timeZone || 'UTC').toPlainDate();
  } catch {
    return instant.toZonedDateTimeISO('UTC').toPlainDate();
  }
};

/**
 * A period from one timestamp to another, as local days: "Mar 1, 2025 – Mar 31, 2025", or one day when it starts and
 * ends on it; null when a bound is missing.
 */
export const formatPeriod = (from: string | null | undefined, to: string | null | undefined, timeZone: string | null | undefined): string | null => {
  if (!from || !to) return null;
  const [start, end] = [formatPlainDate(localDate(from, timeZone)), formatPlainDate(localDate(to, timeZone))];
  return start === end ? start : `${start} – ${end}`;
};

import { Temporal } from 'temporal-polyfill';
import type { Interval } from './types.ts';

/**
 * The local date a period repeats from. Calendar billing is anniversary billing anchored on Monday, January 1st: that
 * single rule yields weeks from Monday, months from the 1st, quarters from Jan/Apr/Jul/Oct, halves from Jan/Jul and
 * years from Jan 1.
 */
export interface Anchor {
  month: number;
  day: number;
  /** ISO day of week, Monday = 1. */
  dayOfWeek: number;
}

export const CALENDAR_ANCHOR: Anchor = { month: 1, day: 1, dayOfWeek: 1 };

export const anchorOf = (date: Temporal.PlainDate): Anchor => ({
  month: date.month,
  day: date.day,
  dayOfWeek: date.dayOfWeek,
});

/** Period length in months; weekly periods are counted in days instead. */
export const MONTHS_IN: Readonly<Record<Exclude<Interval, 'weekly'>, number>> = {
  monthly: 1,
  quarterly: 3,
  semiannual: 6,
  yearly: 12,
};

export interface DateRange {
  startDate: Temporal.PlainDate;
  endDate: Temporal.PlainDate;
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

const shiftMonth = (year: number, month: number, months: number): { year: number; month: number } => {
  const index = year * 12 + (month - 1) + months;
  return { year: Math.floor(index / 12), month: mod(index, 12) + 1 };
};

/**
 * The anniversary in a month: the anchor day, or the month's last day when the month is shorter. Derived from the
 * anchor every time, so a short month never drags the following anniversaries (Jan 31, Feb 28, Mar 31, Apr 30...).
 *
 * @example
 * anniversaryIn({ month: 1, day: 31, dayOfWeek: 1 }, 2022, 2) // 2022-02-28
 * anniversaryIn({ month: 1, day: 31, dayOfWeek: 1 }, 2022, 3) // 2022-03-31
 */
export const anniversaryIn = (anchor: Anchor, year: number, month: number): Temporal.PlainDate =>
  Temporal.PlainDate.from({ year, month, day: anchor.day }, { overflow: 'constrain' });

/**
 * The local days of the period holding `date`: it starts on the latest (clamped) anniversary not after `date`, in a
 * month that is a whole number of periods away from the anchor's month, and ends the day before the next one.
 *
 * @example
 * // Semiannual anchored on Jan 31: Apr 30 is a month end but not a billing month, so it stays in January's period.
 * periodDatesContaining('semiannual', { month: 1, day: 31, dayOfWeek: 7 }, PlainDate.from('2021-04-30'))
 * // → { startDate: 2021-01-31, endDate: 2021-07-30 }
 */
export const periodDatesContaining = (interval: Interval, anchor: Anchor, date: Temporal.PlainDate): DateRange => {
  if (interval === 'weekly') {
    const startDate = date.subtract({ days: mod(date.dayOfWeek - anchor.dayOfWeek, 7) });
    return { startDate, endDate: startDate.add({ days: 6 }) };
  }
  const step = MONTHS_IN[interval];
  // A month that is not a billing month always belongs to the period opened in the last billing month before it, even
  // on its own last day: Apr 30 is no anniversary for a semiannual subscription of Jan 31.
  let back = mod(date.month - anchor.month, step);
  let opening = shiftMonth(date.year, date.month, -back);
  let startDate = anniversaryIn(anchor, opening.year, opening.month);
  if (Temporal.PlainDate.compare(startDate, date) > 0) {
    back += step;
    opening = shiftMonth(date.year, date.month, -back);
    startDate = anniversaryIn(anchor, opening.year, opening.month);
  }
  const next = shiftMonth(opening.year, opening.month, step);
  return { startDate, endDate: anniversaryIn(anchor, next.year, next.month).subtract({ days: 1 }) };
};

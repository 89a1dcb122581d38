import { Temporal } from 'temporal-polyfill';

/** Lago prints most timestamps with whole seconds: 2022-09-14T16:35:31Z. */
export const isoSeconds = (value: Date | null | undefined): string | null => {
  if (!value) return null;
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

/** Event timestamps and subscription started_at keep milliseconds: 2022-04-29T08:59:51.123Z. */
export const isoMillis = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);

export const instantToDate = (instant: Temporal.Instant): Date => new Date(instant.epochMilliseconds);
export const dateToInstant = (date: Date): Temporal.Instant => Temporal.Instant.fromEpochMilliseconds(date.getTime());

// Billing dates live between these years; outside them a date is a typo, and PostgreSQL or Date would mangle it.
const EARLIEST = Temporal.Instant.from('1000-01-01T00:00:00Z');
const LATEST = Temporal.Instant.from('9999-12-31T23:59:59.999Z');

/**
 * Parses an ISO-8601 date-time as Lago accepts it (`2022-08-08T00:00:00Z`, with an offset, or a bare date meaning
 * midnight UTC). Returns null when the text is not such a date-time, carries a time zone annotation (`[Europe/Paris]`),
 * or falls outside the years 1000 to 9999.
 */
export const parseIsoDateTime = (value: unknown): Temporal.Instant | null => {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  if (text.includes('[') || !/^\d{4}-/.test(text)) return null;
  let instant: Temporal.Instant;
  try {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) instant = Temporal.PlainDate.from(text).toZonedDateTime('UTC').toInstant();
    else if (/[zZ]$|[+-]\d{2}(:?\d{2})?$/.test(text)) instant = Temporal.Instant.from(text);
    // A date-time without an offset is read as UTC, as Rails does.
    else instant = Temporal.PlainDateTime.from(text).toZonedDateTime('UTC').toInstant();
  } catch {
    return null;
  }
  return Temporal.Instant.compare(instant, EARLIEST) < 0 || Temporal.Instant.compare(instant, LATEST) > 0 ? null : instant;
};

/** Parses `YYYY-MM-DD`; null when it is not a real calendar date. */
export const parseIsoDate = (value: unknown): Temporal.PlainDate | null => {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  try {
    return Temporal.PlainDate.from(value, { overflow: 'reject' });
  } catch {
    return null;
  }
};

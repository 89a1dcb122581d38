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

/**
 * Parses an ISO-8601 date-time as Lago accepts it (`2022-08-08T00:00:00Z`, with an offset, or a bare date meaning
 * midnight UTC). Returns null when the text is not a date-time.
 */
export const parseIsoDateTime = (value: unknown): Temporal.Instant | null => {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  try {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Temporal.PlainDate.from(text).toZonedDateTime('UTC').toInstant();
    if (/[zZ]$|[+-]\d{2}(:?\d{2})?$/.test(text)) return Temporal.Instant.from(text);
    // A date-time without an offset is read as UTC, as Rails does.
    return Temporal.PlainDateTime.from(text).toZonedDateTime('UTC').toInstant();
  } catch {
    return null;
  }
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

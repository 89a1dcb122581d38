import { sql } from 'drizzle-orm';
import { repeatEvery } from '../../lib/repeat.ts';
import { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { inTransaction } from '../../db/transaction.ts';
import { systemClock } from '../../lib/clock.ts';
import { dateToInstant, instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';

const HOUR_MS = 3_600_000;
/** At most this many hours are checked in one transaction, so a test clock moved by a year does not hold one open. */
const HOURS_PER_STEP = 24 * 31;

type ErrorKind = 'invalid_code' | 'missing_aggregation_property' | 'invalid_filter_values';

/** What Lago's events.errors webhook reports for one hour: the transaction ids of each kind of bad event. */
export interface EventsErrors {
  invalid_code: string[];
  missing_aggregation_property: string[];
  /** Always null in Lago: nothing fills it. */
  missing_group_key: null;
  invalid_filter_values: string[];
}

const floorHour = (at: Temporal.Instant): Temporal.Instant => Temporal.Instant.fromEpochMilliseconds(Math.floor(at.epochMilliseconds / HOUR_MS) * HOUR_MS);

/**
 * The bad events created in [from, to), by hour, judged against the metrics as they are now (as Lago's hourly check
 * does): a code no live metric has, a metric's field missing (or not a number for sum, max, weighted sum and latest),
 * a filter key with a value the filter does not list.
 */
const badEvents = async (tx: Db, organizationId: string, from: Temporal.Instant, to: Temporal.Instant) =>
  queryRows<{ hour: Date; kind: ErrorKind; transaction_id: string }>(
    tx,
    sql`WITH m AS (
        SELECT code, aggregation_type, field_name FROM billable_metrics WHERE organization_id = ${organizationId} AND deleted_at IS NULL),
      f AS (
        SELECT bm.code, bf.key, bf."values" FROM billable_metric_filters bf
        JOIN billable_metrics bm ON bm.organization_id = bf.organization_id AND bm.id = bf.billable_metric_id
        WHERE bf.organization_id = ${organizationId} AND bf.deleted_at IS NULL AND bm.deleted_at IS NULL),
      e AS (
        SELECT transaction_id, code, properties, date_trunc('hour', created_at, 'UTC') AS hour FROM events
        WHERE organization_id = ${organizationId} AND created_at >= ${instantToDate(from).toISOString()}::timestamptz
          AND created_at < ${instantToDate(to).toISOString()}::timestamptz)
      SELECT DISTINCT hour, kind, transaction_id FROM (
        SELECT e.hour, 'invalid_code' AS kind, e.transaction_id FROM e WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.code = e.code)
        UNION ALL
        SELECT e.hour, 'missing_aggregation_property', e.transaction_id FROM e JOIN m ON m.code = e.code
        WHERE m.aggregation_type <> 'count_agg' AND m.field_name IS NOT NULL AND (NOT (e.properties ? m.field_name)
          OR (m.aggregation_type IN ('sum_agg', 'max_agg', 'weighted_sum_agg', 'latest_agg')
            AND (e.properties ->> m.field_name) !~ '^-?[0-9]+(\\.[0-9]+)?$'))
        UNION ALL
        SELECT e.hour, 'invalid_filter_values', e.transaction_id FROM e JOIN f ON f.code = e.code
        WHERE e.properties ? f.key AND NOT ((e.properties ->> f.key) = ANY (f."values"))) bad
      ORDER BY hour, kind, transaction_id`,
  );

/**
 * Lago's hourly check of the events it accepted: once an hour is over, an events.errors webhook lists that hour's
 * events that will not count as sent (Billow accepts them too, as Lago does: a metric may be created later). Each
 * organization's hours are checked once, in order; a test clock checks the hours it passes, as the live clock would
 * have at the end of each.
 */
export const createEventValidation = ({ db }: { db: Db }) => {
  /** Checks the organization's whole hours up to `upTo`; returns how many events.errors it reported. */
  const validateUpTo = async (organizationId: string, upTo: Temporal.Instant): Promise<number> => {
    const end = floorHour(upTo);
    let reported = 0;
    for (;;) {
      const step = await inTransaction(db, async (tx) => {
        const [org] = await queryRows<{ from: Date | null; created_at: Date }>(
          tx,
          sql`SELECT events_validated_until AS "from", created_at FROM organizations WHERE id = ${organizationId} FOR NO KEY UPDATE`,
        );
        if (!org) return null;
        const from = org.from ? dateToInstant(new Date(org.from)) : floorHour(dateToInstant(new Date(org.created_at)));
        if (Temporal.Instant.compare(from, end) >= 0) return null;
        const stepEnd = Temporal.Instant.fromEpochMilliseconds(Math.min(end.epochMilliseconds, from.epochMilliseconds + HOURS_PER_STEP * HOUR_MS));
        const byHour = new Map<number, EventsErrors>();
        for (const row of await badEvents(tx, organizationId, from, stepEnd)) {
          const hour = new Date(row.hour).getTime();
          let lists = byHour.get(hour);
          if (!lists) byHour.set(hour, (lists = { invalid_code: [], missing_aggregation_property: [], missing_group_key: null, invalid_filter_values: [] }));
          lists[row.kind].push(row.transaction_id);
        }
        for (const [hour, lists] of [...byHour].sort(([a], [b]) => a - b)) {
          const at = Temporal.Instant.fromEpochMilliseconds(hour + HOUR_MS);
          await recordDomainEvent(tx, { organizationId, type: 'events.errors', objectType: 'events_errors', objectId: null, at, view: lists });
        }
        await tx.execute(sql`UPDATE organizations SET events_validated_until = ${instantToDate(stepEnd).toISOString()}::timestamptz WHERE id = ${organizationId}`);
        return byHour.size;
      });
      if (step === null) return reported;
      reported += step;
    }
  };

  /** The live clock's pass: every organization without a test clock, up to the current hour. */
  const validateLive = async (): Promise<void> => {
    const now = systemClock.now();
    const organizations = await queryRows<{ id: string }>(
      db,
      sql`SELECT id FROM organizations WHERE test_clock_frozen_at IS NULL
        AND (events_validated_until IS NULL OR events_validated_until <= ${instantToDate(floorHour(now)).toISOString()}::timestamptz - interval '1 hour')`,
    );
    for (const { id } of organizations) await validateUpTo(id, now);
  };

  const start = (intervalMs: number, onError: (error: unknown) => void): (() => Promise<void>) => repeatEvery(intervalMs, validateLive, onError);

  return { validateUpTo, validateLive, start };
};

export type EventValidation = ReturnType<typeof createEventValidation>;

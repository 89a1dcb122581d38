import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { retryingConflicts } from '../../db/errors.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { inTransaction } from '../../db/transaction.ts';
import { instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';

/**
 * Lago's two hourly reminders: `invoice.payment_overdue` (Clock::MarkInvoicesAsPaymentOverdueJob) and
 * `subscription.termination_alert` (Clock::SubscriptionsToBeTerminatedJob).
 *
 * Lago decides both days in UTC, whatever the customer's zone: an invoice is overdue once its `payment_due_date` is
 * before the current UTC date, and a subscription is alerted on the UTC dates that fall a set number of days before the
 * UTC date of its `ending_at`. Each reminder has the instant an hourly job would first have seen it: the first hour
 * boundary at or after the day began and the object became what the reminder is about (the invoice finalized, the
 * subscription active with this `ending_at`). A test clock that jumps over that instant sends the reminder as of it.
 */

/** Days before `ending_at` a subscription is alerted on (Lago's LAGO_SUBSCRIPTION_TERMINATION_ALERT_SENT_AT_DAYS default). */
export const TERMINATION_ALERT_DAYS = [45, 15] as const;

/** The instant that stamps what a reminder changes: the reminder's own instant on a test clock, the real time live. */
export type ReminderStamp = (at: Temporal.Instant) => Temporal.Instant;

const HOUR_MS = 3_600_000;
const compare = Temporal.Instant.compare;

const instantOf = (value: Date | string): Temporal.Instant => Temporal.Instant.fromEpochMilliseconds(new Date(value).getTime());
const utcDate = (at: Temporal.Instant): Temporal.PlainDate => at.toZonedDateTimeISO('UTC').toPlainDate();
const dayStart = (day: Temporal.PlainDate): Temporal.Instant => day.toZonedDateTime('UTC').toInstant();
const later = (a: Temporal.Instant, b: Temporal.Instant) => (compare(a, b) >= 0 ? a : b);
/** The first hour boundary at or after an instant: when an hourly job sees what became true then. */
const nextHour = (at: Temporal.Instant): Temporal.Instant =>
  Temporal.Instant.fromEpochMilliseconds(Math.ceil(at.epochMilliseconds / HOUR_MS) * HOUR_MS);

type Reminder =
  | { kind: 'overdue'; at: Temporal.Instant; id: string }
  | { kind: 'termination_alert'; at: Temporal.Instant; id: string; day: Temporal.PlainDate; endingAt: Date };

export const createReminders = ({ db }: { db: Db }) => {
  /** Finalized, unpaid invoices not yet overdue whose due date is before `upTo`'s UTC date, each with its instant. */
  const overdueInvoices = async (organizationId: string, upTo: Temporal.Instant): Promise<Reminder[]> => {
    const rows = await queryRows<{ id: string; due: string; finalized_at: Date | string }>(
      db,
      sql`SELECT id, to_char(payment_due_date, 'YYYY-MM-DD') AS due, coalesce(finalized_at, created_at) AS finalized_at
        FROM invoices WHERE organization_id = ${organizationId} AND status = 'finalized' AND payment_status <> 'succeeded'
          AND payment_overdue = false AND payment_due_date < ${utcDate(upTo).toString()}::date`,
    );
    return rows.map((r) => ({
      kind: 'overdue' as const,
      id: r.id,
      at: nextHour(later(dayStart(Temporal.PlainDate.from(r.due).add({ days: 1 })), instantOf(r.finalized_at))),
    }));
  };

  /**
   * Active subscriptions with an alert day up to `upTo`'s UTC date that has not been alerted, each alert day with its
   * instant. An alert day before the subscription took its current shape (started, or last changed: its `ending_at`
   * may have been set then) is not one the live clock could have sent, nor is one whose hourly run came after the day.
   */
  const terminationAlerts = async (organizationId: string, upTo: Temporal.Instant): Promise<Reminder[]> => {
    const today = utcDate(upTo).toString();
    const rows = await queryRows<{ id: string; ending_day: string; ending_at: Date | string; since: Date | string }>(
      db,
      sql`SELECT id, to_char(ending_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ending_day, ending_at,
          greatest(coalesce(started_at, created_at), updated_at) AS since
        FROM subscriptions WHERE organization_id = ${organizationId} AND status = 'active' AND ending_at IS NOT NULL
          AND (ending_at AT TIME ZONE 'UTC')::date <= ${today}::date + ${Math.max(...TERMINATION_ALERT_DAYS)}::int
          AND (ending_at AT TIME ZONE 'UTC')::date - ${Math.min(...TERMINATION_ALERT_DAYS)}::int
            >= (greatest(coalesce(started_at, created_at), updated_at) AT TIME ZONE 'UTC')::date`,
    );
    const due: Extract<Reminder, { kind: 'termination_alert' }>[] = [];
    for (const row of rows) {
      const ending = Temporal.PlainDate.from(row.ending_day);
      for (const days of TERMINATION_ALERT_DAYS) {
        const day = ending.subtract({ days });
        const at = nextHour(later(dayStart(day), instantOf(row.since)));
        if (compare(at, dayStart(day.add({ days: 1 }))) >= 0 || compare(at, upTo) > 0) continue;
        due.push({ kind: 'termination_alert', id: row.id, at, day, endingAt: new Date(row.ending_at) });
      }
    }
    if (due.length === 0) return [];
    const earliest = due.reduce((a, b) => (compare(b.at, a) < 0 ? b.at : a), due[0]!.at);
    const sent = await queryRows<{ object_id: string; day: string }>(
      db,
      sql`SELECT object_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM domain_events
        WHERE organization_id = ${organizationId} AND event_type = 'subscription.termination_alert'
          AND object_id = ANY(${arrayParam([...new Set(due.map((d) => d.id))])}::uuid[])
          AND occurred_at >= ${instantToDate(dayStart(utcDate(earliest))).toISOString()}::timestamptz`,
    );
    const alerted = new Set(sent.map((s) => `${s.object_id} ${s.day}`));
    return due.filter((d) => !alerted.has(`${d.id} ${d.day.toString()}`));
  };

  /**
   * Marks an invoice overdue, once: of two runners at once, only the one whose update finds the flag still down reports
   * it. The invoice's own conditions are checked again by that update.
   */
  const markOverdue = (organizationId: string, reminder: Reminder, stampAt: Temporal.Instant) =>
    inTransaction(db, async (tx) => {
      const rows = await queryRows<{ id: string }>(
        tx,
        sql`UPDATE invoices SET payment_overdue = true, updated_at = ${instantToDate(stampAt).toISOString()}::timestamptz
          WHERE organization_id = ${organizationId} AND id = ${reminder.id} AND status = 'finalized'
            AND payment_status <> 'succeeded' AND payment_overdue = false AND payment_due_date < ${utcDate(reminder.at).toString()}::date
          RETURNING id`,
      );
      if (rows.length === 0) return;
      await recordDomainEvent(tx, { organizationId, type: 'invoice.payment_overdue', objectType: 'invoice', objectId: reminder.id, at: stampAt });
    });

  /**
   * Alerts a subscription for one day, once: the subscription row is locked while the day's alerts are looked for, so
   * a second runner waits and then sees the first one's alert.
   */
  const alertTermination = (organizationId: string, reminder: Extract<Reminder, { kind: 'termination_alert' }>, stampAt: Temporal.Instant) =>
    inTransaction(db, async (tx) => {
      const locked = await queryRows<{ id: string }>(
        tx,
        sql`SELECT id FROM subscriptions WHERE organization_id = ${organizationId} AND id = ${reminder.id} AND status = 'active'
          AND ending_at = ${reminder.endingAt.toISOString()}::timestamptz FOR UPDATE`,
      );
      if (locked.length === 0) return;
      const sent = await queryRows<{ one: number }>(
        tx,
        sql`SELECT 1 AS one FROM domain_events WHERE organization_id = ${organizationId}
          AND event_type = 'subscription.termination_alert' AND object_id = ${reminder.id}
          AND occurred_at >= ${instantToDate(dayStart(reminder.day)).toISOString()}::timestamptz
          AND occurred_at < ${instantToDate(dayStart(reminder.day.add({ days: 1 }))).toISOString()}::timestamptz`,
      );
      if (sent.length > 0) return;
      await recordDomainEvent(tx, { organizationId, type: 'subscription.termination_alert', objectType: 'subscription', objectId: reminder.id, at: stampAt });
    });

  /**
   * Sends an organization's reminders due up to `upTo` (or only those due before it, with `before`), oldest first,
   * each in its own transaction.
   */
  const runDue = async (organizationId: string, upTo: Temporal.Instant, stamp: ReminderStamp, options: { before?: boolean } = {}): Promise<void> => {
    const reminders = [...(await overdueInvoices(organizationId, upTo)), ...(await terminationAlerts(organizationId, upTo))]
      .filter((r) => (options.before ? compare(r.at, upTo) < 0 : compare(r.at, upTo) <= 0))
      .sort((a, b) => compare(a.at, b.at) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
    for (const reminder of reminders) {
      const stampAt = stamp(reminder.at);
      if (reminder.kind === 'overdue') {
        await retryingConflicts(() => markOverdue(organizationId, reminder, stampAt));
        continue;
      }
      // An alert is dated on its day; a live clock that was not running that day has missed it, as Lago's would.
      if (!utcDate(stampAt).equals(reminder.day)) continue;
      await retryingConflicts(() => alertTermination(organizationId, reminder, stampAt));
    }
  };

  let lastLiveHour: number | null = null;

  /**
   * The live clock's hourly pass: reminders of every organization without a test clock, up to `now`, once per hour
   * (the first time the clock ticks in it), as Lago's jobs run once an hour.
   */
  const runLive = async (now: Temporal.Instant, stamp: ReminderStamp): Promise<void> => {
    const hour = Math.floor(now.epochMilliseconds / HOUR_MS);
    if (hour === lastLiveHour) return;
    const today = utcDate(now).toString();
    const organizations = await queryRows<{ id: string }>(
      db,
      sql`SELECT o.id FROM organizations o WHERE o.test_clock_frozen_at IS NULL AND (
          EXISTS (SELECT 1 FROM invoices i WHERE i.organization_id = o.id AND i.status = 'finalized' AND i.payment_status <> 'succeeded'
            AND i.payment_overdue = false AND i.payment_due_date < ${today}::date)
          OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.organization_id = o.id AND s.status = 'active' AND s.ending_at IS NOT NULL
            AND (s.ending_at AT TIME ZONE 'UTC')::date = ANY(${arrayParam(TERMINATION_ALERT_DAYS.map((d) => utcDate(now).add({ days: d }).toString()))}::date[])))`,
    );
    for (const { id } of organizations) await runDue(id, now, stamp);
    lastLiveHour = hour;
  };

  return { runDue, runLive };
};

export type Reminders = ReturnType<typeof createReminders>;

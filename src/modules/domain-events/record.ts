import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { addOutboxRecord } from '../../db/transaction.ts';

/** The changes Billow records for webhooks, named as Lago names their webhooks. */
export type DomainEventType =
  | 'subscription.started'
  | 'subscription.terminated'
  | 'subscription.updated'
  | 'subscription.trial_ended'
  | 'subscription.termination_alert'
  | 'invoice.created'
  | 'invoice.drafted'
  | 'invoice.one_off_created'
  | 'invoice.voided'
  | 'invoice.payment_status_updated'
  | 'invoice.payment_overdue'
  | 'invoice.generated'
  | 'customer.created'
  | 'customer.updated'
  | 'plan.created'
  | 'plan.updated'
  | 'plan.deleted'
  | 'billable_metric.created'
  | 'billable_metric.updated'
  | 'billable_metric.deleted'
  | 'events.errors'
  | 'invoice.paid_credit_added'
  | 'fee.created'
  | 'credit_note.created'
  | 'credit_note.generated'
  | 'wallet.created'
  | 'wallet.updated'
  | 'wallet.terminated'
  | 'wallet.depleted_ongoing_balance'
  | 'wallet_transaction.created'
  | 'wallet_transaction.updated'
  | 'subscription.usage_threshold_reached'
  | 'payment_request.created';

/** The kinds of object a webhook carries, named as Lago's `object_type`. */
export type DomainObjectType =
  | 'subscription'
  | 'invoice'
  | 'customer'
  | 'plan'
  | 'billable_metric'
  | 'events_errors'
  | 'fee'
  | 'credit_note'
  | 'wallet'
  | 'wallet_transaction'
  | 'payment_request';

export interface DomainEvent {
  organizationId: string;
  type: DomainEventType;
  objectType: DomainObjectType;
  /** null for a report about no one object (events.errors). */
  objectId: string | null;
  at: Temporal.Instant;
  /**
   * The object as the change left it, in its module's view type, for objects whose webhook is built from what the
   * use case already holds (customers, plans, billable metrics, deleted ones included); invoices and subscriptions are
   * read back when the transaction commits.
   */
  view?: unknown;
}

/**
 * Records that something a webhook reports happened, in the caller's transaction: it is written with the transaction's
 * commit (with the object as it commits), and never for a change that rolled back. The webhooks outbox turns records
 * into deliveries.
 */
export const recordDomainEvent = async (tx: Db, event: DomainEvent): Promise<void> => {
  addOutboxRecord(tx, event);
};

/** Records a change whose webhook shows the view the use case answers with, and hands the view back. */
export const reportingView = async <V>(
  tx: Db,
  event: { organizationId: string; type: DomainEventType; objectType: DomainObjectType; objectId: string; at: Temporal.Instant },
  view: V,
): Promise<V> => {
  await recordDomainEvent(tx, { ...event, view });
  return view;
};

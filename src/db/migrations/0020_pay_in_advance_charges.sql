-- Pay-in-advance charges: each event on such a charge is billed at once, by a fee of its own (Lago's
-- `pay_in_advance_event_id` / `pay_in_advance_event_transaction_id`), on an invoice of its own or standalone.
ALTER TABLE fees ADD COLUMN pay_in_advance_event_id uuid;
ALTER TABLE fees ADD COLUMN event_transaction_id text;
-- Lago's cached aggregation of the charge (filter, group) in the period after this event: the running aggregation and
-- its high-water mark. What the next event adds is billed only above the mark, so negative values never refund.
ALTER TABLE fees ADD COLUMN in_advance_level numeric;
ALTER TABLE fees ADD COLUMN in_advance_max numeric;

-- One fee per charge and event, however often the work is run (the listener after ingestion, the sweep, a retry).
-- The event id prefix also answers the sweep's "which of these events has no fee yet".
CREATE UNIQUE INDEX fees_in_advance_event_idx ON fees (organization_id, pay_in_advance_event_id, charge_id)
  WHERE pay_in_advance_event_id IS NOT NULL;
-- The last fee of a charge in a period: where the next event's aggregation starts from.
CREATE INDEX fees_in_advance_chain_idx ON fees (organization_id, subscription_id, charge_id, from_datetime, created_at DESC, id DESC)
  WHERE pay_in_advance_event_id IS NOT NULL;
-- Fees on no invoice (pay-in-advance charges that are not invoiceable): paid ones are regrouped at the period's end.
CREATE INDEX fees_uninvoiced_idx ON fees (organization_id, subscription_id) WHERE invoice_id IS NULL;
CREATE INDEX fees_event_transaction_idx ON fees (organization_id, event_transaction_id) WHERE event_transaction_id IS NOT NULL;

-- A subscription gets one invoice per reason and billing day, except for pay-in-advance charges: one per event.
DROP INDEX invoice_subscriptions_billing_idx;
CREATE UNIQUE INDEX invoice_subscriptions_billing_idx ON invoice_subscriptions (organization_id, subscription_id, invoicing_reason, billing_date)
  WHERE invoicing_reason <> 'in_advance_charge';

-- Where the sweep of pay-in-advance events left off (by the events' created_at), per organization: events stored
-- after it whose fee was never made (the process stopped between the events' commit and the fee) are billed then.
CREATE TABLE in_advance_sweeps (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  swept_to timestamptz NOT NULL,
  PRIMARY KEY (organization_id)
);
-- Which organizations bill pay-in-advance charges at all, and on which metrics.
CREATE INDEX charges_pay_in_advance_idx ON charges (organization_id, billable_metric_id) WHERE pay_in_advance AND deleted_at IS NULL;

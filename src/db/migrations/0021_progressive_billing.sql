-- Progressive billing (Lago's usage thresholds): a subscription's own thresholds, its lifetime usage, and the thresholds
-- each progressive_billing invoice was issued for.

-- Thresholds set on a subscription (`usage_thresholds` of POST/PUT /subscriptions): when there are any, they replace
-- those of its plan.
CREATE TABLE subscription_usage_thresholds (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  subscription_id uuid NOT NULL,
  threshold_display_name text,
  amount_cents bigint NOT NULL,
  recurring boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, subscription_id) REFERENCES subscriptions (organization_id, id)
);
CREATE INDEX subscription_usage_thresholds_subscription_idx ON subscription_usage_thresholds (organization_id, subscription_id)
  WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX subscription_usage_thresholds_amount_idx
  ON subscription_usage_thresholds (organization_id, subscription_id, amount_cents, recurring) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX subscription_usage_thresholds_recurring_idx
  ON subscription_usage_thresholds (organization_id, subscription_id) WHERE recurring AND deleted_at IS NULL;

-- One row per chain of subscriptions (a plan change hands it to the new subscription): what the customer used before
-- Billow (historical, set by the API), what subscription invoices billed (invoiced) and the current period's usage.
-- Checks of thresholds lock it, so that two of them never bill one crossing twice.
CREATE TABLE lifetime_usages (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  subscription_id uuid NOT NULL,
  historical_usage_amount_cents bigint NOT NULL DEFAULT 0,
  invoiced_usage_amount_cents bigint NOT NULL DEFAULT 0,
  current_usage_amount_cents bigint NOT NULL DEFAULT 0,
  invoiced_usage_amount_refreshed_at timestamptz,
  current_usage_amount_refreshed_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, subscription_id),
  FOREIGN KEY (organization_id, subscription_id) REFERENCES subscriptions (organization_id, id)
);

-- The thresholds a progressive_billing invoice was issued for, with the threshold as it was (a plan's or a
-- subscription's: usage_threshold_id names either) and the lifetime usage that passed it.
CREATE TABLE applied_usage_thresholds (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  usage_threshold_id uuid NOT NULL,
  threshold_display_name text,
  amount_cents bigint NOT NULL,
  recurring boolean NOT NULL,
  threshold_created_at timestamptz NOT NULL,
  threshold_updated_at timestamptz NOT NULL,
  lifetime_usage_amount_cents bigint NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, usage_threshold_id, invoice_id),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX applied_usage_thresholds_invoice_idx ON applied_usage_thresholds (organization_id, invoice_id);

-- A credit that gives back what a progressive_billing invoice of the same period already billed.
ALTER TABLE credits ADD COLUMN progressive_billing_invoice_id uuid;
CREATE INDEX credits_progressive_billing_invoice_idx ON credits (organization_id, progressive_billing_invoice_id)
  WHERE progressive_billing_invoice_id IS NOT NULL;

-- A subscription can cross several thresholds on one day, each with its own invoice: the one-invoice-per-day key no
-- longer holds for progressive billing (the lifetime usage row's lock keeps those from being issued twice), nor, since
-- 0020, for pay-in-advance charges (one invoice per event, kept single by the fees' (event, charge) key).
DROP INDEX invoice_subscriptions_billing_idx;
CREATE UNIQUE INDEX invoice_subscriptions_billing_idx ON invoice_subscriptions (organization_id, subscription_id, invoicing_reason, billing_date)
  WHERE invoicing_reason NOT IN ('progressive_billing', 'in_advance_charge');
-- The period's latest progressive invoice of a subscription, looked up by every invoice that deducts it.
CREATE INDEX invoice_subscriptions_progressive_idx ON invoice_subscriptions (organization_id, subscription_id, charges_from_datetime)
  WHERE invoicing_reason = 'progressive_billing';

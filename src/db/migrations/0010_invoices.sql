-- Invoices and their fees. Amounts are integer minor units; the precise (unrounded) values are kept beside them.
CREATE TABLE invoices (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  customer_id uuid NOT NULL,
  -- Counts the customer's finalized invoices from 1; null until the invoice is finalized (a draft has no number yet).
  sequential_id integer,
  -- Counts the organization's finalized invoices, for per-organization numbering.
  organization_sequential_id integer,
  number text NOT NULL,
  invoice_type text NOT NULL,
  -- generating (internal, never shown), draft, finalized, voided, failed
  status text NOT NULL,
  payment_status text NOT NULL DEFAULT 'pending',
  currency text NOT NULL,
  issuing_date date NOT NULL,
  payment_due_date date NOT NULL,
  net_payment_term integer NOT NULL DEFAULT 0,
  -- A draft is finalized by the billing clock once this instant (the end of its grace period) has passed.
  finalize_at timestamptz,
  fees_amount_cents bigint NOT NULL DEFAULT 0,
  coupons_amount_cents bigint NOT NULL DEFAULT 0,
  progressive_billing_credit_amount_cents bigint NOT NULL DEFAULT 0,
  sub_total_excluding_taxes_amount_cents bigint NOT NULL DEFAULT 0,
  taxes_amount_cents bigint NOT NULL DEFAULT 0,
  taxes_rate numeric NOT NULL DEFAULT 0,
  sub_total_including_taxes_amount_cents bigint NOT NULL DEFAULT 0,
  credit_notes_amount_cents bigint NOT NULL DEFAULT 0,
  prepaid_credit_amount_cents bigint NOT NULL DEFAULT 0,
  total_amount_cents bigint NOT NULL DEFAULT 0,
  total_paid_amount_cents bigint NOT NULL DEFAULT 0,
  error_details jsonb NOT NULL DEFAULT '[]',
  version_number integer NOT NULL DEFAULT 4,
  finalized_at timestamptz,
  voided_at timestamptz,
  payment_overdue boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id)
);
CREATE UNIQUE INDEX invoices_customer_sequence_idx ON invoices (organization_id, customer_id, sequential_id) WHERE sequential_id IS NOT NULL;
CREATE INDEX invoices_customer_idx ON invoices (organization_id, customer_id, created_at);
CREATE INDEX invoices_created_at_idx ON invoices (organization_id, created_at DESC, id);
CREATE INDEX invoices_finalize_at_idx ON invoices (finalize_at) WHERE status = 'draft';

CREATE TABLE invoice_metadata (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, invoice_id, key),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id) ON DELETE CASCADE
);

-- What an invoice bills of one subscription, and why. The unique key is what makes billing idempotent: one invoice per
-- subscription, reason and billing day, whoever bills it and however often a crashed run is repeated.
CREATE TABLE invoice_subscriptions (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  subscription_id uuid NOT NULL,
  -- subscription_starting, subscription_periodic, subscription_terminating
  invoicing_reason text NOT NULL,
  -- The billing day in the customer's zone (for a termination: the day it happened).
  billing_date date NOT NULL,
  -- The instant the invoice was issued for (the billing clock's instant).
  timestamp timestamptz NOT NULL,
  from_datetime timestamptz,
  to_datetime timestamptz,
  charges_from_datetime timestamptz,
  charges_to_datetime timestamptz,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, subscription_id) REFERENCES subscriptions (organization_id, id)
);
CREATE UNIQUE INDEX invoice_subscriptions_billing_idx ON invoice_subscriptions (organization_id, subscription_id, invoicing_reason, billing_date);
CREATE INDEX invoice_subscriptions_invoice_idx ON invoice_subscriptions (organization_id, invoice_id);

CREATE TABLE fees (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  invoice_id uuid,
  customer_id uuid NOT NULL,
  subscription_id uuid,
  -- subscription, charge, commitment, add_on, credit
  fee_type text NOT NULL,
  -- One fee per invoice and key: 'subscription', 'charge:<id>:<filter id>:<group>', 'true_up:<id>...', 'commitment'.
  fee_key text NOT NULL,
  charge_id uuid,
  charge_filter_id uuid,
  billable_metric_id uuid,
  add_on_id uuid,
  true_up_parent_fee_id uuid,
  grouped_by jsonb NOT NULL DEFAULT '{}',
  invoice_display_name text,
  description text,
  amount_currency text NOT NULL,
  amount_cents bigint NOT NULL,
  precise_amount_cents numeric NOT NULL,
  unit_amount_cents bigint NOT NULL DEFAULT 0,
  precise_unit_amount numeric NOT NULL DEFAULT 0,
  units numeric NOT NULL DEFAULT 0,
  total_aggregated_units numeric,
  events_count bigint NOT NULL DEFAULT 0,
  amount_details jsonb NOT NULL DEFAULT '{}',
  precise_coupons_amount_cents numeric NOT NULL DEFAULT 0,
  taxes_amount_cents bigint NOT NULL DEFAULT 0,
  taxes_precise_amount_cents numeric NOT NULL DEFAULT 0,
  taxes_rate numeric NOT NULL DEFAULT 0,
  pay_in_advance boolean NOT NULL DEFAULT false,
  invoiceable boolean NOT NULL DEFAULT true,
  payment_status text NOT NULL DEFAULT 'pending',
  from_datetime timestamptz,
  to_datetime timestamptz,
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  succeeded_at timestamptz,
  failed_at timestamptz,
  refunded_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX fees_invoice_key_idx ON fees (organization_id, invoice_id, fee_key) WHERE invoice_id IS NOT NULL;
CREATE INDEX fees_subscription_idx ON fees (organization_id, subscription_id);
CREATE INDEX fees_created_at_idx ON fees (organization_id, created_at DESC, id);

CREATE TABLE fee_applied_taxes (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  fee_id uuid NOT NULL,
  tax_id uuid NOT NULL,
  tax_code text NOT NULL,
  tax_name text NOT NULL,
  tax_rate numeric NOT NULL,
  tax_description text,
  amount_cents bigint NOT NULL,
  precise_amount_cents numeric NOT NULL,
  amount_currency text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, fee_id) REFERENCES fees (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX fee_applied_taxes_fee_idx ON fee_applied_taxes (organization_id, fee_id);

CREATE TABLE invoice_applied_taxes (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  tax_id uuid NOT NULL,
  tax_code text NOT NULL,
  tax_name text NOT NULL,
  tax_rate numeric NOT NULL,
  tax_description text,
  amount_cents bigint NOT NULL,
  fees_amount_cents bigint NOT NULL,
  amount_currency text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX invoice_applied_taxes_invoice_idx ON invoice_applied_taxes (organization_id, invoice_id);

-- What reduced an invoice: a coupon now (credit notes later).
CREATE TABLE credits (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  applied_coupon_id uuid,
  amount_cents bigint NOT NULL,
  amount_currency text NOT NULL,
  before_taxes boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX credits_invoice_idx ON credits (organization_id, invoice_id);

-- The next instant time-driven work falls due for a subscription (its start, a billing day, a trial end, its ending):
-- the billing clock and test clocks find due work through this, and set it again once the work is done.
ALTER TABLE subscriptions ADD COLUMN next_due_at timestamptz;
CREATE INDEX subscriptions_next_due_idx ON subscriptions (next_due_at) WHERE next_due_at IS NOT NULL;
-- Whether the subscription's start was billed (a plan paid in advance is invoiced when it starts).
ALTER TABLE subscriptions ADD COLUMN start_billed boolean NOT NULL DEFAULT false;
-- Subscriptions that exist before billing: their start is due now.
UPDATE subscriptions SET next_due_at = coalesce(started_at, subscription_at) WHERE status IN ('active', 'pending');

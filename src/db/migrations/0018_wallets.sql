-- Prepaid credits: a customer's wallets, their ledger of transactions and their recurring top-up rules.
CREATE TABLE wallets (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  customer_id uuid NOT NULL,
  -- active, terminated
  status text NOT NULL,
  name text,
  code text NOT NULL,
  currency text NOT NULL,
  -- The value of one credit in the currency's major unit.
  rate_amount numeric NOT NULL,
  -- The settled balance; it never goes below 0 (consumption takes at most what is there).
  balance_cents bigint NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
  credits_balance numeric NOT NULL DEFAULT 0,
  consumed_credits numeric NOT NULL DEFAULT 0,
  consumed_amount_cents bigint NOT NULL DEFAULT 0,
  -- The ongoing balance as last refreshed (after a consumption, a top-up, events for threshold rules): what webhooks
  -- show and what `depleted_ongoing_balance` tracks; the API computes it afresh on every read.
  ongoing_balance_cents bigint NOT NULL DEFAULT 0,
  ongoing_usage_balance_cents bigint NOT NULL DEFAULT 0,
  credits_ongoing_balance numeric NOT NULL DEFAULT 0,
  credits_ongoing_usage_balance numeric NOT NULL DEFAULT 0,
  depleted_ongoing_balance boolean NOT NULL DEFAULT false,
  -- Set when the ongoing balance must be refreshed (threshold rules, depletion) by the clock, from this instant.
  refresh_due_at timestamptz,
  priority integer NOT NULL DEFAULT 50,
  allowed_fee_types text[] NOT NULL DEFAULT '{}',
  billable_metric_ids uuid[] NOT NULL DEFAULT '{}',
  invoice_requires_successful_payment boolean NOT NULL DEFAULT false,
  paid_top_up_min_amount_cents bigint,
  paid_top_up_max_amount_cents bigint,
  purchase_order_number text,
  metadata jsonb,
  expiration_at timestamptz,
  last_balance_sync_at timestamptz,
  last_consumed_credit_at timestamptz,
  last_ongoing_balance_sync_at timestamptz,
  terminated_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id)
);
-- One active wallet per code and customer (a terminated wallet's code may be reused).
CREATE UNIQUE INDEX wallets_code_idx ON wallets (organization_id, customer_id, code) WHERE status = 'active';
CREATE INDEX wallets_customer_idx ON wallets (organization_id, customer_id, created_at);
CREATE INDEX wallets_created_at_idx ON wallets (organization_id, created_at DESC, id);
-- What the clock looks for: wallets to expire and ongoing balances to refresh.
CREATE INDEX wallets_expiring_idx ON wallets (organization_id, expiration_at) WHERE status = 'active' AND expiration_at IS NOT NULL;
CREATE INDEX wallets_refresh_idx ON wallets (organization_id, refresh_due_at) WHERE refresh_due_at IS NOT NULL;

CREATE TABLE wallet_transactions (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  wallet_id uuid NOT NULL,
  -- The credit invoice of a purchase; the invoice that consumed an outbound `invoiced` transaction.
  invoice_id uuid,
  credit_note_id uuid,
  voided_invoice_id uuid,
  -- pending, settled, failed
  status text NOT NULL,
  -- manual, interval, threshold
  source text NOT NULL,
  -- purchased, granted, voided, invoiced
  transaction_status text NOT NULL,
  -- inbound, outbound
  transaction_type text NOT NULL,
  amount numeric NOT NULL,
  credit_amount numeric NOT NULL,
  amount_cents bigint NOT NULL,
  -- What is left of a settled inbound transaction once consumptions took their share (traceability).
  remaining_amount_cents bigint CHECK (remaining_amount_cents >= 0),
  priority integer NOT NULL DEFAULT 50,
  name text,
  purchase_order_number text,
  metadata jsonb NOT NULL DEFAULT '[]',
  invoice_requires_successful_payment boolean NOT NULL DEFAULT false,
  settled_at timestamptz,
  failed_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, wallet_id) REFERENCES wallets (organization_id, id)
);
CREATE INDEX wallet_transactions_wallet_idx ON wallet_transactions (organization_id, wallet_id, created_at DESC, id);
CREATE INDEX wallet_transactions_invoice_idx ON wallet_transactions (organization_id, invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX wallet_transactions_available_idx ON wallet_transactions (organization_id, wallet_id, priority, created_at)
  WHERE transaction_type = 'inbound' AND status = 'settled' AND remaining_amount_cents > 0;

-- Which inbound credits an outbound transaction used (Lago's wallet traceability): the granted/purchased split of an
-- invoice's prepaid credits comes from here.
CREATE TABLE wallet_transaction_consumptions (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  inbound_wallet_transaction_id uuid NOT NULL,
  outbound_wallet_transaction_id uuid NOT NULL,
  consumed_amount_cents bigint NOT NULL CHECK (consumed_amount_cents > 0),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, inbound_wallet_transaction_id) REFERENCES wallet_transactions (organization_id, id),
  FOREIGN KEY (organization_id, outbound_wallet_transaction_id) REFERENCES wallet_transactions (organization_id, id)
);
CREATE INDEX wallet_transaction_consumptions_outbound_idx ON wallet_transaction_consumptions (organization_id, outbound_wallet_transaction_id);
CREATE INDEX wallet_transaction_consumptions_inbound_idx ON wallet_transaction_consumptions (organization_id, inbound_wallet_transaction_id);

CREATE TABLE recurring_transaction_rules (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  wallet_id uuid NOT NULL,
  -- interval, threshold
  trigger text NOT NULL,
  -- fixed, target
  method text NOT NULL,
  -- weekly, monthly, quarterly, semiannual, yearly (interval rules)
  interval text,
  threshold_credits numeric NOT NULL DEFAULT 0,
  paid_credits numeric NOT NULL DEFAULT 0,
  granted_credits numeric NOT NULL DEFAULT 0,
  target_ongoing_balance numeric,
  grants_target_top_up boolean,
  started_at timestamptz,
  expiration_at timestamptz,
  -- active, terminated
  status text NOT NULL,
  terminated_at timestamptz,
  invoice_requires_successful_payment boolean NOT NULL DEFAULT false,
  ignore_paid_top_up_limits boolean NOT NULL DEFAULT false,
  transaction_metadata jsonb NOT NULL DEFAULT '[]',
  transaction_name text,
  purchase_order_number text,
  -- The last instant the clock looked at an interval rule's anniversaries: the next look starts the day after.
  interval_run_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, wallet_id) REFERENCES wallets (organization_id, id)
);
CREATE INDEX recurring_transaction_rules_wallet_idx ON recurring_transaction_rules (organization_id, wallet_id);
-- The ingestion listener's one question: does this organization have a live threshold rule at all?
CREATE INDEX recurring_transaction_rules_threshold_idx ON recurring_transaction_rules (organization_id) WHERE status = 'active' AND trigger = 'threshold';

-- Lago splits an invoice's prepaid credits by what funded them (granted or purchased credits); null when unknown.
ALTER TABLE invoices ADD COLUMN prepaid_granted_credit_amount_cents bigint;
ALTER TABLE invoices ADD COLUMN prepaid_purchased_credit_amount_cents bigint;

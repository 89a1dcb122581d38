CREATE TABLE plans (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  invoice_display_name text,
  description text,
  interval text NOT NULL,
  amount_cents bigint NOT NULL,
  amount_currency text NOT NULL,
  trial_period double precision,
  pay_in_advance boolean NOT NULL,
  bill_charges_monthly boolean,
  bill_fixed_charges_monthly boolean,
  -- Free key/value pairs the client attaches to the plan; null when it never sent any ({} is kept as {}).
  metadata jsonb,
  -- Set on the private copy a subscription's plan_overrides make of its plan.
  parent_id uuid,
  pending_deletion boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, parent_id) REFERENCES plans (organization_id, id)
);
CREATE UNIQUE INDEX plans_code_idx ON plans (organization_id, code) WHERE deleted_at IS NULL AND parent_id IS NULL;

CREATE TABLE charges (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  plan_id uuid NOT NULL,
  billable_metric_id uuid NOT NULL,
  code text NOT NULL,
  charge_model text NOT NULL,
  pay_in_advance boolean NOT NULL DEFAULT false,
  invoiceable boolean NOT NULL DEFAULT true,
  regroup_paid_fees text,
  prorated boolean NOT NULL DEFAULT false,
  min_amount_cents bigint NOT NULL DEFAULT 0,
  accepts_target_wallet boolean NOT NULL DEFAULT false,
  invoice_display_name text,
  -- The charge model's settings, as normalized by src/billing/charge-models (prices are decimal strings).
  properties jsonb NOT NULL DEFAULT '{}',
  -- Set on the copy of a charge held by a plan's override child.
  parent_id uuid,
  -- The order the client last listed the plan's charges in.
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, plan_id) REFERENCES plans (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, billable_metric_id) REFERENCES billable_metrics (organization_id, id)
);
CREATE UNIQUE INDEX charges_code_idx ON charges (organization_id, plan_id, code) WHERE deleted_at IS NULL AND parent_id IS NULL;
CREATE INDEX charges_plan_idx ON charges (organization_id, plan_id) WHERE deleted_at IS NULL;
CREATE INDEX charges_billable_metric_idx ON charges (organization_id, billable_metric_id) WHERE deleted_at IS NULL;

CREATE TABLE charge_filters (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  charge_id uuid NOT NULL,
  invoice_display_name text,
  properties jsonb NOT NULL DEFAULT '{}',
  -- {"region": ["us", "eu"]}: the metric filter keys and the values this filter matches.
  "values" jsonb NOT NULL DEFAULT '{}',
  -- Filters are listed, and matched on ties, in this order: the order the client gave them in.
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, charge_id) REFERENCES charges (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX charge_filters_charge_idx ON charge_filters (organization_id, charge_id) WHERE deleted_at IS NULL;

CREATE TABLE usage_thresholds (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  plan_id uuid NOT NULL,
  threshold_display_name text,
  amount_cents bigint NOT NULL,
  recurring boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, plan_id) REFERENCES plans (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX usage_thresholds_plan_idx ON usage_thresholds (organization_id, plan_id) WHERE deleted_at IS NULL;
-- One threshold per amount, and a single recurring one, per plan.
CREATE UNIQUE INDEX usage_thresholds_amount_idx
  ON usage_thresholds (organization_id, plan_id, amount_cents, recurring) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX usage_thresholds_recurring_idx
  ON usage_thresholds (organization_id, plan_id) WHERE recurring AND deleted_at IS NULL;

CREATE TABLE commitments (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  plan_id uuid NOT NULL,
  commitment_type text NOT NULL DEFAULT 'minimum_commitment',
  amount_cents bigint NOT NULL,
  invoice_display_name text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, plan_id, commitment_type),
  FOREIGN KEY (organization_id, plan_id) REFERENCES plans (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE plan_taxes (
  organization_id uuid NOT NULL,
  plan_id uuid NOT NULL,
  tax_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, plan_id, tax_id),
  FOREIGN KEY (organization_id, plan_id) REFERENCES plans (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, tax_id) REFERENCES taxes (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE charge_taxes (
  organization_id uuid NOT NULL,
  charge_id uuid NOT NULL,
  tax_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, charge_id, tax_id),
  FOREIGN KEY (organization_id, charge_id) REFERENCES charges (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, tax_id) REFERENCES taxes (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE commitment_taxes (
  organization_id uuid NOT NULL,
  commitment_id uuid NOT NULL,
  tax_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, commitment_id, tax_id),
  FOREIGN KEY (organization_id, commitment_id) REFERENCES commitments (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, tax_id) REFERENCES taxes (organization_id, id) ON DELETE CASCADE
);

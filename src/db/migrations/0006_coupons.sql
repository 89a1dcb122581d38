CREATE TABLE coupons (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  description text,
  coupon_type text NOT NULL,
  amount_cents bigint,
  amount_currency text,
  percentage_rate numeric,
  frequency text NOT NULL,
  frequency_duration integer,
  reusable boolean NOT NULL DEFAULT true,
  limited_plans boolean NOT NULL DEFAULT false,
  limited_billable_metrics boolean NOT NULL DEFAULT false,
  expiration text NOT NULL DEFAULT 'no_expiration',
  expiration_at timestamptz,
  status text NOT NULL DEFAULT 'active',
  terminated_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX coupons_code_idx ON coupons (organization_id, code) WHERE deleted_at IS NULL;
-- Time-limited coupons still active, for the job that terminates them once expiration_at has passed.
CREATE INDEX coupons_expiring_idx ON coupons (expiration_at) WHERE status = 'active' AND expiration = 'time_limit' AND deleted_at IS NULL;

-- The plans or billable metrics a limited coupon applies to (one of the two ids is set).
CREATE TABLE coupon_targets (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  coupon_id uuid NOT NULL,
  plan_id uuid,
  billable_metric_id uuid,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, coupon_id) REFERENCES coupons (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, plan_id) REFERENCES plans (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, billable_metric_id) REFERENCES billable_metrics (organization_id, id) ON DELETE CASCADE,
  CHECK ((plan_id IS NULL) <> (billable_metric_id IS NULL))
);
CREATE INDEX coupon_targets_coupon_idx ON coupon_targets (organization_id, coupon_id);
CREATE INDEX coupon_targets_plan_idx ON coupon_targets (organization_id, plan_id) WHERE plan_id IS NOT NULL;
CREATE INDEX coupon_targets_billable_metric_idx ON coupon_targets (organization_id, billable_metric_id) WHERE billable_metric_id IS NOT NULL;

CREATE TABLE applied_coupons (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  coupon_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'active',
  amount_cents bigint,
  amount_cents_remaining bigint,
  amount_currency text,
  percentage_rate numeric,
  frequency text NOT NULL,
  frequency_duration integer,
  frequency_duration_remaining integer,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  terminated_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, coupon_id) REFERENCES coupons (organization_id, id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id)
);
CREATE INDEX applied_coupons_customer_idx ON applied_coupons (organization_id, customer_id);
CREATE INDEX applied_coupons_coupon_idx ON applied_coupons (organization_id, coupon_id);
CREATE INDEX applied_coupons_created_at_idx ON applied_coupons (organization_id, created_at DESC, id);

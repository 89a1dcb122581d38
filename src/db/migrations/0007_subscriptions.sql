CREATE TABLE subscriptions (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  external_id text NOT NULL,
  customer_id uuid NOT NULL,
  plan_id uuid NOT NULL,
  name text,
  status text NOT NULL,
  billing_time text NOT NULL DEFAULT 'calendar',
  subscription_at timestamptz NOT NULL,
  started_at timestamptz,
  ending_at timestamptz,
  terminated_at timestamptz,
  canceled_at timestamptz,
  trial_ended_at timestamptz,
  previous_subscription_id uuid,
  on_termination_credit_note text,
  on_termination_invoice text NOT NULL DEFAULT 'generate',
  progressive_billing_disabled boolean NOT NULL DEFAULT false,
  purchase_order_number text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id),
  FOREIGN KEY (organization_id, plan_id) REFERENCES plans (organization_id, id),
  FOREIGN KEY (organization_id, previous_subscription_id) REFERENCES subscriptions (organization_id, id)
);
-- One live subscription per external_id: events name it, so it must be unambiguous. A pending subscription scheduled
-- to follow another one (previous_subscription_id set: a plan change at the end of the period) shares its id.
CREATE UNIQUE INDEX subscriptions_live_external_id_idx ON subscriptions (organization_id, external_id)
  WHERE status = 'active' OR (status = 'pending' AND previous_subscription_id IS NULL);
CREATE INDEX subscriptions_external_id_idx ON subscriptions (organization_id, external_id);
CREATE INDEX subscriptions_customer_idx ON subscriptions (organization_id, customer_id);
CREATE INDEX subscriptions_plan_idx ON subscriptions (organization_id, plan_id);

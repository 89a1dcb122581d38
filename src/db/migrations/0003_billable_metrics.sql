CREATE TABLE billable_metrics (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  description text,
  aggregation_type text NOT NULL,
  field_name text,
  weighted_interval text,
  recurring boolean NOT NULL DEFAULT false,
  rounding_function text,
  rounding_precision integer,
  expression text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id)
);
-- A deleted metric frees its code for reuse, as in Lago.
CREATE UNIQUE INDEX billable_metrics_code_idx ON billable_metrics (organization_id, code) WHERE deleted_at IS NULL;

CREATE TABLE billable_metric_filters (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  billable_metric_id uuid NOT NULL,
  key text NOT NULL,
  "values" text[] NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, billable_metric_id) REFERENCES billable_metrics (organization_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX billable_metric_filters_key_idx
  ON billable_metric_filters (organization_id, billable_metric_id, key) WHERE deleted_at IS NULL;

-- Usage events, the source of truth for metering. The primary key is the idempotency key: one event per
-- (organization, transaction_id, external_subscription_id); transaction_id comes before the subscription so that
-- GET /events/{transaction_id} is a prefix lookup. An event that names no subscription has external_subscription_id ''.
CREATE TABLE events (
  organization_id uuid NOT NULL,
  transaction_id text NOT NULL,
  external_subscription_id text NOT NULL,
  id uuid NOT NULL,
  code text NOT NULL,
  timestamp timestamptz NOT NULL,
  properties jsonb NOT NULL,
  precise_total_amount_cents numeric,
  -- SHA-256 of the event as sent: an identical resend is acknowledged, a different payload under the same key refused.
  payload_digest bytea NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, transaction_id, external_subscription_id)
);
-- Usage and rebuilds read one subscription's events of one code in a time range; listings by subscription use it too.
CREATE INDEX events_usage_idx ON events (organization_id, external_subscription_id, code, timestamp);
-- Listings newest first; timestamps arrive mostly in order, so this index grows at its right edge.
CREATE INDEX events_time_idx ON events (organization_id, timestamp);

-- Usage pre-aggregated at ingestion, in the same transaction as the events, per subscription, metric code, grouping
-- properties (the metric's filter keys and the charges' pricing group keys, as canonical JSON) and time bucket: one row
-- per UTC hour ('h'), day ('d') and calendar month ('m'). Usage over a window reads whole months, days and hours, then
-- raw events for what is left at the edges, so its cost does not grow with the number of events.
CREATE TABLE event_aggregates (
  organization_id uuid NOT NULL,
  external_subscription_id text NOT NULL,
  code text NOT NULL,
  grain char(1) NOT NULL,
  bucket timestamptz NOT NULL,
  dims text NOT NULL,
  events_count bigint NOT NULL,
  -- Events that carried a numeric value (Lago's count for sum, max, latest and weighted sums).
  valued_count bigint NOT NULL,
  -- Σ of the events' values (their field, or their expression's result). Also the net change for weighted sums.
  value_sum numeric NOT NULL,
  value_max numeric,
  latest_at timestamptz,
  latest_value numeric,
  -- Σ value × seconds from the event to the end of the bucket: with value_sum it gives any time-weighted total
  -- (weighted sums, prorated sums) over a range of buckets.
  time_weighted numeric NOT NULL,
  -- Σ precise_total_amount_cents, for dynamic charges.
  amount_cents_sum numeric NOT NULL,
  PRIMARY KEY (organization_id, external_subscription_id, code, grain, bucket, dims)
);

-- For unique counts: per bucket and distinct value, the value's last operation there (add or remove). A value counts in
-- a window when its last operation in the window is an add.
CREATE TABLE event_unique_values (
  organization_id uuid NOT NULL,
  external_subscription_id text NOT NULL,
  code text NOT NULL,
  grain char(1) NOT NULL,
  bucket timestamptz NOT NULL,
  dims text NOT NULL,
  value text NOT NULL,
  last_at timestamptz NOT NULL,
  last_is_add boolean NOT NULL,
  PRIMARY KEY (organization_id, external_subscription_id, code, grain, bucket, dims, value)
);

-- Bumped, under an exclusive advisory lock, whenever what decides how events aggregate changes (a metric, its filters,
-- the pricing group keys of a charge). Ingestion holds the same lock shared and caches metering settings per version.
ALTER TABLE organizations ADD COLUMN metering_version bigint NOT NULL DEFAULT 0;

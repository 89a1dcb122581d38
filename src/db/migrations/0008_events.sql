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
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, transaction_id, external_subscription_id)
);
-- One subscription's events of one code in a time range: the raw edges of usage windows, and listings by subscription.
-- Inserts spread over subscriptions, so concurrent ingestions do not fight over one index page.
CREATE INDEX events_usage_idx ON events (organization_id, external_subscription_id, code, timestamp);
-- Listings across subscriptions read recent time windows. A block-range index costs ingestion next to nothing, where
-- a btree on the timestamp would make every concurrent ingestion write the same right-most page.
CREATE INDEX events_time_brin ON events USING brin (timestamp) WITH (pages_per_range = 32);

-- Usage pre-aggregated per subscription, metric code, grouping properties (the metric's filter keys and the charges'
-- pricing group keys, as canonical JSON) and time bucket: one row per UTC hour ('h'), day ('d') and calendar month
-- ('m'). Usage over a window reads whole months, days and hours, then raw events for what is left at the edges, so its
-- cost does not grow with the number of events. Ingestion does not write here (concurrent writers would queue on the
-- same rows): it appends to event_aggregate_deltas, which a compactor folds in here.
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
) WITH (fillfactor = 70); -- room on each page for updated versions, so updates stay HOT (no index writes)

-- What each ingestion adds, per hour bucket, written in the events' transaction: appended, never updated, so
-- concurrent ingestions never wait on each other. Usage reads these together with event_aggregates (in one statement,
-- one snapshot) until the compactor has moved them over.
CREATE TABLE event_aggregate_deltas (
  organization_id uuid NOT NULL,
  external_subscription_id text NOT NULL,
  code text NOT NULL,
  bucket timestamptz NOT NULL,
  dims text NOT NULL,
  events_count bigint NOT NULL,
  valued_count bigint NOT NULL,
  value_sum numeric NOT NULL,
  value_max numeric,
  latest_at timestamptz,
  latest_value numeric,
  time_weighted numeric NOT NULL,
  amount_cents_sum numeric NOT NULL
);
CREATE INDEX event_aggregate_deltas_idx ON event_aggregate_deltas (organization_id, external_subscription_id, code, bucket);

-- For unique counts: per bucket and distinct value, the value's last operation there (add or remove). A value counts in
-- a window when its last operation in the window is an add. Fed the same way, through event_unique_value_deltas.
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
) WITH (fillfactor = 70);

CREATE TABLE event_unique_value_deltas (
  organization_id uuid NOT NULL,
  external_subscription_id text NOT NULL,
  code text NOT NULL,
  bucket timestamptz NOT NULL,
  dims text NOT NULL,
  value text NOT NULL,
  last_at timestamptz NOT NULL,
  last_is_add boolean NOT NULL
);
CREATE INDEX event_unique_value_deltas_idx ON event_unique_value_deltas (organization_id, external_subscription_id, code, bucket);

-- Bumped, under an exclusive advisory lock, whenever what decides how events aggregate changes (a metric, its filters,
-- the pricing group keys of a charge). Ingestion holds the same lock shared and caches metering settings per version.
ALTER TABLE organizations ADD COLUMN metering_version bigint NOT NULL DEFAULT 0;

-- Lets a statement give up as a whole (and roll back everything it did) when a check inside it fails: ingestion's
-- one-statement fast path calls it when a resent event must be looked at more closely.
CREATE FUNCTION billow_refuse(reason text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'BW001', MESSAGE = reason;
END
$$;

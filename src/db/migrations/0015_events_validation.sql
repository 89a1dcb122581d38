-- Lago's hourly events.errors webhook: the events of each past hour whose code names no billable metric, that lack
-- their metric's field, or whose filter values are unknown. Each organization's hours are checked once, in order, up
-- to `events_validated_until`.
ALTER TABLE organizations ADD COLUMN events_validated_until timestamptz;
-- events.errors is about an hour of events, not about one object.
ALTER TABLE domain_events ALTER COLUMN object_id DROP NOT NULL;
-- An hour of events by creation time. Rows are appended in creation order, so a block-range index finds them at a cost
-- to ingestion next to nothing.
CREATE INDEX events_created_brin ON events USING brin (created_at) WITH (pages_per_range = 32);

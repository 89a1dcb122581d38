-- The latest value of a latest_agg metric, and the last operation on a unique-count value, at an instant that more
-- than one event shares: the event that arrived last wins (Lago orders such events by their creation). Each aggregate
-- and delta row carries the arrival key of the event behind its latest value (its uuidv7 id read as a 128-bit number:
-- ids are made in arrival order), so ingestion, compaction and reads all break such ties the same way. Rows written
-- before this migration have none and count as the earliest arrival.
ALTER TABLE event_aggregates ADD COLUMN latest_key numeric;
ALTER TABLE event_aggregate_deltas ADD COLUMN latest_key numeric;
ALTER TABLE event_unique_values ADD COLUMN last_key numeric;
ALTER TABLE event_unique_value_deltas ADD COLUMN last_key numeric;

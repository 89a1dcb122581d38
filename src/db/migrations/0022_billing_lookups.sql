-- A billing day asks, for every subscription it bills, whether a downgrade waits to follow it. Without this index the
-- question reads all of the organization's subscriptions, so a billing run grew with the square of their number.
CREATE INDEX subscriptions_previous_idx ON subscriptions (organization_id, previous_subscription_id) WHERE previous_subscription_id IS NOT NULL;

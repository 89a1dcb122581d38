-- Changes a webhook must report (subscription.started, invoice.created, ...), written in the same transaction as the
-- change itself, so none is lost and none is reported for a change that rolled back. The webhooks outbox delivers them.
CREATE TABLE domain_events (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- Lago's webhook_type: subscription.started, subscription.terminated, subscription.updated, subscription.trial_ended,
  -- invoice.created, invoice.drafted, invoice.one_off_created, invoice.voided, ...
  event_type text NOT NULL,
  -- subscription, invoice, ...; the object is read when the webhook is built
  object_type text NOT NULL,
  object_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX domain_events_occurred_idx ON domain_events (organization_id, occurred_at, id);

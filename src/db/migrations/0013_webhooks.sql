-- Webhooks: where an organization wants them (endpoints), how they are signed (an HMAC key and an RSA key pair per
-- organization), and the outbox of deliveries written in the same transaction as the change each one reports.

-- The HMAC key signs `hmac` endpoints' webhooks; it is a shared secret the organization reads from GET /organizations.
ALTER TABLE organizations ADD COLUMN hmac_key text NOT NULL DEFAULT gen_random_uuid()::text;

-- The RSA key pair that signs `jwt` endpoints' webhooks (RS256). Made the first time an organization needs it:
-- generating one takes tens of milliseconds, and most organizations made by tests never send a webhook.
CREATE TABLE organization_signing_keys (
  organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  private_key_pem text NOT NULL,
  public_key_pem text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE webhook_endpoints (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  webhook_url text NOT NULL,
  signature_algo text NOT NULL DEFAULT 'jwt',
  name text,
  -- null: every webhook type
  event_types text[],
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, webhook_url)
);

-- One row per webhook and endpoint. `payload` is the exact body sent (and signed), fixed when the change commits, so a
-- retry sends the same bytes and a later change does not rewrite what an earlier webhook reported.
CREATE TABLE webhooks (
  organization_id uuid NOT NULL,
  -- UUIDv7: its order is the order the changes were recorded in; sent as X-Lago-Unique-Key
  id uuid NOT NULL,
  endpoint_id uuid NOT NULL,
  webhook_type text NOT NULL,
  object_type text NOT NULL,
  -- deliveries about one object to one endpoint go out in order (null: an object with no identity, e.g. an event error)
  object_id text,
  payload text NOT NULL,
  -- pending (never tried), retrying (failed, another attempt scheduled), succeeded, failed (attempts exhausted)
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  -- a worker that claimed the delivery holds it until then; a crashed worker's claim runs out and another sends it
  locked_until timestamptz,
  last_attempt_at timestamptz,
  http_status integer,
  response text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, endpoint_id) REFERENCES webhook_endpoints (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX webhooks_due_idx ON webhooks (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX webhooks_object_order_idx ON webhooks (organization_id, endpoint_id, object_id, id) WHERE status IN ('pending', 'retrying');
CREATE INDEX webhooks_listing_idx ON webhooks (organization_id, created_at DESC, id);

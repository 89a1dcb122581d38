-- Tenants. Every other table carries organization_id and starts its keys with it, so the data can be sharded by tenant
-- (Citus) and a row of one organization can never reference a row of another.
CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  slug text,
  default_currency text NOT NULL DEFAULT 'USD',
  timezone text NOT NULL DEFAULT 'UTC',
  country text,
  address_line1 text,
  address_line2 text,
  state text,
  zipcode text,
  email text,
  city text,
  legal_name text,
  legal_number text,
  tax_identification_number text,
  net_payment_term integer NOT NULL DEFAULT 0,
  invoice_grace_period integer NOT NULL DEFAULT 0,
  document_locale text NOT NULL DEFAULT 'en',
  invoice_footer text,
  document_numbering text NOT NULL DEFAULT 'per_customer',
  document_number_prefix text NOT NULL,
  finalize_zero_amount_invoice boolean NOT NULL DEFAULT true,
  email_settings text[] NOT NULL DEFAULT '{}',
  -- Null for a live organization; set, it is the organization's "now" everywhere (test clocks).
  test_clock_frozen_at timestamptz,
  -- Counters that number customers, handed out under the organization row's lock.
  customers_sequence integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- API keys are stored as SHA-256 digests of the key; the key itself is shown once, when it is made.
CREATE TABLE api_keys (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  key_digest bytea NOT NULL,
  key_hint text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX api_keys_key_digest_idx ON api_keys (key_digest);

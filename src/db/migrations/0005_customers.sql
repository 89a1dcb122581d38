CREATE TABLE customers (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  external_id text NOT NULL,
  -- Counts the organization's customers (deleted ones included), for invoice numbers.
  sequential_id integer NOT NULL,
  slug text NOT NULL,
  account_type text NOT NULL DEFAULT 'customer',
  customer_type text,
  name text,
  firstname text,
  lastname text,
  country text,
  address_line1 text,
  address_line2 text,
  state text,
  zipcode text,
  city text,
  email text,
  url text,
  phone text,
  logo_url text,
  legal_name text,
  legal_number text,
  tax_identification_number text,
  currency text,
  timezone text,
  net_payment_term integer,
  invoice_grace_period integer,
  document_locale text,
  subscription_invoice_issuing_date_anchor text,
  subscription_invoice_issuing_date_adjustment text,
  finalize_zero_amount_invoice text NOT NULL DEFAULT 'inherit',
  external_salesforce_id text,
  skip_invoice_custom_sections boolean NOT NULL DEFAULT false,
  -- Payment-provider settings (payment_provider, payment_provider_code, provider_customer_id, sync, sync_with_provider,
  -- provider_payment_methods) and the shipping address are stored as given and echoed back.
  billing_configuration jsonb NOT NULL DEFAULT '{}',
  shipping_address jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, sequential_id)
);
CREATE UNIQUE INDEX customers_external_id_idx ON customers (organization_id, external_id) WHERE deleted_at IS NULL;
CREATE INDEX customers_created_at_idx ON customers (organization_id, created_at DESC, id) WHERE deleted_at IS NULL;

CREATE TABLE customer_metadata (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  customer_id uuid NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  display_in_invoice boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, customer_id, key),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE customer_taxes (
  organization_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  tax_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, customer_id, tax_id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, tax_id) REFERENCES taxes (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_taxes_tax_idx ON customer_taxes (organization_id, tax_id);

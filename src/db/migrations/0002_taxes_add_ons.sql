CREATE TABLE taxes (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  rate numeric NOT NULL,
  description text,
  applied_to_organization boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, code)
);

CREATE TABLE add_ons (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  invoice_display_name text,
  description text,
  amount_cents bigint NOT NULL,
  amount_currency text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX add_ons_code_idx ON add_ons (organization_id, code) WHERE deleted_at IS NULL;

CREATE TABLE add_on_taxes (
  organization_id uuid NOT NULL,
  add_on_id uuid NOT NULL,
  tax_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, add_on_id, tax_id),
  FOREIGN KEY (organization_id, add_on_id) REFERENCES add_ons (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, tax_id) REFERENCES taxes (organization_id, id) ON DELETE CASCADE
);

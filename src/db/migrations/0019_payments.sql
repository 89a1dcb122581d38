-- Payments recorded against invoices (POST /payments: manual payments) and payment requests (dunning: a request to pay a
-- customer's overdue invoices at once).

CREATE TABLE payments (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  customer_id uuid NOT NULL,
  -- the invoice paid (Lago's polymorphic payable; only invoices are paid through the API)
  invoice_id uuid NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  amount_currency text NOT NULL,
  -- manual (recorded through the API); provider payments would come from a payment provider
  payment_type text NOT NULL,
  -- the provider's own status, and the normalized one (pending | processing | succeeded | failed)
  status text NOT NULL,
  payable_payment_status text NOT NULL,
  reference text,
  -- when the payment was made (`paid_at`, else when it was recorded), which is what Lago lists and prints
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id)
);
CREATE INDEX payments_listing_idx ON payments (organization_id, created_at DESC, id);
CREATE INDEX payments_invoice_idx ON payments (organization_id, invoice_id);

CREATE TABLE payment_requests (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  customer_id uuid NOT NULL,
  -- what its invoices had left to pay when it was made
  amount_cents bigint NOT NULL,
  amount_currency text NOT NULL,
  email text,
  -- pending | succeeded | failed
  payment_status text NOT NULL DEFAULT 'pending',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id)
);
CREATE INDEX payment_requests_listing_idx ON payment_requests (organization_id, created_at DESC, id);
CREATE INDEX payment_requests_customer_idx ON payment_requests (organization_id, customer_id);

CREATE TABLE payment_request_invoices (
  organization_id uuid NOT NULL,
  payment_request_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, payment_request_id, invoice_id),
  FOREIGN KEY (organization_id, payment_request_id) REFERENCES payment_requests (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id)
);
CREATE INDEX payment_request_invoices_invoice_idx ON payment_request_invoices (organization_id, invoice_id);

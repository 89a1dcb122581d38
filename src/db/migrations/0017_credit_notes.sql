-- Credit notes: what is given back on a finalized invoice, as credit for the customer's next invoices, as a refund, or
-- as an offset of what is still due. Amounts are integer minor units; the precise values keep Lago's 5 decimals.
CREATE TABLE credit_notes (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  customer_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  -- Counts the invoice's credit notes from 1: the number is `<invoice number>-CN<sequential_id, 3 digits>`.
  sequential_id integer NOT NULL,
  number text NOT NULL,
  -- finalized (Billow issues credit notes on finalized invoices only)
  status text NOT NULL DEFAULT 'finalized',
  issuing_date date NOT NULL,
  -- duplicated_charge, product_unsatisfactory, order_change, order_cancellation, fraudulent_charge, other
  reason text NOT NULL,
  description text,
  currency text NOT NULL,
  -- available, consumed, voided: what became of the credit part
  credit_status text NOT NULL DEFAULT 'available',
  -- null without a refund; pending, succeeded, failed
  refund_status text,
  credit_amount_cents bigint NOT NULL DEFAULT 0 CHECK (credit_amount_cents >= 0),
  refund_amount_cents bigint NOT NULL DEFAULT 0 CHECK (refund_amount_cents >= 0),
  offset_amount_cents bigint NOT NULL DEFAULT 0 CHECK (offset_amount_cents >= 0),
  -- The credit still to be consumed by the customer's next invoices; it never goes below 0.
  balance_amount_cents bigint NOT NULL DEFAULT 0 CHECK (balance_amount_cents >= 0),
  total_amount_cents bigint NOT NULL DEFAULT 0 CHECK (total_amount_cents >= 0),
  sub_total_excluding_taxes_amount_cents bigint NOT NULL DEFAULT 0,
  taxes_amount_cents bigint NOT NULL DEFAULT 0,
  precise_taxes_amount_cents numeric(30, 5) NOT NULL DEFAULT 0,
  coupons_adjustment_amount_cents bigint NOT NULL DEFAULT 0,
  precise_coupons_adjustment_amount_cents numeric(30, 5) NOT NULL DEFAULT 0,
  precise_total_amount_cents numeric NOT NULL DEFAULT 0,
  taxes_rate numeric NOT NULL DEFAULT 0,
  -- Lago's item metadata: one JSON object of string values, null when none was ever set.
  metadata jsonb,
  file_url text,
  refunded_at timestamptz,
  voided_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, invoice_id, sequential_id),
  FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id),
  FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id)
);
CREATE INDEX credit_notes_created_at_idx ON credit_notes (organization_id, created_at DESC, id);
CREATE INDEX credit_notes_invoice_idx ON credit_notes (organization_id, invoice_id);
-- What an invoice being finalized looks for: the customer's credit notes with credit left, oldest first.
CREATE INDEX credit_notes_available_idx ON credit_notes (organization_id, customer_id, created_at, id)
  WHERE credit_status = 'available' AND balance_amount_cents > 0;
-- Credit notes still waiting for their PDF, for the background renderer.
CREATE INDEX credit_notes_without_document_idx ON credit_notes (created_at) WHERE file_url IS NULL;

-- What a credit note takes back of each fee, before coupons and taxes.
CREATE TABLE credit_note_items (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  credit_note_id uuid NOT NULL,
  fee_id uuid NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  precise_amount_cents numeric(30, 5) NOT NULL,
  amount_currency text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, credit_note_id) REFERENCES credit_notes (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, fee_id) REFERENCES fees (organization_id, id)
);
CREATE INDEX credit_note_items_credit_note_idx ON credit_note_items (organization_id, credit_note_id);
CREATE INDEX credit_note_items_fee_idx ON credit_note_items (organization_id, fee_id);

CREATE TABLE credit_note_applied_taxes (
  organization_id uuid NOT NULL,
  id uuid NOT NULL,
  credit_note_id uuid NOT NULL,
  tax_id uuid,
  tax_code text NOT NULL,
  tax_name text NOT NULL,
  tax_rate numeric NOT NULL,
  tax_description text,
  base_amount_cents bigint NOT NULL,
  amount_cents bigint NOT NULL,
  amount_currency text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, credit_note_id) REFERENCES credit_notes (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX credit_note_applied_taxes_credit_note_idx ON credit_note_applied_taxes (organization_id, credit_note_id);

-- A credit note consumed by an invoice is one of the invoice's credits (after taxes).
ALTER TABLE credits ADD COLUMN credit_note_id uuid;
CREATE INDEX credits_credit_note_idx ON credits (organization_id, credit_note_id) WHERE credit_note_id IS NOT NULL;

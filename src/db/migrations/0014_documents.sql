-- Invoice (and later credit note) PDFs, rendered in-process and kept: a finalized invoice does not change, so its
-- document is rendered once. The public file_url names the organization and an unguessable token (a link a customer
-- can open without an API key, as Lago's storage links are).
CREATE TABLE documents (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- invoice, credit_note
  object_type text NOT NULL,
  object_id uuid NOT NULL,
  token text NOT NULL,
  content bytea NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, object_type, object_id),
  UNIQUE (organization_id, token)
);
ALTER TABLE invoices ADD COLUMN file_url text;
-- Finalized invoices still waiting for their PDF, for the background renderer.
CREATE INDEX invoices_without_document_idx ON invoices (finalized_at) WHERE status = 'finalized' AND file_url IS NULL;

-- Invoice numbers come from counters updated in the finalizing transaction: an UPDATE waits for a concurrent
-- finalization and reads its result, so two finalizations never share a number, in one statement instead of a lock and
-- a count. The customer's counter sits on its row (which billing holds anyway); the organization's in a table of its
-- own, so that numbering never waits on the organization row (metering changes update it).
ALTER TABLE customers ADD COLUMN invoices_sequence integer NOT NULL DEFAULT 0;
UPDATE customers c SET invoices_sequence = coalesce((SELECT max(i.sequential_id) FROM invoices i
  WHERE i.organization_id = c.organization_id AND i.customer_id = c.id), 0);
CREATE TABLE organization_invoice_counters (
  organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  last_sequential_id integer NOT NULL
);
INSERT INTO organization_invoice_counters (organization_id, last_sequential_id)
  SELECT organization_id, max(organization_sequential_id) FROM invoices WHERE organization_sequential_id IS NOT NULL GROUP BY organization_id;

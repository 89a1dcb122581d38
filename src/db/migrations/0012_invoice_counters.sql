-- Invoice numbers are taken from counters on the customer and organization rows, updated in the finalizing
-- transaction: an UPDATE waits for a concurrent finalization and reads its result, so two finalizations never share a
-- number, in one statement instead of a lock and a count.
ALTER TABLE customers ADD COLUMN invoices_sequence integer NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN invoices_sequence integer NOT NULL DEFAULT 0;
UPDATE customers c SET invoices_sequence = coalesce((SELECT max(i.sequential_id) FROM invoices i
  WHERE i.organization_id = c.organization_id AND i.customer_id = c.id), 0);
UPDATE organizations o SET invoices_sequence = coalesce((SELECT max(i.organization_sequential_id) FROM invoices i
  WHERE i.organization_id = o.id), 0);

-- The webhook log lists the latest activity first (updated_at), as Lago's does; its index follows that order.
DROP INDEX IF EXISTS webhooks_listing_idx;
CREATE INDEX webhooks_listing_idx ON webhooks (organization_id, updated_at DESC, created_at DESC, id);
-- Delivered and failed webhooks are deleted after 90 days.
CREATE INDEX webhooks_done_idx ON webhooks (updated_at) WHERE status IN ('succeeded', 'failed');
-- The clock's hourly look for unpaid invoices past their due date (invoice.payment_overdue).
CREATE INDEX invoices_overdue_watch_idx ON invoices (payment_due_date)
  WHERE status = 'finalized' AND payment_status <> 'succeeded' AND NOT payment_overdue;

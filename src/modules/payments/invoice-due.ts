import type { InvoiceRow } from '../invoices/types.ts';

/**
 * What is left to pay on an invoice (Lago's `Invoice#total_due_amount_cents`): nothing once voided, else its total less
 * what was paid and what its credit notes offset. Marking an invoice paid (PUT /invoices) does not change it, as in
 * Lago. Example: total 10000, paid 3000, offset 2000 -> due 5000.
 */
export const totalDueAmountCents = (invoice: Pick<InvoiceRow, 'status' | 'totalAmountCents' | 'totalPaidAmountCents'>, offsetCents: bigint): bigint =>
  invoice.status === 'voided' ? 0n : invoice.totalAmountCents - invoice.totalPaidAmountCents - offsetCents;

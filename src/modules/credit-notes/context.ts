import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import type { CreditableFee, CreditableInvoice, CreditNoteInvoiceTax } from '../../billing/credit-notes/index.ts';
import { Decimal } from '../../lib/money.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { FeeRow, InvoiceRow } from '../invoices/repository.ts';
import * as repo from './repository.ts';

/** An invoice with what credit notes on it are computed from: its fees, taxes and what earlier notes took. */
export interface InvoiceCreditContext {
  creditable: CreditableInvoice;
  taxes: CreditNoteInvoiceTax[];
  fees: Map<string, { row: FeeRow; creditable: CreditableFee }>;
}

const dec = (value: string | null | undefined) => new Decimal(value ?? '0');

/** Loads an invoice's credit context, in the caller's transaction (lock the invoice first to keep it still). */
export const loadInvoiceCreditContext = async (db: Db, invoice: InvoiceRow): Promise<InvoiceCreditContext> => {
  const organizationId = invoice.organizationId;
  const feeRows = await invoicesRepo.feesOfInvoices(db, organizationId, [invoice.id]);
  const feeTaxes = await invoicesRepo.appliedTaxesOfFees(db, organizationId, feeRows.map((f) => f.id));
  const credited = await repo.creditedByFee(db, organizationId, feeRows.map((f) => f.id));
  const sums = await repo.sumsOfInvoice(db, organizationId, invoice.id);
  const invoiceTaxes = await invoicesRepo.appliedTaxesOfInvoices(db, organizationId, [invoice.id]);
  const fees = new Map(
    feeRows.map((row) => {
      const creditable: CreditableFee = {
        id: row.id,
        amountCents: row.amountCents,
        preciseAmountCents: dec(row.preciseAmountCents),
        preciseCouponsAmountCents: dec(row.preciseCouponsAmountCents),
        taxesRate: dec(row.taxesRate),
        taxesPreciseAmountCents: dec(row.taxesPreciseAmountCents),
        taxCodes: feeTaxes.filter((t) => t.feeId === row.id).map((t) => t.taxCode),
        creditedAmountCents: credited.get(row.id) ?? 0n,
      };
      return [row.id, { row, creditable }] as const;
    }),
  );
  return {
    fees,
    taxes: invoiceTaxes.map((t) => ({ taxId: t.taxId, code: t.taxCode, name: t.taxName, rate: dec(t.taxRate), description: t.taxDescription })),
    creditable: {
      feesAmountCents: invoice.feesAmountCents,
      couponsAmountCents: invoice.couponsAmountCents,
      progressiveBillingCreditAmountCents: invoice.progressiveBillingCreditAmountCents,
      totalAmountCents: invoice.totalAmountCents,
      totalPaidAmountCents: invoice.totalPaidAmountCents,
      subTotalIncludingTaxesAmountCents: invoice.subTotalIncludingTaxesAmountCents,
      paymentStatus: invoice.paymentStatus,
      fees: [...fees.values()].map((f) => f.creditable),
      credited: { creditAmountCents: sums.creditAmountCents, refundAmountCents: sums.refundAmountCents, offsetAmountCents: sums.offsetAmountCents },
      taxesRoundingAdjustments: dec(sums.taxesRoundingAdjustments),
    },
  };
};

/** The customer's applicable time zone (customer, else organization): a credit note is dated in it. */
export const customerTimeZone = async (db: Db, organizationId: string, customerId: string): Promise<string> => {
  const [row] = await queryRows<{ zone: string | null }>(
    db,
    sql`SELECT coalesce(c.timezone, o.timezone) AS zone FROM customers c JOIN organizations o ON o.id = c.organization_id
      WHERE c.organization_id = ${organizationId} AND c.id = ${customerId}`,
  );
  return row?.zone ?? 'UTC';
};

import type { Temporal } from 'temporal-polyfill';
import { localDateAt } from '../../billing/periods/index.ts';
import type { Db } from '../../db/database.ts';
import { newId } from '../../lib/ids.ts';
import { Decimal, subunitToUnit } from '../../lib/money.ts';
import { instantToDate } from '../../lib/time.ts';
import { emptyInvoice, finalizeInvoice } from '../billing/invoice-writer.ts';
import { loadBillingParty, type BillingParty } from '../billing/party.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import * as repo from './repository.ts';
import type { TransactionRow, WalletRow } from './types.ts';

/**
 * Bills a purchase of credits (Lago's `Invoices::PaidCreditService`): a `credit` invoice with one `credit` fee of the
 * purchase's amount, untaxed (credits are an advance). It is finalized at once (numbered, `invoice.paid_credit_added`),
 * unless the purchase waits for a successful payment: then it stays `open`, hidden and numbered `…-DRAFT`, until paid.
 */
export const billPurchase = async (tx: Db, wallet: WalletRow, purchase: TransactionRow, at: Temporal.Instant): Promise<InvoiceRow> => {
  const party = await loadBillingParty(tx, wallet.organizationId, wallet.customerId);
  const stamp = instantToDate(at);
  const invoice = await invoicesRepo.insertInvoice(tx, emptyInvoice(party, wallet.currency, localDateAt(at, party.timeZone), stamp, 'credit'));
  const rate = new Decimal(wallet.rateAmount);
  await invoicesRepo.insertFees(tx, [
    {
      organizationId: wallet.organizationId,
      id: newId(),
      invoiceId: invoice.id,
      customerId: wallet.customerId,
      feeType: 'credit',
      // One credit fee per purchase: the key names the wallet transaction it bills (Lago's `invoiceable`).
      feeKey: `credit:${purchase.id}`,
      groupedBy: {},
      amountCurrency: wallet.currency,
      amountCents: purchase.amountCents,
      preciseAmountCents: purchase.amountCents.toString(),
      unitAmountCents: BigInt(rate.mul(subunitToUnit(wallet.currency)).toDecimalPlaces(0).toFixed(0)),
      preciseUnitAmount: rate.toFixed(),
      units: purchase.creditAmount,
      eventsCount: 0n,
      amountDetails: {},
      preciseCouponsAmountCents: '0',
      taxesAmountCents: 0n,
      taxesPreciseAmountCents: '0',
      taxesRate: '0',
      payInAdvance: false,
      invoiceable: true,
      paymentStatus: 'pending',
      position: 0,
      createdAt: stamp,
      updatedAt: stamp,
    },
  ]);
  await repo.updateTransaction(tx, purchase.organizationId, purchase.id, { invoiceId: invoice.id, updatedAt: stamp });
  const amounts = {
    feesAmountCents: purchase.amountCents,
    subTotalExcludingTaxesAmountCents: purchase.amountCents,
    subTotalIncludingTaxesAmountCents: purchase.amountCents,
    totalAmountCents: purchase.amountCents,
    updatedAt: stamp,
  };
  if (purchase.invoiceRequiresSuccessfulPayment) return invoicesRepo.updateInvoice(tx, invoice.organizationId, invoice.id, { ...amounts, status: 'open' });
  return finalizeCreditInvoice(tx, party, invoice, at, amounts);
};

const finalizeCreditInvoice = async (tx: Db, party: BillingParty, invoice: InvoiceRow, at: Temporal.Instant, changes: Partial<InvoiceRow>): Promise<InvoiceRow> => {
  const finalized = await finalizeInvoice(tx, party, invoice, at, changes);
  await recordDomainEvent(tx, { organizationId: invoice.organizationId, type: 'invoice.paid_credit_added', objectType: 'invoice', objectId: invoice.id, at });
  return finalized;
};

/**
 * An `open` credit invoice whose payment succeeded (Lago's `Invoices::FinalizeOpenCreditService`): issued and due
 * today in the customer's zone, finalized and numbered, still paid.
 */
export const finalizeOpenCreditInvoice = async (tx: Db, invoice: InvoiceRow, at: Temporal.Instant): Promise<InvoiceRow> => {
  if (invoice.status !== 'open') return invoice;
  const party = await loadBillingParty(tx, invoice.organizationId, invoice.customerId);
  const today = localDateAt(at, party.timeZone).toString();
  const finalized = await finalizeCreditInvoice(tx, party, invoice, at, { issuingDate: today, paymentDueDate: today });
  return invoicesRepo.updateInvoice(tx, finalized.organizationId, finalized.id, { paymentStatus: invoice.paymentStatus });
};

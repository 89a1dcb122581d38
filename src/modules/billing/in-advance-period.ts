import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import type { MeteringService } from '../metering/service.ts';
import { draftFees, type BillingItem } from './fee-drafts.ts';
import { regroupPaidFees, writeStandaloneFee } from './in-advance-invoices.ts';
import type { BillingParty } from './party.ts';
import type { RunCache } from './run-cache.ts';

/** A plan has pay-in-advance charges that are not invoiceable: the only ones the billing day has more to do for. */
const hasStandaloneCharges = (item: BillingItem): boolean => item.details.charges.some(({ charge }) => charge.payInAdvance && !charge.invoiceable);

/**
 * What a billing day does for pay-in-advance charges that are not invoiceable, once its periodic invoice is issued
 * (in the same transaction, so never twice): the units a recurring metric carries into the period that opens are
 * billed again as fees on no invoice (Lago's recurring non-invoiceable fees, `fee.created`), then the paid fees are
 * regrouped on an invoice where a charge asks for it (Lago's `BillNonInvoiceableFeesJob`).
 */
export const billInAdvanceAtBillingDay = async (
  tx: Db,
  metering: MeteringService,
  party: BillingParty,
  items: readonly BillingItem[],
  at: Temporal.Instant,
  stampAt: Temporal.Instant,
  cache?: RunCache,
): Promise<void> => {
  const concerned = items.filter((item) => item.reason === 'subscription_periodic' && hasStandaloneCharges(item));
  if (concerned.length === 0) return;
  for (const item of concerned) {
    const { fees } = await draftFees(tx, metering, party.organization.id, party.timeZone, { ...item, inAdvanceStandalone: true }, cache);
    for (const draft of fees) await writeStandaloneFee(tx, party, item.details, draft, stampAt);
  }
  await regroupPaidFees(tx, party, concerned, at, stampAt);
};

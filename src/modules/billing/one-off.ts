import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder, notFound } from '../../lib/errors.ts';
import { Decimal, isDecimalString, subunitToUnit } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { findAddOnByCode } from '../add-ons/repository.ts';
import { findCustomerByExternalId } from '../customers/service.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import { appliedTaxes, findTaxesByCodes } from '../taxes/repository.ts';
import type { FeeDraft } from './fee-drafts.ts';
import { emptyInvoice, finalizeInvoice, writeInvoiceAmounts, type PlannedFee } from './invoice-writer.ts';
import { loadBillingParty } from './party.ts';
import { localDateAt } from '../../billing/periods/index.ts';

export interface OneOffFeeInput {
  add_on_code?: string | null | undefined;
  units?: string | number | null | undefined;
  unit_amount_cents?: number | string | null | undefined;
  description?: string | null | undefined;
  invoice_display_name?: string | null | undefined;
  tax_codes?: string[] | null | undefined;
}

export interface OneOffInput {
  external_customer_id?: string | null | undefined;
  currency?: string | null | undefined;
  fees?: OneOffFeeInput[] | null | undefined;
}

/**
 * POST /invoices: a one-off invoice of add-on fees, finalized at once (Lago's `Invoices::CreateOneOffService`). Each
 * fee is `units × unit_amount_cents` (the add-on's amount unless given), taxed by its own `tax_codes`, else the add-on's
 * taxes, else the customer's, else the organization's; coupons do not apply to one-off invoices.
 */
export const createOneOffInvoice = async (db: Db, ctx: Ctx, input: OneOffInput): Promise<Result<InvoiceRow>> =>
  transact(db, async (tx) => {
    const customer = await findCustomerByExternalId(tx, ctx.organizationId, String(input.external_customer_id ?? ''));
    if (!customer) return err(notFound('customer'));
    const currency = input.currency ?? customer.currency ?? null;
    const errors = new FieldErrorsBuilder();
    if (!currency || !isCurrency(currency)) errors.add('currency', 'value_is_invalid');
    else if (customer.currency && customer.currency !== currency) errors.add('currency', 'currencies_does_not_match');
    const fees = input.fees ?? [];
    if (fees.length === 0) errors.add('fees', 'no_fees');
    if (!errors.empty) return err(errors.toError());

    const now = ctx.clock.now();
    const party = await loadBillingParty(tx, ctx.organizationId, customer.id);
    const planned: PlannedFee[] = [];
    for (const [index, fee] of fees.entries()) {
      const addOn = fee.add_on_code ? await findAddOnByCode(tx, ctx.organizationId, fee.add_on_code) : null;
      if (!addOn) return err(notFound('add_on'));
      const units = fee.units === undefined || fee.units === null ? new Decimal(1) : isDecimalString(String(fee.units)) ? new Decimal(String(fee.units)) : null;
      const unitCents =
        fee.unit_amount_cents === undefined || fee.unit_amount_cents === null
          ? new Decimal(addOn.amountCents.toString())
          : isDecimalString(String(fee.unit_amount_cents))
            ? new Decimal(String(fee.unit_amount_cents))
            : null;
      if (!units || units.isNegative()) return err(new FieldErrorsBuilder().add('units', 'value_is_invalid').toError());
      if (!unitCents || unitCents.isNegative()) return err(new FieldErrorsBuilder().add('unit_amount_cents', 'value_is_invalid').toError());
      let ownTaxes = fee.tax_codes && fee.tax_codes.length > 0 ? await findTaxesByCodes(tx, ctx.organizationId, fee.tax_codes) : [];
      if (fee.tax_codes && ownTaxes.length !== new Set(fee.tax_codes).size) return err(notFound('tax'));
      if (ownTaxes.length === 0) ownTaxes = (await appliedTaxes(tx, ctx.organizationId, 'add_on', [addOn.id])).get(addOn.id) ?? [];
      const precise = units.mul(unitCents);
      const draft: FeeDraft = {
        key: `add_on:${index}`,
        feeType: 'add_on',
        subscriptionId: null,
        addOnId: addOn.id,
        description: fee.description ?? addOn.description,
        chargeId: null,
        chargeFilterId: null,
        billableMetricId: null,
        trueUpParentKey: null,
        groupedBy: {},
        invoiceDisplayName: fee.invoice_display_name ?? addOn.invoiceDisplayName,
        amountCents: BigInt(precise.toDecimalPlaces(0).toFixed(0)),
        preciseAmountCents: precise,
        units,
        totalAggregatedUnits: null,
        eventsCount: 0,
        preciseUnitAmount: unitCents.div(subunitToUnit(currency!)),
        amountDetails: {},
        payInAdvance: false,
        fromDatetime: now,
        toDatetime: now,
        ownTaxes,
      };
      planned.push({ draft, planId: null, parentPlanId: null, planTaxes: [] });
    }

    const stamp = instantToDate(now);
    const issuingDate = localDateAt(now, party.timeZone);
    const invoice = await invoicesRepo.insertInvoice(tx, emptyInvoice(party, currency!, issuingDate, stamp, 'one_off'));
    const totals = await writeInvoiceAmounts(tx, party, invoice, planned, now, { coupons: false });
    // Lago finalizes one-off invoices at once, zero or not.
    return ok(await finalizeInvoice(tx, { ...party, finalizeZeroAmountInvoice: true }, invoice, now, totals));
  });


import { Decimal } from '../../lib/money.ts';
import type { CreditNoteAppliedTax, CreditNoteInvoiceTax, CreditNoteItemInput, CreditNoteTaxes } from './types.ts';

const ZERO = new Decimal(0);

/** The part of its fee an item takes: item / fee amount (0 for a fee of 0). */
const feeShare = (item: CreditNoteItemInput): Decimal =>
  item.fee.amountCents === 0n ? ZERO : item.preciseAmountCents.div(item.fee.amountCents.toString());

/** The item's amount less its pro rata share of the coupons its fee received. */
const itemBase = (item: CreditNoteItemInput): Decimal => item.preciseAmountCents.minus(item.fee.preciseCouponsAmountCents.mul(feeShare(item)));

/**
 * A credit note's coupon adjustment and taxes, as Lago's `CreditNotes::ApplyTaxesService`: each item gives back its
 * share of its fee's coupons (item / fee amount × the fee's coupon amount); every tax of the items' fees is computed on
 * the items' amounts after that share, with the invoice's rate; each tax line is rounded on its own, the total is the
 * sum of the unrounded lines. The rate is the taxes' rates weighted by the part of the items each tax applies to.
 *
 * @example
 * // spec/scenarios/credit_notes/credit_note_spec.rb: a 399.00 fee with 250.00 of coupons and two 10 % taxes; an item
 * // of 262.60 takes 65.81 % of the fee, so 164.54 of coupons; each tax is 10 % of 98.0637 → taxes 19.61, rate 20.
 */
export const creditNoteTaxes = (items: readonly CreditNoteItemInput[], invoiceTaxes: readonly CreditNoteInvoiceTax[]): CreditNoteTaxes => {
  const adjustment = items.reduce((sum, item) => sum.plus(item.fee.preciseCouponsAmountCents.mul(feeShare(item))), ZERO);
  const byCode = new Map<string, CreditNoteItemInput[]>();
  for (const item of items) {
    for (const code of item.fee.taxCodes) (byCode.get(code) ?? byCode.set(code, []).get(code)!).push(item);
  }
  const itemsAfterCoupons = items.reduce((sum, item) => sum.plus(item.preciseAmountCents), ZERO).minus(adjustment);
  const appliedTaxes: CreditNoteAppliedTax[] = [];
  let precise = ZERO;
  let rate = ZERO;
  for (const [code, taxed] of byCode) {
    const tax = invoiceTaxes.find((t) => t.code === code);
    if (!tax) continue;
    const base = taxed.reduce((sum, item) => sum.plus(itemBase(item)), ZERO);
    const amount = base.mul(tax.rate).div(100);
    appliedTaxes.push({ tax, baseAmountCents: round(base), preciseAmountCents: amount, amountCents: round(amount) });
    precise = precise.plus(amount);
    rate = rate.plus(itemsAfterCoupons.isZero() ? ZERO : base.div(itemsAfterCoupons).mul(tax.rate));
  }
  return { preciseCouponsAdjustmentAmountCents: adjustment, appliedTaxes, preciseTaxesAmountCents: precise, taxesRate: rate.toDecimalPlaces(5) };
};

/** Rounds minor units half away from zero. */
export const round = (value: Decimal): bigint => BigInt(value.toDecimalPlaces(0).toFixed(0));

/** Lago keeps precise amounts with 5 decimals (`DB_PRECISION_SCALE`). */
export const toScale = (value: Decimal): Decimal => value.toDecimalPlaces(5);

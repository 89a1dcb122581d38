import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  computeInvoiceAmounts,
  type AppliedCouponInput,
  type InvoiceAmountsInput,
  type InvoiceFeeInput,
  type InvoiceTax,
} from '../../src/billing/invoices/index.ts';
import { Decimal } from '../../src/lib/money.ts';

const DAY = 86_400_000;
const tax = (id: string, rate: string): InvoiceTax => ({ taxId: id, code: id, name: id, rate, description: null });

const fee = (key: string, amountCents: bigint, extra: Partial<InvoiceFeeInput> = {}): InvoiceFeeInput => ({
  key,
  feeType: 'subscription',
  amountCents,
  planId: 'plan',
  parentPlanId: null,
  billableMetricId: null,
  taxes: [],
  ...extra,
});
const chargeFee = (key: string, amountCents: bigint, billableMetricId: string, extra: Partial<InvoiceFeeInput> = {}) =>
  fee(key, amountCents, { feeType: 'charge', billableMetricId, ...extra });

const coupon = (id: string, extra: Partial<AppliedCouponInput> = {}): AppliedCouponInput => ({
  id,
  couponId: `coupon-${id}`,
  code: id,
  name: id,
  couponType: 'fixed_amount',
  amountCents: 0n,
  amountCentsRemaining: null,
  percentageRate: null,
  frequency: 'once',
  frequencyDurationRemaining: null,
  limitedPlans: false,
  planIds: [],
  limitedBillableMetrics: false,
  billableMetricIds: [],
  createdAtMs: 0,
  amountCurrency: 'EUR',
  ...extra,
});
const percentage = (id: string, rate: string, extra: Partial<AppliedCouponInput> = {}) =>
  coupon(id, { couponType: 'percentage', amountCents: null, percentageRate: rate, amountCurrency: null, ...extra });

interface TotalsRow {
  name: string;
  input: InvoiceAmountsInput;
  expected: {
    fees: bigint;
    progressive?: bigint;
    coupons: bigint;
    subTotal: bigint;
    taxes: bigint;
    total: bigint;
    /** key → [precise coupons, taxes amount, taxes rate] */
    perFee?: Record<string, [string, bigint, string]>;
    /** [coupon id, amount, remaining, terminated] */
    credits?: [string, bigint, bigint | null, boolean][];
    /** [tax id, amount, fees amount] */
    appliedTaxes?: [string, bigint, bigint][];
  };
}

const br1 = tax('banking_rates1', '10');
const br2 = tax('banking_rates2', '20');

const rows: TotalsRow[] = [
  {
    name: 'coupons_breakdown_spec.rb: two subscriptions, metric-, plan- and unlimited once coupons',
    input: {
      currency: 'EUR',
      fees: [
        fee('sub1', 0n, { planId: 'P1' }),
        chargeFee('bm1', 1000n, 'bm1', { planId: 'P1', taxes: [br1] }),
        chargeFee('bm2', 2000n, 'bm2', { planId: 'P1', taxes: [br2] }),
        chargeFee('bm3', 3000n, 'bm3', { planId: 'P1', taxes: [br1] }),
        chargeFee('bm4', 4000n, 'bm4', { planId: 'P1', taxes: [br1] }),
        fee('sub2', 0n, { planId: 'P2' }),
        chargeFee('bm5', 1000n, 'bm5', { planId: 'P2', taxes: [br1] }),
        chargeFee('bm6', 2000n, 'bm6', { planId: 'P2', taxes: [br2] }),
        chargeFee('bm7', 3000n, 'bm7', { planId: 'P2', taxes: [br1] }),
        chargeFee('bm8', 4000n, 'bm8', { planId: 'P2', taxes: [br1] }),
      ],
      coupons: [
        coupon('coupon3', { amountCents: 500n }),
        coupon('coupon2', { amountCents: 1000n, limitedPlans: true, planIds: ['P2'] }),
        coupon('coupon1', { amountCents: 2000n, limitedBillableMetrics: true, billableMetricIds: ['bm1', 'bm2'] }),
      ],
    },
    expected: {
      fees: 20_000n,
      coupons: 3_500n,
      subTotal: 16_500n,
      taxes: 1_889n,
      total: 18_389n,
      perFee: {
        bm1: ['676.47059', 32n, '10'],
        bm2: ['1352.94117', 129n, '20'],
        bm3: ['88.23529', 291n, '10'],
        bm4: ['117.64706', 388n, '10'],
        bm5: ['126.47059', 87n, '10'],
        bm6: ['252.94118', 349n, '20'],
        bm7: ['379.41176', 262n, '10'],
        bm8: ['505.88235', 349n, '10'],
      },
      credits: [['coupon1', 2000n, 0n, true], ['coupon2', 1000n, 0n, true], ['coupon3', 500n, 0n, true]],
    },
  },
  {
    name: 'taxes_on_invoice_spec.rb: a 1000 once coupon over four fees taxed 10 %, 0 % and 20 %',
    input: {
      currency: 'EUR',
      fees: [
        fee('subscription', 10_000n, { taxes: [tax('banking_rates', '10')] }),
        chargeFee('fx_transfers', 5000n, 'fx', { taxes: [tax('sales_tax_fr', '0')] }),
        chargeFee('cards', 3000n, 'cards', { taxes: [tax('sales_tax', '20')] }),
        chargeFee('cards_true_up', 2000n, 'cards', { taxes: [tax('sales_tax', '20')] }),
      ],
      coupons: [coupon('coupon1', { amountCents: 1000n })],
    },
    expected: {
      fees: 20_000n,
      coupons: 1000n,
      subTotal: 19_000n,
      taxes: 1900n,
      total: 20_900n,
      perFee: {
        subscription: ['500', 950n, '10'],
        fx_transfers: ['250', 0n, '0'],
        cards: ['150', 570n, '20'],
        cards_true_up: ['100', 380n, '20'],
      },
      appliedTaxes: [['banking_rates', 950n, 9500n], ['sales_tax_fr', 0n, 4750n], ['sales_tax', 950n, 4750n]],
    },
  },
  {
    name: 'taxes_on_invoice_spec.rb: coupons above the fees: the second keeps 2000 for later, taxes 0',
    input: {
      currency: 'EUR',
      fees: [fee('subscription', 10_000n, { taxes: [tax('banking_rates', '10')] })],
      coupons: [coupon('coupon1', { amountCents: 1000n, createdAtMs: 0 }), coupon('coupon2', { amountCents: 11_000n, createdAtMs: 1 })],
    },
    expected: {
      fees: 10_000n,
      coupons: 10_000n,
      subTotal: 0n,
      taxes: 0n,
      total: 0n,
      perFee: { subscription: ['10000', 0n, '10'] },
      credits: [['coupon1', 1000n, 0n, true], ['coupon2', 9000n, 2000n, false]],
    },
  },
  {
    name: 'taxes_on_invoice_spec.rb: two subscriptions fully covered by two coupons',
    input: {
      currency: 'EUR',
      fees: [
        fee('subscription1', 10_000n, { planId: 'P1', taxes: [tax('banking_rates', '10')] }),
        fee('subscription2', 5000n, { planId: 'P2', taxes: [tax('banking_rates', '10')] }),
      ],
      coupons: [coupon('coupon1', { amountCents: 10_000n, createdAtMs: 0 }), coupon('coupon2', { amountCents: 10_000n, createdAtMs: 1 })],
    },
    expected: {
      fees: 15_000n,
      coupons: 15_000n,
      subTotal: 0n,
      taxes: 0n,
      total: 0n,
      perFee: { subscription1: ['10000', 0n, '10'], subscription2: ['5000', 0n, '10'] },
      credits: [['coupon1', 10_000n, 0n, true], ['coupon2', 5000n, 5000n, false]],
    },
  },
  {
    name: 'compute_amounts_from_fees_spec.rb: fees 530, coupons 100, subtotal 430, taxes 129, total 559',
    input: {
      currency: 'EUR',
      fees: [
        fee('fee1', 151n, { planId: 'P1', taxes: [tax('tax1', '10'), tax('tax2', '20')] }),
        fee('fee2', 379n, { planId: 'P2', taxes: [tax('tax1', '10'), tax('tax2', '20')] }),
      ],
      coupons: [coupon('c', { amountCents: 100n, limitedPlans: true, planIds: ['P2'] })],
    },
    expected: {
      fees: 530n,
      coupons: 100n,
      subTotal: 430n,
      taxes: 129n,
      total: 559n,
      perFee: { fee1: ['0', 45n, '30'], fee2: ['100', 84n, '30'] },
    },
  },
  {
    name: 'customer_usage_service_spec.rb: 2532 at 20 % → 506.4 → 506, total 3038',
    input: { currency: 'EUR', fees: [chargeFee('usage', 2532n, 'bm', { taxes: [tax('vat', '20')] })], coupons: [] },
    expected: { fees: 2532n, coupons: 0n, subTotal: 2532n, taxes: 506n, total: 3038n },
  },
  {
    name: 'lago-reference 5.5: 100.00, a 10 % coupon, 20 % VAT: 108.00 before credit notes and wallets',
    input: { currency: 'USD', fees: [fee('subscription', 10_000n, { taxes: [tax('vat', '20')] })], coupons: [percentage('ten', '10')] },
    expected: { fees: 10_000n, coupons: 1000n, subTotal: 9000n, taxes: 1800n, total: 10_800n, credits: [['ten', 1000n, null, true]] },
  },
  {
    name: 'progressive_billing_spec.rb: 31.00 subscription + 400.00 usage, 200.00 already billed: total 231.00',
    input: {
      currency: 'EUR',
      fees: [fee('subscription', 3100n), chargeFee('usage', 40_000n, 'bm', { progressiveBilledAmountCents: 20_000n })],
      coupons: [],
      progressiveBillingCreditCents: 20_000n,
    },
    expected: {
      fees: 43_100n,
      progressive: 20_000n,
      coupons: 0n,
      subTotal: 23_100n,
      taxes: 0n,
      total: 23_100n,
      perFee: { subscription: ['0', 0n, '0'], usage: ['20000', 0n, '0'] },
    },
  },
  {
    name: 'progressive_billing_spec.rb: thresholds and recurring: 52.80 already billed, total 31.00',
    input: {
      currency: 'EUR',
      fees: [fee('subscription', 3100n), chargeFee('usage', 5280n, 'bm', { progressiveBilledAmountCents: 5280n })],
      coupons: [],
      progressiveBillingCreditCents: 5280n,
    },
    expected: { fees: 8380n, progressive: 5280n, coupons: 0n, subTotal: 3100n, taxes: 0n, total: 3100n },
  },
  {
    name: 'progressive_billing_service_spec.rb: 20 credited on the matching fee only',
    input: {
      currency: 'EUR',
      fees: [chargeFee('fee1', 500n, 'bm1', { progressiveBilledAmountCents: 20n }), chargeFee('fee2', 500n, 'bm2')],
      coupons: [],
      progressiveBillingCreditCents: 20n,
    },
    expected: { fees: 1000n, progressive: 20n, coupons: 0n, subTotal: 980n, taxes: 0n, total: 980n, perFee: { fee1: ['20', 0n, '0'], fee2: ['0', 0n, '0'] } },
  },
  {
    name: 'progressive_billing_service_spec.rb: billed 20 on a fee of 19: credit and fee share capped at 19',
    input: {
      currency: 'EUR',
      fees: [chargeFee('fee1', 19n, 'bm1', { progressiveBilledAmountCents: 20n }), chargeFee('fee2', 500n, 'bm2')],
      coupons: [],
      progressiveBillingCreditCents: 19n,
    },
    expected: { fees: 519n, progressive: 19n, coupons: 0n, subTotal: 500n, taxes: 0n, total: 500n, perFee: { fee1: ['19', 0n, '0'], fee2: ['0', 0n, '0'] } },
  },
  {
    name: 'progressive_billing_service_spec.rb: with an additional subscription fee: 20 / 0 / 0',
    input: {
      currency: 'EUR',
      fees: [chargeFee('fee1', 300n, 'bm1', { progressiveBilledAmountCents: 20n }), chargeFee('fee2', 300n, 'bm2'), fee('fee3', 400n)],
      coupons: [],
      progressiveBillingCreditCents: 20n,
    },
    expected: {
      fees: 1000n,
      progressive: 20n,
      coupons: 0n,
      subTotal: 980n,
      taxes: 0n,
      total: 980n,
      perFee: { fee1: ['20', 0n, '0'], fee2: ['0', 0n, '0'], fee3: ['0', 0n, '0'] },
    },
  },
  {
    name: 'progressive_billing_service_spec.rb: same charges on both invoices: 40 credited, 20 / 20',
    input: {
      currency: 'EUR',
      fees: [chargeFee('fee1', 500n, 'bm1', { progressiveBilledAmountCents: 20n }), chargeFee('fee2', 500n, 'bm2', { progressiveBilledAmountCents: 20n })],
      coupons: [],
      progressiveBillingCreditCents: 40n,
    },
    expected: { fees: 1000n, progressive: 40n, coupons: 0n, subTotal: 960n, taxes: 0n, total: 960n, perFee: { fee1: ['20', 0n, '0'], fee2: ['20', 0n, '0'] } },
  },
  {
    // From the code (calculate_fees_service.rb): the progressive credit comes off before coupons and before taxes.
    name: 'progressive credit first, then a 10 % coupon on what is left, then 20 % taxes',
    input: {
      currency: 'EUR',
      fees: [
        chargeFee('usage', 1000n, 'bm', { progressiveBilledAmountCents: 400n, taxes: [tax('vat', '20')] }),
        fee('subscription', 1000n, { taxes: [tax('vat', '20')] }),
      ],
      coupons: [percentage('ten', '10')],
      progressiveBillingCreditCents: 400n,
    },
    expected: {
      fees: 2000n,
      progressive: 400n,
      coupons: 160n,
      subTotal: 1440n,
      taxes: 288n,
      total: 1728n,
      perFee: { usage: ['460', 108n, '20'], subscription: ['100', 180n, '20'] },
      appliedTaxes: [['vat', 288n, 1440n]],
    },
  },
  {
    name: 'a progressive amount on a non-charge fee, or without an invoice credit, is ignored',
    input: {
      currency: 'EUR',
      fees: [fee('subscription', 1000n, { progressiveBilledAmountCents: 400n }), chargeFee('usage', 500n, 'bm', { progressiveBilledAmountCents: 100n })],
      coupons: [],
    },
    expected: { fees: 1500n, progressive: 0n, coupons: 0n, subTotal: 1500n, taxes: 0n, total: 1500n, perFee: { subscription: ['0', 0n, '0'], usage: ['0', 0n, '0'] } },
  },
  {
    name: 'no fees: everything at 0',
    input: { currency: 'EUR', fees: [], coupons: [percentage('p', '10')] },
    expected: { fees: 0n, coupons: 0n, subTotal: 0n, taxes: 0n, total: 0n, credits: [] },
  },
];

describe('invoice amounts (Invoices::CalculateFeesService, fees to taxes)', () => {
  for (const row of rows) {
    test(row.name, () => {
      const result = computeInvoiceAmounts(row.input);
      const e = row.expected;
      assert.deepEqual(
        [
          result.feesAmountCents,
          result.progressiveBillingCreditAmountCents,
          result.couponsAmountCents,
          result.subTotalExcludingTaxesAmountCents,
          result.taxesAmountCents,
          result.subTotalIncludingTaxesAmountCents,
          result.creditNotesAmountCents,
          result.prepaidCreditAmountCents,
          result.totalAmountCents,
        ],
        [e.fees, e.progressive ?? 0n, e.coupons, e.subTotal, e.taxes, e.subTotal + e.taxes, 0n, 0n, e.total],
      );
      for (const [key, [preciseCoupons, taxes, rate]] of Object.entries(e.perFee ?? {})) {
        const f = result.fees.get(key);
        assert.ok(f, `fee ${key}`);
        assert.deepEqual([f.preciseCouponsAmountCents.toString(), f.taxesAmountCents, f.taxesRate.toString()], [preciseCoupons, taxes, rate], key);
      }
      if (e.credits) {
        assert.deepEqual(result.credits.map((c) => [c.appliedCouponId, c.amountCents, c.amountCentsRemaining, c.terminated]), e.credits);
      }
      if (e.appliedTaxes) {
        assert.deepEqual(result.appliedTaxes.map((t) => [t.taxId, t.amountCents, t.feesAmountCents]), e.appliedTaxes);
      }
    });
  }

  test('per-fee subtotals: rounded, unrounded and precise', () => {
    const result = computeInvoiceAmounts({
      currency: 'EUR',
      fees: [fee('a', 100n, { preciseAmountCents: new Decimal('100.4') }), fee('b', 100n), fee('c', 100n)],
      coupons: [coupon('x', { amountCents: 100n })],
    });
    const a = result.fees.get('a')!;
    assert.deepEqual(
      [a.subTotalExcludingTaxesAmountCents, a.subTotalExcludingTaxesUnroundedAmountCents.toString(), a.subTotalExcludingTaxesPreciseAmountCents.toString()],
      [67n, '66.66667', '67.06667'],
    );
    assert.equal(result.fees.size, 3);
    assert.deepEqual([...result.fees.keys()], ['a', 'b', 'c']);
  });

  test('inconsistent input is a bug of the caller', () => {
    assert.throws(() => computeInvoiceAmounts({ currency: 'EUR', fees: [fee('a', 1n), fee('a', 2n)], coupons: [] }), RangeError);
    assert.throws(() => computeInvoiceAmounts({ currency: 'EUR', fees: [fee('a', -1n)], coupons: [] }), RangeError);
    assert.throws(
      () => computeInvoiceAmounts({ currency: 'EUR', fees: [fee('s', 1000n), chargeFee('c', 10n, 'bm')], coupons: [], progressiveBillingCreditCents: 11n }),
      RangeError,
    );
  });
});

describe('invoice amounts, properties', () => {
  const taxPool = [tax('t0', '0'), tax('t5', '5.5'), tax('t10', '10'), tax('t20', '20'), tax('t8', '8.25')];
  const feeArb = fc.record({
    feeType: fc.constantFrom('subscription', 'charge', 'add_on', 'fixed_charge', 'commitment') as fc.Arbitrary<InvoiceFeeInput['feeType']>,
    amountCents: fc.bigInt({ min: 0n, max: 2_000_000n }),
    planId: fc.constantFrom('P', 'Q', 'P-override', null),
    billableMetricId: fc.constantFrom('m1', 'm2', 'm3'),
    taxes: fc.subarray(taxPool),
    billedPart: fc.bigInt({ min: 0n, max: 120n }),
  });
  const couponArb = fc.record({
    couponType: fc.constantFrom('fixed_amount', 'percentage') as fc.Arbitrary<AppliedCouponInput['couponType']>,
    amountCents: fc.bigInt({ min: 0n, max: 3_000_000n }),
    amountCentsRemaining: fc.option(fc.bigInt({ min: 0n, max: 3_000_000n })),
    percentageRate: fc.constantFrom('0', '1', '12.5', '33.33333', '50', '99.99999', '100'),
    frequency: fc.constantFrom('once', 'recurring', 'forever') as fc.Arbitrary<AppliedCouponInput['frequency']>,
    frequencyDurationRemaining: fc.integer({ min: 0, max: 5 }),
    limitedPlans: fc.boolean(),
    planIds: fc.subarray(['P', 'Q', 'Z']),
    limitedBillableMetrics: fc.boolean(),
    billableMetricIds: fc.subarray(['m1', 'm2', 'm9']),
    createdAtMs: fc.integer({ min: 0, max: 10 * DAY }),
  });
  const inputArb = fc.record({
    fees: fc.array(feeArb, { maxLength: 7 }),
    coupons: fc.array(couponArb, { maxLength: 5 }),
    consistentProgressive: fc.boolean(),
    progressivePart: fc.bigInt({ min: 0n, max: 100n }),
  });

  test('totals are never negative and coupons never exceed what the fees leave', () => {
    fc.assert(
      fc.property(inputArb, (generated) => {
        const fees: InvoiceFeeInput[] = generated.fees.map((f, i) => ({
          key: `fee-${i}`,
          feeType: f.feeType,
          amountCents: f.amountCents,
          planId: f.planId,
          parentPlanId: f.planId === 'P-override' ? 'P' : null,
          billableMetricId: f.feeType === 'charge' ? f.billableMetricId : null,
          taxes: f.taxes,
          // Up to 120 % of the fee: the match on the progressive invoice can be larger than the final fee.
          progressiveBilledAmountCents: f.feeType === 'charge' ? (f.amountCents * f.billedPart) / 100n : undefined,
        }));
        const charges = fees.filter((f) => f.feeType === 'charge');
        const chargesTotal = charges.reduce((s, f) => s + f.amountCents, 0n);
        const capped = charges.reduce((s, f) => s + (f.progressiveBilledAmountCents! < f.amountCents ? f.progressiveBilledAmountCents! : f.amountCents), 0n);
        const progressive = generated.consistentProgressive ? capped : (chargesTotal * generated.progressivePart) / 100n;
        const coupons = generated.coupons.map((c, i) => coupon(`c${i}`, c));
        const result = computeInvoiceAmounts({ currency: 'EUR', fees, coupons, progressiveBillingCreditCents: progressive });

        const feesTotal = fees.reduce((s, f) => s + f.amountCents, 0n);
        assert.equal(result.feesAmountCents, feesTotal);
        assert.ok(result.couponsAmountCents >= 0n);
        assert.ok(result.couponsAmountCents <= feesTotal - progressive, 'coupons within what the fees leave');
        assert.equal(result.couponsAmountCents, result.credits.reduce((s, c) => s + c.amountCents, 0n));
        for (const credit of result.credits) {
          assert.ok(credit.amountCents >= 0n);
          if (credit.amountCentsRemaining !== null) assert.ok(credit.amountCentsRemaining >= 0n, 'remaining never negative');
          if (credit.frequencyDurationRemaining !== null) assert.ok(credit.frequencyDurationRemaining >= 0);
        }
        for (const name of ['subTotalExcludingTaxesAmountCents', 'taxesAmountCents', 'subTotalIncludingTaxesAmountCents', 'totalAmountCents'] as const) {
          assert.ok(result[name] >= 0n, `${name} = ${result[name]}`);
        }
        assert.equal(result.totalAmountCents, feesTotal - progressive - result.couponsAmountCents + result.taxesAmountCents);
        for (const f of fees) {
          const amounts = result.fees.get(f.key)!;
          assert.ok(amounts.preciseCouponsAmountCents.gte(0) && amounts.preciseCouponsAmountCents.lte(f.amountCents.toString()), 'fee share within the fee');
          assert.ok(amounts.subTotalExcludingTaxesAmountCents >= 0n && amounts.taxesAmountCents >= 0n);
        }
        for (const line of result.appliedTaxes) assert.ok(line.amountCents >= 0n && line.feesAmountCents >= 0n);
      }),
      { numRuns: 500 },
    );
  });
});

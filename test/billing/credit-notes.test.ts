import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  consumeCredit,
  creditNoteErrors,
  creditNoteTaxes,
  estimate,
  feeCreditableAmountCents,
  feeTotalAmountCents,
  invoiceRefundableAmountCents,
  itemAmounts,
  itemError,
  settleAmounts,
  terminationCreditNote,
  type CreditableFee,
  type CreditableInvoice,
  type CreditNoteInvoiceTax,
} from '../../src/billing/credit-notes/index.ts';
import { Decimal } from '../../src/lib/money.ts';

const d = (v: string | number) => new Decimal(v);
const tax = (code: string, rate: string): CreditNoteInvoiceTax => ({ taxId: null, code, name: code, rate: d(rate), description: null });
const fee = (id: string, amount: number, coupons: string, taxCodes: string[], rate: string, credited = 0): CreditableFee => ({
  id,
  amountCents: BigInt(amount),
  preciseAmountCents: d(amount),
  preciseCouponsAmountCents: d(coupons),
  taxesRate: d(rate),
  taxesPreciseAmountCents: d(amount).minus(coupons).mul(rate).div(100),
  taxCodes,
  creditedAmountCents: BigInt(credited),
});
const invoiceOf = (fees: CreditableFee[], fields: Partial<CreditableInvoice> = {}): CreditableInvoice => ({
  feesAmountCents: fees.reduce((s, f) => s + f.amountCents, 0n),
  couponsAmountCents: 0n,
  progressiveBillingCreditAmountCents: 0n,
  totalAmountCents: 0n,
  totalPaidAmountCents: 0n,
  subTotalIncludingTaxesAmountCents: 0n,
  paymentStatus: 'pending',
  fees,
  credited: { creditAmountCents: 0n, refundAmountCents: 0n, offsetAmountCents: 0n },
  taxesRoundingAdjustments: d(0),
  ...fields,
});

describe('credit note amounts (CreditNotes::ApplyTaxesService, EstimateService)', () => {
  // spec/scenarios/credit_notes/credit_note_spec.rb, "Allows creation of partial credit note": fees 179.00 (org tax 10 %)
  // and 399.00 (plan tax 10 % + org tax 10 %) with 250.00 of a plan-limited coupon on the second; 12.00 paid.
  const fee1 = fee('f1', 179_00, '0', ['org'], '10');
  const fee2 = fee('f2', 399_00, '25000', ['plan', 'org'], '20');
  const taxes = [tax('plan', '10'), tax('org', '10')];
  const invoice = invoiceOf([fee1, fee2], { couponsAmountCents: 250_00n, totalAmountCents: 375_70n, totalPaidAmountCents: 12_00n, subTotalIncludingTaxesAmountCents: 375_70n });

  const rows: { name: string; items: [CreditableFee, number][]; expected: { taxes: bigint; sub: bigint; credit: bigint; refund: bigint; coupons: bigint; rate: string } }[] = [
    {
      name: 'both fees whole: 47.70 of taxes, 328.00 + 47.70 = 375.70, rate 14.54268',
      items: [
        [fee1, 179_00],
        [fee2, 399_00],
      ],
      expected: { taxes: 47_70n, sub: 328_00n, credit: 375_70n, refund: 12_00n, coupons: 250_00n, rate: '14.54268' },
    },
    {
      name: '262.60 of the 399.00 fee: 164.54 of coupons, 98.06 + 19.61 = 117.67, rate 20',
      items: [[fee2, 262_60]],
      expected: { taxes: 19_61n, sub: 98_06n, credit: 117_67n, refund: 12_00n, coupons: 164_54n, rate: '20' },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const amounts = itemAmounts(
        invoice,
        taxes,
        row.items.map(([f, a]) => ({ fee: f, preciseAmountCents: d(a) })),
      );
      const result = estimate(invoice, amounts);
      assert.deepEqual(
        {
          taxes: result.taxesAmountCents,
          sub: amounts.subTotalExcludingTaxesAmountCents,
          credit: result.maxCreditableAmountCents,
          refund: result.maxRefundableAmountCents,
          coupons: amounts.couponsAdjustmentAmountCents,
          rate: amounts.taxesRate.toFixed(),
        },
        row.expected,
      );
    });
  }

  test('credit_note_spec.rb "applying multiple time the same coupon": 1.00 on five fees at 10 % → 0.02 of coupons, 4.98 + 0.49 = 5.47', () => {
    const fees = [
      fee('f6', 1_999, '9.66216', ['t'], '10'),
      fee('f2', 299_770, '1448.93772', ['t'], '10'),
      fee('f3', 3_130, '15.12884', ['t'], '10'),
      fee('f4', 6_460, '31.2244', ['t'], '10'),
      fee('f5', 3_130, '15.12884', ['t'], '10'),
    ];
    const inv = invoiceOf([...fees, fee('f1', 99_290, '479.91802', ['t'], '10')], { couponsAmountCents: 2_000n, totalPaidAmountCents: 40n });
    const amounts = itemAmounts(inv, [tax('t', '10')], fees.map((f) => ({ fee: f, preciseAmountCents: d(100) })));
    const result = estimate(inv, amounts);
    assert.deepEqual(
      [amounts.couponsAdjustmentAmountCents, amounts.subTotalExcludingTaxesAmountCents, result.taxesAmountCents, result.maxCreditableAmountCents, result.maxRefundableAmountCents, amounts.taxesRate.toFixed()],
      [2n, 4_98n, 49n, 5_47n, 40n, '10'],
    );
  });

  test('credit_note_spec.rb rounding: the last note of an invoice takes back what earlier notes rounded (1366.6 − 0.4 = 1366.2)', () => {
    const a = fee('a', 68_33, '0', ['vat'], '20', 68_33);
    const b = fee('b', 68_33, '0', ['vat'], '20');
    const inv = invoiceOf([a, b], { taxesRoundingAdjustments: d('0.4') });
    const amounts = itemAmounts(inv, [tax('vat', '20')], [{ fee: b, preciseAmountCents: d(68_33) }]);
    assert.deepEqual([amounts.preciseTaxesAmountCents.toFixed(), amounts.taxesAmountCents, estimate(inv, amounts).maxCreditableAmountCents], ['1366.2', 13_66n, 81_99n]);
    // Not the last one: no adjustment.
    const partial = itemAmounts(inv, [tax('vat', '20')], [{ fee: b, preciseAmountCents: d(13_67) }]);
    assert.equal(partial.preciseTaxesAmountCents.toFixed(), '273.4');
  });

  test('creditNoteTaxes: a tax is computed on the items of the fees that bear it, the rate weighted by their share', () => {
    const result = creditNoteTaxes(
      [
        { fee: fee('x', 100_00, '0', ['a'], '10'), preciseAmountCents: d(50_00) },
        { fee: fee('y', 100_00, '0', ['a', 'b'], '30'), preciseAmountCents: d(50_00) },
      ],
      [tax('a', '10'), tax('b', '20')],
    );
    assert.deepEqual(
      result.appliedTaxes.map((t) => [t.tax.code, t.baseAmountCents, t.amountCents]),
      [
        ['a', 100_00n, 10_00n],
        ['b', 50_00n, 10_00n],
      ],
    );
    assert.equal(result.taxesRate.toFixed(), '20');
  });
});

describe('credit note rules (CreditNotes::ValidateService, ValidateItemService)', () => {
  const f = fee('f', 100_00, '0', ['vat'], '20', 30_00);
  const inv = invoiceOf([f], { totalAmountCents: 120_00n });
  const taxes = [tax('vat', '20')];
  const amountsFor = (cents: number) => itemAmounts(inv, taxes, [{ fee: f, preciseAmountCents: d(cents) }]);
  const rows: { name: string; item: number; credit?: bigint; refund?: bigint; offset?: bigint; expected: Record<string, string[]> | null }[] = [
    { name: 'items and amounts match: valid', item: 10_00, credit: 12_00n, expected: null },
    { name: 'one cent off is allowed', item: 10_00, credit: 12_01n, expected: null },
    { name: 'two cents off are not', item: 10_00, credit: 12_02n, expected: { base: ['does_not_match_item_amounts'] } },
    { name: 'nothing asked', item: 0, expected: { base: ['total_amount_must_be_positive'] } },
    { name: 'a refund on an unpaid invoice', item: 10_00, refund: 12_00n, expected: { refund_amount_cents: ['cannot_refund_unpaid_invoice'] } },
    { name: 'an offset within what is due', item: 10_00, offset: 12_00n, expected: null },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(
        creditNoteErrors(inv, amountsFor(row.item), { creditAmountCents: row.credit ?? 0n, refundAmountCents: row.refund ?? 0n, offsetAmountCents: row.offset ?? 0n }),
        row.expected,
      );
    });
  }
  test('items: negative, above what is left of the fee (this note’s earlier items included)', () => {
    assert.equal(itemError(-1n, f, 0n), 'invalid_value');
    assert.equal(itemError(70_00n, f, 0n), null);
    assert.equal(itemError(70_01n, f, 0n), 'higher_than_remaining_fee_amount');
    assert.equal(itemError(40_00n, f, 30_01n), 'higher_than_remaining_fee_amount');
  });
  test('limits: fee total with taxes, refundable = paid − refunded, capped by what is creditable', () => {
    assert.equal(feeTotalAmountCents([fee('a', 179_00, '0', [], '10'), fee('b', 399_00, '0', [], '20')]), 675_70n);
    assert.equal(invoiceRefundableAmountCents({ ...inv, totalPaidAmountCents: 200_00n }), 84_00n);
    assert.equal(invoiceRefundableAmountCents({ ...inv, totalPaidAmountCents: 50_00n, credited: { ...inv.credited, refundAmountCents: 20_00n } }), 30_00n);
    assert.equal(invoiceRefundableAmountCents({ ...inv, totalPaidAmountCents: 120_00n }), 0n, 'paid in full but not marked succeeded');
  });
  test('settling: the total follows the items’ subtotal + taxes, the credit (else refund, else offset) absorbs the cent', () => {
    const amounts = amountsFor(10_00);
    assert.deepEqual(settleAmounts(amounts, { creditAmountCents: 12_01n, refundAmountCents: 0n, offsetAmountCents: 0n }), {
      creditAmountCents: 12_00n,
      refundAmountCents: 0n,
      offsetAmountCents: 0n,
      totalAmountCents: 12_00n,
      balanceAmountCents: 12_00n,
    });
    assert.equal(settleAmounts(amounts, { creditAmountCents: 0n, refundAmountCents: 0n, offsetAmountCents: 11_99n }).offsetAmountCents, 12_00n);
  });
});

describe('termination credit notes (CreditNotes::CreateFromTermination)', () => {
  const base = (f: CreditableFee) => ({
    planAmountCents: 50_00n,
    periodDays: 28,
    remainingDays: 20,
    usedDays: 1,
    fee: f,
    invoiceTaxes: [tax('vat', '20')],
    invoice: { subTotalIncludingTaxesAmountCents: 45_00n, totalPaidAmountCents: 0n },
    mode: 'credit' as const,
  });
  test('terminate_pay_in_advance_spec: 20 × 5000/28 = 3571.42857 + 20 % → 4286 asked (settled to 4285)', () => {
    const f = fee('s', 37_50, '0', ['vat'], '20');
    const note = terminationCreditNote(base(f))!;
    assert.deepEqual([note.itemPreciseAmountCents.toFixed(), note.creditAmountCents, note.refundAmountCents, note.offsetAmountCents], ['3571.42857', 42_86n, 0n, 0n]);
    const amounts = itemAmounts(invoiceOf([f]), [tax('vat', '20')], [{ fee: f, preciseAmountCents: note.itemPreciseAmountCents }]);
    assert.equal(settleAmounts(amounts, note).totalAmountCents, 42_85n);
  });
  test('capped at the fee, less what earlier notes took; nothing when nothing is left', () => {
    assert.equal(terminationCreditNote({ ...base(fee('s', 10_00, '0', [], '0')), invoiceTaxes: [] })!.itemPreciseAmountCents.toFixed(), '1000');
    assert.equal(terminationCreditNote({ ...base(fee('s', 10_00, '0', [], '0', 4_00)), invoiceTaxes: [] })!.itemPreciseAmountCents.toFixed(), '600');
    assert.equal(terminationCreditNote({ ...base(fee('s', 10_00, '0', [], '0', 10_00)), invoiceTaxes: [] }), null);
    assert.equal(terminationCreditNote({ ...base(fee('s', 37_50, '0', [], '0')), remainingDays: 0 }), null);
  });
  test('refund: the paid share of the fee less what the used days cost is refunded, the rest credited; offset offsets the rest', () => {
    // Paid in full: 45.00 paid for a 37.50 + 7.50 fee; 8 days used cost 8 × 5000/28 × 1.2 = 17.14; refund 45.00 − 17.14 = 27.86.
    const f = fee('s', 37_50, '0', ['vat'], '20');
    const paidInFull = { ...base(f), usedDays: 8, invoice: { subTotalIncludingTaxesAmountCents: 45_00n, totalPaidAmountCents: 45_00n } };
    const refund = terminationCreditNote({ ...paidInFull, mode: 'refund' })!;
    assert.deepEqual([refund.creditAmountCents, refund.refundAmountCents, refund.offsetAmountCents], [42_86n - 27_86n, 27_86n, 0n]);
    const offset = terminationCreditNote({ ...paidInFull, mode: 'offset' })!;
    assert.deepEqual([offset.creditAmountCents, offset.refundAmountCents, offset.offsetAmountCents], [0n, 27_86n, 42_86n - 27_86n]);
  });
});

describe('credit notes properties', () => {
  const feeArb = fc.record({ amount: fc.integer({ min: 0, max: 1_000_000 }), couponShare: fc.integer({ min: 0, max: 100 }), rate: fc.constantFrom('0', '5.5', '20') });
  test('a credit note never exceeds what is left to credit: no fee is credited beyond its amount, no note beyond the invoice', () => {
    fc.assert(
      fc.property(fc.array(feeArb, { minLength: 1, maxLength: 4 }), fc.array(fc.array(fc.tuple(fc.nat(3), fc.integer({ min: -5, max: 1_200_000 })), { maxLength: 3 }), { maxLength: 6 }), (specs, requests) => {
        const taxes = [tax('0', '0'), tax('5.5', '5.5'), tax('20', '20')];
        const credited = specs.map(() => 0n);
        let earlier = { creditAmountCents: 0n, refundAmountCents: 0n, offsetAmountCents: 0n };
        let rounding = d(0);
        const feesNow = () =>
          specs.map((s, i) => fee(`f${i}`, s.amount, d(s.amount).mul(s.couponShare).div(1000).toFixed(), [s.rate], s.rate, Number(credited[i])));
        for (const request of requests) {
          const fees = feesNow();
          const inv = invoiceOf(fees, { credited: earlier, taxesRoundingAdjustments: rounding });
          const taken = new Map<number, bigint>();
          let rejected = false;
          const items = request.map(([index, amount]) => {
            const f = fees[index % fees.length]!;
            const i = index % fees.length;
            if (itemError(BigInt(amount), f, taken.get(i) ?? 0n)) rejected = true;
            taken.set(i, (taken.get(i) ?? 0n) + BigInt(amount));
            return { fee: f, preciseAmountCents: d(amount) };
          });
          if (rejected) {
            // Only an item that is negative or takes a fee beyond what is left of it is rejected.
            const beyond = request.some(([, amount]) => amount < 0) || [...taken].some(([i, t]) => t > feeCreditableAmountCents(fees[i]!));
            assert.ok(beyond, 'an item within its fee was rejected');
            continue;
          }
          const amounts = itemAmounts(inv, taxes, items);
          const asked = estimate(inv, amounts).maxCreditableAmountCents;
          const requested = { creditAmountCents: asked, refundAmountCents: 0n, offsetAmountCents: 0n };
          if (creditNoteErrors(inv, amounts, requested)) continue;
          const settled = settleAmounts(amounts, requested);
          const remaining = feeTotalAmountCents(fees.map((f) => ({ ...f, creditedAmountCents: 0n }))) - earlier.creditAmountCents;
          assert.ok(settled.totalAmountCents <= remaining + 1n, `${settled.totalAmountCents} > ${remaining}`);
          assert.ok(settled.creditAmountCents >= 0n && settled.balanceAmountCents === settled.creditAmountCents);
          for (const [i, t] of taken) credited[i] = credited[i]! + t;
          earlier = { ...earlier, creditAmountCents: earlier.creditAmountCents + settled.creditAmountCents };
          rounding = rounding.plus(amounts.taxesAmountCents.toString()).minus(amounts.preciseTaxesAmountCents);
        }
        specs.forEach((s, i) => assert.ok(credited[i]! <= BigInt(s.amount), 'a fee credited beyond its amount'));
      }),
      { numRuns: 300 },
    );
  });

  test("an invoice's credits never exceed its total before credits, nor a note its balance", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -100n, max: 10_000_000n }), fc.array(fc.bigInt({ min: 0n, max: 5_000_000n }), { maxLength: 8 }), (total, balances) => {
        const taken = consumeCredit(total, balances);
        const sum = taken.reduce((s, x) => s + x, 0n);
        assert.ok(sum <= (total > 0n ? total : 0n));
        taken.forEach((x, i) => assert.ok(x >= 0n && x <= balances[i]!));
        // Greedy: a note is used only when the older ones are exhausted.
        const firstPartial = taken.findIndex((x, i) => x < balances[i]!);
        if (firstPartial >= 0) assert.equal(taken.slice(firstPartial + 1).reduce((s, x) => s + x, 0n), 0n);
        // What can be covered is covered.
        const available = balances.reduce((s, b) => s + b, 0n);
        assert.equal(sum, total > 0n ? (available < total ? available : total) : 0n);
      }),
      { numRuns: 500 },
    );
  });
});

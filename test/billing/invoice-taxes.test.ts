import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { feeTaxes, invoiceTaxes, type InvoiceTax } from '../../src/billing/invoices/index.ts';
import { Decimal } from '../../src/lib/money.ts';

const d = (value: string | number) => new Decimal(value);
const tax = (id: string, rate: string): InvoiceTax => ({ taxId: id, code: id, name: `Tax ${id}`, rate, description: null });

describe('fee taxes (Fees::ApplyTaxesService)', () => {
  const rows: {
    name: string;
    subTotal: string;
    precise?: string;
    taxes: InvoiceTax[];
    expected: { taxesAmountCents: bigint; precise: string; rate: string; lines: [string, bigint, string][] };
  }[] = [
    {
      name: 'apply_taxes_service_spec.rb (fees): tax codes 12 % and 5 % on 1000: 170, rate 17',
      subTotal: '1000',
      taxes: [tax('tax2', '12'), tax('tax3', '5')],
      expected: { taxesAmountCents: 170n, precise: '170', rate: '17', lines: [['tax2', 120n, '120'], ['tax3', 50n, '50']] },
    },
    {
      name: 'apply_taxes_service_spec.rb (fees): commitment taxes 12 % on 1000: 120',
      subTotal: '1000',
      taxes: [tax('tax2', '12')],
      expected: { taxesAmountCents: 120n, precise: '120', rate: '12', lines: [['tax2', 120n, '120']] },
    },
    {
      name: 'apply_taxes_service_spec.rb (fees): customer taxes 10 % and 12 %: 220, rate 22',
      subTotal: '1000',
      taxes: [tax('tax1', '10'), tax('tax2', '12')],
      expected: { taxesAmountCents: 220n, precise: '220', rate: '22', lines: [['tax1', 100n, '100'], ['tax2', 120n, '120']] },
    },
    {
      name: 'apply_taxes_service_spec.rb (fees): a 100 coupon on 1000 at 5 %: (1000 − 100) × 5 / 100 = 45',
      subTotal: '900',
      taxes: [tax('tax3', '5')],
      expected: { taxesAmountCents: 45n, precise: '45', rate: '5', lines: [['tax3', 45n, '45']] },
    },
    {
      name: 'apply_taxes_service_spec.rb (fees): billing entity default 5 % on 1000: 50',
      subTotal: '1000',
      taxes: [tax('tax3', '5')],
      expected: { taxesAmountCents: 50n, precise: '50', rate: '5', lines: [['tax3', 50n, '50']] },
    },
    {
      name: 'compute_amounts_from_fees_spec.rb: 151 at 10 % and 20 %: 15.1 + 30.2 → 45',
      subTotal: '151',
      taxes: [tax('tax1', '10'), tax('tax2', '20')],
      expected: { taxesAmountCents: 45n, precise: '45.3', rate: '30', lines: [['tax1', 15n, '15.1'], ['tax2', 30n, '30.2']] },
    },
    {
      name: 'compute_amounts_from_fees_spec.rb: (379 − 100) at 10 % and 20 %: 27.9 + 55.8 → 84',
      subTotal: '279',
      taxes: [tax('tax1', '10'), tax('tax2', '20')],
      expected: { taxesAmountCents: 84n, precise: '83.7', rate: '30', lines: [['tax1', 28n, '27.9'], ['tax2', 56n, '55.8']] },
    },
    {
      name: 'coupons_breakdown_spec.rb: 1000 − 676.47059 at 10 %: 32.352941 → 32',
      subTotal: '323.52941',
      taxes: [tax('banking_rates1', '10')],
      expected: { taxesAmountCents: 32n, precise: '32.352941', rate: '10', lines: [['banking_rates1', 32n, '32.352941']] },
    },
    {
      name: 'taxes_on_invoice_spec.rb: a 0 % tax gives 0 and rate 0, and still a line',
      subTotal: '4750',
      taxes: [tax('sales_tax_fr', '0')],
      expected: { taxesAmountCents: 0n, precise: '0', rate: '0', lines: [['sales_tax_fr', 0n, '0']] },
    },
    {
      name: 'a fee without taxes: 0, rate 0, no line',
      subTotal: '1000',
      taxes: [],
      expected: { taxesAmountCents: 0n, precise: '0', rate: '0', lines: [] },
    },
    {
      // From the code: each line rounds on its own, the fee total rounds the unrounded sum.
      name: 'lines 0.5 and 0.5 round to 1 and 1, the fee total rounds 1.0 to 1',
      subTotal: '10',
      taxes: [tax('a', '5'), tax('b', '5')],
      expected: { taxesAmountCents: 1n, precise: '1', rate: '10', lines: [['a', 1n, '0.5'], ['b', 1n, '0.5']] },
    },
    {
      name: 'decimal rates: 8.25 % of 999 = 82.4175 → 82',
      subTotal: '999',
      taxes: [tax('a', '8.25')],
      expected: { taxesAmountCents: 82n, precise: '82.4175', rate: '8.25', lines: [['a', 82n, '82.4175']] },
    },
    {
      name: 'the precise amount follows the unrounded fee amount: 1000.4 at 10 % → precise 100.04, amount 100',
      subTotal: '1000',
      precise: '1000.4',
      taxes: [tax('a', '10')],
      expected: { taxesAmountCents: 100n, precise: '100.04', rate: '10', lines: [['a', 100n, '100.04']] },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const result = feeTaxes(d(row.subTotal), d(row.precise ?? row.subTotal), row.taxes);
      assert.equal(result.taxesAmountCents, row.expected.taxesAmountCents);
      assert.equal(result.taxesPreciseAmountCents.toString(), row.expected.precise);
      assert.equal(result.taxesRate.toString(), row.expected.rate);
      assert.deepEqual(
        result.appliedTaxes.map((l) => [l.taxId, l.amountCents, l.preciseAmountCents.toString()]),
        row.expected.lines,
      );
    });
  }
});

describe('invoice taxes (Invoices::ApplyTaxesService)', () => {
  const tax1 = tax('tax1', '10');
  const tax2 = tax('tax2', '12');
  const rows: {
    name: string;
    fees: [string, InvoiceTax[]][];
    invoiceSubTotal: bigint;
    expected: { taxesAmountCents: bigint; rate: string; lines: [string, bigint, bigint][] };
  }[] = [
    {
      name: 'apply_taxes_service_spec.rb (invoices): 1000 (10 %) and 2000 (10 %, 12 %): 300 + 240 = 540, rate 18',
      fees: [['1000', [tax1]], ['2000', [tax1, tax2]]],
      invoiceSubTotal: 3000n,
      expected: { taxesAmountCents: 540n, rate: '18', lines: [['tax1', 300n, 3000n], ['tax2', 240n, 2000n]] },
    },
    {
      name: 'apply_taxes_service_spec.rb (invoices): fees at 0: lines at 0, rate by fee count 10 × 2/2 + 12 × 1/2 = 16',
      fees: [['0', [tax1]], ['0', [tax1, tax2]]],
      invoiceSubTotal: 0n,
      expected: { taxesAmountCents: 0n, rate: '16', lines: [['tax1', 0n, 0n], ['tax2', 0n, 0n]] },
    },
    {
      name: 'apply_taxes_service_spec.rb (invoices): a 1000 coupon pro rata: 200 and 160 (base 1333), total 360, rate 18',
      fees: [['666.66667', [tax1]], ['1333.33333', [tax1, tax2]]],
      invoiceSubTotal: 2000n,
      expected: { taxesAmountCents: 360n, rate: '18', lines: [['tax1', 200n, 2000n], ['tax2', 160n, 1333n]] },
    },
    {
      name: 'compute_amounts_from_fees_spec.rb: 151 and 279 at 10 % and 20 %: 43 + 86 = 129, rate 30',
      fees: [['151', [tax('t10', '10'), tax('t20', '20')]], ['279', [tax('t10', '10'), tax('t20', '20')]]],
      invoiceSubTotal: 430n,
      expected: { taxesAmountCents: 129n, rate: '30', lines: [['t10', 43n, 430n], ['t20', 86n, 430n]] },
    },
    {
      // From the code: each line rounds on its own (1 + 1) but the total rounds 0.5 + 0.5 = 1.
      name: 'two 5 % taxes on two fees of 10: lines 1 and 1, invoice total 1',
      fees: [['10', [tax('a', '5')]], ['10', [tax('b', '5')]]],
      invoiceSubTotal: 20n,
      expected: { taxesAmountCents: 1n, rate: '5', lines: [['a', 1n, 10n], ['b', 1n, 10n]] },
    },
    {
      // From the code: the base goes into a bigint column, which keeps the integer part (99.99999 → 99).
      name: 'the base of a line is truncated: three subtotals of 33.33333 give 99',
      fees: [['33.33333', [tax('a', '20')]], ['33.33333', [tax('a', '20')]], ['33.33333', [tax('a', '20')]]],
      invoiceSubTotal: 100n,
      expected: { taxesAmountCents: 20n, rate: '20', lines: [['a', 20n, 99n]] },
    },
    {
      name: 'a tax on part of the invoice weights the rate: 20 % on 250 of 1000 → 5',
      fees: [['250', [tax('a', '20')]], ['750', []]],
      invoiceSubTotal: 1000n,
      expected: { taxesAmountCents: 50n, rate: '5', lines: [['a', 50n, 250n]] },
    },
    {
      name: 'no taxed fee: no line, 0, rate 0',
      fees: [['250', []]],
      invoiceSubTotal: 250n,
      expected: { taxesAmountCents: 0n, rate: '0', lines: [] },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const result = invoiceTaxes(row.fees.map(([subTotal, taxes]) => ({ subTotalCents: d(subTotal), taxes })), row.invoiceSubTotal);
      assert.equal(result.taxesAmountCents, row.expected.taxesAmountCents);
      assert.equal(result.taxesRate.toString(), row.expected.rate);
      assert.deepEqual(result.appliedTaxes.map((l) => [l.taxId, l.amountCents, l.feesAmountCents]), row.expected.lines);
    });
  }

  test('lines carry the tax fields and the unrounded amounts', () => {
    const described: InvoiceTax = { taxId: 't', code: 'vat', name: 'VAT', rate: '20', description: 'French VAT' };
    const [line] = invoiceTaxes([{ subTotalCents: d('2532'), taxes: [described] }], 2532n).appliedTaxes;
    assert.deepEqual(
      line && [line.taxId, line.code, line.name, line.rate, line.description, line.amountCents, line.unroundedAmountCents.toString(), line.feesUnroundedAmountCents.toString()],
      ['t', 'vat', 'VAT', '20', 'French VAT', 506n, '506.4', '2532'],
    );
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { invoiceLayout, renderInvoicePdf, type InvoiceDocument } from '../../src/modules/documents/invoice-pdf.ts';
import { formatAmount, formatMoney, formatQuantity, formatUnitPrice } from '../../src/modules/documents/number-format.ts';
import type { DocumentOrganization } from '../../src/modules/documents/parties.ts';
import type { InvoiceDetailJson } from '../../src/modules/invoices/serialize.ts';
import { fromCents } from '../../src/lib/money.ts';

// ---- what the documents are checked with -------------------------------------------------------------------------

const POPPLER = spawnSync('pdftotext', ['-v']).error === undefined && spawnSync('pdfinfo', ['-v']).error === undefined;
const needsPoppler = POPPLER ? false : 'pdftotext/pdfinfo/pdftoppm (poppler-utils) not installed: apt-get install -y poppler-utils';

const workDir = mkdtempSync(join(tmpdir(), 'billow-invoice-pdf-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

let fileCount = 0;
const savePdf = (pdf: Buffer): string => {
  const path = join(workDir, `invoice-${++fileCount}.pdf`);
  writeFileSync(path, pdf);
  return path;
};

const run = (command: string, args: string[]): string => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
};

const pdfText = (path: string, page?: number): string =>
  run('pdftotext', ['-layout', '-enc', 'UTF-8', ...(page ? ['-f', String(page), '-l', String(page)] : []), path, '-']);

/** The text with runs of spaces squeezed, so that a check does not depend on column widths. */
const squeezed = (text: string): string => text.replace(/[ \t]+/g, ' ');

const pageCount = (path: string): number => Number(/^Pages:\s+(\d+)$/m.exec(run('pdfinfo', [path]))?.[1]);

const textOf = async (doc: InvoiceDocument) => {
  const path = savePdf(await renderInvoicePdf(doc));
  return { path, text: squeezed(pdfText(path)) };
};

// ---- fixtures ------------------------------------------------------------------------------------------------------

const ORG_ID = '01950000-0000-7000-8000-000000000001';
const CUSTOMER_ID = '01950000-0000-7000-8000-000000000002';
const SUBSCRIPTION_ID = '01950000-0000-7000-8000-000000000003';
const INVOICE_ID = '01950000-0000-7000-8000-000000000004';
const uuid = (n: number) => `01950000-0000-7000-8000-${String(n).padStart(12, '0')}`;

const organization = (overrides: Partial<DocumentOrganization> = {}): DocumentOrganization => ({
  name: 'Nimbus Analytics',
  legal_name: 'Nimbus Analytics Inc.',
  legal_number: 'C4567890',
  tax_identification_number: 'US 12-3456789',
  address_line1: '100 Market Street',
  address_line2: 'Suite 300',
  city: 'San Francisco',
  zipcode: '94105',
  state: 'CA',
  country: 'US',
  email: 'billing@nimbus.example',
  invoice_footer: 'Thank you for your business. Pay by bank transfer to IBAN US00 1234 5678 9012, quoting the invoice number.',
  document_locale: 'en',
  ...overrides,
});

type Customer = InvoiceDetailJson['customer'];
type Fee = InvoiceDetailJson['fees'][number];

const customer = (overrides: Partial<Customer> = {}): Customer => ({
  lago_id: CUSTOMER_ID,
  billing_entity_code: 'nimbus',
  external_id: 'cust_globex',
  account_type: 'customer',
  name: 'Globex Corporation',
  firstname: null,
  lastname: null,
  customer_type: 'company',
  sequential_id: 7,
  slug: 'NIM-0007',
  created_at: '2025-01-10T09:00:00Z',
  updated_at: '2025-01-10T09:00:00Z',
  country: 'FR',
  address_line1: '42 Rue de Rivoli',
  address_line2: null,
  state: null,
  zipcode: '75001',
  email: 'accounts@globex.example',
  city: 'Paris',
  url: null,
  phone: null,
  logo_url: null,
  legal_name: 'Globex Corporation SAS',
  legal_number: '552 100 554',
  currency: 'USD',
  tax_identification_number: 'FR40552100554',
  timezone: 'Europe/Paris',
  applicable_timezone: 'Europe/Paris',
  net_payment_term: 30,
  external_salesforce_id: null,
  finalize_zero_amount_invoice: 'inherit',
  billing_configuration: {
    invoice_grace_period: null,
    payment_provider: null,
    payment_provider_code: null,
    document_locale: null,
    subscription_invoice_issuing_date_anchor: null,
    subscription_invoice_issuing_date_adjustment: null,
  },
  shipping_address: { address_line1: null, address_line2: null, city: null, zipcode: null, state: null, country: null },
  skip_invoice_custom_sections: false,
  metadata: [{ lago_id: uuid(90), key: 'Cost center', value: 'R&D-42', display_in_invoice: true, created_at: '2025-01-10T09:00:00Z' }],
  taxes: [],
  integration_customers: [],
  ...overrides,
});

// The billing period of March 2025 for a customer in Paris: local midnights, an hour before UTC's.
const PERIOD_FROM = '2025-02-28T23:00:00Z';
const PERIOD_TO = '2025-03-31T21:59:59Z';

let feeSeq = 100;
const fee = (currency: string, overrides: Omit<Partial<Fee>, 'item'> & { item: Partial<Fee['item']> }): Fee => {
  const { item, ...rest } = overrides;
  return {
    lago_id: uuid(++feeSeq),
    lago_charge_id: null,
    lago_charge_filter_id: null,
    lago_fixed_charge_id: null,
    lago_invoice_id: INVOICE_ID,
    lago_true_up_fee_id: null,
    lago_true_up_parent_fee_id: null,
    lago_original_fee_id: null,
    lago_subscription_id: SUBSCRIPTION_ID,
    external_subscription_id: 'sub_globex_main',
    lago_customer_id: CUSTOMER_ID,
    external_customer_id: 'cust_globex',
    item: {
      type: 'charge',
      code: 'api_calls',
      name: 'API calls',
      description: null,
      invoice_display_name: 'API calls',
      filters: null,
      filter_invoice_display_name: null,
      lago_item_id: uuid(50),
      item_type: 'BillableMetric',
      grouped_by: {},
      ...item,
    },
    pay_in_advance: false,
    invoiceable: true,
    amount_cents: 0,
    amount_currency: currency,
    precise_amount: 0,
    precise_total_amount: 0,
    taxes_amount_cents: 0,
    taxes_precise_amount: 0,
    taxes_rate: 0,
    total_aggregated_units: null,
    total_amount_cents: 0,
    total_amount_currency: currency,
    units: '0.0',
    description: null,
    precise_unit_amount: '0.0',
    precise_coupons_amount_cents: '0.0',
    sub_total_excluding_taxes_amount_cents: 0,
    sub_total_excluding_taxes_precise_amount_cents: '0.0',
    events_count: 0,
    payment_status: 'pending',
    created_at: '2025-04-01T00:05:00Z',
    succeeded_at: null,
    failed_at: null,
    refunded_at: null,
    amount_details: {},
    self_billed: false,
    pricing_unit_details: null,
    presentation_breakdowns: [],
    from_date: PERIOD_FROM,
    to_date: PERIOD_TO,
    applied_taxes: [],
    ...rest,
  };
};

const subscriptionFee = (currency: string, amountCents: number, taxRate = 0) =>
  fee(currency, {
    item: { type: 'subscription', code: 'growth', name: 'Growth', invoice_display_name: 'Growth plan', item_type: 'Subscription', lago_item_id: SUBSCRIPTION_ID },
    amount_cents: amountCents,
    units: '1.0',
    precise_unit_amount: fromCents(amountCents, currency).toString(),
    taxes_rate: taxRate,
  });

/** 1,250 API calls over three tiers: 100 at 1.00 plus a 10.00 flat fee, 900 at 0.50, 250 at 0.25 = 622.50. */
const graduatedFee = (currency: string) =>
  fee(currency, {
    item: { code: 'api_calls', name: 'API calls', invoice_display_name: 'API calls' },
    amount_cents: 62250,
    units: '1250.0',
    precise_unit_amount: '0.498',
    taxes_rate: 22.5,
    amount_details: {
      graduated_ranges: [
        { from_value: 0, to_value: 100, flat_unit_amount: '10.0', per_unit_amount: '1.0', units: '100.0', per_unit_total_amount: '100.0', total_with_flat_amount: '110.0' },
        { from_value: 101, to_value: 1000, flat_unit_amount: '0.0', per_unit_amount: '0.5', units: '900.0', per_unit_total_amount: '450.0', total_with_flat_amount: '450.0' },
        { from_value: 1001, to_value: null, flat_unit_amount: '0.0', per_unit_amount: '0.25', units: '250.0', per_unit_total_amount: '62.5', total_with_flat_amount: '62.5' },
      ],
    },
  });

const storageFee = (currency: string) =>
  fee(currency, {
    item: {
      code: 'storage',
      name: 'Storage',
      invoice_display_name: 'Storage (GB)',
      filters: { region: ['eu-west-1'] },
      filter_invoice_display_name: 'Europe (Ireland)',
    },
    amount_cents: 2410,
    units: '120.5',
    precise_unit_amount: '0.2',
    taxes_rate: 22.5,
  });

const TAXES = [
  { name: 'VAT', code: 'vat_20', rate: 20, amount: 31912 },
  { name: 'Digital services tax', code: 'dst', rate: 2.5, amount: 3989 },
];

/**
 * A finalized USD invoice of March 2025: a 999.00 subscription fee, a graduated charge of 622.50, a filtered storage
 * charge of 24.10 (fees 1,645.60), a 50.00 coupon (1,595.60), VAT 20% (319.12) and a 2.5% tax (39.89): 1,954.61.
 */
const usdInvoice = (overrides: Partial<InvoiceDetailJson> = {}): InvoiceDetailJson => ({
  lago_id: INVOICE_ID,
  billing_entity_code: 'nimbus',
  sequential_id: 12,
  number: 'NIM-20250401-012',
  purchase_order_number: null,
  issuing_date: '2025-04-01',
  payment_due_date: '2025-05-01',
  net_payment_term: 30,
  invoice_type: 'subscription',
  status: 'finalized',
  payment_status: 'pending',
  payment_dispute_lost_at: null,
  payment_overdue: false,
  currency: 'USD',
  fees_amount_cents: 164560,
  taxes_amount_cents: 35901,
  progressive_billing_credit_amount_cents: 0,
  coupons_amount_cents: 5000,
  credit_notes_amount_cents: 0,
  sub_total_excluding_taxes_amount_cents: 159560,
  sub_total_including_taxes_amount_cents: 195461,
  total_amount_cents: 195461,
  total_due_amount_cents: 195461,
  total_paid_amount_cents: 0,
  total_offsetted_credit_note_amount_cents: 0,
  prepaid_credit_amount_cents: 0,
  prepaid_granted_credit_amount_cents: null,
  prepaid_purchased_credit_amount_cents: null,
  file_url: null,
  xml_url: null,
  web_url: null,
  version_number: 4,
  self_billed: false,
  created_at: '2025-04-01T00:05:00Z',
  updated_at: '2025-04-01T00:05:00Z',
  voided_at: null,
  customer: customer(),
  metadata: [],
  applied_taxes: TAXES.map((t, i) => ({
    lago_id: uuid(60 + i),
    lago_invoice_id: INVOICE_ID,
    lago_tax_id: uuid(70 + i),
    tax_name: t.name,
    tax_code: t.code,
    tax_rate: t.rate,
    tax_description: null,
    amount_cents: t.amount,
    amount_currency: 'USD',
    fees_amount_cents: 159560,
    created_at: '2025-04-01T00:05:00Z',
  })),
  subscriptions: [
    {
      lago_id: SUBSCRIPTION_ID,
      external_id: 'sub_globex_main',
      lago_customer_id: CUSTOMER_ID,
      external_customer_id: 'cust_globex',
      billing_entity_code: 'nimbus',
      name: 'Growth plan',
      plan_code: 'growth',
      plan_amount_cents: 99900,
      plan_amount_currency: 'USD',
      status: 'active',
      billing_time: 'calendar',
      subscription_at: '2025-01-10T09:00:00Z',
      started_at: '2025-01-10T09:00:00.000Z',
      trial_ended_at: null,
      ending_at: null,
      terminated_at: null,
      canceled_at: null,
      created_at: '2025-01-10T09:00:00Z',
      previous_plan_code: null,
      next_plan_code: null,
      downgrade_plan_date: null,
      current_billing_period_started_at: '2025-03-31T22:00:00Z',
      current_billing_period_ending_at: '2025-04-30T21:59:59Z',
      on_termination_credit_note: null,
      on_termination_invoice: 'generate',
      progressive_billing_disabled: false,
      consolidate_invoice: true,
      purchase_order_number: null,
      cancellation_reason: null,
      activated_at: '2025-01-10T09:00:00Z',
      payment_method: { payment_method_id: null, payment_method_type: 'provider' },
      activation_rules: [],
    },
  ],
  billing_periods: [
    {
      lago_subscription_id: SUBSCRIPTION_ID,
      external_subscription_id: 'sub_globex_main',
      lago_plan_id: uuid(80),
      subscription_from_datetime: PERIOD_FROM,
      subscription_to_datetime: PERIOD_TO,
      charges_from_datetime: PERIOD_FROM,
      charges_to_datetime: PERIOD_TO,
      fixed_charges_from_datetime: null,
      fixed_charges_to_datetime: null,
      invoicing_reason: 'subscription_periodic',
    },
  ],
  fees: [subscriptionFee('USD', 99900, 22.5), graduatedFee('USD'), storageFee('USD')],
  credits: [
    {
      lago_id: uuid(40),
      amount_cents: 5000,
      amount_currency: 'USD',
      before_taxes: true,
      item: { lago_item_id: uuid(41), type: 'coupon', code: 'welcome50', name: 'Welcome offer', description: null },
      invoice: { lago_id: INVOICE_ID, payment_status: 'pending' },
    },
  ],
  error_details: [],
  applied_invoice_custom_sections: [],
  ...overrides,
});

/** An invoice in another currency with one subscription fee and no tax or coupon. */
const singleFeeInvoice = (currency: string, cents: number): InvoiceDetailJson =>
  usdInvoice({
    currency,
    fees: [subscriptionFee(currency, cents)],
    credits: [],
    applied_taxes: [],
    fees_amount_cents: cents,
    taxes_amount_cents: 0,
    coupons_amount_cents: 0,
    sub_total_excluding_taxes_amount_cents: cents,
    sub_total_including_taxes_amount_cents: cents,
    total_amount_cents: cents,
    total_due_amount_cents: cents,
  });

/** 300 usage charges, one per filter value, 1.00 each plus the subscription fee. */
const longInvoice = (): InvoiceDetailJson => {
  const charges = Array.from({ length: 300 }, (_, i) =>
    fee('USD', {
      item: { code: 'compute', name: 'Compute hours', invoice_display_name: 'Compute hours', filter_invoice_display_name: `Cluster ${String(i + 1).padStart(3, '0')}` },
      amount_cents: 100,
      units: '4.0',
      precise_unit_amount: '0.25',
    }),
  );
  const total = 99900 + 300 * 100;
  return usdInvoice({
    fees: [subscriptionFee('USD', 99900), ...charges],
    credits: [],
    applied_taxes: [],
    fees_amount_cents: total,
    taxes_amount_cents: 0,
    coupons_amount_cents: 0,
    sub_total_excluding_taxes_amount_cents: total,
    sub_total_including_taxes_amount_cents: total,
    total_amount_cents: total,
    total_due_amount_cents: total,
  });
};

// ---- tests ---------------------------------------------------------------------------------------------------------

describe('document number formats', () => {
  test('amounts carry the currency code and its exponent', () => {
    assert.equal(formatMoney(123456, 'USD'), 'USD 1,234.56');
    assert.equal(formatMoney(123456, 'JPY'), 'JPY 123,456');
    assert.equal(formatMoney(123456, 'KWD'), 'KWD 123.456');
    assert.equal(formatMoney(-5000, 'EUR'), '-EUR 50.00');
    assert.equal(formatMoney(0, 'BHD'), 'BHD 0.000');
    assert.equal(formatAmount('100.125', 'USD'), 'USD 100.13');
    assert.equal(formatAmount('-0.001', 'USD'), 'USD 0.00');
  });

  test('unit prices keep their finer digits, quantities drop trailing zeros', () => {
    assert.equal(formatUnitPrice('0.0002', 'USD'), 'USD 0.0002');
    assert.equal(formatUnitPrice('5', 'USD'), 'USD 5.00');
    assert.equal(formatUnitPrice('12', 'JPY'), 'JPY 12');
    assert.equal(formatQuantity('1250.0'), '1,250');
    assert.equal(formatQuantity('120.5'), '120.5');
  });
});

describe('invoice layout', () => {
  test('package, volume and percentage fees are explained by their amount details', () => {
    const charge = (code: string, amountCents: number, units: string, amount_details: Record<string, unknown>) =>
      fee('USD', { item: { code, name: code, invoice_display_name: code }, amount_cents: amountCents, units, amount_details });
    const layout = invoiceLayout({
      invoice: usdInvoice({
        applied_taxes: [],
        fees: [
          charge('bandwidth', 120000, '121.0', { free_units: '10.0', paid_units: '111.0', per_package_size: 10, per_package_unit_amount: '100.0' }),
          charge('messages', 20000, '300.0', { flat_unit_amount: '50.0', per_unit_amount: '0.5', per_unit_total_amount: '150.0' }),
          charge('transfers', 50030, '12.0', {
            graduated_percentage_ranges: [
              { from_value: 0, to_value: 10, flat_unit_amount: '200.0', rate: '1.0', units: '10.0', per_unit_total_amount: '0.1', total_with_flat_amount: '200.1' },
              { from_value: 11, to_value: 20, flat_unit_amount: '300.0', rate: '2.0', units: '2.0', per_unit_total_amount: '0.04', total_with_flat_amount: '300.04' },
            ],
          }),
          charge('payments', 1115, '800.0', {
            units: '800.0', free_units: '250.0', free_events: 2, paid_units: '550.0', rate: '1.3', per_unit_total_amount: '7.15',
            paid_events: 2, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '4.0', min_max_adjustment_total_amount: '0.0',
          }),
        ],
      }),
      organization: organization(),
    });
    const rows = layout.sections.flatMap((s) => s.items.map((i) => `${i.kind === 'breakdown' ? '  ' : ''}${i.cells.join(' | ')}`));
    assert.deepEqual(rows, [
      'bandwidth | 121 |  | USD 1,200.00',
      '  Free units | 10 |  | USD 0.00',
      '  Packages of 10 units | 12 | USD 100.00 | USD 1,200.00',
      'messages | 300 |  | USD 200.00',
      '  Per unit | 300 | USD 0.50 | USD 150.00',
      '  Flat fee |  |  | USD 50.00',
      'transfers | 12 |  | USD 500.30',
      '  Tier 1: 0 – 10 | 10 | 1% | USD 0.10',
      '  Tier 1: flat fee |  |  | USD 200.00',
      '  Tier 2: 11 – 20 | 2 | 2% | USD 0.04',
      '  Tier 2: flat fee |  |  | USD 300.00',
      'payments | 800 |  | USD 11.15',
      '  Free units | 250 |  | USD 0.00',
      '  1.3% of paid units | 550 | 1.3% | USD 7.15',
      '  Per transaction fee | 2 | USD 2.00 | USD 4.00',
    ]);
  });

  test('the totals follow the computation: fees, coupon, subtotal, each tax, subtotal with taxes, total due', () => {
    const layout = invoiceLayout({ invoice: usdInvoice(), organization: organization() });
    assert.deepEqual(
      layout.totals.map((t) => (t.note ? [t.label, t.note, t.value] : [t.label, t.value])),
      [
        ['Subtotal', 'USD 1,645.60'],
        ['Coupon Welcome offer', '-USD 50.00'],
        ['Subtotal excl. taxes', 'USD 1,595.60'],
        ['VAT (20%)', 'on USD 1,595.60', 'USD 319.12'],
        ['Digital services tax (2.5%)', 'on USD 1,595.60', 'USD 39.89'],
        ['Subtotal incl. taxes', 'USD 1,954.61'],
        ['Total due', 'USD 1,954.61'],
      ],
    );
  });

  test('charges with no usage and no amount are left off; prepaid credits and credit notes show when nonzero', () => {
    const idle = fee('USD', { item: { code: 'idle', name: 'Idle metric', invoice_display_name: 'Idle metric' } });
    const layout = invoiceLayout({
      invoice: usdInvoice({ fees: [...usdInvoice().fees, idle], prepaid_credit_amount_cents: 10000, credit_notes_amount_cents: 2500, total_amount_cents: 182961, total_due_amount_cents: 182961 }),
      organization: organization(),
    });
    const labels = layout.sections.flatMap((s) => s.items.map((i) => i.cells[0]));
    assert.ok(!labels.includes('Idle metric'));
    const totals = new Map(layout.totals.map((t) => [t.label, t.value]));
    assert.equal(totals.get('Prepaid credits'), '-USD 100.00');
    assert.equal(totals.get('Credit notes'), '-USD 25.00');
    assert.equal(totals.get('Total due'), 'USD 1,829.61');
  });
});

test('the same invoice renders to the same bytes, whatever the clock says', async () => {
  const doc = { invoice: usdInvoice(), organization: organization() };
  const a = await renderInvoicePdf(doc);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const b = await renderInvoicePdf(doc);
  assert.equal(a.subarray(0, 5).toString(), '%PDF-');
  assert.ok(a.equals(b));
});

describe('invoice PDF', { skip: needsPoppler }, () => {
  test('shows the number, both parties, every fee and tier, the coupon, each tax and the totals', async () => {
    const { text } = await textOf({ invoice: usdInvoice(), organization: organization() });
    for (const expected of [
      'Invoice',
      'NIM-20250401-012',
      'Apr 1, 2025', // issue date
      'May 1, 2025', // due date
      // the issuer
      'Nimbus Analytics',
      'Nimbus Analytics Inc.',
      '100 Market Street',
      'San Francisco, CA 94105',
      'United States',
      'billing@nimbus.example',
      'Tax ID: US 12-3456789',
      // the customer
      'Globex Corporation',
      'Globex Corporation SAS',
      '42 Rue de Rivoli',
      '75001 Paris',
      'France',
      'accounts@globex.example',
      'Tax ID: FR40552100554',
      'Cost center: R&D-42',
      // the subscription and its period, as local days in Paris
      'Growth plan',
      'Billing period: Mar 1, 2025 – Mar 31, 2025',
      'Subscription fee 1 USD 999.00 22.5% USD 999.00',
      // the graduated charge and each of its tiers
      'API calls 1,250 22.5% USD 622.50',
      'Tier 1: 0 – 100 100 USD 1.00 USD 100.00',
      'Tier 1: flat fee USD 10.00',
      'Tier 2: 101 – 1,000 900 USD 0.50 USD 450.00',
      'Tier 3: 1,001 and above 250 USD 0.25 USD 62.50',
      // the filtered charge
      'Storage (GB) 120.5 USD 0.20 22.5% USD 24.10',
      'Europe (Ireland)',
      // totals
      'Subtotal USD 1,645.60',
      'Coupon Welcome offer -USD 50.00',
      'Subtotal excl. taxes USD 1,595.60',
      'VAT (20%) USD 319.12',
      'Digital services tax (2.5%) USD 39.89',
      'on USD 1,595.60',
      'Subtotal incl. taxes USD 1,954.61',
      'Total due USD 1,954.61',
      'Thank you for your business.',
      'Page 1 of 1',
    ]) {
      assert.ok(text.includes(expected), `missing ${JSON.stringify(expected)} in:\n${text}`);
    }
    assert.ok(!text.includes('DRAFT') && !text.includes('VOIDED'), 'a finalized, unpaid invoice carries no marker');
  });

  test('JPY amounts print without decimals and KWD amounts with three', async () => {
    const jpy = (await textOf({ invoice: singleFeeInvoice('JPY', 1234567), organization: organization() })).text;
    assert.ok(jpy.includes('Total due JPY 1,234,567'), jpy);
    assert.ok(!/JPY [\d,]+\.\d/.test(jpy), `a JPY amount with decimals in:\n${jpy}`);

    const kwd = (await textOf({ invoice: singleFeeInvoice('KWD', 1234567), organization: organization() })).text;
    assert.ok(kwd.includes('Total due KWD 1,234.567'), kwd);
    assert.ok(kwd.includes('Subscription fee 1 KWD 1,234.567 KWD 1,234.567'), kwd);
    assert.ok(!/KWD [\d,]+\.(\d{2}|\d{4,})\b/.test(kwd), `a KWD amount without three decimals in:\n${kwd}`);
  });

  test('Cyrillic and Greek names come out as written', async () => {
    const { text } = await textOf({
      invoice: usdInvoice({
        customer: customer({ name: 'Иван Петрович Сидоров', legal_name: 'Αθηναϊκή Εταιρεία Λογισμικού Α.Ε.', city: 'Αθήνα', zipcode: '105 57', country: 'GR' }),
      }),
      organization: organization({ name: 'Облачные Решения', legal_name: null }),
    });
    for (const expected of ['Иван Петрович Сидоров', 'Αθηναϊκή Εταιρεία Λογισμικού Α.Ε.', '105 57 Αθήνα', 'Greece', 'Облачные Решения']) {
      assert.ok(text.includes(expected), `missing ${expected} in:\n${text}`);
    }
  });

  test('a draft and a voided invoice say so', async () => {
    const draft = (await textOf({ invoice: usdInvoice({ status: 'draft' }), organization: organization() })).text;
    assert.ok(draft.includes('DRAFT'), draft);
    assert.ok(draft.includes('not a request for payment'), draft);

    const voided = (
      await textOf({
        invoice: usdInvoice({ status: 'voided', voided_at: '2025-04-03T10:00:00Z', total_due_amount_cents: 0 }),
        organization: organization(),
      })
    ).text;
    assert.ok(voided.includes('VOIDED'), voided);
    assert.ok(voided.includes('voided on Apr 3, 2025'), voided);
    assert.ok(voided.includes('Total USD 1,954.61') && voided.includes('Total due USD 0.00'), voided);
  });

  test('a 300-fee invoice runs over several numbered pages, the table header on each, and every page renders', async () => {
    const { path } = await textOf({ invoice: longInvoice(), organization: organization() });
    const pages = pageCount(path);
    assert.ok(pages >= 3, `expected several pages, got ${pages}`);
    for (let page = 1; page <= pages; page++) {
      const text = squeezed(pdfText(path, page));
      assert.ok(text.includes(`Page ${page} of ${pages}`), `page ${page}:\n${text}`);
      assert.ok(/Item Units Unit price Amount/.test(text), `no table header on page ${page}:\n${text}`);
      assert.ok(text.includes('Growth plan'), `no section title on page ${page}`);
    }
    const all = squeezed(pdfText(path));
    for (const n of [1, 150, 300]) assert.ok(all.includes(`Cluster ${String(n).padStart(3, '0')}`), `no fee ${n}`);
    assert.ok(all.includes('Total due USD 1,299.00'), 'no total');

    const prefix = join(workDir, 'long-page');
    run('pdftoppm', ['-png', '-r', '50', path, prefix]);
    const images = readdirSync(workDir).filter((f) => f.startsWith('long-page') && f.endsWith('.png'));
    assert.equal(images.length, pages);
    for (const image of images) assert.ok(statSync(join(workDir, image)).size > 1000, `${image} is empty`);
  });
});

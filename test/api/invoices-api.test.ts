import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FeeObject, InvoiceObject, InvoiceObjectExtended } from 'lago-javascript-client';
import { newId } from '../../src/lib/ids.ts';
import * as invoicesRepo from '../../src/modules/invoices/repository.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';

const NOT_FOUND = (code: string) => ({ status: 404, error: 'Not Found', code });
const NOT_ALLOWED = (code: string) => ({ status: 405, error: 'Method Not Allowed', code });
const UNPROCESSABLE = (details: Record<string, unknown>) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details });

/** The error body of a client call that must fail. */
const failure = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (error) {
    return lagoError(error);
  }
  assert.fail('the call succeeded');
};

const at = (iso: string) => new Date(iso);

/** Everything an invoice row needs, zero amounts unless given. */
const invoiceRow = (organizationId: string, customerId: string, fields: Partial<Parameters<typeof invoicesRepo.insertInvoice>[1]>) => ({
  organizationId,
  id: newId(),
  customerId,
  number: 'INV-DRAFT',
  invoiceType: 'subscription',
  status: 'finalized',
  paymentStatus: 'pending',
  currency: 'EUR',
  issuingDate: '2024-01-01',
  paymentDueDate: '2024-01-01',
  netPaymentTerm: 0,
  feesAmountCents: 0n,
  couponsAmountCents: 0n,
  progressiveBillingCreditAmountCents: 0n,
  subTotalExcludingTaxesAmountCents: 0n,
  taxesAmountCents: 0n,
  taxesRate: '0',
  subTotalIncludingTaxesAmountCents: 0n,
  creditNotesAmountCents: 0n,
  prepaidCreditAmountCents: 0n,
  totalAmountCents: 0n,
  totalPaidAmountCents: 0n,
  errorDetails: [],
  versionNumber: 4,
  paymentOverdue: false,
  createdAt: at('2024-01-01T00:00:00Z'),
  updatedAt: at('2024-01-01T00:00:00Z'),
  ...fields,
});

const feeRow = (organizationId: string, customerId: string, fields: Record<string, unknown>) => ({
  organizationId,
  id: newId(),
  customerId,
  feeKey: `key-${newId()}`,
  groupedBy: {},
  amountCurrency: 'EUR',
  preciseAmountCents: '0',
  amountCents: 0n,
  unitAmountCents: 0n,
  preciseUnitAmount: '0',
  units: '0',
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
  createdAt: at('2024-01-01T00:00:00Z'),
  updatedAt: at('2024-01-01T00:00:00Z'),
  ...fields,
}) as Parameters<typeof invoicesRepo.insertFees>[1][number];

describe('invoices and fees through the Lago client', () => {
  let t: TestApp;
  let key: string;
  let otherKey: string;
  let orgId: string;
  const ids = {} as Record<
    | 'alice' | 'bob' | 'sub' | 'plan' | 'metric' | 'charge' | 'filter' | 'addOn' | 'tax' | 'applied'
    | 'finalized' | 'draft' | 'oneOff' | 'closed' | 'generating'
    | 'subFee' | 'chargeFee' | 'draftFee' | 'addOnFee' | 'looseFee',
    string
  >;

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ name: 'Invoices Co', testClock: '2024-03-01T10:00:00Z' }));
    ({ key: otherKey } = await t.newOrganization({ name: 'Other Co' }));
    const client = t.client(key);
    ids.tax = (await client.taxes.createTax({ tax: { name: 'VAT', code: 'vat', rate: '20' } })).data.tax.lago_id;
    ids.metric = (
      await client.billableMetrics.createBillableMetric({
        billable_metric: {
          name: 'API calls',
          code: 'api_calls',
          description: 'Requests',
          aggregation_type: 'sum_agg',
          field_name: 'value',
          filters: [{ key: 'region', values: ['eu', 'us'] }],
        },
      })
    ).data.billable_metric.lago_id;
    const plan = (
      await client.plans.createPlan({
        plan: {
          name: 'Startup',
          code: 'startup',
          description: 'For starters',
          interval: 'monthly',
          amount_cents: 10_000,
          amount_currency: 'EUR',
          pay_in_advance: false,
          charges: [
            {
              billable_metric_id: ids.metric,
              charge_model: 'standard',
              properties: { amount: '0.5' },
              filters: [{ invoice_display_name: 'Europe', properties: { amount: '0.5' }, values: { region: ['eu'] } }],
            },
          ],
        },
      } as never)
    ).data.plan;
    ids.plan = plan.lago_id;
    ids.charge = plan.charges![0]!.lago_id;
    ids.filter = (plan.charges![0]!.filters![0]! as unknown as { lago_id: string }).lago_id;
    ids.addOn = (await client.addOns.createAddOn({ add_on: { name: 'Setup', code: 'setup', amount_cents: 2_000, amount_currency: 'USD' } })).data.add_on.lago_id;
    ids.alice = (await client.customers.createCustomer({ customer: { external_id: 'cust_alice', name: 'Alice Corp', currency: 'EUR' } })).data.customer.lago_id;
    ids.bob = (await client.customers.createCustomer({ customer: { external_id: 'cust_bob', name: 'Bob Ltd', email: 'bob@example.com' } })).data.customer.lago_id;
    ids.sub = (await client.subscriptions.createSubscription({ subscription: { external_customer_id: 'cust_alice', plan_code: 'startup', external_id: 'sub_alice' } }))
      .data.subscription.lago_id;
    await client.coupons.createCoupon({
      coupon: { name: 'Welcome', code: 'welcome', description: 'New customers', coupon_type: 'fixed_amount', amount_cents: 800, amount_currency: 'EUR', frequency: 'once', expiration: 'no_expiration' },
    });
    ids.applied = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'cust_alice', coupon_code: 'welcome' } })).data.applied_coupon.lago_id;

    const db = t.database.db;
    // A finalized February invoice: 10000 plan + 125 of usage, 500 of the coupon, 20% VAT.
    const finalized = await invoicesRepo.insertInvoice(
      db,
      invoiceRow(orgId, ids.alice, {
        number: 'INV-001-001',
        sequentialId: 1,
        organizationSequentialId: 1,
        issuingDate: '2024-02-01',
        paymentDueDate: '2024-03-02',
        netPaymentTerm: 30,
        feesAmountCents: 10_125n,
        couponsAmountCents: 500n,
        subTotalExcludingTaxesAmountCents: 9_625n,
        taxesAmountCents: 1_925n,
        taxesRate: '20',
        subTotalIncludingTaxesAmountCents: 11_550n,
        totalAmountCents: 11_550n,
        finalizedAt: at('2024-02-01T00:00:00Z'),
        createdAt: at('2024-02-01T00:00:00Z'),
        updatedAt: at('2024-02-01T00:00:00Z'),
      }),
    );
    ids.finalized = finalized.id;
    const january = { fromDatetime: at('2024-01-01T00:00:00Z'), toDatetime: at('2024-01-31T23:59:59Z') };
    const subFee = feeRow(orgId, ids.alice, {
      invoiceId: finalized.id,
      subscriptionId: ids.sub,
      feeType: 'subscription',
      feeKey: 'subscription',
      amountCents: 10_000n,
      preciseAmountCents: '10000',
      unitAmountCents: 10_000n,
      preciseUnitAmount: '100',
      units: '1',
      amountDetails: { plan_amount_cents: 10_000 },
      preciseCouponsAmountCents: '493.82716',
      taxesAmountCents: 1_901n,
      taxesPreciseAmountCents: '1901.234568',
      taxesRate: '20',
      position: 0,
      ...january,
      createdAt: at('2024-02-01T00:00:00Z'),
    });
    const chargeFee = feeRow(orgId, ids.alice, {
      invoiceId: finalized.id,
      subscriptionId: ids.sub,
      feeType: 'charge',
      feeKey: `charge:${ids.charge}:${ids.filter}:`,
      chargeId: ids.charge,
      chargeFilterId: ids.filter,
      billableMetricId: ids.metric,
      amountCents: 125n,
      preciseAmountCents: '125',
      unitAmountCents: 1n,
      preciseUnitAmount: '0.5',
      units: '250',
      totalAggregatedUnits: '250',
      eventsCount: 3n,
      preciseCouponsAmountCents: '6.17284',
      taxesAmountCents: 24n,
      taxesPreciseAmountCents: '23.765432',
      taxesRate: '20',
      position: 1,
      ...january,
      createdAt: at('2024-02-01T00:00:00Z'),
    });
    ids.subFee = subFee.id!;
    ids.chargeFee = chargeFee.id!;
    await invoicesRepo.insertFees(db, [subFee, chargeFee]);
    const feeTax = (feeId: string, amountCents: bigint, precise: string) => ({
      organizationId: orgId,
      id: newId(),
      feeId,
      taxId: ids.tax,
      taxCode: 'vat',
      taxName: 'VAT',
      taxRate: '20',
      taxDescription: null,
      amountCents,
      preciseAmountCents: precise,
      amountCurrency: 'EUR',
      createdAt: at('2024-02-01T00:00:00Z'),
    });
    await invoicesRepo.insertFeeAppliedTaxes(db, [feeTax(ids.subFee, 1_901n, '1901.234568'), feeTax(ids.chargeFee, 24n, '23.765432')]);
    await invoicesRepo.insertInvoiceAppliedTaxes(db, [
      {
        organizationId: orgId,
        id: newId(),
        invoiceId: finalized.id,
        taxId: ids.tax,
        taxCode: 'vat',
        taxName: 'VAT',
        taxRate: '20',
        taxDescription: null,
        amountCents: 1_925n,
        feesAmountCents: 9_625n,
        amountCurrency: 'EUR',
        createdAt: at('2024-02-01T00:00:00Z'),
      },
    ]);
    const credit = (invoiceId: string, amountCents: bigint, createdAt: Date) => ({
      organizationId: orgId,
      id: newId(),
      invoiceId,
      appliedCouponId: ids.applied,
      amountCents,
      amountCurrency: 'EUR',
      beforeTaxes: true,
      createdAt,
    });
    await invoicesRepo.insertCredits(db, [credit(finalized.id, 500n, at('2024-02-01T00:00:00Z'))]);
    await invoicesRepo.claimInvoiceSubscription(db, {
      organizationId: orgId,
      id: newId(),
      invoiceId: finalized.id,
      subscriptionId: ids.sub,
      invoicingReason: 'subscription_periodic',
      billingDate: '2024-02-01',
      timestamp: at('2024-02-01T00:00:00Z'),
      fromDatetime: january.fromDatetime,
      toDatetime: january.toDatetime,
      chargesFromDatetime: january.fromDatetime,
      chargesToDatetime: january.toDatetime,
      createdAt: at('2024-02-01T00:00:00Z'),
    });

    // A March draft still in its grace period: the plan, 300 of the coupon (which it used up), 20% VAT.
    const draft = await invoicesRepo.insertInvoice(
      db,
      invoiceRow(orgId, ids.alice, {
        status: 'draft',
        issuingDate: '2024-03-01',
        paymentDueDate: '2024-03-31',
        netPaymentTerm: 30,
        finalizeAt: at('2024-03-04T00:00:00Z'),
        feesAmountCents: 10_000n,
        couponsAmountCents: 300n,
        subTotalExcludingTaxesAmountCents: 9_700n,
        taxesAmountCents: 1_940n,
        subTotalIncludingTaxesAmountCents: 11_640n,
        totalAmountCents: 11_640n,
        createdAt: at('2024-03-01T00:00:00Z'),
        updatedAt: at('2024-03-01T00:00:00Z'),
      }),
    );
    ids.draft = draft.id;
    const draftFee = feeRow(orgId, ids.alice, {
      invoiceId: draft.id,
      subscriptionId: ids.sub,
      feeType: 'subscription',
      feeKey: 'subscription',
      amountCents: 10_000n,
      preciseAmountCents: '10000',
      units: '1',
      preciseCouponsAmountCents: '300',
      taxesAmountCents: 1_940n,
      taxesPreciseAmountCents: '1940',
      taxesRate: '20',
      fromDatetime: at('2024-02-01T00:00:00Z'),
      toDatetime: at('2024-02-29T23:59:59Z'),
      createdAt: at('2024-03-01T00:00:00Z'),
    });
    ids.draftFee = draftFee.id!;
    await invoicesRepo.insertFees(db, [draftFee]);
    await invoicesRepo.insertCredits(db, [credit(draft.id, 300n, at('2024-03-01T00:00:00Z'))]);
    await invoicesRepo.updateAppliedCoupon(db, orgId, ids.applied, { amountCentsRemaining: 0n, status: 'terminated', terminatedAt: at('2024-03-01T00:00:00Z') });

    // Bob's one-off invoice in USD, overdue.
    const oneOff = await invoicesRepo.insertInvoice(
      db,
      invoiceRow(orgId, ids.bob, {
        number: 'INV-002-001',
        sequentialId: 1,
        organizationSequentialId: 2,
        invoiceType: 'one_off',
        currency: 'USD',
        issuingDate: '2024-01-15',
        paymentDueDate: '2024-01-15',
        paymentOverdue: true,
        feesAmountCents: 2_000n,
        subTotalExcludingTaxesAmountCents: 2_000n,
        subTotalIncludingTaxesAmountCents: 2_000n,
        totalAmountCents: 2_000n,
        createdAt: at('2024-01-15T00:00:00Z'),
        updatedAt: at('2024-01-15T00:00:00Z'),
      }),
    );
    ids.oneOff = oneOff.id;
    const addOnFee = feeRow(orgId, ids.bob, {
      invoiceId: oneOff.id,
      feeType: 'add_on',
      addOnId: ids.addOn,
      amountCurrency: 'USD',
      amountCents: 2_000n,
      preciseAmountCents: '2000',
      unitAmountCents: 2_000n,
      preciseUnitAmount: '20',
      units: '1',
      description: 'Onboarding',
      fromDatetime: at('2024-01-15T00:00:00Z'),
      toDatetime: at('2024-01-15T00:00:00Z'),
      createdAt: at('2024-01-15T00:00:00Z'),
    });
    ids.addOnFee = addOnFee.id!;
    // A fee paid in advance and left out of invoices (no invoice).
    const looseFee = feeRow(orgId, ids.alice, {
      subscriptionId: ids.sub,
      feeType: 'charge',
      chargeId: ids.charge,
      billableMetricId: ids.metric,
      payInAdvance: true,
      amountCents: 50n,
      preciseAmountCents: '50',
      units: '1',
      createdAt: at('2024-03-01T09:00:00Z'),
    });
    ids.looseFee = looseFee.id!;
    await invoicesRepo.insertFees(db, [addOnFee, looseFee]);

    // Invoices Billow keeps to itself.
    ids.closed = (await invoicesRepo.insertInvoice(db, invoiceRow(orgId, ids.bob, { status: 'closed', issuingDate: '2024-02-10' }))).id;
    ids.generating = (await invoicesRepo.insertInvoice(db, invoiceRow(orgId, ids.bob, { status: 'generating', issuingDate: '2024-02-11' }))).id;
  });
  after(() => t.close());

  const list = async (query: Record<string, unknown>) => (await t.client(key).invoices.findAllInvoices(query as never)).data;
  const listedIds = async (query: Record<string, unknown>) => (await list(query)).invoices.map((i) => i.lago_id);

  test('lists visible invoices, latest issued first, with customer, metadata and taxes; never generating or closed ones', async () => {
    const { invoices, meta } = await list({});
    assert.deepEqual(
      invoices.map((i) => i.lago_id),
      [ids.draft, ids.finalized, ids.oneOff],
    );
    assert.deepEqual(meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 3 });
    const february = invoices[1]! as InvoiceObject & Record<string, unknown>;
    assert.deepEqual(
      { ...february, customer: february.customer?.external_id },
      {
        lago_id: ids.finalized,
        billing_entity_code: 'invoices_co',
        sequential_id: 1,
        number: 'INV-001-001',
        purchase_order_number: null,
        issuing_date: '2024-02-01',
        payment_due_date: '2024-03-02',
        net_payment_term: 30,
        invoice_type: 'subscription',
        status: 'finalized',
        payment_status: 'pending',
        payment_dispute_lost_at: null,
        payment_overdue: false,
        currency: 'EUR',
        fees_amount_cents: 10_125,
        taxes_amount_cents: 1_925,
        progressive_billing_credit_amount_cents: 0,
        coupons_amount_cents: 500,
        credit_notes_amount_cents: 0,
        sub_total_excluding_taxes_amount_cents: 9_625,
        sub_total_including_taxes_amount_cents: 11_550,
        total_amount_cents: 11_550,
        total_due_amount_cents: 11_550,
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
        created_at: '2024-02-01T00:00:00Z',
        updated_at: '2024-02-01T00:00:00Z',
        voided_at: null,
        customer: 'cust_alice',
        metadata: [],
        applied_taxes: [
          {
            lago_id: february.applied_taxes![0]!.lago_id,
            lago_invoice_id: ids.finalized,
            lago_tax_id: ids.tax,
            tax_name: 'VAT',
            tax_code: 'vat',
            tax_rate: 20,
            tax_description: null,
            amount_cents: 1_925,
            amount_currency: 'EUR',
            fees_amount_cents: 9_625,
            created_at: '2024-02-01T00:00:00Z',
          },
        ],
      },
    );
    assert.equal(invoices[0]!.sequential_id, null, 'a draft has no number yet');
  });

  test("Lago's list filters, alone and together", async () => {
    assert.deepEqual(await listedIds({ external_customer_id: 'cust_bob' }), [ids.oneOff]);
    assert.deepEqual(await listedIds({ external_customer_id: 'nobody' }), []);
    assert.deepEqual(await listedIds({ 'statuses[]': ['draft'] }), [ids.draft]);
    assert.deepEqual(await listedIds({ 'statuses[]': ['draft', 'finalized'] }), [ids.draft, ids.finalized, ids.oneOff]);
    assert.deepEqual(await listedIds({ status: 'finalized' }), [ids.finalized, ids.oneOff]);
    assert.deepEqual(await listedIds({ 'payment_statuses[]': ['succeeded'] }), []);
    assert.deepEqual(await listedIds({ payment_status: 'pending', invoice_type: 'one_off' }), [ids.oneOff]);
    assert.deepEqual(await listedIds({ currency: 'USD' }), [ids.oneOff]);
    assert.deepEqual(await listedIds({ amount_from: 11_600 }), [ids.draft]);
    assert.deepEqual(await listedIds({ amount_from: 2_000, amount_to: 11_550 }), [ids.finalized, ids.oneOff]);
    assert.deepEqual(await listedIds({ issuing_date_from: '2024-02-01' }), [ids.draft, ids.finalized]);
    assert.deepEqual(await listedIds({ issuing_date_from: '2024-01-01', issuing_date_to: '2024-01-31' }), [ids.oneOff]);
    assert.deepEqual(await listedIds({ payment_overdue: true }), [ids.oneOff]);
    assert.deepEqual(await listedIds({ payment_overdue: false }), [ids.draft, ids.finalized]);
    assert.deepEqual(await listedIds({ search_term: 'alice' }), [ids.draft, ids.finalized], 'customer name, case-insensitive');
    assert.deepEqual(await listedIds({ search_term: 'bob@example' }), [ids.oneOff], 'customer email');
    assert.deepEqual(await listedIds({ search_term: 'INV-002' }), [ids.oneOff], 'invoice number');
    assert.deepEqual(await listedIds({ search_term: ids.finalized }), [ids.finalized], 'lago_id');
    assert.deepEqual(await listedIds({ search_term: '100%' }), [], 'LIKE wildcards match literally');
    assert.deepEqual(await listedIds({ self_billed: true }), []);
    assert.deepEqual(await listedIds({ 'billing_entity_codes[]': ['invoices_co'] }), [ids.draft, ids.finalized, ids.oneOff]);

    const paged = await list({ per_page: 2, page: 2 });
    assert.deepEqual(paged.invoices.map((i) => i.lago_id), [ids.oneOff]);
    assert.deepEqual(paged.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 });

    const client = t.client(key);
    const alices = (await client.customers.findAllCustomerInvoices('cust_alice', {})).data;
    assert.deepEqual(alices.invoices.map((i) => i.lago_id), [ids.draft, ids.finalized]);
    // Scoped to a customer, the search does not look at customers.
    assert.deepEqual((await client.customers.findAllCustomerInvoices('cust_alice', { search_term: 'alice' })).data.invoices, []);
    assert.deepEqual(await failure(client.customers.findAllCustomerInvoices('nobody', {})), { status: 404, body: NOT_FOUND('customer_not_found') });
  });

  test('bad list filters are refused with 422 (or 404 for an unknown billing entity)', async () => {
    const client = t.client(key);
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ status: 'generating' }, { status: ['value_is_invalid'] }],
      [{ 'statuses[]': ['draft', 'closed'] }, { status: ['value_is_invalid'] }],
      [{ 'payment_statuses[]': ['paid'] }, { payment_status: ['value_is_invalid'] }],
      [{ payment_overdue: 'maybe' }, { payment_overdue: ['value_is_invalid'] }],
      [{ invoice_type: 'bogus' }, { invoice_type: ['value_is_invalid'] }],
      [{ currency: 'XXX' }, { currency: ['value_is_invalid'] }],
      [{ amount_from: 'ten' }, { amount_from: ['value_is_invalid'] }],
      [{ issuing_date_from: '2024-13-01', issuing_date_to: 'yesterday' }, { issuing_date_from: ['invalid_date'], issuing_date_to: ['invalid_date'] }],
    ];
    for (const [query, details] of cases) {
      assert.deepEqual(await failure(client.invoices.findAllInvoices(query as never)), { status: 422, body: UNPROCESSABLE(details) }, JSON.stringify(query));
    }
    assert.deepEqual(await failure(client.invoices.findAllInvoices({ 'billing_entity_codes[]': ['elsewhere'] })), {
      status: 404,
      body: NOT_FOUND('billing_entity_not_found'),
    });
    for (const [query, details] of [
      [{ fee_type: 'bogus' }, { fee_type: ['value_is_invalid'] }],
      [{ payment_status: 'paid' }, { payment_status: ['value_is_invalid'] }],
      [{ created_at_from: 'soon', refunded_at_to: '2024-02-30' }, { created_at_from: ['invalid_date'], refunded_at_to: ['invalid_date'] }],
      [{ currency: 'euros' }, { currency: ['value_is_invalid'] }],
    ] as const) {
      assert.deepEqual(await failure(client.fees.findAllFees(query as never)), { status: 422, body: UNPROCESSABLE(details) }, JSON.stringify(query));
    }
  });

  test('GET one invoice: customer, subscriptions, billing periods, fees with their items and taxes, coupon credits', async () => {
    const invoice = (await t.client(key).invoices.findInvoice(ids.finalized)).data.invoice as InvoiceObjectExtended & Record<string, unknown>;
    assert.equal(invoice.total_amount_cents, 11_550);
    assert.equal(invoice.customer!.lago_id, ids.alice);
    assert.equal(invoice.customer!.name, 'Alice Corp');
    assert.deepEqual(
      invoice.subscriptions!.map((s) => [s.lago_id, s.external_id, s.plan_code]),
      [[ids.sub, 'sub_alice', 'startup']],
    );
    assert.deepEqual(invoice.billing_periods, [
      {
        lago_subscription_id: ids.sub,
        external_subscription_id: 'sub_alice',
        lago_plan_id: ids.plan,
        subscription_from_datetime: '2024-01-01T00:00:00Z',
        subscription_to_datetime: '2024-01-31T23:59:59Z',
        charges_from_datetime: '2024-01-01T00:00:00Z',
        charges_to_datetime: '2024-01-31T23:59:59Z',
        fixed_charges_from_datetime: null,
        fixed_charges_to_datetime: null,
        invoicing_reason: 'subscription_periodic',
      },
    ]);
    assert.deepEqual(invoice.credits, [
      {
        lago_id: invoice.credits![0]!.lago_id,
        amount_cents: 500,
        amount_currency: 'EUR',
        before_taxes: true,
        item: { lago_item_id: invoice.credits![0]!.item.lago_item_id, type: 'coupon', code: 'welcome', name: 'Welcome', description: 'New customers' },
        invoice: { lago_id: ids.finalized, payment_status: 'pending' },
      },
    ]);
    assert.deepEqual([invoice.error_details, invoice.applied_invoice_custom_sections, invoice.metadata], [[], [], []]);
    assert.ok(!('applied_usage_thresholds' in invoice), 'only progressive billing invoices show thresholds');

    const [subscriptionFee, chargeFee] = invoice.fees!;
    assert.deepEqual(subscriptionFee, {
      lago_id: ids.subFee,
      lago_charge_id: null,
      lago_charge_filter_id: null,
      lago_fixed_charge_id: null,
      lago_invoice_id: ids.finalized,
      lago_true_up_fee_id: null,
      lago_true_up_parent_fee_id: null,
      lago_original_fee_id: null,
      lago_subscription_id: ids.sub,
      external_subscription_id: 'sub_alice',
      lago_customer_id: ids.alice,
      external_customer_id: 'cust_alice',
      item: {
        type: 'subscription',
        code: 'startup',
        name: 'Startup',
        description: 'For starters',
        invoice_display_name: 'Startup',
        filters: null,
        filter_invoice_display_name: null,
        lago_item_id: ids.sub,
        item_type: 'Subscription',
        grouped_by: {},
      },
      pay_in_advance: false,
      invoiceable: true,
      amount_cents: 10_000,
      amount_currency: 'EUR',
      precise_amount: 100,
      precise_total_amount: 119.01234568,
      taxes_amount_cents: 1_901,
      taxes_precise_amount: 19.01234568,
      taxes_rate: 20,
      total_aggregated_units: null,
      total_amount_cents: 11_901,
      total_amount_currency: 'EUR',
      units: '1.0',
      description: null,
      precise_unit_amount: '100.0',
      precise_coupons_amount_cents: '493.82716',
      sub_total_excluding_taxes_amount_cents: 9_506,
      sub_total_excluding_taxes_precise_amount_cents: '9506.17284',
      events_count: 0,
      payment_status: 'pending',
      created_at: '2024-02-01T00:00:00Z',
      succeeded_at: null,
      failed_at: null,
      refunded_at: null,
      amount_details: { plan_amount_cents: 10_000 },
      self_billed: false,
      pricing_unit_details: null,
      presentation_breakdowns: [],
      from_date: '2024-01-01T00:00:00Z',
      to_date: '2024-01-31T23:59:59Z',
      applied_taxes: [
        {
          lago_id: subscriptionFee!.applied_taxes![0]!.lago_id,
          lago_fee_id: ids.subFee,
          lago_tax_id: ids.tax,
          tax_name: 'VAT',
          tax_code: 'vat',
          tax_rate: 20,
          tax_description: null,
          amount_cents: 1_901,
          amount_currency: 'EUR',
          created_at: '2024-02-01T00:00:00Z',
        },
      ],
    });
    const charge = chargeFee as FeeObject & Record<string, unknown>;
    assert.deepEqual(charge.item, {
      type: 'charge',
      code: 'api_calls',
      name: 'API calls',
      description: 'Requests',
      invoice_display_name: 'API calls',
      filters: { region: ['eu'] },
      filter_invoice_display_name: 'Europe',
      lago_item_id: ids.metric,
      item_type: 'BillableMetric',
      grouped_by: {},
    });
    assert.deepEqual(
      [charge.lago_charge_id, charge.lago_charge_filter_id, charge.units, charge.total_aggregated_units, charge.precise_unit_amount, charge.events_count],
      [ids.charge, ids.filter, '250.0', '250.0', '0.5', 3],
    );
    assert.deepEqual([charge.precise_amount, charge.sub_total_excluding_taxes_amount_cents, charge.sub_total_excluding_taxes_precise_amount_cents], [1.25, 119, '118.82716']);
    assert.ok(!('event_transaction_id' in charge), 'only fees paid in advance name their event');
  });

  test('an unknown, malformed, hidden or foreign invoice is invoice_not_found on every route', async () => {
    const client = t.client(key);
    const other = t.client(otherKey);
    const missing = NOT_FOUND('invoice_not_found');
    for (const id of [newId(), 'not-a-uuid', ids.closed, ids.generating]) {
      assert.deepEqual(await failure(client.invoices.findInvoice(id)), { status: 404, body: missing }, id);
      assert.deepEqual(await failure(client.invoices.refreshInvoice(id)), { status: 404, body: missing }, id);
    }
    for (const call of [
      () => other.invoices.findInvoice(ids.finalized),
      () => other.invoices.updateInvoice(ids.finalized, { invoice: { payment_status: 'succeeded' } }),
      () => other.invoices.deleteInvoice(ids.draft),
      () => other.invoices.refreshInvoice(ids.draft),
      () => other.invoices.finalizeInvoice(ids.draft),
      () => other.invoices.voidInvoice(ids.finalized),
    ]) {
      assert.deepEqual(await failure(call()), { status: 404, body: missing });
    }
    assert.deepEqual((await other.invoices.findAllInvoices()).data.invoices, []);
    assert.deepEqual((await other.fees.findAllFees()).data.fees, []);
    for (const call of [
      () => other.fees.findFee(ids.looseFee),
      () => other.fees.updateFee(ids.looseFee, { fee: { payment_status: 'succeeded' } }),
      () => other.fees.deleteFee(ids.looseFee),
    ]) {
      assert.deepEqual(await failure(call()), { status: 404, body: NOT_FOUND('fee_not_found') });
    }
    // The other organization's calls changed nothing.
    assert.equal((await client.invoices.findInvoice(ids.finalized)).data.invoice.payment_status, 'pending');
    assert.equal((await client.fees.findFee(ids.looseFee)).data.fee.payment_status, 'pending');
  });

  test('PUT: payment status (the fees follow; a paid invoice is no longer overdue) and metadata, with Lago’s refusals', async () => {
    const client = t.client(key);
    const put = (id: string, invoice: Record<string, unknown>) => client.invoices.updateInvoice(id, { invoice } as never);

    const paid = (await put(ids.oneOff, { payment_status: 'succeeded' })).data.invoice;
    assert.deepEqual([paid.payment_status, paid.payment_overdue, paid.updated_at], ['succeeded', false, '2024-03-01T10:00:00Z']);
    assert.equal((await client.fees.findFee(ids.addOnFee)).data.fee.payment_status, 'succeeded');
    assert.deepEqual(await listedIds({ 'payment_statuses[]': ['succeeded'] }), [ids.oneOff]);

    const withOne = (await put(ids.finalized, { metadata: [{ key: 'po', value: 'PO-1' }] })).data.invoice;
    assert.deepEqual(withOne.metadata!.map((m) => [m.key, m.value, m.created_at]), [['po', 'PO-1', '2024-03-01T10:00:00Z']]);
    const po = withOne.metadata![0]!.lago_id!;
    const withTwo = (await put(ids.finalized, { metadata: [{ id: po, value: 'PO-2' }, { key: 'dept', value: 'R&D' }] })).data.invoice;
    assert.deepEqual(withTwo.metadata!.map((m) => [m.lago_id === po, m.key, m.value]), [[true, 'po', 'PO-2'], [false, 'dept', 'R&D']]);
    assert.deepEqual(await listedIds({ 'metadata[po]': 'PO-2' }), [ids.finalized]);
    assert.deepEqual(await listedIds({ 'metadata[po]': 'PO-1' }), []);
    assert.deepEqual(await listedIds({ 'metadata[dept]': '' }), [ids.draft, ids.oneOff], 'a blank value asks for invoices without the key');
    // Entries the request does not name are removed; a key held by an entry left unnamed cannot be taken in the same request.
    assert.deepEqual(await failure(put(ids.finalized, { metadata: [{ key: 'po', value: 'PO-3' }] })), {
      status: 422,
      body: UNPROCESSABLE({ key: ['value_already_exist'] }),
    });
    const replaced = (await put(ids.finalized, { metadata: [{ id: po, key: 'ref', value: 'X' }] })).data.invoice;
    assert.deepEqual(replaced.metadata!.map((m) => [m.lago_id, m.key, m.value]), [[po, 'ref', 'X']]);

    const refusals: [string, Record<string, unknown>, { status: number; body: unknown }][] = [
      [ids.finalized, { payment_status: 'paid' }, { status: 422, body: UNPROCESSABLE({ payment_status: ['value_is_invalid'] }) }],
      [ids.finalized, { payment_status: null }, { status: 422, body: UNPROCESSABLE({ payment_status: ['value_is_invalid'] }) }],
      [ids.finalized, { metadata: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }, { status: 422, body: UNPROCESSABLE({ metadata: ['invalid_count'] }) }],
      [ids.finalized, { metadata: [{ value: 'v' }] }, { status: 422, body: UNPROCESSABLE({ key: ['value_is_mandatory'] }) }],
      [ids.finalized, { metadata: [{ key: 'a'.repeat(21), value: 'v'.repeat(141) }] }, { status: 422, body: UNPROCESSABLE({ key: ['value_is_too_long'], value: ['value_is_too_long'] }) }],
      [ids.draft, { metadata: [] }, { status: 405, body: NOT_ALLOWED('metadata_on_draft_invoice') }],
      [ids.draft, { payment_status: 'succeeded' }, { status: 405, body: NOT_ALLOWED('payment_status_update_on_draft_invoice') }],
      [ids.finalized, {}, { status: 400, body: { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: invoice' } }],
    ];
    for (const [id, body, expected] of refusals) assert.deepEqual(await failure(put(id, body)), expected, JSON.stringify(body));
    // A refused request wrote nothing.
    const after = (await client.invoices.findInvoice(ids.finalized)).data.invoice;
    assert.deepEqual([after.payment_status, after.metadata!.map((m) => m.key)], ['pending', ['ref']]);
    // A draft may be sent its unchanged payment status.
    assert.equal((await put(ids.draft, { payment_status: 'pending' })).data.invoice.status, 'draft');
  });

  test('fees: list with filters, one fee, payment status of a fee on no invoice, deletion only of such a fee', async () => {
    const client = t.client(key);
    const feeIds = async (query: Record<string, unknown>) => (await client.fees.findAllFees(query as never)).data.fees.map((f) => f.lago_id);
    assert.deepEqual(await feeIds({}), [ids.addOnFee, ids.subFee, ids.chargeFee, ids.draftFee, ids.looseFee], 'oldest first');
    assert.deepEqual(await feeIds({ fee_type: 'charge' }), [ids.chargeFee, ids.looseFee]);
    assert.deepEqual(await feeIds({ external_customer_id: 'cust_bob' }), [ids.addOnFee]);
    assert.deepEqual(await feeIds({ external_subscription_id: 'sub_alice', billable_metric_code: 'api_calls' }), [ids.chargeFee, ids.looseFee]);
    assert.deepEqual(await feeIds({ currency: 'usd' }), [ids.addOnFee]);
    assert.deepEqual(await feeIds({ created_at_from: '2024-02-01T00:00:00Z', created_at_to: '2024-03-01T00:00:00Z' }), [ids.subFee, ids.chargeFee, ids.draftFee]);
    assert.deepEqual(await feeIds({ event_transaction_id: 'tx_1' }), []);
    const paged = (await client.fees.findAllFees({ per_page: 2, page: 3 })).data;
    assert.deepEqual([paged.fees.map((f) => f.lago_id), paged.meta.total_count, paged.meta.prev_page], [[ids.looseFee], 5, 2]);

    const addOn = (await client.fees.findFee(ids.addOnFee)).data.fee as FeeObject & Record<string, unknown>;
    assert.deepEqual(addOn.item, {
      type: 'add_on',
      code: 'setup',
      name: 'Setup',
      description: null,
      invoice_display_name: 'Setup',
      filters: null,
      filter_invoice_display_name: null,
      lago_item_id: ids.addOn,
      item_type: 'AddOn',
      grouped_by: {},
    });
    assert.deepEqual([addOn.description, addOn.amount_currency, addOn.lago_customer_id, addOn.lago_subscription_id, addOn.from_date], ['Onboarding', 'USD', ids.bob, null, '2024-01-15T00:00:00Z']);

    const loose = (await client.fees.findFee(ids.looseFee)).data.fee as FeeObject & Record<string, unknown>;
    assert.deepEqual([loose.lago_invoice_id, loose.pay_in_advance, loose.event_transaction_id, loose.item.filters], [null, true, null, null]);

    const succeeded = (await client.fees.updateFee(ids.looseFee, { fee: { payment_status: 'succeeded' } })).data.fee;
    assert.deepEqual([succeeded.payment_status, succeeded.succeeded_at, succeeded.failed_at], ['succeeded', '2024-03-01T10:00:00Z', null]);
    const failed = (await client.fees.updateFee(ids.looseFee, { fee: { payment_status: 'failed' } })).data.fee;
    assert.deepEqual([failed.payment_status, failed.succeeded_at, failed.failed_at], ['failed', null, '2024-03-01T10:00:00Z']);
    assert.deepEqual(await feeIds({ payment_status: 'failed' }), [ids.looseFee]);
    assert.deepEqual(await failure(client.fees.updateFee(ids.looseFee, { fee: { payment_status: 'paid' } as never })), {
      status: 422,
      body: UNPROCESSABLE({ payment_status: ['value_is_invalid'] }),
    });
    assert.deepEqual(await failure(client.fees.updateFee(ids.chargeFee, { fee: { payment_status: 'succeeded' } })), { status: 405, body: NOT_ALLOWED('invoiced_fee') });
    assert.deepEqual(await failure(client.fees.deleteFee(ids.chargeFee)), { status: 405, body: NOT_ALLOWED('invoiced_fee') });
    for (const id of [newId(), 'fee-1']) assert.deepEqual(await failure(client.fees.findFee(id)), { status: 404, body: NOT_FOUND('fee_not_found') });

    assert.equal((await client.fees.deleteFee(ids.looseFee)).data.fee.lago_id, ids.looseFee);
    assert.deepEqual(await failure(client.fees.findFee(ids.looseFee)), { status: 404, body: NOT_FOUND('fee_not_found') });
  });

  test('void: only a finalized invoice; its coupon credit is given back; then it is closed to changes', async () => {
    const client = t.client(key);
    assert.deepEqual(await failure(client.invoices.voidInvoice(ids.draft)), { status: 405, body: NOT_ALLOWED('not_voidable') });
    // A credit note asked for more than the invoice can credit: refused, and the invoice is left as it was.
    assert.deepEqual(await failure(client.invoices.voidInvoice(ids.oneOff, { generate_credit_note: true, credit_amount: 1_000_000 })), {
      status: 422,
      body: UNPROCESSABLE({ credit_refund_amount: ['total_amount_exceeds_invoice_amount'] }),
    });
    assert.equal((await client.invoices.findInvoice(ids.oneOff)).data.invoice.status, 'finalized');
    const voided = (await client.invoices.voidInvoice(ids.finalized)).data.invoice;
    assert.deepEqual(
      [voided.status, voided.voided_at, voided.total_due_amount_cents, voided.total_amount_cents, voided.fees!.length],
      ['voided', '2024-03-01T10:00:00Z', 0, 11_550, 2],
    );
    const [applied] = (await client.appliedCoupons.findAllAppliedCoupons({ external_customer_id: 'cust_alice' } as never)).data.applied_coupons;
    assert.deepEqual([applied!.status, applied!.amount_cents_remaining], ['active', 500], 'the coupon the void gave back is usable again');
    assert.deepEqual(await failure(client.invoices.voidInvoice(ids.finalized)), { status: 405, body: NOT_ALLOWED('not_voidable') });
    assert.deepEqual(await failure(client.invoices.updateInvoice(ids.finalized, { invoice: { payment_status: 'succeeded' } })), {
      status: 405,
      body: NOT_ALLOWED('update_on_voided_invoice'),
    });
    assert.deepEqual(await listedIds({ status: 'voided' }), [ids.finalized]);
  });

  test('refresh answers a finalized invoice as it is; finalize finds only drafts; neither works on other invoice types', async () => {
    const client = t.client(key);
    const before = (await client.invoices.findInvoice(ids.finalized)).data.invoice;
    assert.deepEqual((await client.invoices.refreshInvoice(ids.finalized)).data.invoice, before);
    assert.deepEqual(await failure(client.invoices.finalizeInvoice(ids.finalized)), { status: 404, body: NOT_FOUND('invoice_not_found') });
    assert.deepEqual(await failure(client.invoices.refreshInvoice(ids.oneOff)), { status: 403, body: { status: 403, error: 'Forbidden', code: 'feature_unavailable' } });
  });

  test('DELETE: only a draft; its coupon credit is given back, its fees go, and it is gone from the API', async () => {
    const client = t.client(key);
    assert.deepEqual(await failure(client.invoices.deleteInvoice(ids.oneOff)), { status: 405, body: NOT_ALLOWED('not_deletable') });
    const deleted = (await client.invoices.deleteInvoice(ids.draft)).data.invoice;
    assert.deepEqual([deleted.lago_id, deleted.status, deleted.fees!.map((f) => f.lago_id), deleted.credits!.map((c) => c.amount_cents)], [ids.draft, 'deleted', [ids.draftFee], [300]]);
    assert.deepEqual(await failure(client.invoices.findInvoice(ids.draft)), { status: 404, body: NOT_FOUND('invoice_not_found') });
    assert.deepEqual(await failure(client.invoices.deleteInvoice(ids.draft)), { status: 404, body: NOT_FOUND('invoice_not_found') });
    assert.deepEqual(await listedIds({}), [ids.finalized, ids.oneOff]);
    assert.deepEqual(await failure(client.fees.findFee(ids.draftFee)), { status: 404, body: NOT_FOUND('fee_not_found') });
    const [applied] = (await client.appliedCoupons.findAllAppliedCoupons({ external_customer_id: 'cust_alice' } as never)).data.applied_coupons;
    assert.deepEqual([applied!.status, applied!.amount_cents_remaining], ['active', 800]);
  });
});

describe('refresh and finalize drive the billing engine', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization({ name: 'Drafts Co', testClock: '2024-03-01T00:00:00Z' }));
    const client = t.client(key);
    const calls = (await client.billableMetrics.createBillableMetric({ billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } }))
      .data.billable_metric.lago_id;
    await client.plans.createPlan({
      plan: {
        name: 'Pro',
        code: 'pro',
        interval: 'monthly',
        amount_cents: 3_100,
        amount_currency: 'EUR',
        pay_in_advance: false,
        charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }],
      },
    } as never);
    for (const [external_id, adjustment] of [
      ['aligned', 'align_with_finalization_date'],
      ['anchored', 'keep_anchor'],
    ] as const) {
      await client.customers.createCustomer({
        customer: {
          external_id,
          net_payment_term: 10,
          billing_configuration: { invoice_grace_period: 5, subscription_invoice_issuing_date_adjustment: adjustment },
        },
      } as never);
      await client.subscriptions.createSubscription({ subscription: { external_customer_id: external_id, plan_code: 'pro', external_id: `sub_${external_id}` } });
      await client.events.createEvent({
        event: { transaction_id: `${external_id}_1`, external_subscription_id: `sub_${external_id}`, code: 'calls', timestamp: Date.parse('2024-03-10T00:00:00Z') / 1000 },
      });
    }
    await advance('2024-04-01T10:00:00Z');
  });
  after(() => t.close());

  const advance = async (to: string) => {
    const res = await t.request(key, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: to } } });
    assert.equal(res.statusCode, 200, res.body);
  };
  const draftOf = async (customer: string) => {
    const { invoices } = (await t.client(key).customers.findAllCustomerInvoices(customer, {})).data;
    assert.equal(invoices.length, 1);
    return invoices[0]!;
  };

  test('refresh counts a late event; the fees keep the invoice creation time', async () => {
    const client = t.client(key);
    const draft = await draftOf('aligned');
    assert.deepEqual([draft.status, draft.fees_amount_cents, draft.issuing_date, draft.payment_due_date], ['draft', 3_200, '2024-04-06', '2024-04-16']);
    await client.events.createEvent({
      event: { transaction_id: 'aligned_late', external_subscription_id: 'sub_aligned', code: 'calls', timestamp: Date.parse('2024-03-31T23:00:00Z') / 1000 },
    });
    await advance('2024-04-02T08:00:00Z');
    const refreshed = (await client.invoices.refreshInvoice(draft.lago_id)).data.invoice;
    assert.deepEqual([refreshed.status, refreshed.fees_amount_cents, refreshed.number], ['draft', 3_300, draft.number]);
    const charge = refreshed.fees!.find((f) => f.item.type === 'charge')!;
    assert.deepEqual([charge.units, charge.events_count, charge.created_at], ['2.0', 2, draft.created_at]);
  });

  test('finalize: refreshed, issued on the day it is finalized (or kept on its anchor), due net_payment_term days later', async () => {
    const client = t.client(key);
    await client.events.createEvent({
      event: { transaction_id: 'anchored_late', external_subscription_id: 'sub_anchored', code: 'calls', timestamp: Date.parse('2024-03-31T22:00:00Z') / 1000 },
    });
    const aligned = (await client.invoices.finalizeInvoice((await draftOf('aligned')).lago_id)).data.invoice;
    assert.deepEqual(
      [aligned.status, aligned.issuing_date, aligned.payment_due_date, aligned.total_amount_cents, aligned.payment_status],
      ['finalized', '2024-04-02', '2024-04-12', 3_300, 'pending'],
    );
    assert.match(aligned.number, /-001-001$/);
    const anchored = (await client.invoices.finalizeInvoice((await draftOf('anchored')).lago_id)).data.invoice;
    assert.deepEqual(
      [anchored.status, anchored.issuing_date, anchored.payment_due_date, anchored.fees_amount_cents],
      ['finalized', '2024-04-01', '2024-04-11', 3_300],
      'a periodic invoice keeps its anchor; the late event is counted',
    );
    assert.deepEqual(await failure(client.invoices.finalizeInvoice(aligned.lago_id)), { status: 404, body: NOT_FOUND('invoice_not_found') });
    // The grace period ending later changes nothing.
    await advance('2024-04-20T00:00:00Z');
    assert.deepEqual((await client.invoices.findInvoice(aligned.lago_id)).data.invoice.issuing_date, '2024-04-02');
  });

  test('POST /invoices: a one-off invoice of add-on fees, finalized at once; retry is only for failed invoices', async () => {
    const client = t.client(key);
    await client.addOns.createAddOn({ add_on: { name: 'Setup', code: 'setup', amount_cents: 2_000, amount_currency: 'EUR' } });
    const invoice = (
      await client.invoices.createInvoice({ invoice: { external_customer_id: 'aligned', currency: 'EUR', fees: [{ add_on_code: 'setup', units: 2, description: 'Two setups' }] } } as never)
    ).data.invoice;
    assert.deepEqual(
      [invoice.invoice_type, invoice.status, invoice.issuing_date, invoice.fees_amount_cents, invoice.total_amount_cents, invoice.billing_periods, invoice.subscriptions],
      ['one_off', 'finalized', '2024-04-20', 4_000, 4_000, [], []],
    );
    assert.match(invoice.number, /-001-002$/);
    const [fee] = invoice.fees!;
    assert.deepEqual([fee!.item.type, fee!.item.code, fee!.item.item_type, fee!.units, fee!.description, fee!.amount_cents], ['add_on', 'setup', 'AddOn', '2.0', 'Two setups', 4_000]);
    assert.deepEqual(await failure(client.invoices.createInvoice({ invoice: { external_customer_id: 'nobody', fees: [{ add_on_code: 'setup' }] } } as never)), {
      status: 404,
      body: NOT_FOUND('customer_not_found'),
    });
    assert.deepEqual(await failure(client.invoices.createInvoice({ invoice: { external_customer_id: 'aligned', fees: [{ add_on_code: 'nope' }] } } as never)), {
      status: 404,
      body: NOT_FOUND('add_on_not_found'),
    });
    assert.deepEqual(await failure(client.invoices.createInvoice({} as never)), {
      status: 400,
      body: { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: invoice' },
    });

    assert.deepEqual(await failure(client.invoices.retryInvoice(invoice.lago_id)), { status: 405, body: NOT_ALLOWED('invalid_status') });
    assert.deepEqual(await failure(client.invoices.retryInvoice(newId())), { status: 404, body: NOT_FOUND('invoice_not_found') });
  });
});

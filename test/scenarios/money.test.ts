import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { feeAmounts, story, type StoryFee, type StoryInvoice } from './story.ts';

// Invoice amounts to the cent over several months: charge models at their tier boundaries, currencies with 0 and 3
// decimals, coupons, taxes, spending minimums, filters and groups, metric rounding, recurring and weighted metrics.
// Numbers come from Lago's specs (getlago/lago-api spec/scenarios/…, the spec's file name in the test name) or follow
// from the rules of lago-reference.md 5.2, 5.3, 5.5 and 5.9, worked out in the comments.

/** The fee fields these stories read beyond the harness's. */
interface MoneyFee extends StoryFee {
  lago_charge_filter_id: string | null;
  lago_true_up_parent_fee_id: string | null;
  precise_coupons_amount_cents: string;
  total_aggregated_units: string | null;
  item: StoryFee['item'] & { filters: Record<string, string[]> | null };
  applied_taxes?: { tax_code: string; amount_cents: number }[];
}

const feesOf = (invoice: StoryInvoice) => invoice.fees as MoneyFee[];

/** The one fee of a charge (its metric's code), true-up fees aside. */
const chargeFee = (invoice: StoryInvoice, code: string): MoneyFee => {
  const found = feesOf(invoice).filter((f) => f.item.type === 'charge' && f.item.code === code && f.lago_true_up_parent_fee_id === null);
  assert.equal(found.length, 1, `one ${code} fee in ${JSON.stringify(feeAmounts(invoice))}`);
  return found[0]!;
};

const trueUpFees = (invoice: StoryInvoice) => feesOf(invoice).filter((f) => f.lago_true_up_parent_fee_id !== null);

const totals = (invoice: StoryInvoice) => ({
  fees: invoice.fees_amount_cents,
  coupons: invoice.coupons_amount_cents,
  subTotal: invoice.sub_total_excluding_taxes_amount_cents,
  taxes: invoice.taxes_amount_cents,
  total: invoice.total_amount_cents,
});

const appliedTaxes = (invoice: StoryInvoice) =>
  Object.fromEntries(invoice.applied_taxes.map((t) => [t.tax_code, { amount: t.amount_cents, base: t.fees_amount_cents }]));

const feeTaxes = (fee: MoneyFee) => Object.fromEntries((fee.applied_taxes ?? []).map((t) => [t.tax_code, t.amount_cents]));

type Story = Awaited<ReturnType<typeof story>>;

/** `count` events of a metric at one instant. */
const events = async (s: Story, code: string, at: string, count: number, properties: Record<string, unknown> = {}) => {
  for (let i = 0; i < count; i++) await s.event('sub', code, at, properties);
};

const coupon = (s: Story, body: Record<string, unknown>) =>
  s.call('POST', '/coupons', { coupon: { name: body.code, expiration: 'no_expiration', ...body } });
const applyCoupon = (s: Story, customer: string, code: string) =>
  s.call('POST', '/applied_coupons', { applied_coupon: { external_customer_id: customer, coupon_code: code } });

interface AppliedCouponJson {
  coupon_code: string;
  status: string;
  amount_cents_remaining: number | null;
  frequency_duration_remaining: number | null;
}
const appliedCoupon = async (s: Story, customer: string, code: string): Promise<AppliedCouponJson> => {
  const list = await s.call<{ applied_coupons: AppliedCouponJson[] }>('GET', `/applied_coupons?external_customer_id=${customer}&per_page=100`);
  const found = list.applied_coupons.find((c) => c.coupon_code === code);
  assert.ok(found, `applied coupon ${code}`);
  return found;
};

describe('scenarios: money', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  /**
   * A monthly plan of `amount` from 2024-01-01 with one count charge, `sub` for customer `acme`; `months` maps each
   * month (its events sent mid-month) to the charge fee expected on the invoice issued on the 1st of the next month.
   */
  const monthByMonth = async (charge: Record<string, unknown>, months: [string, number][]) => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'pro', amount_cents: 1_000, charges: [{ billable_metric_id: calls, ...charge }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    for (const [month, count] of months) await events(s, 'calls', `${month}-15T12:00:00Z`, count);
    const [lastYear, lastMonth] = months.at(-1)![0].split('-').map(Number) as [number, number];
    const end = lastMonth === 12 ? `${lastYear + 1}-01-01` : `${lastYear}-${String(lastMonth + 1).padStart(2, '0')}-01`;
    await s.advance(`${end}T00:00:00Z`);
    const invoices = await s.invoices('acme');
    assert.equal(invoices.length, months.length);
    return { s, invoices };
  };

  test('graduated tiers at and one unit past each boundary, flat amounts on entering a tier, the first flat even at zero units (graduated_spec)', async () => {
    // Tiers 0–5 at 10 + 100 flat, 6–10 at 5 + 50 flat, 11–∞ at 1 + 20 flat (lago-reference 5.3, graduated):
    // 5 → 5×10+100 = 150; 6 → 150 + 1×5+50 = 205; 10 → 150 + 5×5+50 = 225; 11 → 225 + 1×1+20 = 246;
    // 0 → the first tier's flat amount, 100 (graduated_spec, "non-prorated graduated with no events").
    const ranges = [
      { from_value: 0, to_value: 5, per_unit_amount: '10', flat_amount: '100' },
      { from_value: 6, to_value: 10, per_unit_amount: '5', flat_amount: '50' },
      { from_value: 11, to_value: null, per_unit_amount: '1', flat_amount: '20' },
    ];
    const { invoices } = await monthByMonth({ charge_model: 'graduated', properties: { graduated_ranges: ranges } }, [
      ['2024-01', 5],
      ['2024-02', 6],
      ['2024-03', 10],
      ['2024-04', 11],
      ['2024-05', 0],
    ]);
    assert.deepEqual(
      invoices.map((i) => feeAmounts(i)),
      [15_000, 20_500, 22_500, 24_600, 10_000].map((charge) => ({ 'subscription:pro': 1_000, 'charge:calls': charge })),
    );
    const tierUnits = (i: StoryInvoice) =>
      (chargeFee(i, 'calls').amount_details.graduated_ranges as { units: string }[]).map((r) => Number(r.units));
    assert.deepEqual(tierUnits(invoices[1]!), [5, 1]);
    assert.deepEqual(tierUnits(invoices[3]!), [5, 5, 1]);
    assert.equal(chargeFee(invoices[0]!, 'calls').units, '5.0');
  });

  test('graduated, Lago-doc tiers: 100 units stay in the first tier, 101 pay the second flat, 150 give 135 (lago-reference 5.3)', async () => {
    const ranges = [
      { from_value: 0, to_value: 100, per_unit_amount: '1', flat_amount: '0' },
      { from_value: 101, to_value: null, per_unit_amount: '0.5', flat_amount: '10' },
    ];
    const { invoices } = await monthByMonth({ charge_model: 'graduated', properties: { graduated_ranges: ranges } }, [
      ['2024-01', 100],
      ['2024-02', 101],
      ['2024-03', 150],
    ]);
    // 100 → 100; 101 → 100 + 0.5 + 10 = 110.50; 150 → 100 + 25 + 10 = 135.
    assert.deepEqual(invoices.map((i) => chargeFee(i, 'calls').amount_cents), [10_000, 11_050, 13_500]);
  });

  test('volume tiers exactly at their boundaries: every unit at the tier holding the total, so 11 units cost less than 10 (volume_spec)', async () => {
    // 0–10 at 5 + 100 flat, 11–∞ at 2 + 50 flat: 5 → 125 and 15 → 80 (volume_spec); 10 → 150; 11 → 72.
    const ranges = [
      { from_value: 0, to_value: 10, per_unit_amount: '5', flat_amount: '100' },
      { from_value: 11, to_value: null, per_unit_amount: '2', flat_amount: '50' },
    ];
    const { invoices } = await monthByMonth({ charge_model: 'volume', properties: { volume_ranges: ranges } }, [
      ['2024-01', 5],
      ['2024-02', 10],
      ['2024-03', 11],
      ['2024-04', 15],
    ]);
    assert.deepEqual(invoices.map((i) => chargeFee(i, 'calls').amount_cents), [12_500, 15_000, 7_200, 8_000]);
    assert.deepEqual(invoices.map((i) => i.total_amount_cents), [13_500, 16_000, 8_200, 9_000]);
    const details = chargeFee(invoices[2]!, 'calls').amount_details;
    assert.deepEqual([Number(details.flat_unit_amount), Number(details.per_unit_total_amount)], [50, 22]);
  });

  test('package with free units: nothing within them, one package up to size past them, a second one unit later (package_spec)', async () => {
    // amount 100 per 10 units, 5 free: 3 → 0 and 12 → 100 (package_spec); 5 → 0; 15 → 10 paid units, 1 package;
    // 16 → 11 paid units, 2 packages = 200. A fee of 0 with units is still on the invoice (Lago keeps fees with units).
    const { invoices } = await monthByMonth(
      { charge_model: 'package', properties: { amount: '100', package_size: 10, free_units: 5 } },
      [
        ['2024-01', 3],
        ['2024-02', 5],
        ['2024-03', 12],
        ['2024-04', 15],
        ['2024-05', 16],
      ],
    );
    assert.deepEqual(invoices.map((i) => chargeFee(i, 'calls').amount_cents), [0, 0, 10_000, 10_000, 20_000]);
    assert.deepEqual(invoices.map((i) => chargeFee(i, 'calls').units), ['3.0', '5.0', '12.0', '15.0', '16.0']);
    const details = chargeFee(invoices[4]!, 'calls').amount_details;
    assert.deepEqual([Number(details.free_units), Number(details.paid_units)], [5, 11]);
  });

  test('package, Lago-doc example: 1,250 units with 100 free in packages of 1,000 at 5 bill two packages, 10.00 (lago-reference 5.3)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const gb = await s.metric({ code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb' });
    await s.plan({ code: 'pro', amount_cents: 0, charges: [{ billable_metric_id: gb, charge_model: 'package', properties: { amount: '5', package_size: 1000, free_units: 100 } }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.event('sub', 'gb', '2024-01-10T00:00:00Z', { gb: '1100' });
    await s.event('sub', 'gb', '2024-01-20T00:00:00Z', { gb: '150' });
    await s.event('sub', 'gb', '2024-02-10T00:00:00Z', { gb: '1100' });
    await s.advance('2024-03-01T00:00:00Z');
    const [january, february] = await s.invoices('acme');
    assert.equal(chargeFee(january!, 'gb').amount_cents, 1_000);
    // 1,100 units: 1,000 paid, exactly one package.
    assert.equal(chargeFee(february!, 'gb').amount_cents, 500);
  });

  test('percentage with free events and a fixed amount per paid event: 4 events of 10, 3 free → 0.10 + 5 = 5.10, 20% tax (percentage_spec)', async () => {
    const s = await story(t, { clock: '2023-03-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    const amount = await s.metric({ code: 'amount', aggregation_type: 'sum_agg', field_name: 'amount' });
    await s.plan({
      code: 'pro',
      amount_cents: 1_000,
      charges: [{ billable_metric_id: amount, charge_model: 'percentage', properties: { rate: '1', fixed_amount: '5', free_units_per_events: 3 } }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    for (const day of ['06', '07', '08', '09']) await s.event('sub', 'amount', `2023-03-${day}T00:00:00Z`, { amount: '10' });
    // April: only two events, both free.
    for (const day of ['06', '07']) await s.event('sub', 'amount', `2023-04-${day}T00:00:00Z`, { amount: '10' });
    await s.advance('2023-05-01T00:00:00Z');
    const [march, april] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(march!), { 'subscription:pro': 1_000, 'charge:amount': 510 });
    assert.deepEqual(totals(march!), { fees: 1_510, coupons: 0, subTotal: 1_510, taxes: 302, total: 1_812 });
    const details = chargeFee(march!, 'amount').amount_details;
    assert.deepEqual([Number(details.free_units), details.free_events, details.paid_events], [30, 3, 1]);
    assert.deepEqual(feeAmounts(april!), { 'subscription:pro': 1_000, 'charge:amount': 0 });
    assert.equal(april!.total_amount_cents, 1_200);
  });

  test('percentage with a free total of 15 and a fixed amount: events 4, 4, 4, 4, 10 → 11 paid units and 2 paid events = 10.11 (percentage_spec)', async () => {
    const s = await story(t, { clock: '2023-03-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    const amount = await s.metric({ code: 'amount', aggregation_type: 'sum_agg', field_name: 'amount' });
    await s.plan({
      code: 'pro',
      amount_cents: 1_000,
      charges: [{ billable_metric_id: amount, charge_model: 'percentage', properties: { rate: '1', fixed_amount: '5', free_units_per_total_aggregation: '15.0' } }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    for (const [minute, value] of [[1, '4'], [2, '4'], [3, '4'], [4, '4'], [5, '10']] as const) {
      await s.event('sub', 'amount', `2023-03-06T00:0${minute}:00Z`, { amount: value });
    }
    await s.advance('2023-04-01T00:00:00Z');
    const [march] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(march!), { 'subscription:pro': 1_000, 'charge:amount': 1_011 });
    // 2011 × 20% = 402.2 → 402.
    assert.deepEqual(totals(march!), { fees: 2_011, coupons: 0, subTotal: 2_011, taxes: 402, total: 2_413 });
  });

  test('JPY (no decimals): 17/31 of ¥1,000, charges and tax rounded half away from zero to the yen', async () => {
    const s = await story(t, { clock: '2024-01-15T00:00:00Z' });
    await s.tax('jct', '10', { applied_to_organization: true });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'yen', amount_cents: 1_000, amount_currency: 'JPY', charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.5' } }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'yen', external_id: 'sub' });
    await events(s, 'calls', '2024-01-20T00:00:00Z', 5);
    await events(s, 'calls', '2024-02-20T00:00:00Z', 9);
    await s.advance('2024-03-01T00:00:00Z');
    const [january, february] = await s.invoices('acme');
    // January: 17 × 1000/31 = 548.39 → ¥548; 5 × 0.5 = 2.5 → ¥3 (half-even would give 2); 551 × 10% = 55.1 → ¥55.
    assert.equal(january!.currency, 'JPY');
    assert.deepEqual(feeAmounts(january!), { 'subscription:yen': 548, 'charge:calls': 3 });
    assert.deepEqual(totals(january!), { fees: 551, coupons: 0, subTotal: 551, taxes: 55, total: 606 });
    // February: ¥1,000; 9 × 0.5 = 4.5 → ¥5; 1005 × 10% = 100.5 → ¥101.
    assert.deepEqual(feeAmounts(february!), { 'subscription:yen': 1_000, 'charge:calls': 5 });
    assert.deepEqual(totals(february!), { fees: 1_005, coupons: 0, subTotal: 1_005, taxes: 101, total: 1_106 });
  });

  test('KWD (three decimals): 20/29 of 10.000 KD in leap February, fils rounded half away from zero', async () => {
    const s = await story(t, { clock: '2024-02-10T00:00:00Z' });
    await s.tax('vat', '5', { applied_to_organization: true });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'kd', amount_cents: 10_000, amount_currency: 'KWD', charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.0005' } }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'kd', external_id: 'sub' });
    await events(s, 'calls', '2024-02-20T00:00:00Z', 5);
    await events(s, 'calls', '2024-03-20T00:00:00Z', 21);
    await s.advance('2024-04-01T00:00:00Z');
    const [february, march] = await s.invoices('acme');
    // February: 20 × 10000/29 = 6896.55 → 6897 fils; 5 × 0.0005 = 0.0025 KD = 2.5 fils → 3; 6900 × 5% = 345.
    assert.equal(february!.currency, 'KWD');
    assert.deepEqual(feeAmounts(february!), { 'subscription:kd': 6_897, 'charge:calls': 3 });
    assert.deepEqual(totals(february!), { fees: 6_900, coupons: 0, subTotal: 6_900, taxes: 345, total: 7_245 });
    // March: 10.000 KD; 21 × 0.0005 = 10.5 fils → 11; 10011 × 5% = 500.55 → 501.
    assert.deepEqual(feeAmounts(march!), { 'subscription:kd': 10_000, 'charge:calls': 11 });
    assert.deepEqual(totals(march!), { fees: 10_011, coupons: 0, subTotal: 10_011, taxes: 501, total: 10_512 });
  });

  test('a fixed once coupon larger than an invoice: 100 used, 50 carried to the next invoice, then spent and terminated', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'pro', amount_cents: 10_000 });
    await s.customer({ external_id: 'acme' });
    await coupon(s, { code: 'welcome', coupon_type: 'fixed_amount', amount_cents: 15_000, amount_currency: 'EUR', frequency: 'once' });
    await applyCoupon(s, 'acme', 'welcome');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-02-01T00:00:00Z');
    const [january] = await s.invoices('acme');
    // Coupons come before taxes (lago-reference 5.5): the whole 100 goes, nothing is left to tax.
    assert.deepEqual(totals(january!), { fees: 10_000, coupons: 10_000, subTotal: 0, taxes: 0, total: 0 });
    assert.deepEqual(january!.credits.map((c) => [c.item.type, c.item.code, c.amount_cents]), [['coupon', 'welcome', 10_000]]);
    assert.deepEqual(
      await appliedCoupon(s, 'acme', 'welcome').then((c) => [c.status, c.amount_cents_remaining]),
      ['active', 5_000],
    );
    await s.advance('2024-03-01T00:00:00Z');
    const february = (await s.invoices('acme'))[1]!;
    assert.deepEqual(totals(february), { fees: 10_000, coupons: 5_000, subTotal: 5_000, taxes: 1_000, total: 6_000 });
    assert.equal((await appliedCoupon(s, 'acme', 'welcome')).status, 'terminated');
    await s.advance('2024-04-01T00:00:00Z');
    const march = (await s.invoices('acme'))[2]!;
    assert.deepEqual(totals(march), { fees: 10_000, coupons: 0, subTotal: 10_000, taxes: 2_000, total: 12_000 });
    assert.deepEqual(march.credits, []);
  });

  test('a 10% recurring coupon for 2 periods: 1000.5 rounds to 1001 twice, then the full price (AppliedCoupons::AmountService)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 10_005 });
    await s.customer({ external_id: 'acme' });
    await coupon(s, { code: 'tenoff', coupon_type: 'percentage', percentage_rate: '10', frequency: 'recurring', frequency_duration: 2 });
    await applyCoupon(s, 'acme', 'tenoff');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-02-01T00:00:00Z');
    assert.deepEqual(
      await appliedCoupon(s, 'acme', 'tenoff').then((c) => [c.status, c.frequency_duration_remaining]),
      ['active', 1],
    );
    await s.advance('2024-04-01T00:00:00Z');
    const invoices = await s.invoices('acme');
    assert.deepEqual(
      invoices.map((i) => [i.coupons_amount_cents, i.total_amount_cents]),
      [
        [1_001, 9_004],
        [1_001, 9_004],
        [0, 10_005],
      ],
    );
    assert.deepEqual(
      await appliedCoupon(s, 'acme', 'tenoff').then((c) => [c.status, c.frequency_duration_remaining]),
      ['terminated', 0],
    );
  });

  test('a coupon limited to a billable metric only covers that metric’s fees, carrying what they did not use', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    const storage = await s.metric({ code: 'storage', aggregation_type: 'sum_agg', field_name: 'gb' });
    await s.plan({
      code: 'pro',
      amount_cents: 10_000,
      charges: [
        { billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } },
        { billable_metric_id: storage, charge_model: 'standard', properties: { amount: '1' } },
      ],
    });
    await s.customer({ external_id: 'acme' });
    await coupon(s, {
      code: 'calls-off',
      coupon_type: 'fixed_amount',
      amount_cents: 1_500,
      amount_currency: 'EUR',
      frequency: 'once',
      applies_to: { billable_metric_codes: ['calls'] },
    });
    await applyCoupon(s, 'acme', 'calls-off');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await events(s, 'calls', '2024-01-10T00:00:00Z', 10);
    await s.event('sub', 'storage', '2024-01-10T00:00:00Z', { gb: 20 });
    await events(s, 'calls', '2024-02-10T00:00:00Z', 3);
    await events(s, 'calls', '2024-03-10T00:00:00Z', 5);
    await s.advance('2024-04-01T00:00:00Z');
    const [january, february, march] = await s.invoices('acme');
    // January: the calls fee (10.00) takes 10.00 of the 15.00; the plan and storage fees get none of it.
    assert.deepEqual(totals(january!), { fees: 13_000, coupons: 1_000, subTotal: 12_000, taxes: 0, total: 12_000 });
    assert.equal(Number(chargeFee(january!, 'calls').precise_coupons_amount_cents), 1_000);
    assert.equal(Number(chargeFee(january!, 'storage').precise_coupons_amount_cents), 0);
    // February: calls 3.00 of the 5.00 left; March: the last 2.00 of a 5.00 calls fee.
    assert.deepEqual(totals(february!), { fees: 10_300, coupons: 300, subTotal: 10_000, taxes: 0, total: 10_000 });
    assert.deepEqual(totals(march!), { fees: 10_500, coupons: 200, subTotal: 10_300, taxes: 0, total: 10_300 });
    assert.equal((await appliedCoupon(s, 'acme', 'calls-off')).status, 'terminated');
  });

  test('coupons in Lago’s order, metric-limited, then plan-limited, then the rest, spread before charge taxes (coupons_breakdown_spec)', async () => {
    const s = await story(t, { clock: '2023-01-01T00:00:00Z' });
    await s.tax('banking_rates1', '10');
    await s.tax('banking_rates2', '20');
    await s.customer({ external_id: 'customer-12345' });
    const metric = (n: number) => s.metric({ code: `bm${n}`, aggregation_type: 'sum_agg', field_name: `total${n}` });
    const ids: string[] = [];
    for (let n = 1; n <= 8; n++) ids.push(await metric(n));
    const taxOf = (n: number) => (n % 4 === 2 ? 'banking_rates2' : 'banking_rates1');
    const charges = (from: number) =>
      [0, 1, 2, 3].map((k) => ({
        billable_metric_id: ids[from + k - 1],
        charge_model: 'standard',
        properties: { amount: '1' },
        tax_codes: [taxOf(from + k)],
      }));
    await s.plan({ code: 'plan_code', amount_cents: 0, charges: charges(1) });
    await s.plan({ code: 'plan_code2', amount_cents: 0, charges: charges(5) });
    await s.subscribe({ external_customer_id: 'customer-12345', plan_code: 'plan_code', external_id: 'sub_external_id' });
    await s.subscribe({ external_customer_id: 'customer-12345', plan_code: 'plan_code2', external_id: 'sub_external_id2' });
    await coupon(s, { code: 'coupon1_code', coupon_type: 'fixed_amount', amount_cents: 2_000, amount_currency: 'EUR', frequency: 'once', reusable: false, applies_to: { billable_metric_codes: ['bm1', 'bm2'] } });
    await applyCoupon(s, 'customer-12345', 'coupon1_code');
    await coupon(s, { code: 'coupon2_code', coupon_type: 'fixed_amount', amount_cents: 1_000, amount_currency: 'EUR', frequency: 'once', reusable: false, applies_to: { plan_codes: ['plan_code2'] } });
    await applyCoupon(s, 'customer-12345', 'coupon2_code');
    await coupon(s, { code: 'coupon3_code', coupon_type: 'fixed_amount', amount_cents: 500, amount_currency: 'EUR', frequency: 'once', reusable: false });
    await applyCoupon(s, 'customer-12345', 'coupon3_code');
    for (let n = 1; n <= 8; n++) {
      const sub = n <= 4 ? 'sub_external_id' : 'sub_external_id2';
      await s.call('POST', '/events', {
        event: { transaction_id: `bm${n}`, external_subscription_id: sub, code: `bm${n}`, timestamp: Date.parse('2023-01-01T00:00:00Z') / 1000, properties: { [`total${n}`]: ((n - 1) % 4 + 1) * 10 } },
      });
    }
    await s.advance('2023-02-01T00:00:00Z');
    const invoices = await s.invoices('customer-12345');
    assert.equal(invoices.length, 1, 'both subscriptions on one invoice');
    const invoice = invoices[0]!;
    assert.deepEqual(totals(invoice), { fees: 20_000, coupons: 3_500, subTotal: 16_500, taxes: 1_889, total: 18_389 });
    const byMetric = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => chargeFee(invoice, `bm${n}`));
    assert.deepEqual(byMetric.map((f) => f.amount_cents), [1_000, 2_000, 3_000, 4_000, 1_000, 2_000, 3_000, 4_000]);
    assert.deepEqual(byMetric.map((f) => f.taxes_amount_cents), [32, 129, 291, 388, 87, 349, 262, 349]);
    assert.deepEqual(
      byMetric.map((f) => Number(f.precise_coupons_amount_cents)),
      [676.47059, 1352.94117, 88.23529, 117.64706, 126.47059, 252.94118, 379.41176, 505.88235],
    );
    assert.deepEqual(
      invoice.credits.map((c) => [c.item.code, c.amount_cents]),
      [
        ['coupon1_code', 2_000],
        ['coupon2_code', 1_000],
        ['coupon3_code', 500],
      ],
    );
  });

  test('a metric-limited coupon applied after an unrestricted percentage one still goes first: 10% of what it left (Credits::AppliedCouponsService)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'pro', amount_cents: 10_000, charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }] });
    await s.customer({ external_id: 'acme' });
    await coupon(s, { code: 'tenoff', coupon_type: 'percentage', percentage_rate: '10', frequency: 'forever' });
    await applyCoupon(s, 'acme', 'tenoff');
    await coupon(s, { code: 'calls-off', coupon_type: 'fixed_amount', amount_cents: 1_000, amount_currency: 'EUR', frequency: 'forever', applies_to: { billable_metric_codes: ['calls'] } });
    await applyCoupon(s, 'acme', 'calls-off');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await events(s, 'calls', '2024-01-10T00:00:00Z', 20);
    await s.advance('2024-02-01T00:00:00Z');
    const [january] = await s.invoices('acme');
    // 120.00 of fees; calls-off takes 10.00 of the calls fee first, then 10% of the 110.00 left = 11.00. Oldest first
    // would have given 12.00 + 10.00.
    assert.deepEqual(totals(january!), { fees: 12_000, coupons: 2_100, subTotal: 9_900, taxes: 0, total: 9_900 });
    assert.deepEqual(
      january!.credits.map((c) => [c.item.code, c.amount_cents]),
      [
        ['calls-off', 1_000],
        ['tenoff', 1_100],
      ],
    );
  });

  test('tax precedence on one invoice: charge taxes, else plan taxes, else customer taxes; the organization’s default only without them (Fees::ApplyTaxesService)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.tax('org20', '20', { applied_to_organization: true });
    await s.tax('cust10', '10');
    await s.tax('plan5', '5');
    await s.tax('chg2', '2');
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    const storage = await s.metric({ code: 'storage', aggregation_type: 'sum_agg', field_name: 'gb' });
    const api = await s.metric({ code: 'api', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'taxed',
      amount_cents: 10_000,
      tax_codes: ['plan5'],
      charges: [
        { billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' }, tax_codes: ['chg2'] },
        { billable_metric_id: storage, charge_model: 'standard', properties: { amount: '1' } },
      ],
    });
    await s.plan({ code: 'plain', amount_cents: 5_000, charges: [{ billable_metric_id: api, charge_model: 'standard', properties: { amount: '1' } }] });
    await s.customer({ external_id: 'acme', tax_codes: ['cust10'] });
    await s.customer({ external_id: 'beta' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'taxed', external_id: 'sub' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'plain', external_id: 'sub-b' });
    await s.subscribe({ external_customer_id: 'beta', plan_code: 'plain', external_id: 'sub-c' });
    await events(s, 'calls', '2024-01-10T00:00:00Z', 10);
    await s.event('sub', 'storage', '2024-01-10T00:00:00Z', { gb: 30 });
    for (let i = 0; i < 20; i++) await s.event('sub-b', 'api', '2024-01-10T00:00:00Z');
    await s.advance('2024-02-01T00:00:00Z');
    const [acme] = await s.invoices('acme');
    const fees = feesOf(acme!);
    const bySub = (sub: string, type: string, code: string) =>
      fees.find((f) => f.external_subscription_id === sub && f.item.type === type && f.item.code === code)!;
    // Plan "taxed": its fee and the storage fee take plan5; the calls fee its own chg2. Plan "plain": acme's cust10.
    assert.deepEqual(feeTaxes(bySub('sub', 'subscription', 'taxed')), { plan5: 500 });
    assert.deepEqual(feeTaxes(bySub('sub', 'charge', 'calls')), { chg2: 20 });
    assert.deepEqual(feeTaxes(bySub('sub', 'charge', 'storage')), { plan5: 150 });
    assert.deepEqual(feeTaxes(bySub('sub-b', 'subscription', 'plain')), { cust10: 500 });
    assert.deepEqual(feeTaxes(bySub('sub-b', 'charge', 'api')), { cust10: 200 });
    assert.deepEqual(appliedTaxes(acme!), {
      plan5: { amount: 650, base: 13_000 },
      chg2: { amount: 20, base: 1_000 },
      cust10: { amount: 700, base: 7_000 },
    });
    assert.deepEqual(totals(acme!), { fees: 21_000, coupons: 0, subTotal: 21_000, taxes: 1_370, total: 22_370 });
    const [beta] = await s.invoices('beta');
    assert.deepEqual(appliedTaxes(beta!), { org20: { amount: 1_000, base: 5_000 } });
    assert.equal(beta!.total_amount_cents, 6_000);
  });

  test('two taxes on one fee: each line rounded on its own, the invoice total rounded once from the unrounded sum (lago-reference 5.9)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.tax('a5', '5');
    await s.tax('b15', '15');
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'pro',
      amount_cents: 10_000,
      tax_codes: ['a5'],
      charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '10.10' }, tax_codes: ['a5', 'b15'] }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.event('sub', 'calls', '2024-01-10T00:00:00Z');
    await s.advance('2024-02-01T00:00:00Z');
    const [january] = await s.invoices('acme');
    // calls 1010: 5% = 50.5, 15% = 151.5, fee taxes round(202.0) = 202. a5 on 11010 = 550.5 → 551, b15 151.5 → 152,
    // invoice taxes round(550.5 + 151.5) = 702, one less than the lines' 703.
    const callsFee = chargeFee(january!, 'calls');
    assert.equal(callsFee.amount_cents, 1_010);
    assert.deepEqual(feeTaxes(callsFee), { a5: 51, b15: 152 });
    assert.equal(callsFee.taxes_amount_cents, 202);
    assert.deepEqual(appliedTaxes(january!), { a5: { amount: 551, base: 11_010 }, b15: { amount: 152, base: 1_010 } });
    assert.deepEqual(totals(january!), { fees: 11_010, coupons: 0, subTotal: 11_010, taxes: 702, total: 11_712 });
  });

  test('plan and charge taxes with a coupon spread before tax and a spending-minimum true-up taxed as its charge (taxes_on_invoice_spec)', async () => {
    const s = await story(t, { clock: '2023-01-01T00:00:00Z' });
    await s.tax('banking_rates', '10.0');
    await s.tax('sales_tax_fr', '0.0');
    await s.tax('sales_tax', '20.0');
    await s.customer({ external_id: 'customer-1' });
    const fx = await s.metric({ code: 'fx_transfers', aggregation_type: 'sum_agg', field_name: 'total' });
    const cards = await s.metric({ code: 'cards', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'plan_code',
      amount_cents: 10_000,
      tax_codes: ['banking_rates'],
      charges: [
        { billable_metric_id: fx, charge_model: 'standard', properties: { amount: '1' }, tax_codes: ['sales_tax_fr'] },
        { billable_metric_id: cards, charge_model: 'standard', min_amount_cents: 5_000, properties: { amount: '30' }, tax_codes: ['sales_tax'] },
      ],
    });
    await s.subscribe({ external_customer_id: 'customer-1', plan_code: 'plan_code', external_id: 'sub' });
    await coupon(s, { code: 'coupon1_code', coupon_type: 'fixed_amount', amount_cents: 1_000, amount_currency: 'EUR', frequency: 'once', reusable: false });
    await applyCoupon(s, 'customer-1', 'coupon1_code');
    await s.event('sub', 'fx_transfers', '2023-01-01T00:00:00Z', { total: 50 });
    await s.event('sub', 'cards', '2023-01-01T00:00:00Z');
    await s.advance('2023-02-01T00:00:00Z');
    const [invoice] = await s.invoices('customer-1');
    assert.equal(invoice!.fees.length, 4);
    const subscriptionFee = feesOf(invoice!).find((f) => f.item.type === 'subscription')!;
    assert.deepEqual([subscriptionFee.amount_cents, subscriptionFee.taxes_amount_cents, Number(subscriptionFee.precise_coupons_amount_cents)], [10_000, 950, 500]);
    const fxFee = chargeFee(invoice!, 'fx_transfers');
    assert.deepEqual([fxFee.amount_cents, fxFee.taxes_amount_cents, Number(fxFee.precise_coupons_amount_cents), fxFee.units], [5_000, 0, 250, '50.0']);
    const cardsFee = chargeFee(invoice!, 'cards');
    assert.deepEqual([cardsFee.amount_cents, cardsFee.taxes_amount_cents, Number(cardsFee.precise_coupons_amount_cents)], [3_000, 570, 150]);
    const [trueUp, ...more] = trueUpFees(invoice!);
    assert.equal(more.length, 0);
    assert.deepEqual([trueUp!.amount_cents, trueUp!.taxes_amount_cents, Number(trueUp!.precise_coupons_amount_cents), trueUp!.units, trueUp!.events_count], [2_000, 380, 100, '1.0', 0]);
    assert.deepEqual(totals(invoice!), { fees: 20_000, coupons: 1_000, subTotal: 19_000, taxes: 1_900, total: 20_900 });
    assert.equal(invoice!.sub_total_including_taxes_amount_cents, 20_900);
  });

  test('spending minimum: 4645 at the start, a true-up of 24/31 of the minimum for an unused January, then 25/28 less usage at termination (spending_minimum_spec)', async () => {
    const s = await story(t, { clock: '2023-01-08T08:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    const metric = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'adv',
      amount_cents: 5_000,
      pay_in_advance: true,
      charges: [{ billable_metric_id: metric, charge_model: 'standard', properties: { amount: '8' }, min_amount_cents: 1_000 }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    const [start] = await s.invoices('acme');
    // 24/31 of 50.00 = 38.71, + 20% → 46.45 (the spec's "60 / 31 * 24").
    assert.equal(start!.total_amount_cents, 4_645);

    await s.advance('2023-02-01T06:00:00Z');
    const february = (await s.invoices('acme'))[1]!;
    // January's charges ran from Jan 8 08:00: 24 days of 31, so the minimum is 1000/31 × 24 = 774.19 → 774 with no usage.
    const [januaryTrueUp, ...others] = trueUpFees(february);
    assert.equal(others.length, 0);
    assert.equal(januaryTrueUp!.amount_cents, 774);
    assert.deepEqual(totals(february), { fees: 5_774, coupons: 0, subTotal: 5_774, taxes: 1_155, total: 6_929 });

    await s.advance('2023-02-25T06:00:00Z');
    await s.event('sub', 'calls', '2023-02-25T06:00:00Z');
    await s.terminate('sub', '?on_termination_credit_note=skip');
    const termination = (await s.invoices('acme'))[2]!;
    assert.equal(termination.billing_periods[0]!.invoicing_reason, 'subscription_terminating');
    const usage = chargeFee(termination, 'calls');
    assert.deepEqual([usage.amount_cents, usage.taxes_amount_cents, usage.units], [800, 160, '1.0']);
    const [trueUp] = trueUpFees(termination);
    // 1000 / 28 × 25 − 800 = 92.86 → 93, taxed 18.57 → 19.
    assert.deepEqual([trueUp!.amount_cents, trueUp!.taxes_amount_cents, trueUp!.units], [93, 19, '1.0']);
    assert.deepEqual(totals(termination), { fees: 893, coupons: 0, subTotal: 893, taxes: 179, total: 1_072 });
  });

  test('a true-up is the prorated minimum less the rounded usage fees: 774.19 − 1 → 773 (Fees::CreateTrueUpService); none when usage passes the minimum', async () => {
    const s = await story(t, { clock: '2023-01-08T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    const api = await s.metric({ code: 'api', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'pro',
      amount_cents: 3_100,
      charges: [
        { billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.006' }, min_amount_cents: 1_000 },
        { billable_metric_id: api, charge_model: 'standard', properties: { amount: '20' }, min_amount_cents: 1_000 },
      ],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.event('sub', 'calls', '2023-01-10T00:00:00Z');
    await s.event('sub', 'api', '2023-01-10T00:00:00Z');
    await s.advance('2023-03-01T00:00:00Z');
    const [january, february] = await s.invoices('acme');
    // January, 24 days from the 8th: the plan bills 24 × 100 = 2400. calls: 0.006 → 0.01 = 1 cent; its minimum
    // 1000/31 × 24 = 774.19; Lago's true-up is round(774.19 − 1) = 773. api: 20.00 is past its 7.74 minimum.
    assert.equal(chargeFee(january!, 'calls').amount_cents, 1);
    assert.equal(chargeFee(january!, 'api').amount_cents, 2_000);
    assert.deepEqual(
      trueUpFees(january!).map((f) => [f.item.code, f.amount_cents]),
      [['calls', 773]],
    );
    assert.deepEqual(totals(january!), { fees: 2_400 + 1 + 773 + 2_000, coupons: 0, subTotal: 5_174, taxes: 0, total: 5_174 });
    // February without usage: both minimums whole, 10.00 each.
    assert.deepEqual(
      trueUpFees(february!).map((f) => [f.item.code, f.amount_cents]).sort(),
      [
        ['api', 1_000],
        ['calls', 1_000],
      ],
    );
    assert.equal(february!.fees_amount_cents, 3_100 + 2_000);
  });

  test('filters and pricing groups on one invoice: one fee per filter and group, the rest at the charge’s price (filters_and_grouped_by_spec)', async () => {
    const s = await story(t, { clock: '2024-02-25T10:00:00Z' });
    const metric = await s.metric({
      code: 'value',
      aggregation_type: 'sum_agg',
      field_name: 'value',
      filters: [
        { key: 'cloud', values: ['aws', 'gcp', 'azure'] },
        { key: 'region', values: ['us', 'europe', 'asia'] },
      ],
    });
    await s.plan({
      code: 'pro',
      amount_cents: 0,
      charges: [
        {
          billable_metric_id: metric,
          charge_model: 'standard',
          properties: { amount: '10' },
          filters: [{ values: { cloud: ['aws'], region: ['__ALL_FILTER_VALUES__'] }, properties: { amount: '12', grouped_by: ['country'] } }],
        },
      ],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub', billing_time: 'anniversary' });
    await s.event('sub', 'value', '2024-02-28T10:00:00Z', { cloud: 'aws', region: 'us', country: 'us', value: 10 });
    await s.event('sub', 'value', '2024-03-01T10:00:00Z', { cloud: 'aws', region: 'europe', country: 'france', value: 10 });
    await s.event('sub', 'value', '2024-03-02T10:00:00Z', { cloud: 'aws', region: 'asia', value: 10 });
    await s.event('sub', 'value', '2024-03-03T10:00:00Z', { cloud: 'gcp', region: 'asia', country: 'china', value: 10 });
    await s.advance('2024-03-25T10:00:00Z');
    const [invoice, ...rest] = await s.invoices('acme');
    assert.equal(rest.length, 0);
    assert.equal(invoice!.total_amount_cents, 46_000);
    const charges = feesOf(invoice!).filter((f) => f.item.type === 'charge');
    assert.equal(charges.length, 4);
    const filtered = charges.filter((f) => f.lago_charge_filter_id !== null);
    assert.deepEqual(
      filtered.map((f) => [f.item.grouped_by?.country ?? null, f.amount_cents, f.events_count, Number(f.units)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['france', 12_000, 1, 10],
        [null, 12_000, 1, 10],
        ['us', 12_000, 1, 10],
      ],
    );
    for (const f of filtered) assert.deepEqual(f.item.filters, { cloud: ['aws'], region: ['__ALL_FILTER_VALUES__'] });
    const unfiltered = charges.filter((f) => f.lago_charge_filter_id === null);
    assert.deepEqual(unfiltered.map((f) => [f.amount_cents, f.events_count, Number(f.units)]), [[10_000, 1, 10]]);
  });

  test('metric rounding before pricing: count ceil to tens, sum round and floor at a precision, half away from zero (apply_rounding_service_spec)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg', rounding_function: 'ceil', rounding_precision: -1 });
    const gb = await s.metric({ code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb', rounding_function: 'round', rounding_precision: 2 });
    const minutes = await s.metric({ code: 'minutes', aggregation_type: 'sum_agg', field_name: 'minutes', rounding_function: 'floor', rounding_precision: 1 });
    const pings = await s.metric({ code: 'pings', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'pro',
      amount_cents: 1_000,
      charges: [
        { billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.5' } },
        { billable_metric_id: gb, charge_model: 'standard', properties: { amount: '100' } },
        { billable_metric_id: minutes, charge_model: 'standard', properties: { amount: '1' } },
        { billable_metric_id: pings, charge_model: 'standard', properties: { amount: '0.005' } },
      ],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await events(s, 'calls', '2024-01-10T00:00:00Z', 11);
    await s.event('sub', 'gb', '2024-01-10T00:00:00Z', { gb: '1.005' });
    await s.event('sub', 'gb', '2024-01-11T00:00:00Z', { gb: '2' });
    await s.event('sub', 'minutes', '2024-01-10T00:00:00Z', { minutes: '2.38' });
    await s.event('sub', 'minutes', '2024-01-11T00:00:00Z', { minutes: '1' });
    await events(s, 'pings', '2024-01-10T00:00:00Z', 5);
    await s.advance('2024-02-01T00:00:00Z');
    const [january] = await s.invoices('acme');
    // calls: 11 → ceil(-1) 20 × 0.5 = 10.00; gb: 3.005 → 3.01 (half-even would give 3.00) × 100 = 301.00;
    // minutes: 3.38 → floor(1) 3.3 × 1 = 3.30; pings: 5 × 0.005 = 0.025 → 0.03 (a fee rounded half away from zero).
    assert.deepEqual([chargeFee(january!, 'calls').units, chargeFee(january!, 'gb').units, chargeFee(january!, 'minutes').units], ['20.0', '3.01', '3.3']);
    assert.deepEqual(feeAmounts(january!), {
      'subscription:pro': 1_000,
      'charge:calls': 1_000,
      'charge:gb': 30_100,
      'charge:minutes': 330,
      'charge:pings': 3,
    });
    assert.equal(chargeFee(january!, 'calls').events_count, 11);
  });

  test('a recurring sum metric carries its units into the next periods until events change them', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const seats = await s.metric({ code: 'seats', aggregation_type: 'sum_agg', field_name: 'seats', recurring: true });
    await s.plan({ code: 'pro', amount_cents: 1_000, charges: [{ billable_metric_id: seats, charge_model: 'standard', properties: { amount: '10' } }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.event('sub', 'seats', '2024-01-10T00:00:00Z', { seats: 3 });
    await s.event('sub', 'seats', '2024-01-20T00:00:00Z', { seats: 2 });
    await s.event('sub', 'seats', '2024-03-15T00:00:00Z', { seats: -1 });
    await s.advance('2024-05-01T00:00:00Z');
    const invoices = await s.invoices('acme');
    // January 3 + 2 = 5 seats; February none new, still 5; March 5 − 1 = 4; April still 4. 10.00 a seat.
    assert.deepEqual(
      invoices.map((i) => [chargeFee(i, 'seats').units, chargeFee(i, 'seats').amount_cents]),
      [
        ['5.0', 5_000],
        ['5.0', 5_000],
        ['4.0', 4_000],
        ['4.0', 4_000],
      ],
    );
  });

  test('a recurring weighted sum: 2500 held 27 of 31 days → 2177.42, then 2500/500/300 over April → 533.33 (weighted_sum_agg_spec)', async () => {
    const s = await story(t, { clock: '2023-03-05T00:00:00Z' });
    const metric = await s.metric({ code: 'gauge', aggregation_type: 'weighted_sum_agg', field_name: 'value', weighted_interval: 'seconds', recurring: true });
    await s.plan({ code: 'pro', amount_cents: 0, charges: [{ billable_metric_id: metric, charge_model: 'standard', properties: { amount: '1' } }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.event('sub', 'gauge', '2023-03-05T00:00:00Z', { value: '2500' });
    await s.advance('2023-04-01T00:00:00Z');
    const [march] = await s.invoices('acme');
    const marchFee = chargeFee(march!, 'gauge');
    assert.equal(marchFee.amount_cents, 217_742);
    assert.equal(Math.round(Number(marchFee.units)), 2_177);
    assert.equal(Number(marchFee.total_aggregated_units), 2_500);
    await s.event('sub', 'gauge', '2023-04-04T00:00:00Z', { value: '-2000' });
    await s.event('sub', 'gauge', '2023-04-06T00:00:00Z', { value: '-200' });
    await s.advance('2023-05-01T00:00:00Z');
    const april = (await s.invoices('acme'))[1]!;
    // (2500 × 3 + 500 × 2 + 300 × 25) / 30 = 533.33.
    const aprilFee = chargeFee(april, 'gauge');
    assert.equal(aprilFee.amount_cents, 53_333);
    assert.equal(Number(aprilFee.units).toFixed(5), '533.33333');
    assert.equal(Number(aprilFee.total_aggregated_units), 300);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { at, createMetric, createPlan, currentUsage, sendEvents, subscribe, type LagoClient } from './usage-fixtures.ts';

describe('current usage: taxes at charge, plan, customer and organization level', () => {
  let t: TestApp;
  let client: LagoClient;

  before(async () => {
    t = await startTestApp({ listen: true });
    const { key } = await t.newOrganization({ testClock: '2025-07-15T12:00:00Z' });
    client = t.client(key);
    const tax = (code: string, rate: string, organization = false) =>
      client.taxes.createTax({ tax: { name: code, code, rate, applied_to_organization: organization } });
    await tax('org_10', '10', true);
    await tax('customer_5', '5');
    await tax('plan_20', '20');
    await tax('charge_8_5', '8.5');
    await tax('charge_1', '1');
    const x = await createMetric(client, { code: 'x', aggregation_type: 'sum_agg', field_name: 'n' });
    const y = await createMetric(client, { code: 'y', aggregation_type: 'sum_agg', field_name: 'n' });
    await createPlan(
      t,
      key,
      'taxed',
      [
        // Two taxes on one charge: each is summed unrounded, and the total rounded once.
        { billable_metric_id: x, charge_model: 'standard', properties: { amount: '0.01' }, tax_codes: ['charge_8_5', 'charge_1'] },
        { billable_metric_id: y, charge_model: 'standard', properties: { amount: '0.01' } },
      ],
      { tax_codes: ['plan_20'] },
    );
    await createPlan(t, key, 'plain', [{ billable_metric_id: y, charge_model: 'standard', properties: { amount: '0.01' } }]);
    await subscribe(client, { customer: 'taxed_customer', plan: 'taxed', subscription: 's1', at: '2025-07-01T00:00:00Z', taxCodes: ['customer_5'] });
    await client.subscriptions.createSubscription({
      subscription: { external_customer_id: 'taxed_customer', plan_code: 'plain', external_id: 's2', subscription_at: '2025-07-01T00:00:00Z' },
    });
    await subscribe(client, { customer: 'plain_customer', plan: 'plain', subscription: 's3', at: '2025-07-01T00:00:00Z' });
    const e = (sub: string, code: string, n: number) => ({ external_subscription_id: sub, code, timestamp: at('2025-07-05T00:00:00Z'), properties: { n } });
    await sendEvents(client, [e('s1', 'x', 1001), e('s1', 'y', 333), e('s2', 'y', 1001), e('s3', 'y', 1001)]);
  });
  after(() => t.close());

  test('the charge\'s taxes first, then the plan\'s', async () => {
    const usage = await currentUsage(client, 'taxed_customer', 's1');
    // x: 1001 × (8.5 % + 1 %) = 95.095; y: 333 × 20 % = 66.6; 161.695 rounds to 162.
    assert.deepEqual([usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents], [1334, 162, 1496]);
  });

  test('then the customer\'s, then the organization\'s defaults', async () => {
    const customer = await currentUsage(client, 'taxed_customer', 's2');
    assert.deepEqual([customer.amount_cents, customer.taxes_amount_cents, customer.total_amount_cents], [1001, 50, 1051]);
    const organization = await currentUsage(client, 'plain_customer', 's3');
    assert.deepEqual([organization.amount_cents, organization.taxes_amount_cents, organization.total_amount_cents], [1001, 100, 1101]);
  });

  test('apply_taxes=false leaves them out', async () => {
    const usage = await currentUsage(client, 'taxed_customer', 's1', { apply_taxes: false });
    assert.deepEqual([usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents], [1334, 0, 1334]);
  });
});

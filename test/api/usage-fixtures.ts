import assert from 'node:assert/strict';
import type { CustomerUsageObject, TimezoneOrNull } from 'lago-javascript-client';
import type { TestApp } from '../support/app.ts';

/** Helpers the usage tests share: each call goes through the HTTP API, as a client would make it. */
export type LagoClient = ReturnType<TestApp['client']>;

export interface MetricBody {
  name?: string;
  code: string;
  aggregation_type: 'count_agg' | 'sum_agg' | 'max_agg' | 'unique_count_agg' | 'weighted_sum_agg' | 'latest_agg';
  field_name?: string;
  recurring?: boolean;
  weighted_interval?: 'seconds';
  rounding_function?: 'round' | 'ceil' | 'floor';
  rounding_precision?: number;
  expression?: string;
  filters?: { key: string; values: string[] }[];
}

/** Creates a metric and returns its lago_id. */
export const createMetric = async (client: LagoClient, body: MetricBody): Promise<string> => {
  const res = await client.billableMetrics.createBillableMetric({ billable_metric: { name: body.name ?? body.code, ...body } });
  return res.data.billable_metric.lago_id;
};

export interface ChargeBody {
  billable_metric_id: string;
  code?: string;
  charge_model: string;
  properties?: Record<string, unknown>;
  filters?: { values: Record<string, string[]>; properties: Record<string, unknown>; invoice_display_name?: string }[];
  pay_in_advance?: boolean;
  prorated?: boolean;
  invoice_display_name?: string;
  tax_codes?: string[];
}

/** Creates a monthly plan (EUR unless said) with these charges, through a raw request (the client's types lag behind models). */
export const createPlan = async (
  t: TestApp,
  key: string,
  code: string,
  charges: ChargeBody[],
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> => {
  const res = await t.request(key, {
    method: 'POST',
    url: '/api/v1/plans',
    payload: { plan: { name: code, code, interval: 'monthly', amount_cents: 0, amount_currency: 'EUR', pay_in_advance: false, charges, ...extra } },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().plan;
};

/** Creates (or updates) a customer, then subscribes it; returns nothing (the test knows its ids). */
export const subscribe = async (
  client: LagoClient,
  options: { customer: string; plan: string; subscription: string; at: string; timezone?: string; taxCodes?: string[] },
): Promise<void> => {
  await client.customers.createCustomer({
    customer: {
      external_id: options.customer,
      name: options.customer,
      ...(options.timezone && { timezone: options.timezone as TimezoneOrNull }),
      ...(options.taxCodes && { tax_codes: options.taxCodes }),
    },
  });
  const res = await client.subscriptions.createSubscription({
    subscription: { external_customer_id: options.customer, plan_code: options.plan, external_id: options.subscription, subscription_at: options.at },
  });
  assert.equal(res.data.subscription.status, 'active');
};

export interface EventBody {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  timestamp?: number | string;
  properties?: Record<string, unknown>;
  precise_total_amount_cents?: string;
}

let sequence = 0;
/** Sends events in batches of 100; a missing transaction_id gets a unique one. */
export const sendEvents = async (client: LagoClient, events: (Omit<EventBody, 'transaction_id'> & { transaction_id?: string })[]) => {
  const withIds = events.map((e) => ({ ...e, transaction_id: e.transaction_id ?? `tx_${++sequence}` }));
  for (let i = 0; i < withIds.length; i += 100) await client.events.createBatchEvents({ events: withIds.slice(i, i + 100) });
};

/** Unix seconds of an ISO instant. */
export const at = (iso: string): number => Date.parse(iso) / 1000;

/** Moves the organization's test clock. */
export const advanceClock = async (t: TestApp, key: string, iso: string): Promise<void> => {
  const res = await t.request(key, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: iso } } });
  assert.equal(res.statusCode, 200, res.body);
};

/** Current usage through the official client, typed with its own response type. */
export const currentUsage = async (
  client: LagoClient,
  customer: string,
  subscription: string,
  query: { apply_taxes?: boolean; charge_code?: string; charge_id?: string; billable_metric_code?: string } = {},
): Promise<CustomerUsageObject> => {
  const res = await client.customers.findCustomerCurrentUsage(customer, { external_subscription_id: subscription, ...query });
  const usage: CustomerUsageObject = res.data.customer_usage;
  return usage;
};

/** The usage of the charge priced by one metric code. */
export const chargeOf = (usage: CustomerUsageObject, metricCode: string) => {
  const found = usage.charges_usage.find((c) => c.billable_metric.code === metricCode);
  assert.ok(found, `no charge usage for ${metricCode}`);
  return found;
};

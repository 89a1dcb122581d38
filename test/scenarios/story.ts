import assert from 'node:assert/strict';
import type { TestApp } from '../support/app.ts';
import type { Receiver } from '../support/webhook-receiver.ts';

/** An invoice as GET /invoices/{id} shows it, with the fields the stories check. */
export interface StoryInvoice {
  lago_id: string;
  number: string;
  status: string;
  invoice_type: string;
  payment_status: string;
  currency: string;
  issuing_date: string;
  payment_due_date: string;
  fees_amount_cents: number;
  coupons_amount_cents: number;
  taxes_amount_cents: number;
  sub_total_excluding_taxes_amount_cents: number;
  sub_total_including_taxes_amount_cents: number;
  total_amount_cents: number;
  fees: StoryFee[];
  billing_periods: {
    external_subscription_id: string;
    invoicing_reason: string;
    subscription_from_datetime: string | null;
    subscription_to_datetime: string | null;
    charges_from_datetime: string | null;
    charges_to_datetime: string | null;
  }[];
  applied_taxes: { tax_code: string; amount_cents: number; fees_amount_cents: number }[];
  credits: { amount_cents: number; item: { code: string; type: string } }[];
}

export interface StoryFee {
  item: { type: string; code: string; grouped_by?: Record<string, string | null> };
  amount_cents: number;
  units: string;
  events_count: number;
  taxes_amount_cents: number;
  from_date: string | null;
  to_date: string | null;
  amount_details: Record<string, unknown>;
  external_subscription_id: string | null;
}

/**
 * A customer's life through the HTTP API on a test-clock organization: set up a catalog, subscribe, send events,
 * move the clock, read the invoices. Each call fails the test with the response when it is not a success.
 */
export const story = async (t: TestApp, options: { clock: string; timezone?: string }) => {
  const { key } = await t.newOrganization({ testClock: options.clock, timezone: options.timezone });
  const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<T> => {
    const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    assert.ok(res.statusCode < 300, `${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json() as T;
  };
  let tx = 0;
  const self = {
    key,
    call,
    metric: async (body: Record<string, unknown>): Promise<string> =>
      (await call<{ billable_metric: { lago_id: string } }>('POST', '/billable_metrics', { billable_metric: { name: body.code, ...body } })).billable_metric
        .lago_id,
    tax: (code: string, rate: string, extra: Record<string, unknown> = {}) => call('POST', '/taxes', { tax: { name: code, code, rate, ...extra } }),
    plan: (body: Record<string, unknown>) =>
      call('POST', '/plans', { plan: { name: body.code, interval: 'monthly', amount_currency: 'EUR', pay_in_advance: false, ...body } }),
    customer: (body: Record<string, unknown>) => call('POST', '/customers', { customer: body }),
    subscribe: async (body: Record<string, unknown>) =>
      (await call<{ subscription: Record<string, unknown> }>('POST', '/subscriptions', { subscription: body })).subscription,
    terminate: async (externalId: string, query = '') =>
      (await call<{ subscription: Record<string, unknown> }>('DELETE', `/subscriptions/${externalId}${query}`)).subscription,
    event: (sub: string, code: string, at: string, properties: Record<string, unknown> = {}) =>
      call('POST', '/events', {
        event: { transaction_id: `tx_${++tx}`, external_subscription_id: sub, code, timestamp: Date.parse(at) / 1000, properties },
      }),
    advance: (to: string) => call('POST', '/test_clock/advance', { test_clock: { frozen_time: to } }),
    /**
     * Points a webhook endpoint (hmac unless `endpoint` says otherwise) at a receiver; `received()` is the bodies of this
     * organization's webhooks it got, in the order the changes were recorded (webhook ids are time-ordered).
     */
    listen: async (receiver: Receiver, endpoint: Record<string, unknown> = {}) => {
      await call('POST', '/webhook_endpoints', { webhook_endpoint: { webhook_url: receiver.url, signature_algo: 'hmac', ...endpoint } });
      const organizationId = (await call<{ organization: { lago_id: string } }>('GET', '/organizations')).organization.lago_id;
      const received = () =>
        receiver.requests
          .filter((r) => r.json.organization_id === organizationId)
          .sort((a, b) => (a.uniqueKey < b.uniqueKey ? -1 : 1))
          .map((r) => r.json as Record<string, any>);
      return { organizationId, received };
    },
    /** The customer's invoices in the order they were issued, each as GET /invoices/{id} shows it. */
    invoices: async (externalCustomerId: string): Promise<StoryInvoice[]> => {
      const listed = await call<{ invoices: { lago_id: string }[] }>(
        'GET',
        `/invoices?external_customer_id=${encodeURIComponent(externalCustomerId)}&per_page=100`,
      );
      const full = await Promise.all(listed.invoices.map(async (i) => (await call<{ invoice: StoryInvoice }>('GET', `/invoices/${i.lago_id}`)).invoice));
      return full.sort((a, b) => (a.issuing_date < b.issuing_date ? -1 : a.issuing_date > b.issuing_date ? 1 : a.number < b.number ? -1 : 1));
    },
  };
  return self;
};

/** The fees of an invoice by type and code, for compact checks: `{ 'subscription:pro': 5484, 'charge:calls': 150 }`. */
export const feeAmounts = (invoice: StoryInvoice): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const fee of invoice.fees) {
    const grouped = fee.item.grouped_by && Object.keys(fee.item.grouped_by).length > 0 ? `:${Object.values(fee.item.grouped_by).join('/')}` : '';
    const key = `${fee.item.type}:${fee.item.code}${grouped}`;
    out[key] = (out[key] ?? 0) + fee.amount_cents;
  }
  return out;
};

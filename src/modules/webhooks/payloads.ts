import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { customers } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import type { DomainEvent, DomainEventType, DomainObjectType } from '../domain-events/record.ts';
import { serializeBillableMetric } from '../billable-metrics/serialize.ts';
import type { MetricView } from '../billable-metrics/types.ts';
import type { Customer } from '../customers/types.ts';
import { serializeCustomer } from '../customers/serialize.ts';
import { loadCustomerView, type CustomerView } from '../customers/views.ts';
import { findInvoice } from '../invoices/repository.ts';
import { loadInvoiceDetail } from '../invoices/queries.ts';
import { serializeInvoiceDetail } from '../invoices/serialize.ts';
import { serializePlan } from '../plans/serialize.ts';
import type { PlanDetails } from '../plans/types.ts';
import { findById as findSubscription } from '../subscriptions/repository.ts';
import { serializeSubscriptionDetail } from '../subscriptions/serialize.ts';
import { loadSubscriptionViews } from '../subscriptions/views.ts';
import { serializeUsageThreshold } from '../progressive-billing/serialize.ts';
import { feeWebhookJson } from '../fees/webhook.ts';
import { creditNoteWebhookJson } from '../credit-notes/webhook.ts';
import { serializePaymentRequest } from '../payment-requests/serialize.ts';
import { loadPaymentRequestView } from '../payment-requests/views.ts';
import { walletTransactionWebhookObject, walletWebhookObject } from '../wallets/views.ts';

/** Builds the JSON of a webhook's object, inside the transaction that changed it, as the change commits. */
type PayloadBuilder = (tx: Db, event: DomainEvent) => Promise<Record<string, unknown>>;

/** The parts of an invoice's JSON that are Lago serializer `includes`; each invoice webhook names the ones it shows. */
const INVOICE_INCLUDES = [
  'customer',
  'subscriptions',
  'billing_periods',
  'fees',
  'credits',
  'applied_taxes',
  'applied_invoice_custom_sections',
  'error_details',
  'metadata',
] as const;
type InvoiceInclude = (typeof INVOICE_INCLUDES)[number];

const INVOICE_WEBHOOK_INCLUDES: Partial<Record<DomainEventType, readonly InvoiceInclude[]>> = {
  'invoice.created': ['customer', 'subscriptions', 'billing_periods', 'fees', 'credits', 'applied_taxes', 'applied_invoice_custom_sections'],
  'invoice.drafted': ['customer', 'subscriptions', 'billing_periods', 'fees', 'credits', 'applied_taxes', 'error_details'],
  'invoice.voided': ['customer', 'billing_periods', 'subscriptions', 'fees', 'credits', 'applied_taxes'],
  'invoice.one_off_created': ['customer', 'fees', 'applied_taxes', 'applied_invoice_custom_sections'],
  'invoice.payment_status_updated': ['customer', 'fees'],
  'invoice.payment_overdue': ['customer', 'fees', 'applied_taxes'],
  'invoice.generated': ['customer'],
  'invoice.paid_credit_added': ['customer', 'fees', 'applied_taxes', 'applied_invoice_custom_sections'],
};

/** Subscription webhooks carry the plan and the customer; started and updated also the (empty) entitlements. */
const WITH_ENTITLEMENTS: readonly DomainEventType[] = ['subscription.started', 'subscription.updated'];

const findCustomer = async (tx: Db, organizationId: string, id: string): Promise<Customer> => {
  const [customer] = await selectRows<Customer>(tx, customers, sql`customers WHERE organization_id = ${organizationId} AND id = ${id}`);
  if (!customer) throw new Error(`customer ${id} not found`);
  return customer;
};

/** Lago's customer webhook: the customer with its integration customers, without its taxes. */
const customerJson = (view: CustomerView): Record<string, unknown> => {
  const { taxes: _taxes, ...json } = serializeCustomer(view);
  return json;
};

/** The threshold `subscription.usage_threshold_reached` reports (Lago's `usage_threshold` beside the subscription). */
const usageThresholdJson = (event: DomainEvent) => {
  const threshold = (event.view as { usageThreshold?: Parameters<typeof serializeUsageThreshold>[0] } | undefined)?.usageThreshold;
  if (!threshold) throw new Error(`${event.type} needs its usage threshold`);
  return serializeUsageThreshold(threshold);
};

const fromView =
  <V>(serialize: (view: V, event: DomainEvent) => Record<string, unknown>): PayloadBuilder =>
  async (_tx, event) => {
    if (event.view === undefined) throw new Error(`${event.type} needs the ${event.objectType} view`);
    return serialize(event.view as V, event);
  };

const builders: Partial<Record<DomainObjectType, PayloadBuilder>> = {
  invoice: async (tx, event) => {
    const invoice = await findInvoice(tx, event.organizationId, event.objectId!);
    if (!invoice) throw new Error(`invoice ${event.objectId} not found for ${event.type}`);
    const json: Record<string, unknown> = serializeInvoiceDetail(await loadInvoiceDetail(tx, invoice, event.at));
    const shown = INVOICE_WEBHOOK_INCLUDES[event.type] ?? INVOICE_INCLUDES;
    for (const part of INVOICE_INCLUDES) if (!shown.includes(part)) delete json[part];
    return json;
  },
  subscription: async (tx, event) => {
    const subscription = await findSubscription(tx, event.organizationId, event.objectId!);
    if (!subscription) throw new Error(`subscription ${event.objectId} not found for ${event.type}`);
    const [view] = await loadSubscriptionViews(tx, event.organizationId, [subscription], event.at);
    const customer = await loadCustomerView(tx, await findCustomer(tx, event.organizationId, subscription.customerId));
    return {
      ...serializeSubscriptionDetail(view!),
      customer: customerJson(customer),
      ...(WITH_ENTITLEMENTS.includes(event.type) && { entitlements: [] }),
      ...(event.type === 'subscription.usage_threshold_reached' && { usage_threshold: usageThresholdJson(event) }),
    };
  },
  customer: fromView<CustomerView>(customerJson),
  plan: fromView<PlanDetails>((details, event) => {
    const { entitlements, ...json } = serializePlan(details, { fixedCharges: false });
    return event.type === 'plan.deleted' ? json : { ...json, entitlements };
  }),
  billable_metric: fromView<MetricView>((view) => serializeBillableMetric(view, { counters: false })),
  events_errors: fromView<Record<string, unknown>>((lists) => lists),
  fee: feeWebhookJson,
  credit_note: creditNoteWebhookJson,
  wallet: walletWebhookObject,
  wallet_transaction: walletTransactionWebhookObject,
  payment_request: async (tx, event) => {
    const view = await loadPaymentRequestView(tx, event.organizationId, event.objectId!);
    if (!view) throw new Error(`payment request ${event.objectId} not found for ${event.type}`);
    return serializePaymentRequest(view);
  },
};

/**
 * The body Lago posts for a change: its type, the object's type, the organization, and the object under its type's
 * key (`{"webhook_type": "invoice.created", "object_type": "invoice", "organization_id": …, "invoice": {…}}`).
 */
export const webhookBody = async (tx: Db, event: DomainEvent): Promise<string> =>
  JSON.stringify({
    webhook_type: event.type,
    object_type: event.objectType,
    organization_id: event.organizationId,
    [event.objectType]: await builderOf(event.objectType)(tx, event),
  });

const builderOf = (type: DomainObjectType): PayloadBuilder => {
  const builder = builders[type];
  if (!builder) throw new Error(`no webhook payload for ${type} objects`);
  return builder;
};

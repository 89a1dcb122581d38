import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';
import { openPglite, openPostgres, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { buildServer } from './http/server.ts';
import { createOrganizationService } from './modules/organizations/service.ts';
import { organizationRoutes } from './modules/organizations/routes.ts';
import { createTaxService } from './modules/taxes/service.ts';
import { taxRoutes } from './modules/taxes/routes.ts';
import { createBillableMetricService } from './modules/billable-metrics/service.ts';
import { billableMetricRoutes } from './modules/billable-metrics/routes.ts';
import { createPlanService } from './modules/plans/service.ts';
import { planRoutes } from './modules/plans/routes.ts';
import { createCustomerService } from './modules/customers/service.ts';
import { customerRoutes } from './modules/customers/routes.ts';
import { createCouponService } from './modules/coupons/service.ts';
import { couponRoutes } from './modules/coupons/routes.ts';
import { createAppliedCouponService } from './modules/applied-coupons/service.ts';
import { appliedCouponRoutes } from './modules/applied-coupons/routes.ts';
import { createAddOnService } from './modules/add-ons/service.ts';
import { addOnRoutes } from './modules/add-ons/routes.ts';
import { createSubscriptionService } from './modules/subscriptions/service.ts';
import { subscriptionRoutes } from './modules/subscriptions/routes.ts';
import { createMeteringService } from './modules/metering/service.ts';
import { createEventService } from './modules/events/service.ts';
import { createProgressiveBillingService } from './modules/progressive-billing/service.ts';
import { createProgressiveIngestListener } from './modules/progressive-billing/ingest-listener.ts';
import { lifetimeUsageRoutes } from './modules/progressive-billing/routes.ts';
import { invalidateWatch } from './modules/progressive-billing/watch-cache.ts';
import { createEventValidation } from './modules/events/validation.ts';
import { createWalletService } from './modules/wallets/service.ts';
import { createWalletTransactionService } from './modules/wallets/transactions-service.ts';
import { createWalletIngestListener } from './modules/wallets/ingest-listener.ts';
import { walletRoutes } from './modules/wallets/routes.ts';
import { eventRoutes } from './modules/events/routes.ts';
import { createUsageService } from './modules/usage/service.ts';
import { usageRoutes } from './modules/usage/routes.ts';
import { createPastUsageService } from './modules/usage/past-usage.ts';
import { createBillingService } from './modules/billing/service.ts';
import { createInAdvanceCharges } from './modules/billing/in-advance-charges.ts';
import { createInvoiceService } from './modules/invoices/service.ts';
import { invoiceRoutes } from './modules/invoices/routes.ts';
import { createInvoicePreviewService } from './modules/invoices/preview.ts';
import { createFeeService } from './modules/fees/service.ts';
import { feeRoutes } from './modules/fees/routes.ts';
import { createCreditNoteService } from './modules/credit-notes/service.ts';
import { creditNoteRoutes } from './modules/credit-notes/routes.ts';
import { createPaymentService } from './modules/payments/service.ts';
import { paymentRoutes } from './modules/payments/routes.ts';
import { createPaymentRequestService } from './modules/payment-requests/service.ts';
import { paymentRequestRoutes } from './modules/payment-requests/routes.ts';
import { createWebhookEndpointService } from './modules/webhook-endpoints/service.ts';
import { webhookEndpointRoutes } from './modules/webhook-endpoints/routes.ts';
import { setOutboxWriter } from './db/transaction.ts';
import { createWebhookDelivery, type DeliverySettings } from './modules/webhooks/delivery.ts';
import { createWebhookService } from './modules/webhooks/service.ts';
import { webhookRoutes } from './modules/webhooks/routes.ts';
import { createDocumentService } from './modules/documents/service.ts';
import { documentFileRoutes, documentRoutes } from './modules/documents/routes.ts';
import { loadSigningKeys } from './modules/webhook-endpoints/signing-keys.ts';
import { DEFAULT_WEBHOOK_SETTINGS } from './config.ts';
import { createOutboxWriter } from './modules/webhooks/outbox.ts';
import { systemClock } from './lib/clock.ts';
import { instantToDate } from './lib/time.ts';

/** Webhook delivery settings from the configuration, Billow's defaults for what it leaves out. */
const deliverySettings = (config: Pick<Config, 'webhooks'> | Record<string, never>, issuer: () => string): DeliverySettings => {
  const webhooks = { ...DEFAULT_WEBHOOK_SETTINGS, ...('webhooks' in config ? config.webhooks : {}) };
  return { attempts: webhooks.attempts, timeoutMs: webhooks.timeoutMs, backoffUnitMs: webhooks.backoffUnitMs, issuer, batchSize: 20 };
};

/** The API's public URL: configured, or where this process listens. */
export const publicUrl = (config: Partial<Pick<Config, 'publicUrl' | 'host' | 'port'>>): string =>
  config.publicUrl ?? `http://${config.host ?? '127.0.0.1'}:${config.port ?? 3000}`;

/** Builds every service over one database. The only place that wires Billow together. */
export const createServices = (
  database: Database,
  options: { webhooks: DeliverySettings; publicUrl: () => string } = {
    webhooks: deliverySettings({}, () => publicUrl({})),
    publicUrl: () => publicUrl({}),
  },
) => {
  const { db } = database;
  // Webhook-worthy changes are written to the outbox as their transactions commit.
  setOutboxWriter(db, createOutboxWriter(() => instantToDate(systemClock.now())));
  const organizations = createOrganizationService({ db });
  const taxes = createTaxService({ db });
  const metering = createMeteringService({ db });
  // Pay-in-advance charges bill events as they are stored; charge and metric writes drop the codes it caches.
  const inAdvanceCharges = createInAdvanceCharges({ db, metering });
  const chargeWrites = inAdvanceCharges.watch(metering);
  const billableMetrics = createBillableMetricService({ db, metering: chargeWrites });
  const billing = createBillingService({ db, metering });
  const plans = createPlanService({ db, metering: chargeWrites, endSubscription: (tx, subscription, at) => billing.terminate(tx, subscription, at, at) });
  const customers = createCustomerService({ db });
  const coupons = createCouponService({ db });
  const appliedCoupons = createAppliedCouponService({ db });
  const addOns = createAddOnService({ db });
  // Test clocks run the billing that falls due while they move, in order, before an advance returns.
  const eventValidation = createEventValidation({ db });
  const progressiveBilling = createProgressiveBillingService({ db, metering, billing });
  organizations.onClockAdvance(async (ctx, from, to) => {
    // Pay-in-advance events stored before the clock moved and left without a fee are billed where it stood.
    await inAdvanceCharges.sweep(ctx.organizationId, from, from);
    // Thresholds crossed where the clock stood (a check the events missed) are billed in their own period, before the
    // billing that closes it; subscriptions that billing starts are then watched by ingestion.
    await progressiveBilling.checkDue(ctx.organizationId, from);
    await billing.runDue(ctx.organizationId, to);
    invalidateWatch(ctx.organizationId);
    await progressiveBilling.checkDue(ctx.organizationId, to);
    await eventValidation.validateUpTo(ctx.organizationId, to);
  });
  const subscriptions = createSubscriptionService({ db, metering: chargeWrites, billing });
  // Threshold top-ups follow events: the listener refreshes the ongoing balances of customers whose wallets have one.
  const walletIngest = createWalletIngestListener({ db, metering });
  const events = createEventService({
    db,
    metering,
    listeners: [
      inAdvanceCharges.listener,
      createProgressiveIngestListener(db, progressiveBilling, (error) => progressiveBilling.reportError(error)),
      walletIngest.listener,
    ],
  });
  const wallets = createWalletService({ db, metering, changed: walletIngest.forget });
  const walletTransactions = createWalletTransactionService({ db });
  const usage = createUsageService({ db, metering });
  const pastUsage = createPastUsageService({ db });
  const invoices = createInvoiceService({ db, billing });
  const invoicePreviews = createInvoicePreviewService({ db, billing });
  const fees = createFeeService({ db });
  const creditNotes = createCreditNoteService({ db });
  const payments = createPaymentService({ db });
  const paymentRequests = createPaymentRequestService({ db });
  const webhookEndpoints = createWebhookEndpointService({ db });
  const webhookDelivery = createWebhookDelivery({ db, settings: options.webhooks, signingKeys: loadSigningKeys });
  const webhooks = createWebhookService({ db, delivery: webhookDelivery });
  const documents = createDocumentService({ db, publicUrl: options.publicUrl, clock: systemClock });
  return { organizations, taxes, billableMetrics, plans, customers, coupons, appliedCoupons, addOns, subscriptions, metering, events, usage, pastUsage, billing, inAdvanceCharges, invoices, invoicePreviews, fees, creditNotes, payments, paymentRequests, webhookEndpoints, webhookDelivery, webhooks, documents, eventValidation, progressiveBilling, wallets, walletTransactions };
};
export type Services = ReturnType<typeof createServices>;

export const createHttp = (services: Services, options: { logger: FastifyServerOptions['logger']; bodyLimitBytes: number; adminKey: string | null }) =>
  buildServer({
    ...options,
    organizations: services.organizations,
    apiRoutes: [
      organizationRoutes(services.organizations),
      taxRoutes(services.taxes),
      billableMetricRoutes(services.billableMetrics),
      planRoutes(services.plans),
      customerRoutes(services.customers),
      couponRoutes(services.coupons),
      appliedCouponRoutes(services.appliedCoupons),
      addOnRoutes(services.addOns),
      subscriptionRoutes(services.subscriptions),
      eventRoutes(services.events, services.inAdvanceCharges),
      usageRoutes(services.usage, services.pastUsage),
      invoiceRoutes(services.invoices, services.invoicePreviews),
      feeRoutes(services.fees),
      creditNoteRoutes(services.creditNotes),
      paymentRoutes(services.payments),
      paymentRequestRoutes(services.paymentRequests),
      webhookEndpointRoutes(services.webhookEndpoints),
      webhookRoutes(services.webhooks),
      documentRoutes(services.documents),
      lifetimeUsageRoutes(services.progressiveBilling),
      walletRoutes(services.wallets, services.walletTransactions),
    ],
    publicRoutes: [documentFileRoutes(services.documents)],
  });

export const openDatabase = async (config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Database> =>
  config.databaseUrl ? openPostgres(config.databaseUrl) : openPglite({ dataDir: config.dataDir });

export interface App {
  database: Database;
  services: Services;
  http: FastifyInstance;
  close(): Promise<void>;
}

/** Opens the database, brings its schema up to date and builds the HTTP server (not yet listening). */
export const createApp = async (config: Config, database?: Database): Promise<App> => {
  const db = database ?? (await openDatabase(config));
  await migrate(db);
  // Where this process is reached: configured, or known once it listens (PORT=0 picks a free port).
  let reachedAt = publicUrl(config);
  const services = createServices(db, { webhooks: deliverySettings(config, () => reachedAt), publicUrl: () => reachedAt });
  const http = await createHttp(services, {
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimitBytes: config.bodyLimitBytes,
    adminKey: config.adminKey,
  });
  if (!config.publicUrl) {
    http.addHook('onListen', async () => {
      const address = http.server.address();
      if (!address || typeof address !== 'object') return;
      // A wildcard address is where the process listens, not where it is reached: loopback stands in for it.
      const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
      reachedAt = `http://${host}:${address.port}`;
    });
  }
  // Usage aggregates appended by ingestion are folded into their hourly, daily and monthly rows in the background.
  const stopCompactor =
    config.compactionIntervalMs > 0
      ? services.metering.startCompactor(config.compactionIntervalMs, (error) => http.log.error({ err: error }, 'aggregate compaction failed'))
      : async () => {};
  // The live billing clock: due invoices, starts, ends and draft finalizations of organizations without a test clock.
  const stopBillingClock =
    (config.billingClockIntervalMs ?? 0) > 0
      ? services.billing.startClock(config.billingClockIntervalMs!, (error) => http.log.error({ err: error }, 'billing run failed'))
      : async () => {};
  // Progressive billing: checks that fail at ingestion are logged; the periodic check (Lago runs it every 5 minutes)
  // bills the crossings that ingestion did not.
  services.progressiveBilling.onError((error) => http.log.error({ err: error }, 'progressive billing check failed'));
  const stopProgressiveClock =
    (config.billingClockIntervalMs ?? 0) > 0
      ? services.progressiveBilling.startClock(Math.max(config.billingClockIntervalMs!, 300_000), (error) => http.log.error({ err: error }, 'progressive billing check failed'))
      : async () => {};
  // Pay-in-advance events left without their fee (a failure, a stop right after their commit) are billed by a sweep.
  services.inAdvanceCharges.onError((error) => http.log.error({ err: error }, 'pay-in-advance billing failed'));
  const stopInAdvanceSweep =
    (config.billingClockIntervalMs ?? 0) > 0
      ? services.inAdvanceCharges.start(config.billingClockIntervalMs!, (error) => http.log.error({ err: error }, 'pay-in-advance sweep failed'))
      : async () => {};
  // Webhooks leave the outbox as soon as their transactions commit, and again on their retry schedule.
  const webhookInterval = config.webhooks?.deliveryIntervalMs ?? 0;
  const stopWebhookDelivery =
    webhookInterval > 0
      ? services.webhookDelivery.start(webhookInterval, (error) => http.log.error({ err: error }, 'webhook delivery failed'))
      : async () => {};
  // Lago's hourly events.errors report of the events that will not count.
  const validationInterval = config.eventValidationIntervalMs ?? 0;
  const stopEventValidation =
    validationInterval > 0 ? services.eventValidation.start(validationInterval, (error) => http.log.error({ err: error }, 'events validation failed')) : async () => {};
  // Every finalized invoice gets its PDF (and invoice.generated) in the background, as in Lago.
  const documentInterval = config.documentIntervalMs ?? 0;
  const stopDocuments =
    documentInterval > 0 ? services.documents.start(documentInterval, (error) => http.log.error({ err: error }, 'document rendering failed')) : async () => {};
  return {
    database: db,
    services,
    http,
    close: async () => {
      await http.close();
      await stopDocuments();
      await stopEventValidation();
      await stopWebhookDelivery();
      await stopProgressiveClock();
      await stopInAdvanceSweep();
      await stopBillingClock();
      await stopCompactor();
      await db.close();
    },
  };
};

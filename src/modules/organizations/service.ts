import { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import { frozenClock, systemClock, type Clock } from '../../lib/clock.ts';
import type { Ctx } from '../../lib/context.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder, invalid, notAllowed, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { dateToInstant, instantToDate } from '../../lib/time.ts';
import { isTimeZone } from '../../lib/timezones.ts';
import { normalizeCountry } from '../../lib/countries.ts';
import { organizationWebhookUrls, setOrganizationWebhookUrl } from '../webhook-endpoints/service.ts';
import { digestApiKey, digestsMatch, generateApiKey, generateHmacKey, keyHint } from './keys.ts';
import * as repo from './repository.ts';
import {
  checkOrganizationSettings,
  defaultDocumentPrefix,
  type Organization,
  type OrganizationUpdateInput,
  type OrganizationView,
} from './types.ts';

export interface NewOrganization {
  name: string;
  timezone?: string | undefined;
  defaultCurrency?: string | undefined;
  /** Creates the organization with a frozen clock set to this instant. */
  testClock?: Temporal.Instant | undefined;
  /** Use this key instead of generating one (BILLOW_API_KEY). */
  apiKey?: string | undefined;
}

/**
 * Time-driven work a test clock advance must run before it returns (billing, trial ends, top-ups...). Later features
 * register theirs; each is called with the organization and the instant the clock moved to, in registration order.
 */
export type ClockAdvanceHandler = (ctx: Ctx, from: Temporal.Instant, to: Temporal.Instant) => Promise<void>;

/** An organization's clock: its frozen test clock, or the system clock. */
export const clockFrom = (testClockFrozenAt: Date | null): Clock =>
  testClockFrozenAt ? frozenClock(dateToInstant(testClockFrozenAt)) : systemClock;

/** The organization's own columns an update writes: the fields it was given. */
const settingChanges = (input: OrganizationUpdateInput): Partial<Organization> => {
  const billing = input.billing_configuration;
  return {
    ...(input.country !== undefined && { country: input.country === null ? null : normalizeCountry(input.country) }),
    ...(input.default_currency !== undefined && { defaultCurrency: input.default_currency.toUpperCase() }),
    ...(input.address_line1 !== undefined && { addressLine1: input.address_line1 }),
    ...(input.address_line2 !== undefined && { addressLine2: input.address_line2 }),
    ...(input.state !== undefined && { state: input.state }),
    ...(input.zipcode !== undefined && { zipcode: input.zipcode }),
    ...(input.email !== undefined && { email: input.email }),
    ...(input.city !== undefined && { city: input.city }),
    ...(input.legal_name !== undefined && { legalName: input.legal_name }),
    ...(input.legal_number !== undefined && { legalNumber: input.legal_number }),
    ...(input.net_payment_term !== undefined && { netPaymentTerm: input.net_payment_term }),
    ...(input.tax_identification_number !== undefined && { taxIdentificationNumber: input.tax_identification_number }),
    ...(input.timezone !== undefined && { timezone: input.timezone }),
    ...(input.document_numbering !== undefined && { documentNumbering: input.document_numbering }),
    ...(input.document_number_prefix !== undefined && { documentNumberPrefix: input.document_number_prefix.toUpperCase() }),
    ...(input.finalize_zero_amount_invoice !== undefined && { finalizeZeroAmountInvoice: input.finalize_zero_amount_invoice }),
    ...(input.email_settings !== undefined && { emailSettings: [...new Set(input.email_settings)] }),
    ...(billing?.invoice_footer !== undefined && { invoiceFooter: billing.invoice_footer }),
    ...(billing?.invoice_grace_period !== undefined && { invoiceGracePeriod: billing.invoice_grace_period }),
    ...(billing?.document_locale !== undefined && { documentLocale: billing.document_locale }),
  };
};

export const createOrganizationService = ({ db }: { db: Db }) => {
  const advanceHandlers: ClockAdvanceHandler[] = [];
  const advancing = new Map<string, Promise<void>>();

  const create = async (input: NewOrganization): Promise<Result<{ organization: Organization; apiKey: string }>> => {
    const errors = new FieldErrorsBuilder();
    if (input.name.trim() === '') errors.add('name', 'value_is_mandatory');
    if (input.timezone !== undefined && !isTimeZone(input.timezone)) errors.add('timezone', 'invalid_timezone');
    if (input.defaultCurrency !== undefined && !isCurrency(input.defaultCurrency)) errors.add('default_currency', 'value_is_invalid');
    if (!errors.empty) return err(errors.toError());
    const id = newId();
    const apiKey = input.apiKey ?? generateApiKey();
    // The organization's own records are stamped with its own clock from the first one on.
    const now = instantToDate(input.testClock ?? systemClock.now());
    return transact(db, async (tx) => {
      const organization = await repo.insertOrganization(tx, {
        id,
        name: input.name.trim(),
        timezone: input.timezone ?? 'UTC',
        defaultCurrency: input.defaultCurrency ?? 'USD',
        netPaymentTerm: 0,
        invoiceGracePeriod: 0,
        documentLocale: 'en',
        documentNumbering: 'per_customer',
        hmacKey: generateHmacKey(),
        documentNumberPrefix: defaultDocumentPrefix(input.name, id),
        finalizeZeroAmountInvoice: true,
        emailSettings: [],
        testClockFrozenAt: input.testClock ? instantToDate(input.testClock) : null,
        customersSequence: 0,
        createdAt: now,
        updatedAt: now,
      });
      await repo.insertApiKey(tx, {
        organizationId: id,
        id: newId(),
        keyDigest: digestApiKey(apiKey),
        keyHint: keyHint(apiKey),
        createdAt: now,
      });
      return ok({ organization, apiKey });
    });
  };

  // Live organizations' keys are remembered for a few seconds, sparing every ingestion request a query. Organizations on
  // a test clock are always read afresh: their "now" moves when the clock is advanced.
  const recentKeys = new Map<string, { organizationId: string; until: number }>();
  const KEY_MEMORY_MS = 10_000;
  const KEY_MEMORY_SIZE = 10_000;

  /** The context of the organization an API key belongs to, or null; the digests are compared in constant time. */
  const authenticate = async (key: string): Promise<Ctx | null> => {
    const digest = digestApiKey(key);
    const remembered = recentKeys.get(digest.toString('base64'));
    if (remembered && remembered.until > performance.now()) return { organizationId: remembered.organizationId, clock: systemClock };
    const found = await repo.findByKeyDigest(db, digest);
    if (!found || !digestsMatch(found.digest, digest)) return null;
    if (found.testClockFrozenAt === null) {
      if (recentKeys.size >= KEY_MEMORY_SIZE) recentKeys.clear();
      recentKeys.set(digest.toString('base64'), { organizationId: found.organizationId, until: performance.now() + KEY_MEMORY_MS });
    }
    return { organizationId: found.organizationId, clock: clockFrom(found.testClockFrozenAt) };
  };

  const get = async (ctx: Ctx): Promise<Result<Organization>> => {
    const organization = await repo.findOrganization(db, ctx.organizationId);
    return organization ? ok(organization) : err(notFound('organization'));
  };

  /** The organization as GET /organizations shows it, with its webhook URLs. */
  const show = async (ctx: Ctx): Promise<Result<OrganizationView>> => {
    const organization = await repo.findOrganization(db, ctx.organizationId);
    if (!organization) return err(notFound('organization'));
    return ok({ organization, webhookUrls: await organizationWebhookUrls(db, ctx.organizationId) });
  };

  /**
   * Lago's organization update. A `webhook_url` is written to the first webhook endpoint (made if there is none) in the
   * same transaction, and, as in Lago, that endpoint's errors are reported alone, before the organization's own.
   */
  const update = (ctx: Ctx, input: OrganizationUpdateInput): Promise<Result<OrganizationView>> =>
    transact(db, async (tx) => {
      const now = instantToDate(ctx.clock.now());
      if (input.webhook_url !== undefined) {
        const endpoint = await setOrganizationWebhookUrl(tx, ctx.organizationId, input.webhook_url, now);
        if (!endpoint.ok) return endpoint;
      }
      const errors = checkOrganizationSettings(input);
      if (!errors.empty) return err(errors.toError());
      const organization = await repo.updateOrganization(tx, ctx.organizationId, { ...settingChanges(input), updatedAt: now });
      return ok({ organization, webhookUrls: await organizationWebhookUrls(tx, ctx.organizationId) });
    });

  const testClock = async (ctx: Ctx): Promise<Result<Temporal.Instant>> => {
    const organization = await repo.findOrganization(db, ctx.organizationId);
    if (!organization) return err(notFound('organization'));
    if (!organization.testClockFrozenAt) return err(notAllowed('test_clock_not_enabled'));
    return ok(dateToInstant(organization.testClockFrozenAt));
  };

  /**
   * Moves a test clock forward and, before answering, runs every registered piece of time-driven work up to the new
   * instant. Handlers do their work in their own transactions; the clock is moved last, so an advance that fails half
   * way can simply be repeated. Advances of one organization queue up behind each other in this process.
   */
  const advanceTestClock = (ctx: Ctx, to: Temporal.Instant): Promise<Result<Temporal.Instant>> => {
    const previous = advancing.get(ctx.organizationId) ?? Promise.resolve();
    const run = previous.then(async (): Promise<Result<Temporal.Instant>> => {
      const current = await testClock(ctx);
      if (!current.ok) return current;
      const from = current.value;
      if (Temporal.Instant.compare(to, from) < 0) return err(invalid('frozen_time', 'cannot_move_backwards'));
      for (const handler of advanceHandlers) await handler({ organizationId: ctx.organizationId, clock: frozenClock(to) }, from, to);
      await repo.updateOrganization(db, ctx.organizationId, { testClockFrozenAt: instantToDate(to) });
      return ok(to);
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    advancing.set(ctx.organizationId, settled);
    void settled.then(() => {
      if (advancing.get(ctx.organizationId) === settled) advancing.delete(ctx.organizationId);
    });
    return run;
  };

  /** Used once at start: the first organization, created when the database has none. */
  const bootstrap = async (apiKey: string | null): Promise<{ organization: Organization; apiKey: string | null; created: boolean }> => {
    const existing = await repo.oldestOrganization(db);
    if (existing) return { organization: existing, apiKey: null, created: false };
    const result = await create({ name: 'Default organization', apiKey: apiKey ?? undefined });
    if (!result.ok) throw new Error(`could not create the first organization: ${JSON.stringify(result.error)}`);
    return { organization: result.value.organization, apiKey: result.value.apiKey, created: true };
  };

  return {
    create,
    authenticate,
    get,
    show,
    update,
    testClock,
    advanceTestClock,
    bootstrap,
    onClockAdvance: (handler: ClockAdvanceHandler) => void advanceHandlers.push(handler),
  };
};

export type OrganizationService = ReturnType<typeof createOrganizationService>;

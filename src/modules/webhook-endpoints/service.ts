import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { FieldErrorsBuilder, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import * as repo from './repository.ts';
import { loadSigningKeys } from './signing-keys.ts';
import {
  isSignatureAlgo,
  isWebhookUrl,
  LIMIT_REACHED_MESSAGE,
  MAX_WEBHOOK_URL_LENGTH,
  normalizeEventTypes,
  WEBHOOK_ENDPOINTS_LIMIT,
  type SignatureAlgo,
  type WebhookEndpoint,
  type WebhookEndpointInput,
} from './types.ts';

/**
 * Lago's checks of a webhook URL, all of which apply at once: blank (`value_is_mandatory`), not an http(s) URL with a
 * host (`url_is_invalid`, so a missing URL gets both codes), already used by another endpoint of the organization.
 * Billow adds a length limit (`value_is_too_long`), where Lago would fail on its unique index.
 */
const checkUrl = async (
  tx: Db,
  organizationId: string,
  url: string | null | undefined,
  selfId: string | null,
  errors: FieldErrorsBuilder,
): Promise<void> => {
  if (url != null && url.length > MAX_WEBHOOK_URL_LENGTH) {
    errors.add('webhook_url', 'value_is_too_long');
    return;
  }
  if (url == null || url.trim() === '') errors.add('webhook_url', 'value_is_mandatory');
  if (!isWebhookUrl(url)) errors.add('webhook_url', 'url_is_invalid');
  if (url != null) {
    const holder = await repo.findWebhookEndpointByUrl(tx, organizationId, url);
    if (holder && holder.id !== selfId) errors.add('webhook_url', 'value_already_exist');
  }
};

const urlTaken = <T>(work: () => Promise<Result<T>>) => refusingDuplicates('webhook_url', work);

/**
 * What Lago's PUT /organizations does with `webhook_url`: it becomes the URL of the organization's first endpoint
 * (by id), or of a new `jwt` endpoint when there is none. Runs inside the caller's transaction.
 */
export const setOrganizationWebhookUrl = async (
  tx: Db,
  organizationId: string,
  url: string | null,
  now: Date,
): Promise<Result<WebhookEndpoint>> => {
  await repo.lockWebhookEndpoints(tx, organizationId);
  const [first] = await repo.webhookEndpointsById(tx, organizationId);
  const errors = new FieldErrorsBuilder();
  await checkUrl(tx, organizationId, url, first?.id ?? null, errors);
  if (!errors.empty) return err(errors.toError());
  if (first) return ok(await repo.updateWebhookEndpoint(tx, organizationId, first.id, { webhookUrl: url!, updatedAt: now }));
  return ok(
    await repo.insertWebhookEndpoint(tx, {
      organizationId,
      id: newId(),
      webhookUrl: url!,
      signatureAlgo: 'jwt',
      name: null,
      eventTypes: null,
      createdAt: now,
      updatedAt: now,
    }),
  );
};

/** The organization's webhook URLs, first endpoint first: what its `webhook_url` and `webhook_urls` show. */
export const organizationWebhookUrls = async (db: Db, organizationId: string): Promise<string[]> =>
  (await repo.webhookEndpointsById(db, organizationId)).map((endpoint) => endpoint.webhookUrl);

export const createWebhookEndpointService = ({ db }: { db: Db }) => {
  const create = (ctx: Ctx, input: WebhookEndpointInput): Promise<Result<WebhookEndpoint>> =>
    urlTaken(() =>
      transact(db, async (tx) => {
        await repo.lockWebhookEndpoints(tx, ctx.organizationId);
        const errors = new FieldErrorsBuilder();
        await checkUrl(tx, ctx.organizationId, input.webhook_url, null, errors);
        // Lago falls back to jwt for a missing or null algorithm.
        const algo = input.signature_algo ?? 'jwt';
        if (!isSignatureAlgo(algo)) errors.add('signature_algo', 'value_is_invalid');
        if ((await repo.countWebhookEndpoints(tx, ctx.organizationId)) >= WEBHOOK_ENDPOINTS_LIMIT) errors.add('base', LIMIT_REACHED_MESSAGE);
        const eventTypes = normalizeEventTypes(input.event_types);
        if ('errors' in eventTypes) for (const code of eventTypes.errors) errors.add('event_types', code);
        if (!errors.empty || !('value' in eventTypes)) return err(errors.toError());
        const now = instantToDate(ctx.clock.now());
        return ok(
          await repo.insertWebhookEndpoint(tx, {
            organizationId: ctx.organizationId,
            id: newId(),
            webhookUrl: input.webhook_url!,
            signatureAlgo: algo as SignatureAlgo,
            name: input.name ?? null,
            eventTypes: eventTypes.value,
            createdAt: now,
            updatedAt: now,
          }),
        );
      }),
    );

  const get = async (ctx: Ctx, id: string): Promise<Result<WebhookEndpoint>> => {
    const endpoint = await repo.findWebhookEndpoint(db, ctx.organizationId, id);
    return endpoint ? ok(endpoint) : err(notFound('webhook_endpoint'));
  };

  const list = async (ctx: Ctx, page: PageRequest): Promise<Result<Page<WebhookEndpoint>>> => {
    const { rows, total } = await repo.listWebhookEndpoints(db, ctx.organizationId, page);
    return ok({ items: rows, meta: paginationMeta(page, total) });
  };

  /** Only the fields given change; a field given as null is cleared (and a null URL or algorithm is refused). */
  const update = (ctx: Ctx, id: string, input: WebhookEndpointInput): Promise<Result<WebhookEndpoint>> =>
    urlTaken(() =>
      transact(db, async (tx) => {
        const endpoint = await repo.findWebhookEndpoint(tx, ctx.organizationId, id);
        if (!endpoint) return err(notFound('webhook_endpoint'));
        const errors = new FieldErrorsBuilder();
        if (input.webhook_url !== undefined) await checkUrl(tx, ctx.organizationId, input.webhook_url, endpoint.id, errors);
        if (input.signature_algo !== undefined && !isSignatureAlgo(input.signature_algo)) errors.add('signature_algo', 'value_is_invalid');
        const eventTypes = input.event_types !== undefined ? normalizeEventTypes(input.event_types) : null;
        if (eventTypes && 'errors' in eventTypes) for (const code of eventTypes.errors) errors.add('event_types', code);
        if (!errors.empty || (eventTypes && 'errors' in eventTypes)) return err(errors.toError());
        return ok(
          await repo.updateWebhookEndpoint(tx, ctx.organizationId, endpoint.id, {
            ...(input.webhook_url !== undefined && { webhookUrl: input.webhook_url! }),
            ...(input.signature_algo !== undefined && { signatureAlgo: input.signature_algo! }),
            ...(input.name !== undefined && { name: input.name }),
            ...(eventTypes && 'value' in eventTypes && { eventTypes: eventTypes.value }),
            updatedAt: instantToDate(ctx.clock.now()),
          }),
        );
      }),
    );

  /** The endpoint's webhooks go with it, sent or not (Lago's `dependent: :delete_all`). */
  const destroy = (ctx: Ctx, id: string): Promise<Result<WebhookEndpoint>> =>
    transact(db, async (tx) => {
      const endpoint = await repo.findWebhookEndpoint(tx, ctx.organizationId, id);
      if (!endpoint) return err(notFound('webhook_endpoint'));
      await repo.deleteWebhookEndpoint(tx, ctx.organizationId, endpoint.id);
      return ok(endpoint);
    });

  /** The PEM of the public key receivers verify `jwt` signatures with; the pair is made on first use. */
  const publicKey = async (ctx: Ctx): Promise<Result<string>> =>
    ok((await loadSigningKeys(db, ctx.organizationId, instantToDate(ctx.clock.now()))).publicKeyPem);

  return { create, get, list, update, destroy, publicKey };
};

export type WebhookEndpointService = ReturnType<typeof createWebhookEndpointService>;

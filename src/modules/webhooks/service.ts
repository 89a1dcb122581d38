import type { Db } from '../../db/database.ts';
import type { Ctx } from '../../lib/context.ts';
import { FieldErrorsBuilder, notAllowed, notFound } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { pageOffset, paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import type { WebhookDelivery } from './delivery.ts';
import { findWebhook, listWebhooks, type WebhookFilters, type WebhookRow } from './repository.ts';

export const WEBHOOK_STATUSES = ['pending', 'retrying', 'succeeded', 'failed'] as const;

export interface WebhookListInput {
  statuses: string[] | null;
  webhookTypes: string[] | null;
  endpointId: string | null;
}

/** The webhook log: what was sent where, with what answer, and a re-send for the ones that failed. */
export const createWebhookService = ({ db, delivery }: { db: Db; delivery: WebhookDelivery }) => {
  const list = async (ctx: Ctx, input: WebhookListInput, page: PageRequest): Promise<Result<Page<WebhookRow>>> => {
    const errors = new FieldErrorsBuilder();
    if (input.statuses?.some((s) => !(WEBHOOK_STATUSES as readonly string[]).includes(s))) errors.add('status', 'value_is_invalid');
    if (input.endpointId !== null && !isUuid(input.endpointId)) errors.add('webhook_endpoint_id', 'value_is_invalid');
    if (!errors.empty) return err(errors.toError());
    const filters: WebhookFilters = { statuses: input.statuses, webhookTypes: input.webhookTypes, endpointId: input.endpointId };
    const { rows, total } = await listWebhooks(db, ctx.organizationId, filters, pageOffset(page), page.perPage);
    return ok({ items: rows, meta: paginationMeta(page, total) });
  };

  const get = async (ctx: Ctx, id: string): Promise<Result<WebhookRow>> => {
    const webhook = isUuid(id) ? await findWebhook(db, ctx.organizationId, id) : null;
    return webhook ? ok(webhook) : err(notFound('webhook'));
  };

  /**
   * Sends a webhook again (Lago's retry): it is due at once and the delivery worker sends it; a failed one gets one
   * more attempt. A delivered one is refused with `is_succeeded`.
   */
  const retry = async (ctx: Ctx, id: string): Promise<Result<WebhookRow>> => {
    const webhook = isUuid(id) ? await findWebhook(db, ctx.organizationId, id) : null;
    if (!webhook) return err(notFound('webhook'));
    if (webhook.status === 'succeeded' || !(await delivery.resend(ctx.organizationId, id))) return err(notAllowed('is_succeeded'));
    const rescheduled = await findWebhook(db, ctx.organizationId, id);
    return rescheduled ? ok(rescheduled) : err(notFound('webhook'));
  };

  return { list, get, retry };
};

export type WebhookService = ReturnType<typeof createWebhookService>;

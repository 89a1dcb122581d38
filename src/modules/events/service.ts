import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notFound, validation, type FieldErrors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { pageOffset, paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { parseIsoDateTime } from '../../lib/time.ts';
import type { MeteringService } from '../metering/service.ts';
import { listingPage } from './listing.ts';
import { listingRange } from './page-locator.ts';
import * as repo from './repository.ts';
import { MAX_BATCH, parseEvent, samePayload, type FieldErrorMap, type ParsedEvent } from './types.ts';

const keyOf = (e: { transactionId: string; externalSubscriptionId: string }) => `${e.transactionId}\u0000${e.externalSubscriptionId}`;

/** A refusal: for a batch, keyed by the index of each bad event; for a single event, its fields. */
const refusal = (errors: Map<number, FieldErrorMap>, batch: boolean) => {
  if (!batch) return err(validation(errors.get(0)!));
  const details: FieldErrors = {};
  for (const [index, fields] of [...errors.entries()].sort(([a], [b]) => a - b)) details[String(index)] = fields;
  return err(validation(details));
};

const addError = (errors: Map<number, FieldErrorMap>, index: number, field: string, code: string) => {
  const fields = errors.get(index) ?? {};
  (fields[field] ??= []).push(code);
  errors.set(index, fields);
};

/**
 * Work that follows the storage of new events (pay-in-advance fees, progressive billing): called after the events
 * committed, with only the events stored by this request (not the resent ones), in request order.
 */
export type IngestListener = (ctx: Ctx, events: readonly repo.EventRow[]) => Promise<void>;

export const createEventService = ({ db, metering, listeners = [] }: { db: Db; metering: MeteringService; listeners?: readonly IngestListener[] }) => {
  const notify = async (ctx: Ctx, events: readonly repo.EventRow[]) => {
    if (events.length === 0) return;
    for (const listener of listeners) await listener(ctx, events);
  };

  /**
   * Stores events exactly once and folds them into usage, all in one transaction: every event of a request is stored,
   * or none. An event whose key (transaction_id, external_subscription_id) is already stored with the same payload is
   * acknowledged with the stored event and counted once; the same key with another payload is refused
   * (`value_already_exist`). Concurrent requests carrying the same events wait on each other's keys, so an event is
   * never counted twice nor lost.
   */
  const ingest = async (ctx: Ctx, input: unknown, batch: boolean): Promise<Result<repo.EventRow[]>> => {
    if (batch && !Array.isArray(input)) return err(invalid('events', input === undefined || input === null ? 'no_events' : 'value_is_invalid'));
    const raws: readonly unknown[] = batch ? (input as unknown[]) : [input];
    if (batch && raws.length === 0) return err(invalid('events', 'no_events'));
    if (batch && raws.length > MAX_BATCH) return err(invalid('events', 'too_many_events'));
    const nowMs = ctx.clock.now().epochMilliseconds;
    const errors = new Map<number, FieldErrorMap>();
    const parsed: (ParsedEvent | null)[] = raws.map((raw, index) => {
      const result = parseEvent(raw, nowMs);
      if (result.ok) return result.value;
      errors.set(index, result.errors);
      return null;
    });
    // Inside one batch, a repeated key is the same event sent twice when its payload is the same, else a conflict.
    const firstIndex = new Map<string, number>();
    const unique: { index: number; event: ParsedEvent & { id: string } }[] = [];
    const aliasOf = new Map<number, number>();
    parsed.forEach((event, index) => {
      if (!event) return;
      const key = keyOf(event);
      const first = firstIndex.get(key);
      const firstEvent = first === undefined ? null : parsed[first]!;
      if (first === undefined) {
        firstIndex.set(key, index);
        unique.push({ index, event: { ...event, id: newId() } });
      } else if (firstEvent && samePayload(event, { ...firstEvent, preciseTotalAmountCents: firstEvent.preciseTotalAmountCents?.toFixed() ?? null })) {
        aliasOf.set(index, first);
      } else addError(errors, index, 'transaction_id', 'value_already_exist');
    });
    if (errors.size > 0) return refusal(errors, batch);

    const newRow = (event: ParsedEvent & { id: string }): repo.EventRow => ({
      id: event.id,
      transaction_id: event.transactionId,
      external_subscription_id: event.externalSubscriptionId,
      code: event.code,
      timestamp_ms: String(event.timestampMs),
      properties: event.properties,
      precise_total_amount_cents: event.preciseTotalAmountCents?.toFixed() ?? null,
      created_at_ms: String(nowMs),
    });
    const answer = (rowAt: (position: number) => repo.EventRow) => {
      const positionOf = new Map(unique.map((u, position) => [u.index, position]));
      return ok(raws.map((_, index) => rowAt(positionOf.get(aliasOf.get(index) ?? index)!)));
    };

    // The usual request: one statement, one round trip.
    const fast = await metering.ingestInOneStatement(ctx.organizationId, unique.map((u) => u.event), nowMs);
    if (fast.kind === 'refused') {
      for (const [position, code] of fast.errors) addError(errors, unique[position]!.index, 'properties', code);
      return refusal(errors, batch);
    }
    if (fast.kind === 'stored') {
      const resent = new Map(fast.resent.map((r) => [r.ord, r]));
      await notify(ctx, unique.filter((_, position) => !resent.has(position)).map((u) => newRow(u.event)));
      return answer((position) => {
        const event = unique[position]!.event;
        const stored = resent.get(position);
        return stored ? { ...newRow(event), ...stored, id: stored.id } : newRow(event);
      });
    }

    // A resent event to look at closely: the same work in a transaction, comparing in JavaScript.
    let fresh: repo.EventRow[] = [];
    const result = await transact(db, async (tx) => {
      const configs = await metering.beginIngestion(tx, ctx.organizationId, unique.map((u) => u.event.code));
      const events = unique.map((u) => u.event);
      const { measures, refused } = metering.measureAll(configs, events);
      for (const [position, code] of refused) addError(errors, unique[position]!.index, 'properties', code);
      if (errors.size > 0) return refusal(errors, batch);

      const inserted = new Set(
        (await metering.store(tx, ctx.organizationId, events, measures, nowMs)).map((r) =>
          keyOf({ transactionId: r.transaction_id, externalSubscriptionId: r.external_subscription_id }),
        ),
      );
      const earlier = unique.filter((u) => !inserted.has(keyOf(u.event)));
      const stored = new Map(
        (await repo.eventsByKeys(tx, ctx.organizationId, earlier.map((u) => u.event))).map((r) => [
          keyOf({ transactionId: r.transaction_id, externalSubscriptionId: r.external_subscription_id }),
          r,
        ]),
      );
      for (const { index, event } of earlier) {
        const row = stored.get(keyOf(event));
        const same =
          row !== undefined &&
          samePayload(event, {
            code: row.code,
            timestampMs: Number(row.timestamp_ms),
            properties: row.properties,
            preciseTotalAmountCents: row.precise_total_amount_cents,
          });
        if (!same) addError(errors, index, 'transaction_id', 'value_already_exist');
      }
      if (errors.size > 0) return refusal(errors, batch);

      fresh = unique.filter((u) => inserted.has(keyOf(u.event))).map((u) => newRow(u.event));
      return answer((position) => stored.get(keyOf(unique[position]!.event)) ?? newRow(unique[position]!.event));
    });
    if (result.ok) await notify(ctx, fresh);
    return result;
  };

  const get = async (ctx: Ctx, transactionId: string): Promise<Result<repo.EventRow>> => {
    const row = await repo.eventByTransactionId(db, ctx.organizationId, transactionId);
    return row ? ok(row) : err(notFound('event'));
  };

  const list = async (
    ctx: Ctx,
    query: { externalSubscriptionId?: string; code?: string; timestampFrom?: string; timestampTo?: string },
    page: PageRequest,
  ): Promise<Result<Page<repo.EventRow>>> => {
    const from = query.timestampFrom === undefined ? undefined : parseIsoDateTime(query.timestampFrom);
    const to = query.timestampTo === undefined ? undefined : parseIsoDateTime(query.timestampTo);
    const fieldErrors: FieldErrorMap = {};
    if (from === null) fieldErrors.timestamp_from = ['invalid_date'];
    if (to === null) fieldErrors.timestamp_to = ['invalid_date'];
    if (Object.keys(fieldErrors).length > 0) return err(validation(fieldErrors));
    const filters = { externalSubscriptionId: query.externalSubscriptionId, code: query.code };
    const range = listingRange({ fromMs: from?.epochMilliseconds, toMs: to?.epochMilliseconds });
    // The page is located by counting, then read: both in one snapshot.
    return db.transaction(
      async (tx) => {
        const { rows, total } = await listingPage(tx, ctx.organizationId, filters, range, pageOffset(page), page.perPage);
        return ok({ items: rows, meta: paginationMeta(page, total) });
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
  };

  return { ingest, get, list };
};

export type EventService = ReturnType<typeof createEventService>;

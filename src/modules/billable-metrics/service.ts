import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import { reportingView } from '../domain-events/record.ts';
import type { Ctx } from '../../lib/context.ts';
import { badRequest, invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import type { MeteringService } from '../metering/service.ts';
import { evaluateForRequest, type EvaluationResult } from './evaluate.ts';
import { replaceFilters } from './filters.ts';
import * as repo from './repository.ts';
import {
  byteOrder,
  checkMetric,
  hasKnownKey,
  type BillableMetric,
  type BillableMetricFilterRow,
  type BillableMetricInput,
  type MetricDraft,
  type MetricView,
} from './types.ts';

const missingWrapper = () => err(badRequest('param is missing or the value is empty or invalid: billable_metric'));

const view = (metric: BillableMetric, rows: BillableMetricFilterRow[]): MetricView => ({
  metric,
  filters: rows
    .map((row) => ({ key: row.key, values: [...row.values].sort(byteOrder) }))
    .sort((a, b) => byteOrder(a.key, b.key)),
});

const draftOf = (metric: BillableMetric): MetricDraft => ({
  name: metric.name,
  code: metric.code,
  description: metric.description,
  aggregationType: metric.aggregationType,
  weightedInterval: metric.weightedInterval,
  recurring: metric.recurring,
  fieldName: metric.fieldName,
  expression: metric.expression,
  roundingFunction: metric.roundingFunction,
  roundingPrecision: metric.roundingPrecision,
});

/** A count needs no field: Lago drops the one sent (or left over from an earlier aggregation type). */
const normalized = (draft: MetricDraft): MetricDraft => (draft.aggregationType === 'count_agg' ? { ...draft, fieldName: null } : draft);

/** The columns a checked draft is saved as (every field has passed checkMetric, so none is null where it may not be). */
const columnsOf = (draft: MetricDraft) => ({
  name: draft.name!,
  code: draft.code!,
  description: draft.description,
  aggregationType: draft.aggregationType!,
  weightedInterval: draft.weightedInterval,
  recurring: draft.recurring!,
  fieldName: draft.fieldName,
  expression: draft.expression,
  roundingFunction: draft.roundingFunction,
  roundingPrecision: draft.roundingPrecision,
});

export const createBillableMetricService = ({ db, metering }: { db: Db; metering: MeteringService }) => {
  const withFilters = async (tx: Db, organizationId: string, metric: BillableMetric): Promise<MetricView> =>
    view(metric, (await repo.liveFilters(tx, organizationId, [metric.id])).get(metric.id) ?? []);

  const isCodeTaken = async (tx: Db, organizationId: string, code: string | null, ownId: string | null): Promise<boolean> => {
    if (code === null || code.trim() === '') return false;
    const other = await repo.findMetricByCode(tx, organizationId, code);
    return other !== null && other.id !== ownId;
  };

  /** The metric is checked first and its filters only once it is valid, so filter errors come alone (as in Lago). */
  const create = (ctx: Ctx, input: BillableMetricInput): Promise<Result<MetricView>> => {
    if (!hasKnownKey(input)) return Promise.resolve(missingWrapper());
    return refusingDuplicates('code', () =>
      transact(db, async (tx) => {
        const draft = normalized({
          name: input.name ?? null,
          code: input.code ?? null,
          description: input.description ?? null,
          aggregationType: input.aggregation_type ?? null,
          weightedInterval: input.weighted_interval ?? null,
          recurring: input.recurring ?? false,
          fieldName: input.field_name ?? null,
          expression: input.expression ?? null,
          roundingFunction: input.rounding_function ?? null,
          roundingPrecision: input.rounding_precision ?? null,
        });
        const errors = checkMetric(draft, await isCodeTaken(tx, ctx.organizationId, draft.code, null));
        if (!errors.empty) return err(errors.toError());
        const now = instantToDate(ctx.clock.now());
        const metric = await repo.insertMetric(tx, {
          organizationId: ctx.organizationId,
          id: newId(),
          ...columnsOf(draft),
          createdAt: now,
          updatedAt: now,
        });
        if (input.filters && input.filters.length > 0) {
          const filters = await replaceFilters(tx, ctx.organizationId, metric.id, input.filters, now);
          if (!filters.ok) return filters;
        }
        // Events already sent with this code start counting now.
        await metering.settingsChanged(tx, ctx.organizationId, [metric.code]);
        const created = await withFilters(tx, ctx.organizationId, metric);
        return ok(await reportingView(tx, { organizationId: ctx.organizationId, type: 'billable_metric.created', objectType: 'billable_metric', objectId: metric.id, at: ctx.clock.now() }, created));
      }),
    );
  };

  const get = async (ctx: Ctx, code: string): Promise<Result<MetricView>> => {
    const metric = await repo.findMetricByCode(db, ctx.organizationId, code);
    return metric ? ok(await withFilters(db, ctx.organizationId, metric)) : err(notFound('billable_metric'));
  };

  /**
   * Lago's update: name, description and filters change at any time; the fields that define what is measured (code,
   * aggregation, field, expression, rounding, recurring, weighted interval) change only while no live plan charges the
   * metric, and are silently kept otherwise. A key present with null clears the field. Filters are applied before the
   * metric is checked, so their errors win.
   */
  const update = (ctx: Ctx, code: string, input: BillableMetricInput): Promise<Result<MetricView>> => {
    if (!hasKnownKey(input)) return Promise.resolve(missingWrapper());
    return refusingDuplicates('code', () =>
      transact(db, async (tx) => {
        const metric = await repo.findMetricByCode(tx, ctx.organizationId, code, true);
        if (!metric) return err(notFound('billable_metric'));
        const meteringBefore = await metering.snapshot(tx, ctx.organizationId, [metric.code]);
        const now = instantToDate(ctx.clock.now());
        const draft = draftOf(metric);
        if ('name' in input) draft.name = input.name ?? null;
        if ('description' in input) draft.description = input.description ?? null;
        if (input.filters != null) {
          const filters = await replaceFilters(tx, ctx.organizationId, metric.id, input.filters, now);
          if (!filters.ok) return filters;
        }
        if (!(await repo.isAttachedToPlan(tx, ctx.organizationId, metric.id))) {
          if ('code' in input) draft.code = input.code ?? null;
          if ('aggregation_type' in input) draft.aggregationType = input.aggregation_type ?? null;
          if ('weighted_interval' in input) draft.weightedInterval = input.weighted_interval ?? null;
          if ('field_name' in input) draft.fieldName = input.field_name ?? null;
          if ('recurring' in input) draft.recurring = input.recurring ?? null;
          if ('rounding_function' in input) draft.roundingFunction = input.rounding_function ?? null;
          if ('rounding_precision' in input) draft.roundingPrecision = input.rounding_precision ?? null;
          if ('expression' in input) draft.expression = input.expression ?? null;
        }
        const checked = normalized(draft);
        const errors = checkMetric(checked, await isCodeTaken(tx, ctx.organizationId, checked.code, metric.id));
        if (!errors.empty) return err(errors.toError());
        const updated = await repo.updateMetric(tx, ctx.organizationId, metric.id, { ...columnsOf(checked), updatedAt: now });
        await metering.settingsChanged(tx, ctx.organizationId, [metric.code, updated.code], meteringBefore);
        const changed = await withFilters(tx, ctx.organizationId, updated);
        return ok(await reportingView(tx, { organizationId: ctx.organizationId, type: 'billable_metric.updated', objectType: 'billable_metric', objectId: updated.id, at: ctx.clock.now() }, changed));
      }),
    );
  };

  const list = async (ctx: Ctx, page: PageRequest): Promise<Result<Page<MetricView>>> => {
    const { rows, total } = await repo.listMetrics(db, ctx.organizationId, page);
    const filters = await repo.liveFilters(db, ctx.organizationId, rows.map((m) => m.id));
    return ok({ items: rows.map((m) => view(m, filters.get(m.id) ?? [])), meta: paginationMeta(page, total) });
  };

  /**
   * A soft delete, as in Lago: the code becomes free, and the live charges pricing the metric (on every plan) are
   * deleted with their filters, in the same transaction. The answer still lists the metric's filters, as Lago's does.
   */
  const destroy = (ctx: Ctx, code: string): Promise<Result<MetricView>> =>
    transact(db, async (tx) => {
      const metric = await repo.findMetricByCode(tx, ctx.organizationId, code, true);
      if (!metric) return err(notFound('billable_metric'));
      const filters = (await repo.liveFilters(tx, ctx.organizationId, [metric.id])).get(metric.id) ?? [];
      const now = instantToDate(ctx.clock.now());
      const deleted = await repo.updateMetric(tx, ctx.organizationId, metric.id, { deletedAt: now, updatedAt: now });
      await repo.softDeleteFilters(tx, ctx.organizationId, filters.map((f) => f.id), now);
      await repo.softDeleteChargesOfMetric(tx, ctx.organizationId, metric.id, now);
      await metering.settingsChanged(tx, ctx.organizationId, [metric.code]);
      return ok(await reportingView(tx, { organizationId: ctx.organizationId, type: 'billable_metric.deleted', objectType: 'billable_metric', objectId: deleted.id, at: ctx.clock.now() }, view(deleted, filters)));
    });

  /** POST /billable_metrics/evaluate_expression: tries an expression on a sample event; nothing is read or written. */
  const evaluateExpression = async (ctx: Ctx, body: unknown): Promise<Result<EvaluationResult>> => evaluateForRequest(body, ctx.clock.now());

  return { create, get, update, list, destroy, evaluateExpression };
};

export type BillableMetricService = ReturnType<typeof createBillableMetricService>;

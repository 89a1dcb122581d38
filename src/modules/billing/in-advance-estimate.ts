import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { billableMetrics, fees, subscriptions as subscriptionsTable } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { inTransaction } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { Decimal } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import type { EventRow } from '../events/repository.ts';
import { parseTimestamp } from '../events/types.ts';
import { loadFeeViews } from '../fees/queries.ts';
import type { FeeRow, FeeView } from '../fees/types.ts';
import type { MeteringService } from '../metering/service.ts';
import type { Subscription } from '../subscriptions/types.ts';
import type { MetricRow } from '../usage/repository.ts';
import { coversEvent, draftInAdvanceFee, inAdvanceInput, loadInAdvancePlan } from './in-advance-fees.ts';
import { writeStandaloneFee } from './in-advance-invoices.ts';
import { loadBillingParty } from './party.ts';

/** The fees an event would create, computed in a transaction that is always rolled back. */
class EstimateRollback extends Error {
  constructor(readonly views: FeeView[]) {
    super('estimate rolled back');
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

/**
 * `POST /events/estimate_fees` (Lago's `Fees::EstimatePayInAdvanceService`): the fees an event sent now would create
 * on its subscription's pay-in-advance charges, taxed, without storing anything. As in Lago, the event is dated now
 * (a timestamp sent is only checked), the subscription is the one of its external id active now, and a code without a
 * pay-in-advance charge on the plan is refused (`does_not_match_an_instant_charge`). The fees have no id.
 */
export const estimateInAdvanceFees = async (db: Db, metering: MeteringService, ctx: Ctx, raw: unknown): Promise<Result<FeeView[]>> => {
  const input = isObject(raw) ? raw : {};
  const organizationId = ctx.organizationId;
  const now = ctx.clock.now();
  const externalId = text(input.external_subscription_id)?.trim() ?? '';
  if (externalId === '') return err(notFound('subscription'));
  const candidates = await selectRows<Subscription>(
    db,
    subscriptionsTable,
    sql`subscriptions WHERE organization_id = ${organizationId} AND external_id = ${externalId} AND status IN ('active', 'terminated')
      ORDER BY terminated_at DESC NULLS FIRST, started_at DESC`,
  );
  const subscription = candidates.find((s) => coversEvent(s, now.epochMilliseconds));
  if (!subscription) return err(notFound('subscription'));
  if (input.timestamp !== undefined && input.timestamp !== null && input.timestamp !== '' && parseTimestamp(input.timestamp) === null) {
    return err(invalid('timestamp', 'invalid_format'));
  }
  const code = text(input.code) ?? '';
  const [metric] = await selectRows<MetricRow>(db, billableMetrics, sql`billable_metrics WHERE organization_id = ${organizationId} AND code = ${code} AND deleted_at IS NULL`);
  if (!metric) return err(notFound('billable_metric'));
  const properties = isObject(input.properties) ? input.properties : {};
  if (['sum_agg', 'max_agg', 'latest_agg'].includes(metric.aggregationType) && metric.fieldName) {
    const value = properties[metric.fieldName];
    const numeric = value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));
    if (!numeric) return err(invalid('properties', 'value_is_not_valid_number'));
  }
  const amount = text(input.precise_total_amount_cents);
  const event: EventRow = {
    id: newId(),
    transaction_id: newId(),
    external_subscription_id: externalId,
    code,
    timestamp_ms: String(now.epochMilliseconds),
    properties,
    precise_total_amount_cents: amount !== undefined && Number.isFinite(Number(amount)) ? new Decimal(amount).toFixed() : null,
    created_at_ms: String(now.epochMilliseconds),
  };
  try {
    await inTransaction(
      db,
      async (tx) => {
        const plan = await loadInAdvancePlan(tx, metering, organizationId, subscription.planId);
        const charges = plan.details.charges.filter((c) => c.charge.payInAdvance && plan.metrics.get(c.charge.billableMetricId)?.code === code);
        if (charges.length === 0) throw new EstimateRollback([]);
        const party = await loadBillingParty(tx, organizationId, subscription.customerId);
        const ids: string[] = [];
        for (const charge of charges) {
          const chargeInput = inAdvanceInput({ tx, metering, organizationId, timeZone: party.timeZone, subscription, event, unsaved: true }, plan, charge);
          const draft = chargeInput ? await draftInAdvanceFee(chargeInput) : null;
          if (draft) ids.push(await writeStandaloneFee(tx, party, plan.details, draft, now));
        }
        const rows =
          ids.length === 0
            ? []
            : await selectRows<FeeRow>(tx, fees, sql`fees WHERE organization_id = ${organizationId} AND pay_in_advance_event_id = ${event.id}::uuid ORDER BY id`);
        throw new EstimateRollback(await loadFeeViews(tx, organizationId, rows));
      },
      { discard: true },
    );
  } catch (error) {
    // A value whose fee no amount column can hold is the client's, not a server failure.
    if (isNumericOverflow(error)) return err(invalid('properties', 'value_is_out_of_range'));
    if (!(error instanceof EstimateRollback)) throw error;
    if (error.views.length === 0 && !(await hasInAdvanceCharge(db, organizationId, subscription.planId, metric.id))) {
      return err(invalid('code', 'does_not_match_an_instant_charge'));
    }
    return ok(error.views);
  }
  throw new Error('an estimate ended without rolling back');
};

/** PostgreSQL's "numeric value out of range" (22003), on the error or a cause Drizzle wrapped it in. */
const isNumericOverflow = (error: unknown): boolean => {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === '22003') return true;
  }
  return false;
};

const hasInAdvanceCharge = async (db: Db, organizationId: string, planId: string, metricId: string): Promise<boolean> =>
  (
    await queryRows<{ one: number }>(
      db,
      sql`SELECT 1 AS one FROM charges WHERE organization_id = ${organizationId} AND plan_id = ${planId} AND billable_metric_id = ${metricId}
        AND pay_in_advance AND deleted_at IS NULL`,
    )
  ).length > 0;

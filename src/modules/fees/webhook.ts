import type { Db } from '../../db/database.ts';
import type { DomainEvent } from '../domain-events/record.ts';
import { findFee, loadFeeViews } from './queries.ts';
import { serializeFee } from './serialize.ts';

/** `fee.created` (Lago's `Webhooks::Fees::PayInAdvanceCreatedService`): the fee as `V1::FeeSerializer` shows it, without its taxes. */
export const feeWebhookJson = async (tx: Db, event: DomainEvent): Promise<Record<string, unknown>> => {
  const fee = await findFee(tx, event.organizationId, event.objectId!);
  if (!fee) throw new Error(`fee ${event.objectId} not found for ${event.type}`);
  const [view] = await loadFeeViews(tx, event.organizationId, [fee]);
  return serializeFee(view!, { appliedTaxes: false });
};

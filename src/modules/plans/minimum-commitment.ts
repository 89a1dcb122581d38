import { isBlank } from '../../billing/charge-models/properties.ts';
import { invalid } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { replaceAppliedTaxes } from '../taxes/repository.ts';
import { resolveTaxCodes } from '../taxes/service.ts';
import * as repo from './repository.ts';
import type { Commitment, MinimumCommitmentInput, Plan } from './types.ts';
import { isSafeAmount, type Writer } from './writer.ts';

/** A commitment's amount must be owed: positive. Lago answers an untranslated "is not a number" when it is missing. */
export const checkCommitmentAmount = (amount: bigint | number | null | undefined): Result<void> => {
  if (amount === null || amount === undefined) return err(invalid('amount_cents', 'value_is_mandatory'));
  if (amount <= 0 || (typeof amount === 'number' && !isSafeAmount(amount))) return err(invalid('amount_cents', 'value_is_out_of_range'));
  return ok(undefined);
};

const applyTaxes = async (w: Writer, commitment: Commitment, codes: string[]): Promise<Result<void>> => {
  const taxes = await resolveTaxCodes(w.tx, w.organizationId, codes);
  if (!taxes.ok) return taxes;
  await replaceAppliedTaxes(w.tx, w.organizationId, 'commitment', commitment.id, taxes.value.map((t) => t.id), w.now);
  return ok(undefined);
};

/** The minimum the plan bills per period; created with the plan when sent non-empty. Its taxes apply when listed. */
export const createMinimumCommitment = async (w: Writer, plan: Plan, input: MinimumCommitmentInput): Promise<Result<void>> => {
  const amount = checkCommitmentAmount(input.amount_cents);
  if (!amount.ok) return amount;
  const commitment = await repo.insertCommitment(w.tx, {
    organizationId: w.organizationId,
    id: newId(),
    planId: plan.id,
    commitmentType: 'minimum_commitment',
    amountCents: BigInt(input.amount_cents!),
    invoiceDisplayName: input.invoice_display_name ?? null,
    createdAt: w.now,
    updatedAt: w.now,
  });
  return input.tax_codes && input.tax_codes.length > 0 ? applyTaxes(w, commitment, input.tax_codes) : ok(undefined);
};

/**
 * Lago's update: `{}` removes the commitment; otherwise the keys sent change the existing commitment (or create one),
 * and `tax_codes`, when sent, replace its taxes.
 */
export const updateMinimumCommitment = async (w: Writer, plan: Plan, input: MinimumCommitmentInput): Promise<Result<void>> => {
  const [existing] = await repo.commitmentsOfPlans(w.tx, w.organizationId, [plan.id]);
  if (isBlank(input)) {
    if (existing) await repo.deleteCommitment(w.tx, w.organizationId, existing.id);
    return ok(undefined);
  }
  if (!existing) return createMinimumCommitment(w, plan, input);
  const changes: Partial<Commitment> = { updatedAt: w.now };
  if ('amount_cents' in input) {
    const amount = checkCommitmentAmount(input.amount_cents);
    if (!amount.ok) return amount;
    changes.amountCents = BigInt(input.amount_cents!);
  }
  if ('invoice_display_name' in input) changes.invoiceDisplayName = input.invoice_display_name ?? null;
  const commitment = await repo.updateCommitment(w.tx, w.organizationId, existing.id, changes);
  return input.tax_codes ? applyTaxes(w, commitment, input.tax_codes) : ok(undefined);
};

import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { appliedTaxes, replaceAppliedTaxes } from '../taxes/repository.ts';
import { resolveTaxCodes } from '../taxes/service.ts';
import type { Tax } from '../taxes/types.ts';
import * as repo from './repository.ts';
import { checkAddOnInput, type AddOn, type AddOnInput } from './types.ts';

export interface AddOnWithTaxes {
  addOn: AddOn;
  taxes: Tax[];
}

const codeTaken = () => err(invalid('code', 'value_already_exist'));

export const createAddOnService = ({ db }: { db: Db }) => {
  const withTaxes = async (tx: Db, organizationId: string, addOn: AddOn): Promise<AddOnWithTaxes> => ({
    addOn,
    taxes: (await appliedTaxes(tx, organizationId, 'add_on', [addOn.id])).get(addOn.id) ?? [],
  });

  const create = (ctx: Ctx, input: AddOnInput): Promise<Result<AddOnWithTaxes>> =>
    refusingDuplicates('code', () =>
      transact(db, async (tx) => {
        const errors = checkAddOnInput(input, true);
        if (!errors.empty) return err(errors.toError());
        if (await repo.findAddOnByCode(tx, ctx.organizationId, input.code!)) return codeTaken();
        const taxes = await resolveTaxCodes(tx, ctx.organizationId, input.tax_codes ?? []);
        if (!taxes.ok) return taxes;
        const now = instantToDate(ctx.clock.now());
        const addOn = await repo.insertAddOn(tx, {
          organizationId: ctx.organizationId,
          id: newId(),
          code: input.code!,
          name: input.name!,
          invoiceDisplayName: input.invoice_display_name ?? null,
          description: input.description ?? null,
          amountCents: BigInt(input.amount_cents!),
          amountCurrency: input.amount_currency!,
          createdAt: now,
          updatedAt: now,
        });
        await replaceAppliedTaxes(tx, ctx.organizationId, 'add_on', addOn.id, taxes.value.map((t) => t.id), now);
        return ok(await withTaxes(tx, ctx.organizationId, addOn));
      }),
    );

  const get = async (ctx: Ctx, code: string): Promise<Result<AddOnWithTaxes>> => {
    const addOn = await repo.findAddOnByCode(db, ctx.organizationId, code);
    return addOn ? ok(await withTaxes(db, ctx.organizationId, addOn)) : err(notFound('add_on'));
  };

  /** Every field may change at any time, as in Lago: fees already billed keep their own copy of the amount. */
  const update = (ctx: Ctx, code: string, input: AddOnInput): Promise<Result<AddOnWithTaxes>> =>
    refusingDuplicates('code', () =>
      transact(db, async (tx) => {
        const addOn = await repo.findAddOnByCode(tx, ctx.organizationId, code);
        if (!addOn) return err(notFound('add_on'));
        const errors = checkAddOnInput(input, false);
        if (!errors.empty) return err(errors.toError());
        if (input.code !== undefined && input.code !== addOn.code && (await repo.findAddOnByCode(tx, ctx.organizationId, input.code))) {
          return codeTaken();
        }
        const now = instantToDate(ctx.clock.now());
        if (input.tax_codes !== undefined) {
          const taxes = await resolveTaxCodes(tx, ctx.organizationId, input.tax_codes);
          if (!taxes.ok) return taxes;
          await replaceAppliedTaxes(tx, ctx.organizationId, 'add_on', addOn.id, taxes.value.map((t) => t.id), now);
        }
        const updated = await repo.updateAddOn(tx, ctx.organizationId, addOn.id, {
          ...(input.name !== undefined && { name: input.name }),
          ...(input.code !== undefined && { code: input.code }),
          ...(input.invoice_display_name !== undefined && { invoiceDisplayName: input.invoice_display_name }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.amount_cents !== undefined && { amountCents: BigInt(input.amount_cents) }),
          ...(input.amount_currency !== undefined && { amountCurrency: input.amount_currency }),
          updatedAt: now,
        });
        return ok(await withTaxes(tx, ctx.organizationId, updated));
      }),
    );

  const list = async (ctx: Ctx, page: PageRequest): Promise<Result<Page<AddOnWithTaxes>>> => {
    const { rows, total } = await repo.listAddOns(db, ctx.organizationId, page);
    const taxes = await appliedTaxes(db, ctx.organizationId, 'add_on', rows.map((a) => a.id));
    return ok({ items: rows.map((addOn) => ({ addOn, taxes: taxes.get(addOn.id) ?? [] })), meta: paginationMeta(page, total) });
  };

  /** A soft delete: the code becomes free again and invoices that billed the add-on keep pointing at it. */
  const destroy = (ctx: Ctx, code: string): Promise<Result<AddOnWithTaxes>> =>
    transact(db, async (tx) => {
      const addOn = await repo.findAddOnByCode(tx, ctx.organizationId, code);
      if (!addOn) return err(notFound('add_on'));
      const result = await withTaxes(tx, ctx.organizationId, addOn);
      await repo.updateAddOn(tx, ctx.organizationId, addOn.id, { deletedAt: instantToDate(ctx.clock.now()) });
      return ok(result);
    });

  return { create, get, update, list, destroy };
};

export type AddOnService = ReturnType<typeof createAddOnService>;

import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import * as repo from './repository.ts';
import { checkTaxInput, parseRate, type Tax, type TaxInput } from './types.ts';

/**
 * The taxes named by `tax_codes` on a plan, charge, add-on or customer; 404 `tax_not_found` when one is unknown, as
 * Lago answers (and the caller's transaction rolls back).
 */
export const resolveTaxCodes = async (db: Db, organizationId: string, codes: readonly string[]): Promise<Result<Tax[]>> => {
  const unique = [...new Set(codes)];
  const found = await repo.findTaxesByCodes(db, organizationId, unique);
  if (found.length !== unique.length) return err(notFound('tax'));
  return ok(unique.map((code) => found.find((t) => t.code === code)!));
};

const codeTaken = () => err(invalid('code', 'value_already_exist'));

export const createTaxService = ({ db }: { db: Db }) => {
  const create = async (ctx: Ctx, input: TaxInput): Promise<Result<Tax>> => {
    const errors = checkTaxInput(input, true);
    if (!errors.empty) return err(errors.toError());
    const now = instantToDate(ctx.clock.now());
    return refusingDuplicates('code', () =>
    transact(db, async (tx) => {
      if (await repo.findTaxByCode(tx, ctx.organizationId, input.code!)) return codeTaken();
      return ok(
        await repo.insertTax(tx, {
          organizationId: ctx.organizationId,
          id: newId(),
          code: input.code!,
          name: input.name!,
          rate: parseRate(input.rate!)!,
          description: input.description ?? null,
          appliedToOrganization: input.applied_to_organization ?? false,
          createdAt: now,
          updatedAt: now,
        }),
      );
    }),
    );
  };

  const get = async (ctx: Ctx, code: string): Promise<Result<Tax>> => {
    const tax = await repo.findTaxByCode(db, ctx.organizationId, code);
    return tax ? ok(tax) : err(notFound('tax'));
  };

  const update = async (ctx: Ctx, code: string, input: TaxInput): Promise<Result<Tax>> => {
    return refusingDuplicates('code', () =>
    transact(db, async (tx) => {
      const tax = await repo.findTaxByCode(tx, ctx.organizationId, code);
      if (!tax) return err(notFound('tax'));
      const errors = checkTaxInput(input, false);
      if (!errors.empty) return err(errors.toError());
      if (input.code !== undefined && input.code !== tax.code && (await repo.findTaxByCode(tx, ctx.organizationId, input.code))) {
        return codeTaken();
      }
      return ok(
        await repo.updateTax(tx, ctx.organizationId, tax.id, {
          ...(input.name !== undefined && { name: input.name }),
          ...(input.code !== undefined && { code: input.code }),
          ...(input.rate !== undefined && { rate: parseRate(input.rate)! }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.applied_to_organization !== undefined && { appliedToOrganization: input.applied_to_organization }),
          updatedAt: instantToDate(ctx.clock.now()),
        }),
      );
    }),
    );
  };

  const list = async (ctx: Ctx, page: PageRequest): Promise<Result<Page<Tax>>> => {
    const { rows, total } = await repo.listTaxes(db, ctx.organizationId, page);
    return ok({ items: rows, meta: paginationMeta(page, total) });
  };

  /** Deleting a tax in use is allowed, as in Lago: it stops applying to everything it was attached to. */
  const destroy = async (ctx: Ctx, code: string): Promise<Result<Tax>> =>
    transact(db, async (tx) => {
      const tax = await repo.findTaxByCode(tx, ctx.organizationId, code);
      if (!tax) return err(notFound('tax'));
      await repo.deleteTax(tx, ctx.organizationId, tax.id);
      return ok(tax);
    });

  return { create, get, update, list, destroy };
};

export type TaxService = ReturnType<typeof createTaxService>;

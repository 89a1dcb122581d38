import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { Tax } from './types.ts';

export const TaxObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    code: Type.String(),
    rate: Type.Number(),
    description: Nullable(Type.String()),
    applied_to_organization: Type.Boolean(),
    add_ons_count: Type.Integer(),
    customers_count: Type.Integer(),
    plans_count: Type.Integer(),
    charges_count: Type.Integer(),
    commitments_count: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Tax' },
);
export type TaxJson = Static<typeof TaxObject>;

/** Lago prints a tax rate as a JSON number (20.0) and its usage counters as zeros (they are deprecated). */
export const serializeTax = (t: Tax): TaxJson => ({
  lago_id: t.id,
  name: t.name,
  code: t.code,
  rate: Number(t.rate),
  description: t.description,
  applied_to_organization: t.appliedToOrganization,
  add_ons_count: 0,
  customers_count: 0,
  plans_count: 0,
  charges_count: 0,
  commitments_count: 0,
  created_at: isoSeconds(t.createdAt)!,
});

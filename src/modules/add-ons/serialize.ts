import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import { serializeTax, TaxObject } from '../taxes/serialize.ts';
import type { Tax } from '../taxes/types.ts';
import type { AddOn } from './types.ts';

export const AddOnObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    invoice_display_name: Nullable(Type.String()),
    code: Type.String(),
    amount_cents: Type.Integer(),
    amount_currency: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    description: Nullable(Type.String()),
    taxes: Type.Array(TaxObject),
  },
  { $id: 'AddOn' },
);
export type AddOnJson = Static<typeof AddOnObject>;

export const serializeAddOn = (addOn: AddOn, taxes: Tax[]): AddOnJson => ({
  lago_id: addOn.id,
  name: addOn.name,
  invoice_display_name: addOn.invoiceDisplayName,
  code: addOn.code,
  amount_cents: Number(addOn.amountCents),
  amount_currency: addOn.amountCurrency,
  created_at: isoSeconds(addOn.createdAt)!,
  description: addOn.description,
  taxes: taxes.map(serializeTax),
});

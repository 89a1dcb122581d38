import { Type, type Static } from '@sinclair/typebox';
import type { addOns } from '../../db/schema/index.ts';
import { Cents, Code, OptionalNullable } from '../../http/schemas.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';

export type AddOn = typeof addOns.$inferSelect;

export const AddOnBody = Type.Object({
  add_on: Type.Object(
    {
      name: Type.Optional(Type.String()),
      invoice_display_name: OptionalNullable(Type.String()),
      code: Type.Optional(Code()),
      // Zero and negative amounts get Lago's value_is_out_of_range from the check below, not from the schema.
      amount_cents: Type.Optional(Cents({ minimum: Number.MIN_SAFE_INTEGER })),
      amount_currency: Type.Optional(Type.String()),
      description: OptionalNullable(Type.String()),
      tax_codes: Type.Optional(Type.Array(Type.String())),
    },
    { minProperties: 1 },
  ),
});
export type AddOnInput = Static<typeof AddOnBody>['add_on'];

/** Lago's add-on checks; `creating` makes name, code, amount and currency required. */
export const checkAddOnInput = (input: AddOnInput, creating: boolean): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  if ((creating || input.name !== undefined) && !input.name?.trim()) errors.add('name', 'value_is_mandatory');
  if ((creating || input.code !== undefined) && !input.code?.trim()) errors.add('code', 'value_is_mandatory');
  if (creating && input.amount_cents === undefined) errors.add('amount_cents', 'value_is_mandatory');
  else if (input.amount_cents !== undefined && input.amount_cents <= 0) errors.add('amount_cents', 'value_is_out_of_range');
  if ((creating || input.amount_currency !== undefined) && !isCurrency(input.amount_currency)) {
    errors.add('amount_currency', 'value_is_invalid');
  }
  return errors;
};

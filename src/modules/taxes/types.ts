import { Type, type Static } from '@sinclair/typebox';
import type { taxes } from '../../db/schema/index.ts';
import { Code, OptionalNullable } from '../../http/schemas.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { Decimal, isDecimalString } from '../../lib/money.ts';

export type Tax = typeof taxes.$inferSelect;

const TaxFields = {
  name: Type.String(),
  code: Code(),
  // A percent; Lago takes a JSON number or a numeric string.
  rate: Type.Union([Type.Number(), Type.String()]),
  description: OptionalNullable(Type.String()),
  applied_to_organization: Type.Optional(Type.Boolean()),
};

export const TaxCreateBody = Type.Object({
  tax: Type.Object(
    { ...TaxFields, name: Type.Optional(TaxFields.name), code: Type.Optional(TaxFields.code), rate: Type.Optional(TaxFields.rate) },
    { minProperties: 1 },
  ),
});
export const TaxUpdateBody = TaxCreateBody;
export type TaxInput = Static<typeof TaxCreateBody>['tax'];

/** The rate as a decimal string, or null when it is not a number. */
export const parseRate = (rate: number | string): string | null => {
  if (typeof rate === 'number') return Number.isFinite(rate) ? new Decimal(rate).toString() : null;
  return isDecimalString(rate) ? new Decimal(rate.trim()).toString() : null;
};

/** Lago's checks, in its order (name, rate, code); `creating` makes the required fields required. */
export const checkTaxInput = (input: TaxInput, creating: boolean): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  if ((creating || input.name !== undefined) && !input.name?.trim()) errors.add('name', 'value_is_mandatory');
  if (creating && input.rate === undefined) errors.add('rate', 'value_is_mandatory');
  if (input.rate !== undefined) {
    const rate = parseRate(input.rate);
    // Lago accepts any number. Billow refuses a negative rate (it would silently lower invoices) and rates beyond
    // 1000% or finer than 10 decimals, which are typos that the database could not even hold exactly.
    if (rate === null || new Decimal(rate).decimalPlaces() > 10) errors.add('rate', 'value_is_invalid');
    else if (new Decimal(rate).isNegative() || new Decimal(rate).greaterThan(1000)) errors.add('rate', 'value_is_out_of_range');
  }
  if ((creating || input.code !== undefined) && !input.code?.trim()) errors.add('code', 'value_is_mandatory');
  return errors;
};

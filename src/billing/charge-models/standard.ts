import { amountPerUnit, decimalProperty, usageFigures, type ChargeAmount, type ChargeUsage } from './pricing.ts';
import { isAmount, type ChargeModelProperties, type Properties } from './properties.ts';

/** Standard: one unit price, `{"amount": "0.5"}`. */
export const standardProperties: ChargeModelProperties = {
  keys: ['amount'],
  defaults: () => ({ amount: '0' }),
  check: (properties, _context, errors) => {
    if (!isAmount(properties.amount)) errors.add('amount', 'invalid_amount');
  },
};

/**
 * Standard pricing: units × `amount`, with no amount details. The unit amount is taken over the full units of a
 * prorated charge. Example: `{"amount": "5.12345"}` and 10 units give 51.2345, unit amount 5.12345; prorated to the
 * same 10 units out of 100 full units, the unit amount is 0.512345.
 */
export const priceStandard = (properties: Properties, usage: ChargeUsage): ChargeAmount => {
  const amount = usage.units.mul(decimalProperty(properties.amount));
  return { amount, unitAmount: amountPerUnit(amount, usage.fullUnits ?? usage.units), ...usageFigures(usage), amountDetails: {} };
};

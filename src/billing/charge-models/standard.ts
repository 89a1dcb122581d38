import { isAmount, type ChargeModelProperties } from './properties.ts';

/** Standard: one unit price, `{"amount": "0.5"}`. */
export const standardProperties: ChargeModelProperties = {
  keys: ['amount'],
  defaults: () => ({ amount: '0' }),
  check: (properties, _context, errors) => {
    if (!isAmount(properties.amount)) errors.add('amount', 'invalid_amount');
  },
};

import { isAmount, isIntegerAtLeast, type ChargeModelProperties } from './properties.ts';

/** Package: `amount` per started block of `package_size` units, after `free_units`: `{"amount": "5", "package_size": 1000, "free_units": 100}`. */
export const packageProperties: ChargeModelProperties = {
  keys: ['amount', 'free_units', 'package_size'],
  defaults: () => ({ package_size: 1, amount: '0', free_units: 0 }),
  check: (properties, _context, errors) => {
    if (!isAmount(properties.amount)) errors.add('amount', 'invalid_amount');
    if (!isIntegerAtLeast(properties.free_units, 0)) errors.add('free_units', 'invalid_free_units');
    if (!isIntegerAtLeast(properties.package_size, 1)) errors.add('package_size', 'invalid_package_size');
  },
};

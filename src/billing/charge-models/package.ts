import { decimalProperty, decimalText, usageFigures, ZERO, type ChargeAmount, type ChargeUsage } from './pricing.ts';
import { isAmount, isIntegerAtLeast, type ChargeModelProperties, type Properties } from './properties.ts';

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

/**
 * Package pricing: the units past `free_units` are billed `amount` per started package of `package_size`
 * (a package counts from its first unit); no paid units, no amount. The unit amount is taken over the paid units.
 * Example: `{"amount": "100", "package_size": 10, "free_units": 10}` and 121 units: 111 paid units make 12 packages,
 * 1200, unit amount 1200/111 ≈ 10.81, details `{free_units: "10.0", paid_units: "111.0", per_package_size: 10,
 * per_package_unit_amount: "100.0"}`.
 */
export const pricePackage = (properties: Properties, usage: ChargeUsage): ChargeAmount => {
  const freeUnits = decimalProperty(properties.free_units);
  const packageSize = decimalProperty(properties.package_size);
  const packagePrice = decimalProperty(properties.amount);
  const paidUnits = usage.units.minus(freeUnits);

  const amount = paidUnits.isNegative() ? ZERO : paidUnits.div(packageSize).ceil().mul(packagePrice);
  const unitAmount = paidUnits.lte(0) ? ZERO : amount.div(paidUnits);

  const amountDetails = usage.units.isZero()
    ? { free_units: '0.0', paid_units: '0.0', per_package_size: 0, per_package_unit_amount: '0.0' }
    : {
        free_units: decimalText(freeUnits),
        paid_units: decimalText(paidUnits.isNegative() ? ZERO : paidUnits),
        per_package_size: properties.package_size,
        per_package_unit_amount: decimalText(packagePrice),
      };
  return { amount, unitAmount, ...usageFigures(usage), amountDetails };
};

import { subunitToUnit } from '../../lib/money.ts';
import { amountPerUnit, usageFigures, ZERO, type ChargeAmount, type ChargeUsage } from './pricing.ts';
import type { ChargeModelProperties, Properties } from './properties.ts';

/** Dynamic: each event carries its own price (`precise_total_amount_cents`), so the model has no properties of its own. */
export const dynamicProperties: ChargeModelProperties = {
  keys: [],
  defaults: () => ({}),
  check: () => {},
};

/**
 * Dynamic pricing: the events' own `precise_total_amount_cents`, summed, in major units; nothing when there are no
 * units, whatever the amounts. Example: 20 units whose events total 40.2 cents of EUR give 0.402, unit amount 0.0201.
 */
export const priceDynamic = (_properties: Properties, usage: ChargeUsage): ChargeAmount => {
  const total = usage.fullUnits ?? usage.units;
  let amount = ZERO;
  if (!total.isZero()) {
    if (usage.totalPreciseAmountCents === undefined || usage.currency === undefined) {
      throw new Error('dynamic pricing needs totalPreciseAmountCents and currency');
    }
    amount = usage.totalPreciseAmountCents.div(subunitToUnit(usage.currency));
  }
  return { amount, unitAmount: amountPerUnit(amount, total), ...usageFigures(usage), amountDetails: {} };
};

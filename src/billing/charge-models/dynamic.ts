import type { ChargeModelProperties } from './properties.ts';

/** Dynamic: each event carries its own price (`precise_total_amount_cents`), so the model has no properties of its own. */
export const dynamicProperties: ChargeModelProperties = {
  keys: [],
  defaults: () => ({}),
  check: () => {},
};

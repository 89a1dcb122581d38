import { Decimal } from '../../lib/money.ts';
import { checkNotLatestAggregation, isAmount, isIntegerAtLeast, isPresent, type ChargeModelProperties } from './properties.ts';

/**
 * Percentage: `rate` percent of the aggregated amount, plus an optional `fixed_amount` per event, with free events or
 * a free total, and per-transaction floor and ceiling: `{"rate": "1", "fixed_amount": "0.5", "free_units_per_events": 5,
 * "free_units_per_total_aggregation": "500", "per_transaction_min_amount": "1.75", "per_transaction_max_amount": "3.75"}`.
 */
export const percentageProperties: ChargeModelProperties = {
  keys: [
    'rate',
    'fixed_amount',
    'free_units_per_events',
    'free_units_per_total_aggregation',
    'per_transaction_min_amount',
    'per_transaction_max_amount',
  ],
  defaults: () => ({ rate: '0' }),
  check: (p, context, errors) => {
    checkNotLatestAggregation(context, errors);
    if (!isAmount(p.rate)) errors.add('rate', 'invalid_rate');
    if (p.fixed_amount != null && !isAmount(p.fixed_amount)) errors.add('fixed_amount', 'invalid_fixed_amount');
    if (p.free_units_per_events != null && !isIntegerAtLeast(p.free_units_per_events, 1)) {
      errors.add('free_units_per_events', 'invalid_free_units_per_events');
    }
    if (p.free_units_per_total_aggregation != null && !isAmount(p.free_units_per_total_aggregation)) {
      errors.add('free_units_per_total_aggregation', 'invalid_free_units_per_total_aggregation');
    }
    // An empty string counts as "no limit", as in Lago.
    const min = p.per_transaction_min_amount;
    const max = p.per_transaction_max_amount;
    if (isPresent(min) && !isAmount(min)) errors.add('per_transaction_min_amount', 'invalid_amount');
    if (isPresent(max) && !isAmount(max)) errors.add('per_transaction_max_amount', 'invalid_amount');
    if (isAmount(min) && isAmount(max) && new Decimal(min.trim()).gt(new Decimal(max.trim()))) {
      errors.add('per_transaction_max_amount', 'per_transaction_max_lower_than_per_transaction_min');
    }
  },
};

import type { PlanDetails } from '../plans/types.ts';
import type { Threshold } from './thresholds.ts';

/**
 * The thresholds progressive billing uses for a subscription (Lago's `Subscription#applicable_usage_thresholds`):
 * none when it is disabled, else the subscription's own, else its plan's, else (an override plan) its parent's.
 */
export const applicableThresholds = (
  subscription: { progressiveBillingDisabled: boolean },
  plan: Pick<PlanDetails, 'usageThresholds' | 'applicableUsageThresholds'>,
  own: readonly Threshold[],
): Threshold[] => {
  if (subscription.progressiveBillingDisabled) return [];
  if (own.length > 0) return [...own];
  return plan.usageThresholds.length > 0 ? plan.usageThresholds : plan.applicableUsageThresholds;
};

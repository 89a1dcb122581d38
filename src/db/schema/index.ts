export * from './organizations.ts';
export * from './taxes.ts';
export * from './billable-metrics.ts';
export * from './plans.ts';
export * from './customers.ts';
export * from './coupons.ts';
export * from './subscriptions.ts';
export * from './events.ts';

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import {
  currentUsageWindow,
  invoiceBoundaries,
  type BillingTime,
  type BillingWindows,
  type Interval,
  type SubscriptionTiming,
} from '../../src/billing/periods/index.ts';

const instant = (text: string) => Temporal.Instant.from(text);
/** Lago prints boundaries with whole seconds: 2022-02-27T23:59:59Z. */
const seconds = (value: Temporal.Instant) => value.round({ smallestUnit: 'second', roundingMode: 'floor' }).toString();

interface TimingSpec {
  interval: Interval;
  billingTime: BillingTime;
  subscriptionAt: string;
  startedAt?: string;
  timeZone?: string;
  billChargesMonthly?: boolean;
}

const timing = (spec: TimingSpec): SubscriptionTiming => ({
  interval: spec.interval,
  billingTime: spec.billingTime,
  subscriptionAt: instant(spec.subscriptionAt),
  startedAt: instant(spec.startedAt ?? spec.subscriptionAt),
  timeZone: spec.timeZone ?? 'UTC',
  billChargesMonthly: spec.billChargesMonthly ?? false,
});

interface Expected {
  from?: string;
  to?: string;
  chargesFrom?: string;
  chargesTo?: string;
}

const check = (windows: BillingWindows, expected: Expected) => {
  if (expected.from) assert.equal(seconds(windows.fromDatetime), expected.from, 'from_datetime');
  if (expected.to) assert.equal(seconds(windows.toDatetime), expected.to, 'to_datetime');
  if (expected.chargesFrom) assert.equal(seconds(windows.chargesFromDatetime), expected.chargesFrom, 'charges_from_datetime');
  if (expected.chargesTo) assert.equal(seconds(windows.chargesToDatetime), expected.chargesTo, 'charges_to_datetime');
};

describe('invoice boundaries (spec/scenarios/subscriptions/billing_boundaries_spec.rb)', () => {
  const cases: {
    name: string;
    timing: TimingSpec;
    payInAdvance: boolean;
    invoices: ({ billingAt: string } & Expected)[];
  }[] = [
    {
      name: 'monthly anniversary from 2024-01-31T01:00Z, in arrears',
      timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z' },
      payInAdvance: false,
      invoices: [
        { billingAt: '2024-02-29T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2024-02-28T23:59:59Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-02-28T23:59:59Z' },
        { billingAt: '2024-03-31T02:00:00Z', from: '2024-02-29T00:00:00Z', to: '2024-03-30T23:59:59Z', chargesFrom: '2024-02-29T00:00:00Z', chargesTo: '2024-03-30T23:59:59Z' },
        { billingAt: '2024-04-30T02:00:00Z', from: '2024-03-31T00:00:00Z', to: '2024-04-29T23:59:59Z', chargesFrom: '2024-03-31T00:00:00Z', chargesTo: '2024-04-29T23:59:59Z' },
      ],
    },
    {
      name: 'monthly anniversary from 2024-01-30, in advance (first invoice at the start)',
      timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2024-01-30T00:00:00Z' },
      payInAdvance: true,
      invoices: [
        { billingAt: '2024-01-30T00:00:00Z', from: '2024-01-30T00:00:00Z', to: '2024-02-28T23:59:59Z', chargesFrom: '2024-01-30T00:00:00Z', chargesTo: '2024-01-30T00:00:00Z' },
        { billingAt: '2024-02-29T02:00:00Z', from: '2024-02-29T00:00:00Z', to: '2024-03-29T23:59:59Z', chargesFrom: '2024-01-30T00:00:00Z', chargesTo: '2024-02-28T23:59:59Z' },
        { billingAt: '2024-03-30T02:00:00Z', from: '2024-03-30T00:00:00Z', to: '2024-04-29T23:59:59Z', chargesFrom: '2024-02-29T00:00:00Z', chargesTo: '2024-03-29T23:59:59Z' },
        { billingAt: '2024-04-30T02:00:00Z', from: '2024-04-30T00:00:00Z', to: '2024-05-29T23:59:59Z', chargesFrom: '2024-03-30T00:00:00Z', chargesTo: '2024-04-29T23:59:59Z' },
      ],
    },
    {
      name: 'yearly anniversary from 2024-01-31T01:00Z, in arrears',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z' },
      payInAdvance: false,
      invoices: [
        { billingAt: '2025-01-31T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2025-01-30T23:59:59Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2025-01-30T23:59:59Z' },
      ],
    },
    {
      // On the monthly charge invoices Lago's subscription window collapses onto the start (no subscription fee).
      name: 'yearly anniversary with monthly charges, in arrears',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z', billChargesMonthly: true },
      payInAdvance: false,
      invoices: [
        { billingAt: '2024-02-29T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2024-01-31T01:00:00Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-02-28T23:59:59Z' },
        { billingAt: '2024-03-31T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2024-01-31T01:00:00Z', chargesFrom: '2024-02-29T00:00:00Z', chargesTo: '2024-03-30T23:59:59Z' },
        { billingAt: '2024-04-30T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2024-01-31T01:00:00Z', chargesFrom: '2024-03-31T00:00:00Z', chargesTo: '2024-04-29T23:59:59Z' },
        { billingAt: '2025-01-31T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2025-01-30T23:59:59Z', chargesFrom: '2024-12-31T00:00:00Z', chargesTo: '2025-01-30T23:59:59Z' },
      ],
    },
    {
      name: 'yearly anniversary with monthly charges, in advance',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z', billChargesMonthly: true },
      payInAdvance: true,
      invoices: [
        { billingAt: '2024-01-31T01:00:00Z', from: '2024-01-31T00:00:00Z', to: '2025-01-30T23:59:59Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-01-31T01:00:00Z' },
        { billingAt: '2024-02-29T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2025-01-30T23:59:59Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-02-28T23:59:59Z' },
        { billingAt: '2025-01-31T02:00:00Z', from: '2025-01-31T00:00:00Z', to: '2026-01-30T23:59:59Z', chargesFrom: '2024-12-31T00:00:00Z', chargesTo: '2025-01-30T23:59:59Z' },
      ],
    },
    {
      name: 'semiannual anniversary from 2024-01-31T01:00Z, in arrears',
      timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z' },
      payInAdvance: false,
      invoices: [
        { billingAt: '2024-07-31T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2024-07-30T23:59:59Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-07-30T23:59:59Z' },
        { billingAt: '2025-01-31T02:00:00Z', from: '2024-07-31T00:00:00Z', to: '2025-01-30T23:59:59Z', chargesFrom: '2024-07-31T00:00:00Z', chargesTo: '2025-01-30T23:59:59Z' },
      ],
    },
    {
      name: 'semiannual anniversary with monthly charges, in arrears',
      timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z', billChargesMonthly: true },
      payInAdvance: false,
      invoices: [
        { billingAt: '2024-02-29T02:00:00Z', from: '2024-01-31T00:00:00Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-02-28T23:59:59Z' },
        { billingAt: '2024-03-31T02:00:00Z', from: '2024-01-31T00:00:00Z', chargesFrom: '2024-02-29T00:00:00Z', chargesTo: '2024-03-30T23:59:59Z' },
        { billingAt: '2024-07-31T02:00:00Z', from: '2024-01-31T00:00:00Z', to: '2024-07-30T23:59:59Z', chargesFrom: '2024-06-30T00:00:00Z', chargesTo: '2024-07-30T23:59:59Z' },
      ],
    },
    {
      name: 'semiannual anniversary with monthly charges, in advance',
      timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z', billChargesMonthly: true },
      payInAdvance: true,
      invoices: [
        { billingAt: '2024-01-31T01:00:00Z', from: '2024-01-31T00:00:00Z', to: '2024-07-30T23:59:59Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-01-31T01:00:00Z' },
        { billingAt: '2024-02-29T02:00:00Z', from: '2024-01-31T00:00:00Z', chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-02-28T23:59:59Z' },
        { billingAt: '2024-07-31T02:00:00Z', from: '2024-07-31T00:00:00Z', to: '2025-01-30T23:59:59Z', chargesFrom: '2024-06-30T00:00:00Z', chargesTo: '2024-07-30T23:59:59Z' },
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      for (const invoice of c.invoices) {
        const windows = invoiceBoundaries(timing(c.timing), instant(invoice.billingAt), { payInAdvance: c.payInAdvance });
        check(windows, invoice);
      }
    });
  }
});

describe('invoice boundaries (spec/services/subscriptions/dates/*_service_spec.rb)', () => {
  const cases: { name: string; timing: TimingSpec; payInAdvance?: boolean; billingAt: string; expected: Expected }[] = [
    // monthly
    { name: 'monthly calendar', timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-03-01T00:00:00Z', expected: { from: '2022-02-01T00:00:00Z', to: '2022-02-28T23:59:59Z', chargesFrom: '2022-02-01T00:00:00Z', chargesTo: '2022-02-28T23:59:59Z' } },
    { name: 'monthly calendar, New York', timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-03-01T00:00:00Z', expected: { from: '2022-01-01T05:00:00Z', to: '2022-02-01T04:59:59Z', chargesFrom: '2022-01-01T05:00:00Z' } },
    { name: 'monthly calendar, in advance', timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-03-01T00:00:00Z', expected: { from: '2022-03-01T00:00:00Z', to: '2022-03-31T23:59:59Z', chargesFrom: '2022-02-01T00:00:00Z', chargesTo: '2022-02-28T23:59:59Z' } },
    { name: 'monthly calendar started after the period start', timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-02-07T05:00:00Z' }, billingAt: '2022-03-01T00:00:00Z', expected: { from: '2022-02-07T00:00:00Z', chargesFrom: '2022-02-07T05:00:00Z' } },
    { name: 'monthly calendar started after the period start, New York', timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-02-07T05:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-03-01T00:00:00Z', expected: { from: '2022-02-07T05:00:00Z' } },
    { name: 'monthly calendar started mid-March', timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-03-03T00:00:00Z' }, billingAt: '2022-04-01T00:00:00Z', expected: { chargesFrom: '2022-03-03T00:00:00Z' } },
    { name: 'monthly anniversary', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-03-02T00:00:00Z', expected: { from: '2022-02-02T00:00:00Z', to: '2022-03-01T23:59:59Z' } },
    { name: 'monthly anniversary, in advance', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2020-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-03-02T00:00:00Z', expected: { to: '2022-04-01T23:59:59Z', chargesFrom: '2022-02-02T00:00:00Z' } },
    { name: 'monthly anniversary, billed in January', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-01-04T00:00:00Z', expected: { to: '2022-01-01T23:59:59Z' } },
    { name: 'monthly anniversary day 31, billed Feb 28', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2022-01-31T00:00:00Z' }, billingAt: '2022-02-28T00:00:00Z', expected: { to: '2022-02-27T23:59:59Z' } },
    { name: 'monthly anniversary day 30, billed Feb 28', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2022-01-30T00:00:00Z' }, billingAt: '2022-02-28T00:00:00Z', expected: { to: '2022-02-27T23:59:59Z' } },
    { name: 'monthly anniversary on the 1st', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2022-01-01T00:00:00Z' }, billingAt: '2022-03-02T00:00:00Z', expected: { to: '2022-02-28T23:59:59Z' } },
    { name: 'monthly anniversary started after the period start', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-02-08T00:00:00Z' }, billingAt: '2022-03-02T00:00:00Z', expected: { from: '2022-02-08T00:00:00Z' } },
    { name: 'monthly anniversary day 31, in advance, billed Apr 30', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-03-31T00:00:00Z' }, payInAdvance: true, billingAt: '2021-04-30T00:00:00Z', expected: { from: '2021-04-30T00:00:00Z' } },
    { name: 'monthly anniversary day 31, in advance, billed Feb 29 2020', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2020-01-31T00:00:00Z' }, payInAdvance: true, billingAt: '2020-02-29T00:00:00Z', expected: { from: '2020-02-29T00:00:00Z' } },
    { name: 'monthly anniversary day 31, in arrears, billed Apr 30', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-03-31T00:00:00Z' }, billingAt: '2021-04-30T00:00:00Z', expected: { from: '2021-03-31T00:00:00Z' } },
    { name: 'monthly anniversary day 30, in arrears, billed Mar 30 2020', timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2019-04-30T00:00:00Z' }, billingAt: '2020-03-30T00:00:00Z', expected: { from: '2020-02-29T00:00:00Z' } },
    // weekly
    { name: 'weekly calendar', timing: { interval: 'weekly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-03-07T00:00:00Z', expected: { from: '2022-02-28T00:00:00Z', to: '2022-03-06T23:59:59Z' } },
    { name: 'weekly calendar, New York', timing: { interval: 'weekly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-03-07T00:00:00Z', expected: { from: '2022-02-21T05:00:00Z', to: '2022-02-28T04:59:59Z' } },
    { name: 'weekly calendar, in advance', timing: { interval: 'weekly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-03-07T00:00:00Z', expected: { from: '2022-03-07T00:00:00Z', to: '2022-03-13T23:59:59Z', chargesFrom: '2022-02-28T00:00:00Z', chargesTo: '2022-03-06T23:59:59Z' } },
    { name: 'weekly calendar started after the period start', timing: { interval: 'weekly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-03-01T05:00:00Z' }, billingAt: '2022-03-07T00:00:00Z', expected: { from: '2022-03-01T00:00:00Z', chargesFrom: '2022-03-01T05:00:00Z' } },
    { name: 'weekly anniversary', timing: { interval: 'weekly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-03-09T00:00:00Z', expected: { from: '2022-03-01T00:00:00Z', to: '2022-03-07T23:59:59Z' } },
    { name: 'weekly anniversary, in advance', timing: { interval: 'weekly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-03-09T00:00:00Z', expected: { from: '2022-03-08T00:00:00Z', to: '2022-03-14T23:59:59Z', chargesFrom: '2022-03-01T00:00:00Z' } },
    { name: 'weekly anniversary started after the period start', timing: { interval: 'weekly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-03-08T00:00:00Z' }, payInAdvance: true, billingAt: '2022-03-09T00:00:00Z', expected: { from: '2022-03-08T00:00:00Z' } },
    // quarterly
    { name: 'quarterly calendar', timing: { interval: 'quarterly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-07-01T00:00:00Z', expected: { from: '2022-04-01T00:00:00Z', to: '2022-06-30T23:59:59Z' } },
    { name: 'quarterly calendar, New York', timing: { interval: 'quarterly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-07-01T00:00:00Z', expected: { from: '2022-01-01T05:00:00Z', to: '2022-04-01T03:59:59Z' } },
    { name: 'quarterly calendar, in advance', timing: { interval: 'quarterly', billingTime: 'calendar', subscriptionAt: '2020-01-01T00:00:00Z' }, payInAdvance: true, billingAt: '2022-07-01T00:00:00Z', expected: { to: '2022-09-30T23:59:59Z' } },
    { name: 'quarterly calendar, in advance, charges of the previous quarter', timing: { interval: 'quarterly', billingTime: 'calendar', subscriptionAt: '2020-01-01T00:00:00Z' }, payInAdvance: true, billingAt: '2022-04-01T00:00:00Z', expected: { chargesFrom: '2022-01-01T00:00:00Z' } },
    { name: 'quarterly calendar started after the period start, New York', timing: { interval: 'quarterly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-04-07T00:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-07-01T04:00:00Z', expected: { from: '2022-04-06T04:00:00Z' } },
    { name: 'quarterly anniversary', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-05-02T00:00:00Z', expected: { from: '2022-02-02T00:00:00Z', to: '2022-05-01T23:59:59Z' } },
    { name: 'quarterly anniversary, billed in February', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-02-02T00:00:00Z', expected: { from: '2021-11-02T00:00:00Z', to: '2022-02-01T23:59:59Z' } },
    { name: 'quarterly anniversary day 28, billed May 31', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-02-28T00:00:00Z' }, billingAt: '2022-05-31T00:00:00Z', expected: { from: '2022-02-28T00:00:00Z' } },
    { name: 'quarterly anniversary day 30 from November', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-11-30T00:00:00Z' }, billingAt: '2022-03-01T00:00:00Z', expected: { to: '2022-02-27T23:59:59Z' } },
    { name: 'quarterly anniversary day 30 from January, billed Apr 30', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2022-01-30T00:00:00Z' }, billingAt: '2022-04-30T00:00:00Z', expected: { to: '2022-04-29T23:59:59Z' } },
    { name: 'quarterly anniversary on Oct 1', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-10-01T00:00:00Z' }, billingAt: '2022-04-02T00:00:00Z', expected: { to: '2022-03-31T23:59:59Z' } },
    { name: 'quarterly anniversary, in advance', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2020-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-05-02T00:00:00Z', expected: { to: '2022-08-01T23:59:59Z', chargesFrom: '2022-02-02T00:00:00Z' } },
    { name: 'quarterly anniversary day 31, in advance, billed Apr 30', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-01-31T00:00:00Z' }, payInAdvance: true, billingAt: '2021-04-30T00:00:00Z', expected: { from: '2021-04-30T00:00:00Z' } },
    { name: 'quarterly anniversary started after the period start', timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-05-03T00:00:00Z' }, payInAdvance: true, billingAt: '2022-05-03T00:00:00Z', expected: { from: '2022-05-03T00:00:00Z' } },
    // semiannual
    { name: 'semiannual calendar', timing: { interval: 'semiannual', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-07-01T00:00:00Z', expected: { from: '2022-01-01T00:00:00Z', to: '2022-06-30T23:59:59Z' } },
    { name: 'semiannual calendar, New York', timing: { interval: 'semiannual', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-07-01T00:00:00Z', expected: { from: '2021-07-01T04:00:00Z', to: '2022-01-01T04:59:59Z' } },
    { name: 'semiannual calendar, in advance', timing: { interval: 'semiannual', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-07-01T00:00:00Z', expected: { to: '2022-12-31T23:59:59Z', chargesFrom: '2022-01-01T00:00:00Z' } },
    { name: 'semiannual calendar with monthly charges', timing: { interval: 'semiannual', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z', billChargesMonthly: true }, billingAt: '2022-07-01T00:00:00Z', expected: { chargesFrom: '2022-06-01T00:00:00Z', chargesTo: '2022-06-30T23:59:59Z' } },
    { name: 'semiannual calendar with monthly charges, mid-period month', timing: { interval: 'semiannual', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z', billChargesMonthly: true }, billingAt: '2023-02-01T00:00:00Z', expected: { chargesFrom: '2023-01-01T00:00:00Z', chargesTo: '2023-01-31T23:59:59Z' } },
    { name: 'semiannual anniversary', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2021-11-02T00:00:00Z' }, billingAt: '2022-05-02T00:00:00Z', expected: { from: '2021-11-02T00:00:00Z', to: '2022-05-01T23:59:59Z' } },
    { name: 'semiannual anniversary, billed in February', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-02-02T00:00:00Z', expected: { to: '2022-02-01T23:59:59Z' } },
    { name: 'semiannual anniversary day 30, billed May 31', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2021-11-30T00:00:00Z' }, billingAt: '2022-05-31T00:00:00Z', expected: { from: '2021-11-30T00:00:00Z' } },
    { name: 'semiannual anniversary day 30, billed Jun 1', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2021-11-30T00:00:00Z' }, billingAt: '2022-06-01T00:00:00Z', expected: { to: '2022-05-29T23:59:59Z' } },
    { name: 'semiannual anniversary day 30 from January, billed Jul 30', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2022-01-30T00:00:00Z' }, billingAt: '2022-07-30T00:00:00Z', expected: { to: '2022-07-29T23:59:59Z' } },
    { name: 'semiannual anniversary on Oct 1', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2021-10-01T00:00:00Z' }, billingAt: '2022-04-02T00:00:00Z', expected: { to: '2022-03-31T23:59:59Z' } },
    { name: 'semiannual anniversary, in advance', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2021-11-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-05-02T00:00:00Z', expected: { to: '2022-11-01T23:59:59Z' } },
    { name: 'semiannual anniversary day 31, in advance, Apr 30 is no anniversary', timing: { interval: 'semiannual', billingTime: 'anniversary', subscriptionAt: '2021-01-31T00:00:00Z' }, payInAdvance: true, billingAt: '2021-04-30T00:00:00Z', expected: { from: '2021-01-31T00:00:00Z' } },
    // yearly
    { name: 'yearly calendar', timing: { interval: 'yearly', billingTime: 'calendar', subscriptionAt: '2019-02-02T00:00:00Z' }, billingAt: '2022-01-01T00:00:00Z', expected: { from: '2021-01-01T00:00:00Z', to: '2021-12-31T23:59:59Z' } },
    { name: 'yearly calendar, New York', timing: { interval: 'yearly', billingTime: 'calendar', subscriptionAt: '2019-02-02T00:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-01-01T00:00:00Z', expected: { from: '2020-01-01T05:00:00Z', to: '2021-01-01T04:59:59Z' } },
    { name: 'yearly calendar, in advance', timing: { interval: 'yearly', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-01-01T00:00:00Z', expected: { to: '2022-12-31T23:59:59Z', chargesFrom: '2021-01-01T00:00:00Z' } },
    { name: 'yearly calendar started after the period start, New York', timing: { interval: 'yearly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2021-02-07T00:00:00Z', timeZone: 'America/New_York' }, billingAt: '2022-01-01T05:00:00Z', expected: { from: '2021-02-06T05:00:00Z' } },
    { name: 'yearly calendar with monthly charges, January', timing: { interval: 'yearly', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z', billChargesMonthly: true }, billingAt: '2023-01-01T00:00:00Z', expected: { chargesFrom: '2022-12-01T00:00:00Z', chargesTo: '2022-12-31T23:59:59Z' } },
    { name: 'yearly calendar with monthly charges, February', timing: { interval: 'yearly', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z', billChargesMonthly: true }, billingAt: '2023-02-01T00:00:00Z', expected: { chargesFrom: '2023-01-01T00:00:00Z', chargesTo: '2023-01-31T23:59:59Z' } },
    { name: 'yearly calendar with monthly charges, in advance, billed mid-March', timing: { interval: 'yearly', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z', billChargesMonthly: true }, payInAdvance: true, billingAt: '2022-03-07T00:00:00Z', expected: { chargesTo: '2022-02-28T23:59:59Z' } },
    { name: 'yearly anniversary', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, billingAt: '2022-02-02T00:00:00Z', expected: { from: '2021-02-02T00:00:00Z', to: '2022-02-01T23:59:59Z' } },
    { name: 'yearly anniversary with monthly charges', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z', billChargesMonthly: true }, billingAt: '2022-02-02T00:00:00Z', expected: { chargesFrom: '2022-01-02T00:00:00Z', chargesTo: '2022-02-01T23:59:59Z' } },
    { name: 'yearly anniversary, in advance', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-02-02T00:00:00Z', expected: { to: '2023-02-01T23:59:59Z', chargesFrom: '2021-02-02T00:00:00Z' } },
    { name: 'yearly anniversary from Feb 29 2020, billed on the clamped Feb 28 2025', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2020-02-29T00:00:00Z' }, billingAt: '2025-02-28T00:00:00Z', expected: { from: '2024-02-29T00:00:00Z', to: '2025-02-27T23:59:59Z' } },
    { name: 'yearly anniversary from Feb 29 2020, billed Mar 1 2022', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2020-02-29T00:00:00Z' }, billingAt: '2022-03-01T00:00:00Z', expected: { to: '2022-02-27T23:59:59Z' } },
    { name: 'yearly anniversary on Jan 1', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2021-01-01T00:00:00Z' }, billingAt: '2022-03-02T00:00:00Z', expected: { to: '2021-12-31T23:59:59Z' } },
    { name: 'yearly anniversary on Dec 1', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2022-12-01T00:00:00Z' }, billingAt: '2024-01-02T00:00:00Z', expected: { to: '2023-11-30T23:59:59Z' } },
    { name: 'yearly anniversary started after the period start', timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z', startedAt: '2022-09-02T00:00:00Z' }, payInAdvance: true, billingAt: '2022-09-02T00:00:00Z', expected: { from: '2022-09-02T00:00:00Z', to: '2023-02-01T23:59:59Z' } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      check(invoiceBoundaries(timing(c.timing), instant(c.billingAt), { payInAdvance: c.payInAdvance ?? false }), c.expected);
    });
  }
});

describe('current usage window', () => {
  const cases: {
    name: string;
    timing: TimingSpec;
    now: string;
    expected: Expected & { issuingDate?: string; chargesDurationDays?: number };
  }[] = [
    {
      name: 'anniversary monthly from 2022-03-07 on 2022-06-22 (customer_usage_service_spec)',
      timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2022-03-07T00:00:00Z' },
      now: '2022-06-22T10:00:00Z',
      expected: { chargesFrom: '2022-06-07T00:00:00Z', chargesTo: '2022-07-06T23:59:59Z', issuingDate: '2022-07-06', chargesDurationDays: 30 },
    },
    {
      name: 'calendar monthly in June',
      timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2022-01-10T00:00:00Z' },
      now: '2022-06-14T10:00:00Z',
      expected: { chargesFrom: '2022-06-01T00:00:00Z', chargesTo: '2022-06-30T23:59:59Z', issuingDate: '2022-06-30' },
    },
    {
      name: 'calendar monthly in New York: issuing_date is the UTC date of the period end',
      timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2022-01-10T00:00:00Z', timeZone: 'America/New_York' },
      now: '2022-03-15T10:00:00Z',
      expected: { from: '2022-03-01T05:00:00Z', to: '2022-04-01T03:59:59Z', chargesTo: '2022-04-01T03:59:59Z', issuingDate: '2022-04-01' },
    },
    {
      name: 'calendar monthly in Tokyo: issuing_date is the last local day',
      timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2022-01-10T00:00:00Z', timeZone: 'Asia/Tokyo' },
      now: '2022-03-15T10:00:00Z',
      expected: { from: '2022-02-28T15:00:00Z', chargesTo: '2022-03-31T14:59:59Z', issuingDate: '2022-03-31' },
    },
    {
      name: 'anniversary monthly in New York (monthly_service_spec next_end_of_period)',
      timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z', timeZone: 'America/New_York' },
      now: '2022-03-07T00:00:00Z',
      expected: { to: '2022-04-01T03:59:59Z', issuingDate: '2022-04-01' },
    },
    {
      name: 'anniversary monthly, the last day of the period',
      timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' },
      now: '2022-03-01T00:00:00Z',
      expected: { to: '2022-03-01T23:59:59Z', issuingDate: '2022-03-01' },
    },
    {
      name: 'anniversary monthly, period ending in the next year',
      timing: { interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z' },
      now: '2021-12-07T00:00:00Z',
      expected: { to: '2022-01-01T23:59:59Z' },
    },
    {
      name: 'first period: charges from the exact start, fee from the start of its day',
      timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2022-03-15T10:30:00Z' },
      now: '2022-03-20T00:00:00Z',
      expected: { from: '2022-03-15T00:00:00Z', chargesFrom: '2022-03-15T10:30:00Z', chargesTo: '2022-03-31T23:59:59Z', chargesDurationDays: 31 },
    },
    {
      name: 'first period in Los Angeles: the fee starts at local midnight of the start day',
      timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2022-03-15T03:00:00Z', timeZone: 'America/Los_Angeles' },
      now: '2022-03-20T00:00:00Z',
      expected: { from: '2022-03-14T07:00:00Z', chargesFrom: '2022-03-15T03:00:00Z', chargesTo: '2022-04-01T06:59:59Z' },
    },
    {
      name: 'yearly from Feb 29 2024 on 2025-02-20 (anniversary_period_boundaries_spec)',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-02-29T00:00:00Z' },
      now: '2025-02-20T00:00:00Z',
      expected: { chargesFrom: '2024-02-29T00:00:00Z', chargesTo: '2025-02-27T23:59:59Z', issuingDate: '2025-02-27', chargesDurationDays: 365 },
    },
    {
      name: 'yearly from Feb 29 2024 on 2025-03-10',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-02-29T00:00:00Z' },
      now: '2025-03-10T00:00:00Z',
      expected: { chargesFrom: '2025-02-28T00:00:00Z', chargesTo: '2026-02-27T23:59:59Z' },
    },
    {
      name: 'yearly from Feb 29 2024: an event on Feb 28 2025 at noon is in the opening period only',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-02-29T00:00:00Z' },
      now: '2025-02-28T12:00:00Z',
      expected: { chargesFrom: '2025-02-28T00:00:00Z' },
    },
    {
      name: 'quarterly day 31 on May 31 holds the quarter',
      timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2022-01-31T00:00:00Z' },
      now: '2022-05-31T00:00:00Z',
      expected: { chargesFrom: '2022-04-30T00:00:00Z', chargesTo: '2022-07-30T23:59:59Z' },
    },
    {
      name: 'quarterly day 31: Apr 15 closes, May 15 opens',
      timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2022-01-31T00:00:00Z' },
      now: '2022-04-15T00:00:00Z',
      expected: { chargesTo: '2022-04-29T23:59:59Z' },
    },
    {
      name: 'quarterly day 30 from Apr 2021: Jul 29 closes',
      timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-04-30T00:00:00Z' },
      now: '2021-07-29T00:00:00Z',
      expected: { chargesTo: '2021-07-29T23:59:59Z' },
    },
    {
      name: 'quarterly anniversary in New York (quarterly_service_spec next_end_of_period)',
      timing: { interval: 'quarterly', billingTime: 'anniversary', subscriptionAt: '2021-02-02T00:00:00Z', timeZone: 'America/New_York' },
      now: '2022-05-07T00:00:00Z',
      expected: { to: '2022-08-01T03:59:59Z', issuingDate: '2022-08-01' },
    },
    {
      name: 'calendar quarterly in New York',
      timing: { interval: 'quarterly', billingTime: 'calendar', subscriptionAt: '2021-02-02T00:00:00Z', timeZone: 'America/New_York' },
      now: '2022-07-02T00:00:00Z',
      expected: { to: '2022-10-01T03:59:59Z', issuingDate: '2022-10-01' },
    },
    {
      name: 'semiannual calendar with monthly charges, current month (semiannual_service_spec)',
      timing: { interval: 'semiannual', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z', billChargesMonthly: true },
      now: '2023-02-01T00:00:00Z',
      expected: { from: '2023-01-01T00:00:00Z', to: '2023-06-30T23:59:59Z', chargesFrom: '2023-02-01T00:00:00Z', chargesTo: '2023-02-28T23:59:59Z', issuingDate: '2023-06-30', chargesDurationDays: 28 },
    },
    {
      name: 'yearly anniversary with monthly charges: the monthly anniversary period, the yearly issuing date',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z', billChargesMonthly: true },
      now: '2024-03-10T00:00:00Z',
      expected: { from: '2024-01-31T00:00:00Z', to: '2025-01-30T23:59:59Z', chargesFrom: '2024-02-29T00:00:00Z', chargesTo: '2024-03-30T23:59:59Z', issuingDate: '2025-01-30', chargesDurationDays: 31 },
    },
    {
      name: 'yearly anniversary with monthly charges, first month: charges from the exact start',
      timing: { interval: 'yearly', billingTime: 'anniversary', subscriptionAt: '2024-01-31T01:00:00Z', billChargesMonthly: true },
      now: '2024-02-10T00:00:00Z',
      expected: { chargesFrom: '2024-01-31T01:00:00Z', chargesTo: '2024-02-28T23:59:59Z', chargesDurationDays: 29 },
    },
    {
      name: 'monthly charges are ignored on a monthly plan',
      timing: { interval: 'monthly', billingTime: 'calendar', subscriptionAt: '2020-02-02T00:00:00Z', billChargesMonthly: true },
      now: '2023-02-10T00:00:00Z',
      expected: { chargesFrom: '2023-02-01T00:00:00Z', chargesTo: '2023-02-28T23:59:59Z' },
    },
    {
      name: 'weekly anniversary, Paris',
      timing: { interval: 'weekly', billingTime: 'anniversary', subscriptionAt: '2023-03-20T09:00:00Z', timeZone: 'Europe/Paris' },
      now: '2023-03-28T12:00:00Z',
      expected: { chargesFrom: '2023-03-26T22:00:00Z', chargesTo: '2023-04-02T21:59:59Z', issuingDate: '2023-04-02', chargesDurationDays: 7 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const usage = currentUsageWindow(timing(c.timing), instant(c.now));
      check(usage, c.expected);
      if (c.expected.issuingDate) assert.equal(usage.issuingDate.toString(), c.expected.issuingDate);
      if (c.expected.chargesDurationDays) assert.equal(usage.chargesDurationDays, c.expected.chargesDurationDays);
      // The query window is half-open and meets the next period exactly.
      assert.equal(usage.chargesToExclusive.since(usage.chargesToDatetime).total('milliseconds'), 1);
    });
  }

  test('paying in advance or in arrears does not move the current usage window', () => {
    // currentUsageWindow takes no pay-in-advance option: same period as invoiceBoundaries in advance, minus nothing.
    const t = timing({ interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2022-03-07T00:00:00Z' });
    const usage = currentUsageWindow(t, instant('2022-06-22T10:00:00Z'));
    const advance = invoiceBoundaries(t, instant('2022-06-22T10:00:00Z'), { payInAdvance: true });
    assert.equal(usage.fromDatetime.toString(), advance.fromDatetime.toString());
    assert.equal(usage.toDatetime.toString(), advance.toDatetime.toString());
  });

  test('a zero-length charge window (first in-advance invoice) is empty for half-open queries', () => {
    const t = timing({ interval: 'monthly', billingTime: 'anniversary', subscriptionAt: '2024-01-30T10:00:00Z' });
    const first = invoiceBoundaries(t, instant('2024-01-30T10:00:00Z'), { payInAdvance: true });
    assert.equal(first.chargesFromDatetime.toString(), '2024-01-30T10:00:00Z');
    assert.equal(first.chargesToExclusive.toString(), '2024-01-30T10:00:00Z');
  });
});

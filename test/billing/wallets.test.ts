import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { allocateOngoingUsage, allocatePrepaidCredits, type FeeBucket } from '../../src/billing/wallets/allocation.ts';
import { creditFromCents, creditOf, roundsToZero } from '../../src/billing/wallets/credits.ts';
import { drawInbounds, grantedCreditsOf, isRuleAnniversary, paidCreditsOf, type TopUpRule } from '../../src/billing/wallets/rules.ts';
import { Decimal } from '../../src/lib/money.ts';

const d = (v: string | number) => new Decimal(v);
const rate = (r: string, currency = 'EUR') => ({ rateAmount: d(r), currency });
const bucket = (feeType: string, billableMetricId: string | null, cents: number | string): FeeBucket => ({ feeType, billableMetricId, amountCents: d(cents) });
const open = (id: string, balanceCents: bigint, extra: { feeTypes?: string[]; billableMetricIds?: string[] } = {}) => ({
  id,
  balanceCents,
  feeTypes: extra.feeTypes ?? [],
  billableMetricIds: extra.billableMetricIds ?? [],
});

describe('wallet credits and money (Lago WalletCredit)', () => {
  const rows = [
    { name: 'rate 1 EUR', rate: rate('1'), credits: '10', amount: '10', cents: 1_000n, creditAmount: '10' },
    { name: 'rate 1.5: 3.33 credits are 5.00, taken back as 3.33333 credits', rate: rate('1.5'), credits: '3.33', amount: '5', cents: 500n, creditAmount: '3.33333' },
    { name: 'JPY has no minor unit', rate: rate('100', 'JPY'), credits: '1.234', amount: '123', cents: 123n, creditAmount: '1.23' },
    { name: 'BHD has 3', rate: rate('0.5', 'BHD'), credits: '1.0001', amount: '0.5', cents: 500n, creditAmount: '1' },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const c = creditOf(row.rate, d(row.credits));
      assert.deepEqual([c.amount.toFixed(), c.amountCents, c.creditAmount.toFixed()], [row.amount, row.cents, row.creditAmount]);
    });
  }
  test('money back to credits: 1000 cents at rate 3 are 3.33333 credits', () => {
    assert.equal(creditFromCents(rate('3'), 1_000n).creditAmount.toFixed(), '3.33333');
  });
  test('voided credits keep the amount asked', () => {
    assert.equal(creditOf(rate('3'), d('3.33333'), { invoiceable: false }).creditAmount.toFixed(), '3.33333');
  });
  test('a positive amount worth less than a cent rounds to zero (Lago: rate 0.01, 0.4 credits)', () => {
    assert.equal(roundsToZero(rate('0.01'), d('0.4')), true);
    assert.equal(roundsToZero(rate('0.01'), d('0.5')), false);
    assert.equal(roundsToZero(rate('0.01'), d('0')), false);
  });
});

describe('prepaid credits on an invoice (Lago AllocatePrepaidCreditsByWalletsService)', () => {
  const rows = [
    { name: 'one unrestricted wallet, less than the total', fees: [bucket('subscription', null, 11_000)], total: 11_000n, wallets: [open('a', 3_000n)], expected: { a: 3_000n } },
    { name: 'one unrestricted wallet, more than the total', fees: [bucket('subscription', null, 11_000)], total: 11_000n, wallets: [open('a', 20_000n)], expected: { a: 11_000n } },
    {
      name: 'a wallet limited to a metric pays that charge only',
      fees: [bucket('subscription', null, 5_000), bucket('charge', 'm1', 4_000), bucket('charge', 'm2', 1_000)],
      total: 10_000n,
      wallets: [open('a', 20_000n, { billableMetricIds: ['m1'] })],
      expected: { a: 4_000n },
    },
    {
      name: 'fee types and metrics both count (either is enough)',
      fees: [bucket('subscription', null, 5_000), bucket('charge', 'm1', 4_000), bucket('charge', 'm2', 1_000)],
      total: 10_000n,
      wallets: [open('a', 20_000n, { feeTypes: ['subscription'], billableMetricIds: ['m2'] })],
      expected: { a: 6_000n },
    },
    {
      name: 'wallets in the order given, each up to its balance',
      fees: [bucket('charge', 'm1', 3_000)],
      total: 3_000n,
      wallets: [open('first', 800n), open('second', 5_000n)],
      expected: { first: 800n, second: 2_200n },
    },
    {
      name: 'precise taxes a cent short of the total: the largest bucket takes the difference',
      fees: [bucket('charge', 'm1', '1000.4'), bucket('charge', 'm2', '500.4')],
      total: 1_502n,
      wallets: [open('a', 10_000n)],
      expected: { a: 1_502n },
    },
    {
      name: 'a restricted wallet first, then an unrestricted one for the rest',
      fees: [bucket('subscription', null, 1_000), bucket('charge', 'm1', 2_000)],
      total: 3_000n,
      wallets: [open('calls', 5_000n, { billableMetricIds: ['m1'] }), open('any', 5_000n)],
      expected: { calls: 2_000n, any: 1_000n },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(Object.fromEntries(allocatePrepaidCredits(row.fees, row.total, row.wallets)), row.expected);
    });
  }

  test('two wallets each rounding half a cent up never take more than the invoice total', () => {
    // Two fees of 105 with 10 % tax: 115.5 each precisely, 231 on the invoice (taxes rounded once).
    const result = allocatePrepaidCredits([bucket('charge', 'a', '115.5'), bucket('charge', 'b', '115.5')], 231n, [
      open('wa', 1000n, { billableMetricIds: ['a'] }),
      open('wb', 1000n, { billableMetricIds: ['b'] }),
    ]);
    assert.equal((result.get('wa') ?? 0n) + (result.get('wb') ?? 0n), 231n);
  });

  test('property: never more than a wallet holds, nor than the invoice total', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom('charge', 'subscription', 'add_on'), metric: fc.constantFrom('m1', 'm2', null), cents: fc.integer({ min: 0, max: 100_000 }), half: fc.boolean() }), { maxLength: 6 }),
        fc.array(fc.record({ balance: fc.integer({ min: 0, max: 50_000 }), metrics: fc.subarray(['m1', 'm2']), types: fc.subarray(['charge', 'subscription']) }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (fees, wallets, extra) => {
          // Precise taxes leave fees with fractions of a cent; the invoice total is their sum rounded (half down here).
          const buckets = fees.map((f) => bucket(f.type, f.type === 'charge' ? f.metric : null, f.half ? `${f.cents}.5` : f.cents));
          const total = BigInt(fees.reduce((s, f) => s + f.cents, 0) + Math.floor(fees.filter((f) => f.half).length / 2) + extra);
          const scoped = wallets.map((w, i) => open(`w${i}`, BigInt(w.balance), { billableMetricIds: w.metrics, feeTypes: w.types }));
          const result = allocatePrepaidCredits(buckets, total, scoped);
          let sum = 0n;
          for (const w of scoped) {
            const taken = result.get(w.id) ?? 0n;
            assert.ok(taken >= 0n && taken <= w.balanceCents);
            sum += taken;
          }
          assert.ok(sum <= total);
        },
      ),
    );
  });
});

describe('unbilled usage over wallets (Lago AllocateOngoingUsageByWalletsService)', () => {
  test('spread by order, the last applicable wallet takes the rest and may go below zero', () => {
    const result = allocateOngoingUsage([bucket('charge', 'm1', 900)], [{ ...open('a', 500n), threshold: false }, { ...open('b', 200n), threshold: false }]);
    assert.deepEqual(Object.fromEntries(result), { a: 500n, b: 400n });
  });
  test('a wallet with a threshold rule takes everything that reaches it', () => {
    const result = allocateOngoingUsage([bucket('charge', 'm1', 900)], [{ ...open('a', 500n), threshold: true }, { ...open('b', 2_000n), threshold: false }]);
    assert.deepEqual(Object.fromEntries(result), { a: 900n, b: 0n });
  });
  test('already billed amounts net out of the budget', () => {
    const result = allocateOngoingUsage([bucket('charge', 'm1', 900), bucket('charge', 'm2', -300)], [{ ...open('a', 5_000n), threshold: false }]);
    assert.deepEqual(Object.fromEntries(result), { a: 600n });
  });
});

describe('recurring rules', () => {
  const rule = (overrides: Partial<TopUpRule>): TopUpRule => ({
    trigger: 'threshold',
    method: 'fixed',
    paidCredits: d(10),
    grantedCredits: d(0),
    thresholdCredits: d(5),
    targetOngoingBalance: null,
    grantsTargetTopUp: false,
    ignorePaidTopUpLimits: false,
    ...overrides,
  });
  const none = { minCredits: null, maxCredits: null };
  const rows = [
    { name: 'fixed threshold, a small gap: one top-up', rule: rule({}), ongoing: '4', paid: '10', granted: '0' },
    { name: 'fixed threshold, gap 25 over 10: three top-ups', rule: rule({}), ongoing: '-20', paid: '30', granted: '0' },
    { name: 'fixed threshold, pending credits shrink the gap', rule: rule({}), ongoing: '-20', pending: '10', paid: '20', granted: '0' },
    { name: 'target: paid up to the target', rule: rule({ method: 'target', targetOngoingBalance: d(50) }), ongoing: '12.5', paid: '37.5', granted: '0' },
    { name: 'target: at the target, nothing', rule: rule({ method: 'target', targetOngoingBalance: d(50) }), ongoing: '50', paid: '0', granted: '0' },
    { name: 'target granting: granted up to the target', rule: rule({ method: 'target', targetOngoingBalance: d(20), grantsTargetTopUp: true }), ongoing: '2', paid: '0', granted: '18' },
    { name: 'interval fixed: the rule’s credits', rule: rule({ trigger: 'interval', grantedCredits: d(3) }), ongoing: '100', paid: '10', granted: '3' },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.equal(paidCreditsOf(row.rule, none, d(row.ongoing), d(row.pending ?? 0)).toFixed(), row.paid);
      assert.equal(grantedCreditsOf(row.rule, none, d(row.ongoing)).toFixed(), row.granted);
    });
  }
  test('limits: a target purchase is raised to the minimum, a multiple threshold purchase capped at the maximum', () => {
    assert.equal(paidCreditsOf(rule({ method: 'target', targetOngoingBalance: d(50) }), { minCredits: d(45), maxCredits: null }, d(40)).toFixed(), '45');
    assert.equal(paidCreditsOf(rule({}), { minCredits: null, maxCredits: d(25) }, d(-20)).toFixed(), '25');
    assert.equal(paidCreditsOf(rule({ ignorePaidTopUpLimits: true }), { minCredits: null, maxCredits: d(25) }, d(-20)).toFixed(), '30');
  });

  const day = (s: string) => Temporal.PlainDate.from(s);
  const anniversaries = [
    { interval: 'weekly', start: '2024-01-10', days: ['2024-01-17', '2024-01-24'], not: ['2024-01-18'] },
    { interval: 'monthly', start: '2024-01-31', days: ['2024-02-29', '2024-03-31', '2024-04-30'], not: ['2024-03-30', '2024-02-28'] },
    { interval: 'quarterly', start: '2024-01-15', days: ['2024-04-15', '2024-07-15', '2024-10-15', '2025-01-15'], not: ['2024-02-15', '2024-03-15'] },
    { interval: 'quarterly', start: '2024-03-31', days: ['2024-06-30', '2024-09-30', '2024-12-31'], not: ['2024-04-30'] },
    { interval: 'semiannual', start: '2024-02-10', days: ['2024-08-10', '2025-02-10'], not: ['2024-05-10'] },
    { interval: 'yearly', start: '2024-02-29', days: ['2025-02-28', '2028-02-29'], not: ['2028-02-28', '2025-03-01'] },
  ] as const;
  for (const row of anniversaries) {
    test(`${row.interval} from ${row.start}`, () => {
      for (const on of row.days) assert.equal(isRuleAnniversary(row.interval, day(row.start), day(on)), true, on);
      for (const off of row.not) assert.equal(isRuleAnniversary(row.interval, day(row.start), day(off)), false, off);
    });
  }
});

describe('consumption order (Lago TrackConsumptionService)', () => {
  test('priority first, then granted before purchased, then oldest', () => {
    const draws = drawInbounds(
      [
        { id: 'granted-50', priority: 50, granted: true, createdAtMs: 1, remainingCents: 500n },
        { id: 'purchased-10', priority: 10, granted: false, createdAtMs: 2, remainingCents: 1_000n },
        { id: 'granted-10', priority: 10, granted: true, createdAtMs: 3, remainingCents: 100n },
      ],
      1_200n,
    );
    assert.deepEqual(draws, [
      { id: 'granted-10', cents: 100n },
      { id: 'purchased-10', cents: 1_000n },
      { id: 'granted-50', cents: 100n },
    ]);
  });
  test('more than the inbound credits hold: refused', () => {
    assert.equal(drawInbounds([{ id: 'a', priority: 1, granted: true, createdAtMs: 0, remainingCents: 10n }], 11n), null);
  });
  test('property: draws add up to the amount and never exceed what is left of each', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ priority: fc.integer({ min: 1, max: 50 }), granted: fc.boolean(), remaining: fc.integer({ min: 0, max: 10_000 }) }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 40_000 }),
        (inbounds, amount) => {
          const list = inbounds.map((i, n) => ({ id: `i${n}`, priority: i.priority, granted: i.granted, createdAtMs: n, remainingCents: BigInt(i.remaining) }));
          const held = inbounds.reduce((s, i) => s + i.remaining, 0);
          const draws = drawInbounds(list, BigInt(amount));
          if (amount > held) return assert.equal(draws, null);
          assert.ok(draws);
          assert.equal(draws.reduce((s, x) => s + x.cents, 0n), BigInt(amount));
          for (const x of draws) assert.ok(x.cents > 0n && x.cents <= list.find((i) => i.id === x.id)!.remainingCents);
        },
      ),
    );
  });
});

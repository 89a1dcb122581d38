import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import { Decimal } from '../../src/lib/money.ts';
import { inAdvanceProratedUnits, sumChanges, uniqueCountChanges } from '../../src/billing/usage/prorated-in-advance.ts';
import { persistedShare, type ProrationWindow } from '../../src/billing/usage/prorated.ts';

const at = (iso: string) => Temporal.Instant.from(iso).epochMilliseconds;
const february: ProrationWindow = {
  from: Temporal.Instant.from('2024-02-01T00:00:00Z'),
  to: Temporal.Instant.from('2024-02-29T23:59:59.999Z'),
  durationDays: 29,
  timeZone: 'UTC',
};
const d = (v: number | string) => new Decimal(v);

const sumUnits = (events: [string, number][], window = february) => {
  const { carried, changes } = sumChanges(events.map(([iso, v]) => ({ timestampMs: at(iso), value: d(v) })), window);
  return inAdvanceProratedUnits(carried, changes, window, persistedShare(window)).toFixed();
};

describe('current usage of a prorated pay-in-advance charge: what its fees billed, plus what they did not cover', () => {
  const sums: [string, [string, number][], string][] = [
    // Lago's current_usage sum_agg scenario: 10 × 24/29, then falls and a rise below the highest change nothing.
    ['10 on the 6th', [['2024-02-06T01:00:00Z', 10]], '8.27587'],
    ['then −5', [['2024-02-06T01:00:00Z', 10], ['2024-02-06T02:00:00Z', -5]], '8.27587'],
    ['then +2, below the highest', [['2024-02-06T01:00:00Z', 10], ['2024-02-06T02:00:00Z', -5], ['2024-02-06T03:00:00Z', 2]], '8.27587'],
    ['then +4, 1 above the highest on the 20th (10 days left)', [['2024-02-06T01:00:00Z', 10], ['2024-02-06T02:00:00Z', -5], ['2024-02-06T03:00:00Z', 2], ['2024-02-20T00:00:00Z', 4]], '8.6207'],
    // Units held before the window are billed whole; a net fall over the window takes from them.
    ['5 carried, nothing in the window', [['2024-01-10T00:00:00Z', 5]], '5'],
    ['5 carried, 2 removed', [['2024-01-10T00:00:00Z', 5], ['2024-02-10T00:00:00Z', -2]], '3'],
    ['5 carried, 4 added on the last day (1 day left)', [['2024-01-10T00:00:00Z', 5], ['2024-02-29T12:00:00Z', 4]], '5.13794'],
    ['an event after the window does not count', [['2024-03-01T00:00:00Z', 4]], '0'],
  ];
  for (const [name, events, expected] of sums) test(`sum: ${name} → ${expected}`, () => assert.equal(sumUnits(events), expected));

  test('sum: a window shorter than its period (an upgrade on the 15th, 15 of 29 days) bills what it holds for its share', () => {
    const upgraded = { ...february, from: Temporal.Instant.from('2024-02-15T00:00:00Z') };
    // 5 × 15/29 = 2.586206…, rounded up.
    assert.equal(sumUnits([['2024-01-10T00:00:00Z', 5]], upgraded), '2.58621');
    // 10 carried, 4 removed on the 20th: (10 − 4) × 15/29 = 3.103448… (Lago: the units held less the window's fall).
    assert.equal(sumUnits([['2024-01-10T00:00:00Z', 10], ['2024-02-20T00:00:00Z', -4]], upgraded), '3.10345');
    // 3 added on the 20th (10 days left): 5 × 15/29 + 3 × 10/29 = 2.58621 + 1.03449.
    assert.equal(sumUnits([['2024-01-10T00:00:00Z', 5], ['2024-02-20T00:00:00Z', 3]], upgraded), '3.6207');
  });

  test('unique count: a seat added with 7 days left, removed twice and added again, is billed once (Lago: 0.24138)', () => {
    const ops: [string, string, boolean][] = [
      ['2024-02-23T01:02:00Z', 'seat_1', true],
      ['2024-02-29T01:01:00Z', 'seat_1', false],
      ['2024-02-29T01:02:00Z', 'seat_1', false],
      ['2024-02-29T02:00:00Z', 'seat_1', true],
    ];
    for (let n = 1; n <= ops.length; n++) {
      const { carried, changes } = uniqueCountChanges(ops.slice(0, n).map(([iso, value, isAdd]) => ({ timestampMs: at(iso), value, isAdd })), february);
      assert.equal(inAdvanceProratedUnits(carried, changes, february, 1).toFixed(), '0.24138', `after ${n} operations`);
    }
  });

  test('unique count: seats held before the window count whole; removing one takes it off, and a new seat that only fills its place adds nothing prorated', () => {
    const ops = [
      { timestampMs: at('2024-01-05T00:00:00Z'), value: 'a', isAdd: true },
      { timestampMs: at('2024-01-06T00:00:00Z'), value: 'b', isAdd: true },
      { timestampMs: at('2024-02-10T00:00:00Z'), value: 'a', isAdd: false },
      { timestampMs: at('2024-02-10T00:00:00Z'), value: 'a', isAdd: false },
    ];
    const { carried, changes } = uniqueCountChanges(ops, february);
    assert.equal(carried.toFixed(), '2');
    assert.equal(inAdvanceProratedUnits(carried, changes, february, 1).toFixed(), '1');
    const again = uniqueCountChanges([...ops, { timestampMs: at('2024-02-20T00:00:00Z'), value: 'c', isAdd: true }], february);
    // Back to 2 seats, never above the window's start: no fee billed a share, and the 2 carried count whole again.
    assert.equal(inAdvanceProratedUnits(again.carried, again.changes, february, 1).toFixed(), '2');
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketEnd, bucketStart, planRange } from '../../src/billing/aggregation/buckets.ts';

const at = (iso: string) => Date.parse(iso);
const show = (plan: ReturnType<typeof planRange>) => ({
  buckets: plan.buckets.map((b) => `${b.grain} ${new Date(b.range.from).toISOString()} → ${new Date(b.range.to).toISOString()}`),
  raw: plan.raw.map((r) => `${new Date(r.from).toISOString()} → ${new Date(r.to).toISOString()}`),
});

describe('aggregate buckets', () => {
  test('bucket starts and ends per grain, across month lengths and leap years', () => {
    const rows: Array<[string, 'h' | 'd' | 'm', string, string]> = [
      ['2024-02-29T13:45:12.345Z', 'h', '2024-02-29T13:00:00.000Z', '2024-02-29T14:00:00.000Z'],
      ['2024-02-29T13:45:12.345Z', 'd', '2024-02-29T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
      ['2024-02-29T13:45:12.345Z', 'm', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
      ['2023-12-31T23:59:59.999Z', 'm', '2023-12-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01T00:00:00.000Z', 'h', '2024-01-01T00:00:00.000Z', '2024-01-01T01:00:00.000Z'],
    ];
    for (const [instant, grain, start, end] of rows) {
      const s = bucketStart(at(instant), grain);
      assert.equal(new Date(s).toISOString(), start, `${instant} ${grain}`);
      assert.equal(new Date(bucketEnd(s, grain)).toISOString(), end, `${instant} ${grain}`);
    }
  });

  const plans: Array<[string, string, string, { buckets: string[]; raw: string[] }]> = [
    [
      'a UTC calendar month is one monthly bucket',
      '2024-03-01T00:00:00Z',
      '2024-04-01T00:00:00Z',
      { buckets: ['m 2024-03-01T00:00:00.000Z → 2024-04-01T00:00:00.000Z'], raw: [] },
    ],
    [
      'a first period started mid-hour reads the rest of that hour raw',
      '2024-03-10T10:37:00Z',
      '2024-04-01T00:00:00Z',
      {
        buckets: ['h 2024-03-10T11:00:00.000Z → 2024-03-11T00:00:00.000Z', 'd 2024-03-11T00:00:00.000Z → 2024-04-01T00:00:00.000Z'],
        raw: ['2024-03-10T10:37:00.000Z → 2024-03-10T11:00:00.000Z'],
      },
    ],
    [
      'a Paris month runs from 23:00 UTC to 22:00 UTC',
      '2024-02-29T23:00:00Z',
      '2024-03-31T22:00:00Z',
      {
        buckets: [
          'h 2024-02-29T23:00:00.000Z → 2024-03-01T00:00:00.000Z',
          'd 2024-03-01T00:00:00.000Z → 2024-03-31T00:00:00.000Z',
          'h 2024-03-31T00:00:00.000Z → 2024-03-31T22:00:00.000Z',
        ],
        raw: [],
      },
    ],
    [
      'an India month (+05:30) reads two half hours raw',
      '2024-02-29T18:30:00Z',
      '2024-03-31T18:30:00Z',
      {
        buckets: [
          'h 2024-02-29T19:00:00.000Z → 2024-03-01T00:00:00.000Z',
          'd 2024-03-01T00:00:00.000Z → 2024-03-31T00:00:00.000Z',
          'h 2024-03-31T00:00:00.000Z → 2024-03-31T18:00:00.000Z',
        ],
        raw: ['2024-02-29T18:30:00.000Z → 2024-02-29T19:00:00.000Z', '2024-03-31T18:00:00.000Z → 2024-03-31T18:30:00.000Z'],
      },
    ],
    [
      'all history up to a period end (recurring metrics) is mostly months',
      '1970-01-01T00:00:00Z',
      '2024-03-15T00:00:00Z',
      {
        buckets: ['m 1970-01-01T00:00:00.000Z → 2024-03-01T00:00:00.000Z', 'd 2024-03-01T00:00:00.000Z → 2024-03-15T00:00:00.000Z'],
        raw: [],
      },
    ],
    ['an empty window reads nothing', '2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z', { buckets: [], raw: [] }],
    ['a window inside one hour is raw', '2024-03-01T10:05:00Z', '2024-03-01T10:55:00Z', { buckets: [], raw: ['2024-03-01T10:05:00.000Z → 2024-03-01T10:55:00.000Z'] }],
  ];
  for (const [name, from, to, expected] of plans) {
    test(`plan: ${name}`, () => assert.deepEqual(show(planRange({ from: at(from), to: at(to) })), expected));
  }
});

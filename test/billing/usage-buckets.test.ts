import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketsOf, compileFilterBuckets, type FilterRule } from '../../src/billing/usage/filter-buckets.ts';
import { compareGroups, emptyGroup, groupOf } from '../../src/billing/usage/groups.ts';

const ALL = ['__ALL_FILTER_VALUES__'];
const rule = (id: string, values: Record<string, string[]>, createdAtMs: number): FilterRule => ({ id, values, createdAtMs });

describe('charge filter buckets (Lago ChargeFilters::MatchingAndIgnoredService, spec example f1..f5)', () => {
  const declared = { steps: ['25', '50', '75', '100'], size: ['512', '1024'], model: ['llama-1', 'llama-2', 'llama-3', 'llama-4'] };
  const buckets = compileFilterBuckets(
    [
      rule('f1', { steps: ['25'], size: ['512'], model: ['llama-2'] }, 1),
      rule('f2', { steps: ['25'], size: ['512'] }, 2),
      rule('f3', { steps: ALL, size: ALL }, 3),
      rule('f4', { size: ALL }, 4),
      rule('f5', { size: ['512'] }, 5),
    ],
    declared,
  );
  const cases: [string, Record<string, string>, (string | null)[]][] = [
    ['the most specific filter takes it', { steps: '25', size: '512', model: 'llama-2' }, ['f1']],
    ['another model falls back to f2', { steps: '25', size: '512', model: 'llama-1' }, ['f2']],
    ['no model at all: f2', { steps: '25', size: '512' }, ['f2']],
    ['declared steps and size other than f2: f3', { steps: '50', size: '1024' }, ['f3']],
    ['declared steps with size 512: f3, which f5 leaves out', { steps: '50', size: '512' }, ['f3']],
    ['size 1024 without steps: f4', { size: '1024' }, ['f4']],
    ['size 1024 with undeclared steps: f4', { steps: '33', size: '1024' }, ['f4']],
    ['size 512 without steps: f5, which f4 leaves out', { size: '512' }, ['f5']],
    ['an undeclared size: the default bucket', { size: '2048' }, [null]],
    ['no property: the default bucket', {}, [null]],
    ['only a model: the default bucket', { model: 'llama-2' }, [null]],
  ];
  for (const [name, dims, expected] of cases) {
    test(name, () => assert.deepEqual(bucketsOf(buckets, dims), expected));
  }
});

describe('charge filter buckets: overlaps, duplicates, ALL', () => {
  const declared = { region: ['us', 'eu', 'asia'], tier: ['free', 'pro'] };

  test('partly overlapping lists on the same key both count the shared value, as in Lago', () => {
    const buckets = compileFilterBuckets([rule('a', { region: ['us', 'eu'] }, 1), rule('b', { region: ['eu', 'asia'] }, 2)], declared);
    assert.deepEqual(bucketsOf(buckets, { region: 'eu' }), ['a', 'b']);
    assert.deepEqual(bucketsOf(buckets, { region: 'us' }), ['a']);
    assert.deepEqual(bucketsOf(buckets, { region: 'asia' }), ['b']);
  });

  test('of two identical filters, the older counts the events', () => {
    const buckets = compileFilterBuckets([rule('new', { region: ['eu'] }, 5), rule('old', { region: ['eu'] }, 1)], declared);
    assert.deepEqual(bucketsOf(buckets, { region: 'eu' }), ['old']);
    // Same instant: the smaller id is the older.
    const tie = compileFilterBuckets([rule('b', { region: ['eu'] }, 1), rule('a', { region: ['eu'] }, 1)], declared);
    assert.deepEqual(bucketsOf(tie, { region: 'eu' }), ['a']);
  });

  test('explicit values beat __ALL_FILTER_VALUES__ on the same key; ALL means the declared values only', () => {
    const buckets = compileFilterBuckets([rule('eu', { region: ['eu'] }, 1), rule('all', { region: ALL }, 2)], declared);
    assert.deepEqual(bucketsOf(buckets, { region: 'eu' }), ['eu']);
    assert.deepEqual(bucketsOf(buckets, { region: 'us' }), ['all']);
    assert.deepEqual(bucketsOf(buckets, { region: 'mars' }), [null]);
  });

  test('a more specific filter with more keys is left out of the broader one', () => {
    const buckets = compileFilterBuckets([rule('eu', { region: ['eu'] }, 1), rule('eu_pro', { region: ['eu'], tier: ['pro'] }, 2)], declared);
    assert.deepEqual(bucketsOf(buckets, { region: 'eu', tier: 'pro' }), ['eu_pro']);
    assert.deepEqual(bucketsOf(buckets, { region: 'eu', tier: 'free' }), ['eu']);
    assert.deepEqual(bucketsOf(buckets, { region: 'eu' }), ['eu']);
    assert.deepEqual(bucketsOf(buckets, { tier: 'pro' }), [null]);
  });

  test('same keys, neither inside the other: what is left of a key after removing shared values may be nothing', () => {
    // a's children: b leaves {region: [asia]} (and no tier), b's children: a leaves {tier: [free]}.
    const buckets = compileFilterBuckets(
      [rule('a', { region: ['eu'], tier: ['free', 'pro'] }, 1), rule('b', { region: ['eu', 'asia'], tier: ['pro'] }, 2)],
      declared,
    );
    assert.deepEqual(bucketsOf(buckets, { region: 'eu', tier: 'pro' }), ['a', 'b']);
    assert.deepEqual(bucketsOf(buckets, { region: 'eu', tier: 'free' }), ['a']);
    assert.deepEqual(bucketsOf(buckets, { region: 'asia', tier: 'pro' }), ['b']);
  });

  test('a charge without filters has one bucket for everything', () => {
    assert.deepEqual(bucketsOf(compileFilterBuckets([], declared), { region: 'eu' }), [null]);
  });
});

describe('pricing groups', () => {
  test('grouped_by follows the keys in order; a missing or empty value shows null but stays its own group', () => {
    const region = groupOf(['region', 'tier'], { region: 'eu', cloud: 'aws' });
    assert.deepEqual(region.groupedBy, { region: 'eu', tier: null });
    const empty = groupOf(['region'], { region: '' });
    const missing = groupOf(['region'], {});
    assert.deepEqual([empty.groupedBy, missing.groupedBy], [{ region: null }, { region: null }]);
    assert.notEqual(empty.key, missing.key);
    assert.deepEqual(emptyGroup(['region']).groupedBy, { region: null });
    assert.deepEqual(groupOf([], { region: 'eu' }).groupedBy, {});
  });

  test('groups sort by their values', () => {
    const groups = [groupOf(['k'], { k: 'b' }), groupOf(['k'], {}), groupOf(['k'], { k: 'a' }), groupOf(['k'], { k: '' })];
    assert.deepEqual(groups.sort(compareGroups).map((g) => g.key), [JSON.stringify(['']), JSON.stringify(['\u0000']), JSON.stringify(['a']), JSON.stringify(['b'])]);
  });
});

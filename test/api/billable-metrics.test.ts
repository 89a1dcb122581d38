import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type {
  BillableMetricBaseInput,
  BillableMetricEvaluateExpressionResult,
  BillableMetricObject,
  BillableMetricsPaginated,
} from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

const FROZEN = '2024-03-01T12:00:00Z';
const FROZEN_SECONDS = Date.parse(FROZEN) / 1000;

/** Lago's serializer order; the counters sit between expression and filters. */
const FIELDS = [
  'lago_id',
  'name',
  'code',
  'description',
  'aggregation_type',
  'weighted_interval',
  'recurring',
  'rounding_function',
  'rounding_precision',
  'created_at',
  'field_name',
  'expression',
];
const WITH_COUNTERS = [...FIELDS, 'active_subscriptions_count', 'draft_invoices_count', 'plans_count', 'filters'];
const WITHOUT_COUNTERS = [...FIELDS, 'filters'];

const unprocessable = (details: Record<string, string[]>) => ({
  status: 422,
  error: 'Unprocessable Entity',
  code: 'validation_errors',
  error_details: details,
});
const missingWrapper = { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: billable_metric' };
const notFound = { status: 404, error: 'Not Found', code: 'billable_metric_not_found' };

describe('billable metrics', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ testClock: FROZEN }));
  });
  after(() => t.close());

  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    t.database.withSession((session) => session.query<T>(text, params));

  /** A plan charging the metric, written straight to the tables the plans module owns (read-only for this module). */
  const chargeMetric = async (metricId: string, filterValues: Array<Record<string, string[]>> = []) => {
    const planId = randomUUID();
    const chargeId = randomUUID();
    await sql(
      `INSERT INTO plans (organization_id, id, code, name, interval, amount_cents, amount_currency, pay_in_advance, created_at, updated_at)
       VALUES ($1, $2, $3, 'Plan', 'monthly', 0, 'EUR', false, now(), now())`,
      [orgId, planId, `plan-${planId}`],
    );
    await sql(
      `INSERT INTO charges (organization_id, id, plan_id, billable_metric_id, code, charge_model, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'standard', now(), now())`,
      [orgId, chargeId, planId, metricId, `charge-${chargeId}`],
    );
    const filterIds: string[] = [];
    for (const values of filterValues) {
      const id = randomUUID();
      filterIds.push(id);
      await sql(
        `INSERT INTO charge_filters (organization_id, id, charge_id, "values", created_at, updated_at) VALUES ($1, $2, $3, $4, now(), now())`,
        [orgId, id, chargeId, JSON.stringify(values)],
      );
    }
    return { planId, chargeId, filterIds };
  };

  const create = async (input: BillableMetricBaseInput): Promise<BillableMetricObject> =>
    (await t.client(key).billableMetrics.createBillableMetric({ billable_metric: input })).data.billable_metric;

  describe('every aggregation type through the Lago client', () => {
    const inputs: Array<[string, BillableMetricBaseInput]> = [
      ['count_agg', { aggregation_type: 'count_agg' }],
      ['sum_agg', { aggregation_type: 'sum_agg', field_name: 'gb', recurring: true }],
      ['max_agg', { aggregation_type: 'max_agg', field_name: 'seats' }],
      ['unique_count_agg', { aggregation_type: 'unique_count_agg', field_name: 'user_id', recurring: true }],
      ['latest_agg', { aggregation_type: 'latest_agg', field_name: 'balance' }],
      ['weighted_sum_agg', { aggregation_type: 'weighted_sum_agg', field_name: 'gb', weighted_interval: 'seconds', recurring: true }],
    ];
    for (const [type, input] of inputs) {
      test(`${type}: create, read, update, list and delete`, async () => {
        const client = t.client(key);
        const code = `agg-${type}`;
        const created = await client.billableMetrics.createBillableMetric({
          billable_metric: { name: `Metric ${type}`, code, description: 'Usage', ...input },
        });
        const metric: BillableMetricObject = created.data.billable_metric;
        assert.deepEqual(Object.keys(metric), WITH_COUNTERS);
        const expected: Record<string, unknown> = {
          lago_id: metric.lago_id,
          name: `Metric ${type}`,
          code,
          description: 'Usage',
          aggregation_type: type,
          weighted_interval: input.weighted_interval ?? null,
          recurring: input.recurring ?? false,
          rounding_function: null,
          rounding_precision: null,
          created_at: '2024-03-01T12:00:00Z',
          field_name: input.field_name ?? null,
          expression: null,
          active_subscriptions_count: 0,
          draft_invoices_count: 0,
          plans_count: 0,
          filters: [],
        };
        assert.deepEqual(metric, expected);

        const found = await client.billableMetrics.findBillableMetric(code);
        assert.deepEqual(Object.keys(found.data.billable_metric), WITHOUT_COUNTERS);
        assert.equal(found.data.billable_metric.lago_id, metric.lago_id);

        const updated = await client.billableMetrics.updateBillableMetric(code, {
          billable_metric: { name: 'Renamed', description: null, rounding_function: 'ceil', rounding_precision: 2 },
        });
        const renamed: BillableMetricObject = updated.data.billable_metric;
        assert.deepEqual(Object.keys(renamed), WITH_COUNTERS);
        assert.equal(renamed.name, 'Renamed');
        assert.equal(renamed.description, null);
        assert.equal(renamed.rounding_function, 'ceil');
        assert.equal(renamed.rounding_precision, 2);
        assert.equal(renamed.aggregation_type, type);

        const list: BillableMetricsPaginated = (await client.billableMetrics.findAllBillableMetrics()).data;
        const listed = list.billable_metrics.find((m) => m.code === code);
        assert.deepEqual(listed && Object.keys(listed), WITH_COUNTERS);
        assert.deepEqual(listed, renamed);

        const deleted = await client.billableMetrics.destroyBillableMetric(code);
        assert.deepEqual(deleted.data.billable_metric, renamed);
        await assert.rejects(client.billableMetrics.findBillableMetric(code), (e) => {
          assert.deepEqual(lagoError(e), { status: 404, body: notFound });
          return true;
        });
      });
    }
  });

  test('count_agg drops a field_name; switching to count_agg clears it', async () => {
    const counted = await create({ name: 'Calls', code: 'calls', aggregation_type: 'count_agg', field_name: 'ignored' });
    assert.equal(counted.field_name, null);
    await create({ name: 'Volume', code: 'volume', aggregation_type: 'sum_agg', field_name: 'gb' });
    const switched = await t.client(key).billableMetrics.updateBillableMetric('volume', { billable_metric: { aggregation_type: 'count_agg' } });
    assert.equal(switched.data.billable_metric.field_name, null);
    assert.equal(switched.data.billable_metric.aggregation_type, 'count_agg');
  });

  test('weighted_interval is kept on any aggregation type, as in Lago', async () => {
    const metric = await create({ name: 'W', code: 'weighted-on-sum', aggregation_type: 'sum_agg', field_name: 'x', weighted_interval: 'seconds' });
    assert.equal(metric.weighted_interval, 'seconds');
  });

  test('rounding: function and precision (negative allowed), cleared by null', async () => {
    const client = t.client(key);
    const metric = await create({ name: 'R', code: 'rounded', aggregation_type: 'sum_agg', field_name: 'x', rounding_function: 'round', rounding_precision: -2 });
    assert.equal(metric.rounding_function, 'round');
    assert.equal(metric.rounding_precision, -2);
    const floor = await client.billableMetrics.updateBillableMetric('rounded', { billable_metric: { rounding_function: 'floor' } });
    assert.equal(floor.data.billable_metric.rounding_function, 'floor');
    assert.equal(floor.data.billable_metric.rounding_precision, -2);
    const cleared = await t.request(key, { method: 'PUT', url: '/api/v1/billable_metrics/rounded', payload: { billable_metric: { rounding_function: null, rounding_precision: null } } });
    assert.equal(cleared.statusCode, 200);
    assert.equal(cleared.json().billable_metric.rounding_function, null);
    assert.equal(cleared.json().billable_metric.rounding_precision, null);
  });

  test('expression: validated on create and update, kept as sent, cleared by null', async () => {
    const client = t.client(key);
    const expression = 'round((event.properties.ended_at - event.properties.started_at) / 3600, 2)';
    const metric = await create({ name: 'Hours', code: 'hours', aggregation_type: 'sum_agg', field_name: 'hours', expression });
    assert.equal(metric.expression, expression);
    const bad = await t.request(key, { method: 'PUT', url: '/api/v1/billable_metrics/hours', payload: { billable_metric: { expression: 'round((ended_at - started_at) * units)' } } });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json(), unprocessable({ expression: ['invalid_expression'] }));
    const concat = await client.billableMetrics.updateBillableMetric('hours', { billable_metric: { expression: "concat(event.code, '-', event.timestamp)" } });
    assert.equal(concat.data.billable_metric.expression, "concat(event.code, '-', event.timestamp)");
    const cleared = await client.billableMetrics.updateBillableMetric('hours', { billable_metric: { expression: null } });
    assert.equal(cleared.data.billable_metric.expression, null);
    // Blank is no expression at all, and is not checked.
    const blank = await client.billableMetrics.updateBillableMetric('hours', { billable_metric: { expression: '' } });
    assert.equal(blank.data.billable_metric.expression, '');
  });

  describe('filters', () => {
    test('created deduplicated, listed by key with sorted values', async () => {
      const metric = await create({
        name: 'Requests',
        code: 'requests',
        aggregation_type: 'count_agg',
        filters: [
          { key: 'region', values: ['us', 'eu', 'us', 'asia'] },
          { key: 'method', values: ['POST', 'GET'] },
        ],
      });
      assert.deepEqual(metric.filters, [
        { key: 'method', values: ['GET', 'POST'] },
        { key: 'region', values: ['asia', 'eu', 'us'] },
      ]);
      const rows = await sql<{ key: string; values: string[] }>(
        `SELECT key, "values" FROM billable_metric_filters WHERE billable_metric_id = $1 AND deleted_at IS NULL ORDER BY key`,
        [metric.lago_id],
      );
      // Stored in first-seen order, duplicates removed.
      assert.deepEqual(rows, [
        { key: 'method', values: ['POST', 'GET'] },
        { key: 'region', values: ['us', 'eu', 'asia'] },
      ]);
    });

    test('an update replaces the set; null changes nothing; [] removes all', async () => {
      const client = t.client(key);
      const metric = await create({
        name: 'Storage',
        code: 'storage-filters',
        aggregation_type: 'sum_agg',
        field_name: 'gb',
        filters: [
          { key: 'region', values: ['us', 'eu'] },
          { key: 'tier', values: ['hot'] },
        ],
      });
      const [regionBefore] = await sql<{ id: string }>(`SELECT id FROM billable_metric_filters WHERE billable_metric_id = $1 AND key = 'region'`, [metric.lago_id]);

      const replaced = await client.billableMetrics.updateBillableMetric('storage-filters', {
        billable_metric: { filters: [{ key: 'region', values: ['eu', 'asia'] }, { key: 'cloud', values: ['aws'] }] },
      });
      assert.deepEqual(replaced.data.billable_metric.filters, [
        { key: 'cloud', values: ['aws'] },
        { key: 'region', values: ['asia', 'eu'] },
      ]);
      const rows = await sql<{ id: string; key: string; deleted: boolean }>(
        `SELECT id, key, deleted_at IS NOT NULL AS deleted FROM billable_metric_filters WHERE billable_metric_id = $1 ORDER BY key`,
        [metric.lago_id],
      );
      // The kept key is updated in place; the dropped key is soft-deleted.
      assert.deepEqual(rows.map((r) => [r.key, r.deleted]), [['cloud', false], ['region', false], ['tier', true]]);
      assert.equal(rows.find((r) => r.key === 'region')!.id, regionBefore!.id);

      const untouched = await t.request(key, { method: 'PUT', url: '/api/v1/billable_metrics/storage-filters', payload: { billable_metric: { name: 'S', filters: null } } });
      assert.equal(untouched.json().billable_metric.filters.length, 2);

      const sameKeyTwice = await client.billableMetrics.updateBillableMetric('storage-filters', {
        billable_metric: { filters: [{ key: 'cloud', values: ['aws'] }, { key: 'cloud', values: ['gcp'] }] },
      });
      assert.deepEqual(sameKeyTwice.data.billable_metric.filters, [{ key: 'cloud', values: ['gcp'] }]);

      const emptied = await client.billableMetrics.updateBillableMetric('storage-filters', { billable_metric: { filters: [] } });
      assert.deepEqual(emptied.data.billable_metric.filters, []);
      const [live] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM billable_metric_filters WHERE billable_metric_id = $1 AND deleted_at IS NULL`, [metric.lago_id]);
      assert.equal(live!.n, 0);
    });

    test('removed values trim the charge filters that use them (Lago’s rule)', async () => {
      const client = t.client(key);
      const metric = await create({
        name: 'Payments',
        code: 'payments',
        aggregation_type: 'count_agg',
        filters: [
          { key: 'region', values: ['US', 'Europe'] },
          { key: 'method', values: ['card', 'sepa'] },
        ],
      });
      const { filterIds } = await chargeMetric(metric.lago_id, [
        { region: ['US', 'Europe'] },
        { region: ['US'] },
        { region: ['US'], method: ['card'] },
        { region: ['__ALL_FILTER_VALUES__'] },
        { method: ['sepa'] },
      ]);
      // Filters stay editable while a plan charges the metric.
      await client.billableMetrics.updateBillableMetric('payments', {
        billable_metric: { filters: [{ key: 'region', values: ['Europe', 'Asia'] }] },
      });
      const rows = await sql<{ id: string; values: Record<string, string[]>; deleted: boolean }>(
        `SELECT id, "values", deleted_at IS NOT NULL AS deleted FROM charge_filters WHERE id = ANY($1::uuid[])`,
        [filterIds],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      const state = filterIds.map((id) => {
        const row = byId.get(id)!;
        return row.deleted ? 'deleted' : row.values;
      });
      assert.deepEqual(state, [{ region: ['Europe'] }, 'deleted', 'deleted', { region: ['__ALL_FILTER_VALUES__'] }, 'deleted']);
    });
  });

  describe('a metric a plan charges', () => {
    test('only name, description and filters change; the rest is kept silently', async () => {
      const client = t.client(key);
      const metric = await create({ name: 'Seats', code: 'seats', aggregation_type: 'max_agg', field_name: 'seats', rounding_function: 'round', rounding_precision: 1 });
      const { planId, chargeId } = await chargeMetric(metric.lago_id);
      const payload: BillableMetricBaseInput = {
        name: 'Seats (renamed)',
        description: 'Peak seats',
        code: 'seats-2',
        aggregation_type: 'sum_agg',
        field_name: 'other',
        recurring: true,
        rounding_function: 'floor',
        rounding_precision: 3,
        expression: 'event.properties.a',
        weighted_interval: 'seconds',
        filters: [{ key: 'team', values: ['a'] }],
      };
      const updated: BillableMetricObject = (await client.billableMetrics.updateBillableMetric('seats', { billable_metric: payload })).data.billable_metric;
      assert.equal(updated.name, 'Seats (renamed)');
      assert.equal(updated.description, 'Peak seats');
      assert.deepEqual(updated.filters, [{ key: 'team', values: ['a'] }]);
      assert.deepEqual(
        [updated.code, updated.aggregation_type, updated.field_name, updated.recurring, updated.rounding_function, updated.rounding_precision, updated.expression, updated.weighted_interval],
        ['seats', 'max_agg', 'seats', false, 'round', 1, null, null],
      );
      // Even values that would be refused are ignored, as in Lago.
      const ignored = await t.request(key, { method: 'PUT', url: '/api/v1/billable_metrics/seats', payload: { billable_metric: { expression: '1+', rounding_function: 'bogus' } } });
      assert.equal(ignored.statusCode, 200);

      // A deleted charge, or a charge on a deleted plan, no longer freezes the metric.
      await sql(`UPDATE plans SET deleted_at = now() WHERE id = $1`, [planId]);
      const unfrozen = await client.billableMetrics.updateBillableMetric('seats', { billable_metric: { code: 'seats-2' } });
      assert.equal(unfrozen.data.billable_metric.code, 'seats-2');
      await sql(`UPDATE plans SET deleted_at = NULL WHERE id = $1`, [planId]);
      await sql(`UPDATE charges SET deleted_at = now() WHERE id = $1`, [chargeId]);
      const again = await client.billableMetrics.updateBillableMetric('seats-2', { billable_metric: { code: 'seats-3' } });
      assert.equal(again.data.billable_metric.code, 'seats-3');
    });

    test('deleting it deletes its live charges and their filters, in the same transaction', async () => {
      const client = t.client(key);
      const metric = await create({ name: 'Gone', code: 'gone', aggregation_type: 'count_agg', filters: [{ key: 'region', values: ['eu'] }] });
      const first = await chargeMetric(metric.lago_id, [{ region: ['eu'] }]);
      const second = await chargeMetric(metric.lago_id, []);
      const other = await create({ name: 'Other', code: 'other-metric', aggregation_type: 'count_agg' });
      const unrelated = await chargeMetric(other.lago_id, [{}]);

      const deleted = await client.billableMetrics.destroyBillableMetric('gone');
      assert.deepEqual(Object.keys(deleted.data.billable_metric), WITH_COUNTERS);
      assert.deepEqual(deleted.data.billable_metric.filters, [{ key: 'region', values: ['eu'] }]);

      const charges = await sql<{ id: string; deleted: boolean }>(`SELECT id, deleted_at IS NOT NULL AS deleted FROM charges WHERE id = ANY($1::uuid[]) ORDER BY id`, [
        [first.chargeId, second.chargeId, unrelated.chargeId],
      ]);
      assert.deepEqual(new Map(charges.map((c) => [c.id, c.deleted])), new Map([[first.chargeId, true], [second.chargeId, true], [unrelated.chargeId, false]]));
      const filters = await sql<{ id: string; deleted: boolean }>(`SELECT id, deleted_at IS NOT NULL AS deleted FROM charge_filters WHERE id = ANY($1::uuid[])`, [
        [...first.filterIds, ...unrelated.filterIds],
      ]);
      assert.deepEqual(new Map(filters.map((f) => [f.id, f.deleted])), new Map([[first.filterIds[0], true], [unrelated.filterIds[0], false]]));
      const [metricRow] = await sql<{ deleted_at: Date | null }>(`SELECT deleted_at FROM billable_metrics WHERE id = $1`, [metric.lago_id]);
      assert.equal(new Date(metricRow!.deleted_at!).toISOString(), '2024-03-01T12:00:00.000Z');
      const [live] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM billable_metric_filters WHERE billable_metric_id = $1 AND deleted_at IS NULL`, [metric.lago_id]);
      assert.equal(live!.n, 0);
      // Plans stay.
      const [plan] = await sql<{ deleted: boolean }>(`SELECT deleted_at IS NOT NULL AS deleted FROM plans WHERE id = $1`, [first.planId]);
      assert.equal(plan!.deleted, false);

      // The code is free again; the old metric is gone for good.
      const reborn = await create({ name: 'Gone again', code: 'gone', aggregation_type: 'count_agg' });
      assert.notEqual(reborn.lago_id, metric.lago_id);
      const twice = await t.request(key, { method: 'DELETE', url: '/api/v1/billable_metrics/gone' });
      assert.equal(twice.statusCode, 200);
      const thrice = await t.request(key, { method: 'DELETE', url: '/api/v1/billable_metrics/gone' });
      assert.deepEqual([thrice.statusCode, thrice.json()], [404, notFound]);
    });
  });

  test('a duplicate code is refused on create and on update', async () => {
    await create({ name: 'A', code: 'dup-a', aggregation_type: 'count_agg' });
    await create({ name: 'B', code: 'dup-b', aggregation_type: 'count_agg' });
    const before = await snapshotDatabase(t.database);
    const created = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics', payload: { billable_metric: { name: 'A', code: 'dup-a', aggregation_type: 'count_agg' } } });
    assert.deepEqual([created.statusCode, created.json()], [422, unprocessable({ code: ['value_already_exist'] })]);
    const updated = await t.request(key, { method: 'PUT', url: '/api/v1/billable_metrics/dup-b', payload: { billable_metric: { code: 'dup-a' } } });
    assert.deepEqual([updated.statusCode, updated.json()], [422, unprocessable({ code: ['value_already_exist'] })]);
    assert.equal(await snapshotDatabase(t.database), before);
    // Keeping its own code is not a duplicate.
    const same = await t.request(key, { method: 'PUT', url: '/api/v1/billable_metrics/dup-b', payload: { billable_metric: { code: 'dup-b', name: 'B2' } } });
    assert.equal(same.statusCode, 200);
  });

  test('a code may hold dots and dashes', async () => {
    await create({ name: 'Dotted', code: 'api.calls-v2', aggregation_type: 'count_agg' });
    const found = await t.client(key).billableMetrics.findBillableMetric('api.calls-v2');
    assert.equal(found.data.billable_metric.name, 'Dotted');
  });

  test('list: newest first, paginated', async () => {
    const { key: fresh } = await t.newOrganization({ testClock: '2024-01-01T00:00:00Z' });
    const client = t.client(fresh);
    for (const [code, at] of [['first', '2024-01-01T00:00:00Z'], ['second', '2024-01-02T00:00:00Z'], ['third', '2024-01-03T00:00:00Z']]) {
      await t.request(fresh, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: at } } });
      await client.billableMetrics.createBillableMetric({ billable_metric: { name: code!, code: code!, aggregation_type: 'count_agg' } });
    }
    const all = await client.billableMetrics.findAllBillableMetrics();
    assert.deepEqual(all.data.billable_metrics.map((m) => m.code), ['third', 'second', 'first']);
    const page2 = await client.billableMetrics.findAllBillableMetrics({ page: 2, per_page: 2 });
    assert.deepEqual(page2.data.billable_metrics.map((m) => m.code), ['first']);
    assert.deepEqual(page2.data.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 });
    await client.billableMetrics.destroyBillableMetric('second');
    const afterDelete = await client.billableMetrics.findAllBillableMetrics({ per_page: 1 });
    assert.deepEqual(afterDelete.data.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 2 });
  });

  describe('refused creations change nothing', () => {
    const valid = { name: 'Valid', code: 'valid-code', aggregation_type: 'sum_agg', field_name: 'x' };
    const bad: Array<[string, unknown, number, unknown]> = [
      ['missing wrapper', { name: 'x' }, 400, missingWrapper],
      ['empty wrapper', { billable_metric: {} }, 400, missingWrapper],
      ['wrapper is a string', { billable_metric: 'BL' }, 400, missingWrapper],
      ['only unknown keys', { billable_metric: { unit: 'GB' } }, 400, missingWrapper],
      [
        'nothing required',
        { billable_metric: { description: 'd' } },
        422,
        unprocessable({ name: ['value_is_mandatory'], field_name: ['value_is_mandatory'], aggregation_type: ['value_is_invalid'], code: ['value_is_mandatory'] }),
      ],
      ['unknown aggregation type', { billable_metric: { name: 'a', code: 'a', aggregation_type: 'foo' } }, 422, unprocessable({ field_name: ['value_is_mandatory'], aggregation_type: ['value_is_invalid'] })],
      ['custom_agg', { billable_metric: { name: 'a', code: 'a', aggregation_type: 'custom_agg' } }, 422, unprocessable({ aggregation_type: ['value_is_invalid'] })],
      ['sum without field_name', { billable_metric: { name: 'a', code: 'a', aggregation_type: 'sum_agg' } }, 422, unprocessable({ field_name: ['value_is_mandatory'] })],
      ['blank name and code', { billable_metric: { name: ' ', code: '', aggregation_type: 'count_agg' } }, 422, unprocessable({ name: ['value_is_mandatory'], code: ['value_is_mandatory'] })],
      ['recurring count', { billable_metric: { ...valid, aggregation_type: 'count_agg', recurring: true } }, 422, unprocessable({ recurring: ['not_compatible_with_aggregation_type'] })],
      ['recurring max', { billable_metric: { ...valid, aggregation_type: 'max_agg', recurring: true } }, 422, unprocessable({ recurring: ['not_compatible_with_aggregation_type'] })],
      ['recurring latest', { billable_metric: { ...valid, aggregation_type: 'latest_agg', recurring: true } }, 422, unprocessable({ recurring: ['not_compatible_with_aggregation_type'] })],
      ['weighted sum without interval', { billable_metric: { ...valid, aggregation_type: 'weighted_sum_agg' } }, 422, unprocessable({ weighted_interval: ['value_is_invalid'] })],
      ['unknown weighted interval', { billable_metric: { ...valid, aggregation_type: 'weighted_sum_agg', weighted_interval: 'minutes' } }, 422, unprocessable({ weighted_interval: ['value_is_invalid'] })],
      ['unknown rounding function', { billable_metric: { ...valid, rounding_function: 'truncate' } }, 422, unprocessable({ rounding_function: ['value_is_invalid'] })],
      ['fractional rounding precision', { billable_metric: { ...valid, rounding_precision: 2.5 } }, 422, unprocessable({ rounding_precision: ['value_is_invalid'] })],
      ['rounding precision as text', { billable_metric: { ...valid, rounding_precision: '2' } }, 422, unprocessable({ rounding_precision: ['value_is_invalid'] })],
      ['rounding precision beyond an integer column', { billable_metric: { ...valid, rounding_precision: 3_000_000_000 } }, 422, unprocessable({ rounding_precision: ['value_is_out_of_range'] })],
      ['unfinished expression', { billable_metric: { ...valid, expression: '1+' } }, 422, unprocessable({ expression: ['invalid_expression'] })],
      ['bare names in expression', { billable_metric: { ...valid, expression: 'round(units * 2)' } }, 422, unprocessable({ expression: ['invalid_expression'] })],
      ['recurring as text', { billable_metric: { ...valid, recurring: 'true' } }, 422, unprocessable({ recurring: ['value_is_invalid'] })],
      ['name as a number', { billable_metric: { ...valid, name: 5 } }, 422, unprocessable({ name: ['value_is_invalid'] })],
      ['filter without values', { billable_metric: { ...valid, filters: [{ key: 'region' }] } }, 422, unprocessable({ values: ['value_is_mandatory'] })],
      ['filter with empty values', { billable_metric: { ...valid, filters: [{ key: 'region', values: ['eu'] }, { key: 'tier', values: [] }] } }, 422, unprocessable({ values: ['value_is_mandatory'] })],
      ['filter without key', { billable_metric: { ...valid, filters: [{ values: ['eu'] }] } }, 422, unprocessable({ key: ['value_is_mandatory'] })],
      ['filter with a blank key', { billable_metric: { ...valid, filters: [{ key: '  ', values: ['eu'] }] } }, 422, unprocessable({ key: ['value_is_mandatory'] })],
      ['filter values not text', { billable_metric: { ...valid, filters: [{ key: 'region', values: [1] }] } }, 422, unprocessable({ values: ['value_is_invalid'] })],
      ['filters not a list', { billable_metric: { ...valid, filters: { key: 'region', values: ['eu'] } } }, 422, unprocessable({ filters: ['value_is_invalid'] })],
      [
        'errors listed in Lago’s order',
        { billable_metric: { code: 'x', aggregation_type: 'max_agg', recurring: true, expression: '((', rounding_function: 'x' } },
        422,
        unprocessable({
          recurring: ['not_compatible_with_aggregation_type'],
          expression: ['invalid_expression'],
          name: ['value_is_mandatory'],
          field_name: ['value_is_mandatory'],
          rounding_function: ['value_is_invalid'],
        }),
      ],
      ['metric errors hide filter errors', { billable_metric: { ...valid, name: '', filters: [{ key: 'region' }] } }, 422, unprocessable({ name: ['value_is_mandatory'] })],
    ];
    for (const [name, payload, status, expected] of bad) {
      test(name, async () => {
        const before = await snapshotDatabase(t.database);
        const res = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics', payload: payload as object });
        assert.equal(res.statusCode, status);
        assert.deepEqual(res.json(), expected);
        assert.equal(await snapshotDatabase(t.database), before);
      });
    }
  });

  describe('refused updates change nothing', () => {
    before(async () => {
      await create({ name: 'Target', code: 'target', aggregation_type: 'sum_agg', field_name: 'x', filters: [{ key: 'region', values: ['eu'] }] });
    });
    const bad: Array<[string, string, unknown, number, unknown]> = [
      ['unknown code', 'nope', { billable_metric: { name: 'x' } }, 404, notFound],
      ['empty wrapper on an unknown code', 'nope', { billable_metric: {} }, 400, missingWrapper],
      ['blank name', 'target', { billable_metric: { name: '' } }, 422, unprocessable({ name: ['value_is_mandatory'] })],
      ['null recurring', 'target', { billable_metric: { recurring: null } }, 422, unprocessable({ recurring: ['value_is_invalid'] })],
      ['null aggregation type', 'target', { billable_metric: { aggregation_type: null } }, 422, unprocessable({ aggregation_type: ['value_is_invalid'] })],
      ['null field for a sum', 'target', { billable_metric: { field_name: null } }, 422, unprocessable({ field_name: ['value_is_mandatory'] })],
      ['recurring on a switch to max', 'target', { billable_metric: { aggregation_type: 'max_agg', recurring: true } }, 422, unprocessable({ recurring: ['not_compatible_with_aggregation_type'] })],
      // Filters are applied before the metric is checked: their error wins, and the whole update is rolled back.
      ['filter errors before metric errors', 'target', { billable_metric: { name: '', filters: [{ key: 'tier' }] } }, 422, unprocessable({ values: ['value_is_mandatory'] })],
      ['valid filters, invalid metric', 'target', { billable_metric: { name: '', filters: [{ key: 'tier', values: ['hot'] }] } }, 422, unprocessable({ name: ['value_is_mandatory'] })],
    ];
    for (const [name, code, payload, status, expected] of bad) {
      test(name, async () => {
        const before = await snapshotDatabase(t.database);
        const res = await t.request(key, { method: 'PUT', url: `/api/v1/billable_metrics/${code}`, payload: payload as object });
        assert.equal(res.statusCode, status);
        assert.deepEqual(res.json(), expected);
        assert.equal(await snapshotDatabase(t.database), before);
      });
    }
  });

  describe('evaluate_expression', () => {
    test('Lago’s examples through the client', async () => {
      const client = t.client(key);
      const rounded = await client.billableMetrics.evaluateBillableMetricExpression({
        expression: 'round(event.properties.value)',
        event: { code: 'bm_code', timestamp: 1700000000, properties: { value: '2.4' } },
      });
      const result: BillableMetricEvaluateExpressionResult = rounded.data;
      assert.deepEqual(result, { expression_result: { value: '2.0' } });
      const product = await client.billableMetrics.evaluateBillableMetricExpression({
        expression: 'round(event.properties.value * event.properties.units)',
        event: { code: 'bm_code', properties: { value: 10.4, units: 2 } },
      });
      assert.deepEqual(product.data, { expression_result: { value: '21.0' } });
      const text = await client.billableMetrics.evaluateBillableMetricExpression({
        expression: "concat(event.code, '/', event.properties.region)",
        event: { code: 'api', properties: { region: 'eu' } },
      });
      assert.deepEqual(text.data, { expression_result: { value: 'api/eu' } });
      const exact = await client.billableMetrics.evaluateBillableMetricExpression({ expression: '0.1 + 0.2', event: { code: 'x', properties: {} } });
      assert.deepEqual(exact.data, { expression_result: { value: '0.3' } });
    });

    test('the timestamp is Unix seconds; missing means the organization’s now', async () => {
      const evaluate = async (event: unknown) => (await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics/evaluate_expression', payload: { expression: 'event.timestamp', event } as object })).json();
      assert.deepEqual(await evaluate({ code: 'x', properties: {} }), { expression_result: { value: `${FROZEN_SECONDS}.0` } });
      assert.deepEqual(await evaluate(undefined), { expression_result: { value: `${FROZEN_SECONDS}.0` } });
      assert.deepEqual(await evaluate({ timestamp: '1700000000' }), { expression_result: { value: '1700000000.0' } });
      assert.deepEqual(await evaluate({ timestamp: 1700000000.9 }), { expression_result: { value: '1700000000.0' } });
    });

    test('a metric coded evaluate_expression is still reachable, and the route is not shadowed', async () => {
      await create({ name: 'Odd', code: 'evaluate_expression', aggregation_type: 'count_agg' });
      const found = await t.request(key, { method: 'GET', url: '/api/v1/billable_metrics/evaluate_expression' });
      assert.equal(found.json().billable_metric.name, 'Odd');
      const evaluated = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics/evaluate_expression', payload: { expression: '1 + 1' } });
      assert.deepEqual(evaluated.json(), { expression_result: { value: '2.0' } });
    });

    const bad: Array<[string, unknown, Record<string, string[]>]> = [
      ['no expression', { event: {} }, { expression: ['value_is_mandatory'] }],
      ['null expression', { expression: null }, { expression: ['value_is_mandatory'] }],
      ['blank expression', { expression: '   ' }, { expression: ['value_is_mandatory'] }],
      ['expression not text', { expression: 5 }, { expression: ['value_is_invalid'] }],
      ['unparsable expression', { expression: 'invalid_expression' }, { expression: ['invalid_expression'] }],
      ['missing property', { expression: 'event.properties.value * 2', event: { code: 'x', properties: {} } }, { event: ['invalid_event'] }],
      ['missing event', { expression: 'event.properties.value' }, { event: ['invalid_event'] }],
      ['text in arithmetic', { expression: 'event.properties.value * event.properties.units', event: { properties: { value: 'invalid_value', units: 2 } } }, { event: ['invalid_event'] }],
      ['division by zero', { expression: 'event.properties.a / event.properties.b', event: { properties: { a: 1, b: '0.00' } } }, { event: ['invalid_event'] }],
      ['event not an object', { expression: '1', event: 'x' }, { event: ['value_is_invalid'] }],
      ['code not text', { expression: '1', event: { code: 5 } }, { code: ['value_is_invalid'] }],
      ['negative timestamp', { expression: '1', event: { timestamp: -1 } }, { timestamp: ['value_is_invalid'] }],
      ['timestamp not a number', { expression: '1', event: { timestamp: '2024-01-01' } }, { timestamp: ['value_is_invalid'] }],
      ['properties not an object', { expression: '1', event: { properties: [1] } }, { properties: ['value_is_invalid'] }],
    ];
    for (const [name, payload, details] of bad) {
      test(`refused: ${name}`, async () => {
        const before = await snapshotDatabase(t.database);
        const res = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics/evaluate_expression', payload: payload as object });
        assert.equal(res.statusCode, 422);
        assert.deepEqual(res.json(), unprocessable(details));
        assert.equal(await snapshotDatabase(t.database), before);
      });
    }

    test('a body that is not an object is an empty one', async () => {
      const res = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics/evaluate_expression', headers: { 'content-type': 'application/json' }, payload: '[1]' });
      assert.deepEqual([res.statusCode, res.json()], [422, unprocessable({ expression: ['value_is_mandatory'] })]);
    });
  });

  test("another organization's key sees none of these metrics", async () => {
    await create({ name: 'Mine', code: 'mine', aggregation_type: 'count_agg' });
    const { key: other } = await t.newOrganization({ name: 'Other' });
    const before = await snapshotDatabase(t.database);
    for (const [method, payload] of [['GET', undefined], ['PUT', { billable_metric: { name: 'stolen' } }], ['DELETE', undefined]] as const) {
      const res = await t.request(other, { method, url: '/api/v1/billable_metrics/mine', payload });
      assert.deepEqual([res.statusCode, res.json()], [404, notFound], method);
    }
    const list = await t.request(other, { method: 'GET', url: '/api/v1/billable_metrics' });
    assert.deepEqual(list.json(), { billable_metrics: [], meta: { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 } });
    assert.equal(await snapshotDatabase(t.database), before);
    // Its own metric may take the same code.
    const own = await t.client(other).billableMetrics.createBillableMetric({ billable_metric: { name: 'Theirs', code: 'mine', aggregation_type: 'count_agg' } });
    assert.equal(own.data.billable_metric.name, 'Theirs');
    assert.equal((await t.client(key).billableMetrics.findBillableMetric('mine')).data.billable_metric.name, 'Mine');
  });
});

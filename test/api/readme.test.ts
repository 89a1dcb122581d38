import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../support/app.ts';

const run = promisify(execFile);
const root = process.cwd();

/** The code blocks of a README section, by language. */
const blocks = (readme: string, section: string, language: string): string[] => {
  const start = readme.indexOf(`## ${section}`);
  assert.ok(start >= 0, `README has no "${section}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
};

/** The README's API tour and client example, run as a new user would run them, against a listening Billow. */
describe('the README is true', () => {
  let t: TestApp;
  let readme: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    readme = await readFile(join(root, 'README.md'), 'utf8');
  });
  after(() => t.close());

  test('the curl tour creates a metric, a plan with a graduated charge, a customer and a subscription, sends events and reads the current usage', async () => {
    const { key } = await t.newOrganization();
    const [tour] = blocks(readme, 'API tour', 'sh');
    assert.ok(tour);
    const script = tour.replace(/^export BILLOW=.*$/m, `export BILLOW=${t.url}/api/v1 KEY=${key}`);
    const { stdout } = await run('bash', ['-e', '-c', script], { cwd: root });
    const answers = stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(answers.length >= 4, stdout);
    for (const answer of answers) assert.equal(answer.status, undefined, JSON.stringify(answer));

    const plan = await t.request(key, { method: 'GET', url: '/api/v1/plans/startup' });
    assert.equal(plan.json().plan.charges[0].charge_model, 'graduated');
    const events = await t.request(key, { method: 'GET', url: '/api/v1/events?external_subscription_id=sub_1' });
    // The batch resent tx_0001: stored once.
    assert.deepEqual(events.json().events.map((e: { transaction_id: string }) => e.transaction_id).sort(), ['tx_0001', 'tx_0002']);
    const subscription = await t.request(key, { method: 'GET', url: '/api/v1/subscriptions/sub_1' });
    assert.equal(subscription.json().subscription.status, 'active');
    assert.equal(subscription.json().subscription.external_customer_id, 'cus_1');
    const usage = answers.at(-1)!.customer_usage as { amount_cents: number; charges_usage: { units: string }[] };
    assert.equal(usage.charges_usage[0]!.units, '112.5');
    assert.equal(usage.amount_cents, 1063);
  });

  test('the JavaScript client example runs as written', async () => {
    const { key } = await t.newOrganization();
    const [example] = blocks(readme, 'API tour', 'ts');
    assert.ok(example?.includes("from 'lago-javascript-client'"));
    if (!example) return;
    const dir = join(root, '.test-cache');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `readme-example-${process.pid}.mts`);
    await writeFile(file, example.replaceAll('http://127.0.0.1:3000/api/v1', `${t.url}/api/v1`));
    try {
      await run(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, KEY: key } });
    } finally {
      await rm(file, { force: true });
    }
    const plan = await t.request(key, { method: 'GET', url: '/api/v1/plans/pro' });
    assert.equal(plan.statusCode, 200);
    assert.equal(plan.json().plan.charges[0].charge_model, 'graduated');
    assert.equal(plan.json().plan.charges[0].billable_metric_code, 'calls');
    const customer = await t.request(key, { method: 'GET', url: '/api/v1/customers/cus_1' });
    assert.equal(customer.json().customer.name, 'Jane Ltd');
  });
});

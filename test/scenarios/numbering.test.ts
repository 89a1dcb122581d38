import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { story } from './story.ts';

// Invoice numbers: per customer by default (PREFIX-<customer>-<n>), per organization on request (PREFIX-YYYYMM-<n>).
// Lago counts the organization's finalized invoices in both modes, so switching to per-organization numbering goes on
// from the invoices finalized before it.
describe('invoice numbering', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('the organization counts every finalized invoice, and per-organization numbers go on from there', async () => {
    const s = await story(t, { clock: '2026-01-10T00:00:00Z' });
    await s.plan({ code: 'basic', amount_cents: 1000 });
    for (const id of ['a', 'b', 'c']) {
      await s.customer({ external_id: id, name: id, currency: 'EUR' });
      await s.subscribe({ external_customer_id: id, plan_code: 'basic', external_id: `sub_${id}` });
    }
    await s.advance('2026-02-01T01:00:00Z');
    const organization = (await s.call<{ organization: { lago_id: string; document_number_prefix: string } }>('GET', '/organizations')).organization;
    const prefix = organization.document_number_prefix;
    const numbered = async () =>
      queryRows<{ number: string; organization_sequential_id: number; customer: string }>(
        t.app.database.db,
        sql`SELECT i.number, i.organization_sequential_id, c.external_id AS customer FROM invoices i JOIN customers c ON c.organization_id = i.organization_id AND c.id = i.customer_id
          WHERE i.organization_id = ${organization.lago_id} AND i.status = 'finalized' ORDER BY i.organization_sequential_id`,
      );
    const january = await numbered();
    assert.deepEqual(january.map((i) => i.organization_sequential_id), [1, 2, 3]);
    for (const invoice of january) assert.match(invoice.number, new RegExp(`^${prefix}-\\d{3}-001$`), `${invoice.customer}'s first invoice`);

    await s.call('PUT', '/organizations', { organization: { document_numbering: 'per_organization' } });
    await s.advance('2026-03-01T01:00:00Z');
    const february = (await numbered()).slice(3);
    assert.deepEqual(february.map((i) => i.organization_sequential_id), [4, 5, 6]);
    assert.deepEqual(february.map((i) => i.number), [`${prefix}-202603-004`, `${prefix}-202603-005`, `${prefix}-202603-006`]);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { Temporal } from 'temporal-polyfill';
import { emptyInvoice } from '../../src/modules/billing/invoice-writer.ts';
import { loadBillingParty } from '../../src/modules/billing/party.ts';
import { applyCreditNotesToInvoice } from '../../src/modules/credit-notes/apply.ts';
import * as invoicesRepo from '../../src/modules/invoices/repository.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

type Json = Record<string, any>;
const POSTGRES = process.env.TEST_DATABASE_URL ?? null;
const skip = POSTGRES ? false : 'needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions need a server';

// Two invoices of one customer finalized at the same moment, on separate connections, against one credit note: the
// note's credit is consumed once, whatever the interleaving.
describe('credit notes consumed by invoices finalized at once', { skip }, () => {
  let t: TestApp;
  let key: string;
  let organizationId: string;
  const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<Json> => {
    const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as Json;
  };
  /** A credit note of 120.00 on a one-off invoice of the customer (which it does not reduce). */
  const creditNote = async (customer: string): Promise<Json> => {
    const invoice = (await ok('POST', '/invoices', { invoice: { external_customer_id: customer, currency: 'EUR', fees: [{ add_on_code: 'setup', tax_codes: ['vat'] }] } })).invoice;
    return (await ok('POST', '/credit_notes', { credit_note: { invoice_id: invoice.lago_id, credit_amount_cents: 120_00, items: [{ fee_id: invoice.fees[0].lago_id, amount_cents: 100_00 }] } }))
      .credit_note;
  };
  const balanceOf = async (id: string) => (await ok('GET', `/credit_notes/${id}`)).credit_note as Json;

  before(async () => {
    t = await startTestApp();
    ({ key, id: organizationId } = await t.newOrganization({ name: 'Concurrent', testClock: '2024-01-01T00:00:00Z' }));
    await ok('POST', '/taxes', { tax: { name: 'VAT', code: 'vat', rate: '20', applied_to_organization: true } });
    await ok('POST', '/add_ons', { add_on: { name: 'setup', code: 'setup', amount_cents: 100_00, amount_currency: 'EUR' } });
    await ok('POST', '/plans', { plan: { name: 'adv', code: 'adv', interval: 'monthly', amount_cents: 100_00, amount_currency: 'EUR', pay_in_advance: true } });
  });
  after(async () => t?.close());

  test('PUT /invoices/{id}/finalize on two drafts at once: 120.00 of credit covers one, never both', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'acme', currency: 'EUR', billing_configuration: { invoice_grace_period: 3 } } });
    for (const sub of ['s1', 's2']) await ok('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: 'adv', external_id: sub } });
    await ok('POST', '/test_clock/advance', { test_clock: { frozen_time: '2024-01-01T01:00:00Z' } });
    const drafts = ((await ok('GET', '/invoices?external_customer_id=acme&status=draft')).invoices as Json[]).map((i) => i.lago_id as string);
    assert.equal(drafts.length, 2);
    const note = await creditNote('acme');

    const finalized = await Promise.all(drafts.map(async (id) => (await ok('PUT', `/invoices/${id}/finalize`)).invoice as Json));
    const consumed = finalized.map((i) => i.credit_notes_amount_cents as number);
    assert.deepEqual([...consumed].sort((a, b) => a - b), [0, 120_00]);
    assert.deepEqual(finalized.map((i) => i.total_amount_cents).sort((a, b) => a - b), [0, 120_00]);
    const after = await balanceOf(note.lago_id);
    assert.deepEqual([after.balance_amount_cents, after.credit_status], [0, 'consumed']);
  });

  test('two finalizations in overlapping transactions: the second waits for the first and sees what it left', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'beta', currency: 'EUR' } });
    const note = await creditNote('beta');
    const db = t.database.db;
    const [customer] = await queryRows<{ id: string }>(db, sql`SELECT id FROM customers WHERE organization_id = ${organizationId} AND external_id = 'beta'`);
    // The party is read without its customer lock, so that only the credit notes' own lock keeps the two apart.
    const party = await loadBillingParty(db, organizationId, customer!.id);
    // Two subscription invoices being finalized, 90.00 each: together more than the note's 120.00.
    const invoices = await Promise.all(
      [0, 1].map(() =>
        invoicesRepo.insertInvoice(db, {
          ...emptyInvoice(party, 'EUR', Temporal.PlainDate.from('2024-01-01'), new Date('2024-01-01T00:00:00Z')),
          subTotalIncludingTaxesAmountCents: 90_00n,
          totalAmountCents: 90_00n,
        }),
      ),
    );
    const now = Temporal.Instant.from('2024-01-01T02:00:00Z');
    let firstApplied!: () => void;
    const firstHasApplied = new Promise<void>((resolve) => (firstApplied = resolve));
    const first = inTransaction(db, async (tx) => {
      const result = await applyCreditNotesToInvoice(tx, party, invoices[0]!, now);
      firstApplied();
      // Holds its locks a while: the second transaction runs meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return result;
    });
    await firstHasApplied;
    const second = inTransaction(db, (tx) => applyCreditNotesToInvoice(tx, party, invoices[1]!, now));
    const [a, b] = await Promise.all([first, second]);
    assert.deepEqual([a.creditNotesAmountCents, b.creditNotesAmountCents], [90_00n, 30_00n]);
    assert.deepEqual([a.totalAmountCents, b.totalAmountCents], [0n, 60_00n]);
    const [credits] = await queryRows<{ sum: string }>(db, sql`SELECT sum(amount_cents)::text AS sum FROM credits WHERE organization_id = ${organizationId} AND credit_note_id = ${note.lago_id}`);
    assert.equal(credits!.sum, '12000');
    const after = await balanceOf(note.lago_id);
    assert.deepEqual([after.balance_amount_cents, after.credit_status], [0, 'consumed']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { story } from '../scenarios/story.ts';

// POST /invoices/{id}/void as Lago's Invoices::VoidService since wallets and credit notes: the prepaid credits an
// invoice consumed go back to their wallets, or credit notes are issued for the amounts asked (and a voided one for the
// rest). Amounts follow spec/scenarios/invoices/void_invoice_spec.rb and spec/services/invoices/void_service_spec.rb.

type Story = Awaited<ReturnType<typeof story>>;
type Json = Record<string, any>;

const UNPROCESSABLE = { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { credit_refund_amount: ['total_amount_exceeds_invoice_amount'] } };

describe('invoices: void with wallets and credit notes', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  const post = async (s: Story, url: string, payload: unknown = {}) => {
    const res = await t.request(s.key, { method: 'POST', url: `/api/v1${url}`, payload: payload as object });
    return { status: res.statusCode, body: res.json() as Json };
  };
  const getWallet = async (s: Story, id: string): Promise<Json> => {
    const { wallet } = await s.call<{ wallet: Json }>('GET', `/wallets/${id}`);
    // Not in Lago's JSON: read from the row.
    const [row] = await queryRows<{ cents: string }>(t.database.db, sql`SELECT consumed_amount_cents::text AS cents FROM wallets WHERE id = ${id}`);
    return { ...wallet, consumed_amount_cents: Number(row!.cents) };
  };
  const transactions = async (s: Story, id: string) =>
    (await s.call<{ wallet_transactions: Json[] }>('GET', `/wallets/${id}/wallet_transactions?per_page=100`)).wallet_transactions;
  const creditNotes = async (s: Story, customer: string) =>
    (await s.call<{ credit_notes: Json[] }>('GET', `/credit_notes?external_customer_id=${customer}&per_page=100`)).credit_notes.sort((a, b) =>
      a.number < b.number ? -1 : 1,
    );
  const domainEvents = async (organizationId: string, type: string) =>
    (
      await queryRows<{ object_id: string }>(
        t.database.db,
        sql`SELECT object_id FROM domain_events WHERE organization_id = ${organizationId} AND event_type = ${type} ORDER BY occurred_at, id`,
      )
    ).map((r) => r.object_id);

  /** Lago's scenario: plan of 10.00 paid in advance, 20 % of taxes: a 12.00 invoice on 2023-01-01. */
  const payInAdvance = async (options: { wallet?: boolean } = {}) => {
    const s = await story(t, { clock: '2023-01-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'pro', amount_cents: 1_000, pay_in_advance: true });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    const wallet = options.wallet
      ? (await s.call<{ wallet: Json }>('POST', '/wallets', { wallet: { external_customer_id: 'acme', rate_amount: '1', currency: 'EUR', granted_credits: '100' } })).wallet
      : null;
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    const [invoice] = (await s.invoices('acme')).filter((i) => i.invoice_type === 'subscription');
    assert.deepEqual([invoice!.status, invoice!.total_amount_cents + ((invoice as Json).prepaid_credit_amount_cents ?? 0)], ['finalized', 1_200]);
    const { organization } = await s.call<{ organization: { lago_id: string } }>('GET', '/organizations');
    return { s, invoice: invoice as Json, wallet, organizationId: organization.lago_id };
  };

  test('without a credit note, the prepaid credits the invoice consumed go back to the wallet, with its webhooks', async () => {
    const { s, invoice, wallet, organizationId } = await payInAdvance({ wallet: true });
    // The wallet paid the whole 12.00.
    assert.deepEqual([invoice.prepaid_credit_amount_cents, invoice.total_amount_cents], [1_200, 0]);
    const before = await getWallet(s, wallet!.lago_id);
    assert.deepEqual([before.balance_cents, before.credits_balance, before.consumed_credits, before.consumed_amount_cents], [8_800, '88.0', '12.0', 1_200]);

    await s.advance('2023-01-10T08:00:00Z');
    const voided = (await t.client(s.key).invoices.voidInvoice(invoice.lago_id)).data.invoice as Json;
    assert.deepEqual([voided.status, voided.voided_at, voided.total_due_amount_cents], ['voided', '2023-01-10T08:00:00Z', 0]);

    const after = await getWallet(s, wallet!.lago_id);
    assert.deepEqual([after.balance_cents, after.credits_balance, after.consumed_credits, after.consumed_amount_cents], [10_000, '100.0', '0.0', 0]);
    const listed = await transactions(s, wallet!.lago_id);
    assert.equal(listed.length, 3);
    const recredit = listed.find((x) => x.lago_voided_invoice_id);
    const consumption = listed.find((x) => x.transaction_type === 'outbound');
    assert.deepEqual(
      [recredit!.transaction_type, recredit!.transaction_status, recredit!.status, recredit!.amount, recredit!.credit_amount, recredit!.lago_voided_invoice_id, recredit!.lago_invoice_id],
      ['inbound', 'granted', 'settled', '12.0', '12.0', invoice.lago_id, null],
    );
    assert.deepEqual([consumption!.transaction_status, consumption!.lago_invoice_id], ['invoiced', invoice.lago_id]);
    assert.ok((await domainEvents(organizationId, 'wallet_transaction.created')).includes(recredit!.lago_id));
    assert.equal((await domainEvents(organizationId, 'wallet.updated')).filter((id) => id === wallet!.lago_id).length, 3, 'grant, consumption, recredit');
    assert.deepEqual(await domainEvents(organizationId, 'invoice.voided'), [invoice.lago_id]);
    assert.deepEqual(await creditNotes(s, 'acme'), []);

    // February's 12.00 is paid by the credits given back: 100.00 - 12.00 = 88.00 left.
    await s.advance('2023-02-01T01:00:00Z');
    assert.equal((await getWallet(s, wallet!.lago_id)).balance_cents, 8_800);
  });

  test('a terminated wallet gets nothing back', async () => {
    const { s, invoice, wallet } = await payInAdvance({ wallet: true });
    await s.call('DELETE', `/wallets/${wallet!.lago_id}`);
    assert.equal((await post(s, `/invoices/${invoice.lago_id}/void`)).status, 200);
    const after = await getWallet(s, wallet!.lago_id);
    assert.equal(after.status, 'terminated');
    assert.equal((await transactions(s, wallet!.lago_id)).filter((x) => x.lago_voided_invoice_id).length, 0);
  });

  test("Lago's partial credit and refund: a credit note for the amounts asked and a voided one for the rest; the credit is used next month", async () => {
    const { s, invoice, organizationId } = await payInAdvance();
    await s.call('POST', '/payments', { payment: { invoice_id: invoice.lago_id, amount_cents: 300, reference: 'payment_ref_partial' } });
    // total 1200, half of it asked: 300 of credit and the 300 paid refunded.
    const res = await post(s, `/invoices/${invoice.lago_id}/void`, { generate_credit_note: true, credit_amount: 300, refund_amount: '300' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.invoice.status, 'voided');

    const [asked, rest] = await creditNotes(s, 'acme');
    const fee = invoice.fees[0] as Json;
    const description = `Credit note created due to voided invoice ${invoice.lago_id}`;
    assert.deepEqual(
      [asked!.reason, asked!.description, asked!.credit_status, asked!.refund_status, asked!.credit_amount_cents, asked!.refund_amount_cents, asked!.total_amount_cents, asked!.balance_amount_cents, asked!.taxes_amount_cents],
      ['other', description, 'available', 'pending', 300, 300, 600, 300, 100],
    );
    const askedItems = (await s.call<{ credit_note: Json }>('GET', `/credit_notes/${asked!.lago_id}`)).credit_note.items as Json[];
    // ratio 600 / 1200 of the fee's 1000.
    assert.deepEqual(askedItems.map((i) => [i.fee.lago_id, i.amount_cents]), [[fee.lago_id, 500]]);
    assert.deepEqual(
      [rest!.reason, rest!.description, rest!.credit_status, rest!.refund_status, rest!.credit_amount_cents, rest!.refund_amount_cents, rest!.total_amount_cents, rest!.balance_amount_cents],
      ['other', description, 'voided', null, 600, 0, 600, 0],
    );
    const restItems = (await s.call<{ credit_note: Json }>('GET', `/credit_notes/${rest!.lago_id}`)).credit_note.items as Json[];
    assert.deepEqual(restItems.map((i) => [i.fee.lago_id, i.amount_cents]), [[fee.lago_id, 500]]);
    assert.deepEqual(await domainEvents(organizationId, 'credit_note.created'), [asked!.lago_id, rest!.lago_id]);

    // February: 12.00 less the 3.00 of available credit = 9.00; the voided note gives nothing.
    await s.advance('2023-02-01T01:00:00Z');
    const february = (await s.invoices('acme')).find((i) => i.issuing_date === '2023-02-01')! as Json;
    assert.deepEqual([february.credit_notes_amount_cents, february.total_amount_cents], [300, 900]);
  });

  test('an amount that does not divide the fee: the items keep 5 decimals and the two notes give back the whole 12.00', async () => {
    const { s, invoice } = await payInAdvance();
    const res = await post(s, `/invoices/${invoice.lago_id}/void`, { generate_credit_note: true, credit_amount: 500 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const notes = await creditNotes(s, 'acme');
    const items = await Promise.all(notes.map(async (n) => (await s.call<{ credit_note: Json }>('GET', `/credit_notes/${n.lago_id}`)).credit_note.items[0] as Json));
    // 1000 × 500 / 1200 = 416.66667 (417), taxes 83.33; the rest: 583 with the taxes left, 700.
    assert.deepEqual(
      notes.map((n, i) => [n.credit_status, n.credit_amount_cents, n.total_amount_cents, items[i]!.amount_cents, items[i]!.precise_amount_cents]),
      [
        ['available', 500, 500, 417, '416.66667'],
        ['voided', 700, 700, 583, '583.0'],
      ],
    );
  });

  test("Lago's fully paid invoice: all of it refunded, nothing left for a voided note", async () => {
    const { s, invoice } = await payInAdvance();
    await s.call('POST', '/payments', { payment: { invoice_id: invoice.lago_id, amount_cents: 1_200, reference: 'payment_ref_1' } });
    const res = await post(s, `/invoices/${invoice.lago_id}/void`, { generate_credit_note: true, credit_amount: 0, refund_amount: 1_200 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.invoice.status, res.body.invoice.payment_status], ['voided', 'succeeded']);
    const notes = await creditNotes(s, 'acme');
    assert.deepEqual(
      notes.map((n) => [n.credit_status, n.credit_amount_cents, n.refund_amount_cents, n.total_amount_cents]),
      [['available', 0, 1_200, 1_200]],
    );
  });

  test('with a credit note asked and a wallet: no amount asked, the whole creditable amount goes to a voided note; the wallet gets nothing back', async () => {
    const { s, invoice, wallet } = await payInAdvance({ wallet: true });
    const res = await post(s, `/invoices/${invoice.lago_id}/void`, { generate_credit_note: 'true' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const notes = await creditNotes(s, 'acme');
    assert.deepEqual(notes.map((n) => [n.credit_status, n.credit_amount_cents, n.total_amount_cents, n.balance_amount_cents]), [['voided', 1_200, 1_200, 0]]);
    assert.equal((await getWallet(s, wallet!.lago_id)).balance_cents, 8_800);
    assert.equal((await transactions(s, wallet!.lago_id)).length, 2);
  });

  test('amounts beyond the invoice are refused before anything changes (422), even on an invoice that cannot be voided', async () => {
    const { s, invoice } = await payInAdvance();
    const client = t.client(s.key);
    const refused = async (body: Json) => {
      try {
        await client.invoices.voidInvoice(invoice.lago_id, body as never);
      } catch (error) {
        return lagoError(error);
      }
      assert.fail('the void succeeded');
    };
    // credit above 12.00; a refund on an unpaid invoice; credit and refund together above 12.00.
    assert.deepEqual(await refused({ generate_credit_note: true, credit_amount: 1_201 }), { status: 422, body: UNPROCESSABLE });
    assert.deepEqual(await refused({ generate_credit_note: true, refund_amount: 100 }), { status: 422, body: UNPROCESSABLE });
    await s.call('POST', '/payments', { payment: { invoice_id: invoice.lago_id, amount_cents: 600, reference: 'p' } });
    assert.deepEqual(await refused({ generate_credit_note: true, credit_amount: 700, refund_amount: 600 }), { status: 422, body: UNPROCESSABLE });
    assert.equal((await s.call<{ invoice: Json }>('GET', `/invoices/${invoice.lago_id}`)).invoice.status, 'finalized');
    assert.deepEqual(await creditNotes(s, 'acme'), []);
    // Without generate_credit_note the amounts are ignored.
    assert.equal((await post(s, `/invoices/${invoice.lago_id}/void`, { credit_amount: 99_999 })).status, 200);
    assert.deepEqual(await creditNotes(s, 'acme'), []);
    // Voided: asking again is 405, unless the amounts are refused first.
    assert.deepEqual(await post(s, `/invoices/${invoice.lago_id}/void`, { generate_credit_note: true }), {
      status: 405,
      body: { status: 405, error: 'Method Not Allowed', code: 'not_voidable' },
    });
    assert.deepEqual(await post(s, `/invoices/${invoice.lago_id}/void`, { generate_credit_note: true, credit_amount: 5_000 }), { status: 422, body: UNPROCESSABLE });
  });
});

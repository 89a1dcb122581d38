import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { story } from './story.ts';

type Json = Record<string, any>;

// Credit notes and wallets on one invoice, in Lago's order: taxes first, then the customer's credit notes, then
// prepaid credits on what is left (lago-reference.md 5.5, steps 6 and 7).
describe('scenarios: credit notes and wallets together', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  test('a credit note, then a wallet, on the next invoice: 120.00 − 30.00 of credit note − 50.00 of credits = 40.00', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'pro', amount_cents: 100_00 });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-02-01T00:00:00Z');
    const [jan] = await s.invoices('acme');
    assert.equal(jan!.total_amount_cents, 120_00);

    // 25.00 of January's fee with its 5.00 of VAT, as credit; then 50 granted credits of 1.00.
    const note = (
      await s.call<{ credit_note: Json }>('POST', '/credit_notes', {
        credit_note: { invoice_id: jan!.lago_id, credit_amount_cents: 30_00, items: [{ fee_id: (jan!.fees[0] as Json).lago_id, amount_cents: 25_00 }] },
      })
    ).credit_note;
    assert.deepEqual([note.taxes_amount_cents, note.credit_amount_cents, note.balance_amount_cents], [5_00, 30_00, 30_00]);
    const wallet = (
      await s.call<{ wallet: Json }>('POST', '/wallets', { wallet: { external_customer_id: 'acme', currency: 'EUR', rate_amount: '1', granted_credits: '50' } })
    ).wallet;
    assert.equal(wallet.balance_cents, 50_00);

    await s.advance('2024-03-01T00:00:00Z');
    const feb = (await s.invoices('acme'))[1] as Json;
    assert.deepEqual(
      {
        fees: feb.fees_amount_cents,
        taxes: feb.taxes_amount_cents,
        withTaxes: feb.sub_total_including_taxes_amount_cents,
        creditNotes: feb.credit_notes_amount_cents,
        prepaid: feb.prepaid_credit_amount_cents,
        granted: feb.prepaid_granted_credit_amount_cents,
        total: feb.total_amount_cents,
        due: feb.total_due_amount_cents,
      },
      { fees: 100_00, taxes: 20_00, withTaxes: 120_00, creditNotes: 30_00, prepaid: 50_00, granted: 50_00, total: 40_00, due: 40_00 },
    );
    assert.deepEqual(
      feb.credits.map((c: Json) => [c.item.type, c.amount_cents]),
      [['credit_note', 30_00]],
    );
    const after = (await s.call<{ wallet: Json }>('GET', `/wallets/${wallet.lago_id}`)).wallet;
    assert.deepEqual([after.balance_cents, after.credits_balance, after.consumed_credits], [0, '0.0', '50.0']);
    const consumed = (await s.call<{ credit_note: Json }>('GET', `/credit_notes/${note.lago_id}`)).credit_note;
    assert.deepEqual([consumed.balance_amount_cents, consumed.credit_status], [0, 'consumed']);
    const outbound = (await s.call<{ wallet_transactions: Json[] }>('GET', `/wallets/${wallet.lago_id}/wallet_transactions?transaction_type=outbound`))
      .wallet_transactions;
    assert.deepEqual(
      outbound.map((w) => [w.transaction_status, w.amount, w.lago_invoice_id]),
      [['invoiced', '50.0', feb.lago_id]],
    );

    // Nothing is left for March: the full 120.00.
    await s.advance('2024-04-01T00:00:00Z');
    const mar = (await s.invoices('acme'))[2] as Json;
    assert.deepEqual([mar.credit_notes_amount_cents, mar.prepaid_credit_amount_cents, mar.total_amount_cents], [0, 0, 120_00]);
  });

  test('a credit note larger than the invoice leaves nothing for the wallet, which keeps its credits', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 100_00 });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-02-01T00:00:00Z');
    const [jan] = await s.invoices('acme');
    await s.call('POST', '/credit_notes', {
      credit_note: { invoice_id: jan!.lago_id, credit_amount_cents: 100_00, items: [{ fee_id: (jan!.fees[0] as Json).lago_id, amount_cents: 100_00 }] },
    });
    await s.call('POST', '/wallets', { wallet: { external_customer_id: 'acme', currency: 'EUR', rate_amount: '0.5', granted_credits: '100' } });
    await s.advance('2024-03-01T00:00:00Z');
    const feb = (await s.invoices('acme'))[1] as Json;
    assert.deepEqual(
      [feb.credit_notes_amount_cents, feb.prepaid_credit_amount_cents, feb.total_amount_cents, feb.payment_status],
      [100_00, 0, 0, 'succeeded'],
    );
    // March: 100 credits of 0.50 pay 50.00 of the 100.00.
    await s.advance('2024-04-01T00:00:00Z');
    const mar = (await s.invoices('acme'))[2] as Json;
    assert.deepEqual([mar.credit_notes_amount_cents, mar.prepaid_credit_amount_cents, mar.total_amount_cents], [0, 50_00, 50_00]);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as invoicesRepo from '../../src/modules/invoices/repository.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';

type Json = Record<string, any>;

const UNPROCESSABLE = (details: Record<string, unknown>) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details });
const NOT_FOUND = (code: string) => ({ status: 404, error: 'Not Found', code });
const NOT_ALLOWED = (code: string) => ({ status: 405, error: 'Method Not Allowed', code });

const failure = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (error) {
    return lagoError(error);
  }
  assert.fail('the call succeeded');
};

describe('credit notes API', () => {
  let t: TestApp;
  let key: string;
  let organizationId: string;
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() as Json };
  };
  const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<Json> => {
    const res = await call(method, url, payload);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  /** A one-off invoice of add-ons taxed at 20 %, finalized at once. */
  const oneOff = async (customer: string, addOns: string[]): Promise<Json> =>
    (
      await ok('POST', '/invoices', {
        invoice: { external_customer_id: customer, currency: 'EUR', fees: addOns.map((code) => ({ add_on_code: code, tax_codes: ['vat'] })) },
      })
    ).invoice;
  /** What a payment would record on the invoice (the payments API is not part of these tests). */
  const paid = async (invoiceId: string, cents: bigint, status = 'pending') => {
    await invoicesRepo.updateInvoice(t.database.db, organizationId, invoiceId, { totalPaidAmountCents: cents, paymentStatus: status });
  };

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: organizationId } = await t.newOrganization({ name: 'Credit Org' }));
    await ok('POST', '/taxes', { tax: { name: 'VAT', code: 'vat', rate: '20' } });
    for (const code of ['a1', 'a2', 'a3']) await ok('POST', '/add_ons', { add_on: { name: code, code, amount_cents: 68_33, amount_currency: 'EUR' } });
    await ok('POST', '/customers', { customer: { external_id: 'cus', name: 'Customer', currency: 'EUR' } });
  });
  after(async () => t.close());

  test("Lago's rounding scenario: two 68.33 items at 20 % refunded one by one give back exactly the invoice's taxes", async () => {
    // spec/scenarios/credit_notes/credit_note_spec.rb, "when two similar items are refunded separately".
    const invoice = await oneOff('cus', ['a1', 'a2']);
    assert.equal(invoice.total_amount_cents, 163_99);
    assert.equal(invoice.taxes_amount_cents, 27_33);
    const [fee1, fee2] = invoice.fees as Json[];
    await paid(invoice.lago_id, 500n);

    const first = (await ok('POST', '/credit_notes/estimate', { credit_note: { invoice_id: invoice.lago_id, items: [{ fee_id: fee1!.lago_id, amount_cents: 68_33 }] } }))
      .estimated_credit_note;
    assert.deepEqual(
      {
        taxes: first.taxes_amount_cents,
        precise: first.precise_taxes_amount_cents,
        sub: first.sub_total_excluding_taxes_amount_cents,
        credit: first.max_creditable_amount_cents,
        refund: first.max_refundable_amount_cents,
        rate: first.taxes_rate,
      },
      { taxes: 13_67, precise: '1366.6', sub: 68_33, credit: 82_00, refund: 5_00, rate: 20 },
    );
    assert.deepEqual(first.items, [{ lago_fee_id: fee1!.lago_id, amount_cents: 68_33 }]);
    assert.equal(first.applied_taxes[0].tax_code, 'vat');
    assert.equal(first.applied_taxes[0].base_amount_cents, 68_33);

    await paid(invoice.lago_id, 82_00n);
    const cn1 = (
      await ok('POST', '/credit_notes', {
        credit_note: { invoice_id: invoice.lago_id, reason: 'other', credit_amount_cents: 0, refund_amount_cents: 82_00, items: [{ fee_id: fee1!.lago_id, amount_cents: 68_33 }] },
      })
    ).credit_note;
    assert.equal(cn1.number, `${invoice.number}-CN001`);
    assert.equal(cn1.sequential_id, 1);
    assert.deepEqual(
      [cn1.sub_total_excluding_taxes_amount_cents, cn1.taxes_amount_cents, cn1.refund_amount_cents, cn1.total_amount_cents, cn1.precise_taxes_amount_cents, cn1.precise_total_amount_cents],
      [68_33, 13_67, 82_00, 82_00, '1366.6', '8199.6'],
    );
    assert.equal(cn1.refund_status, 'pending');
    assert.equal(cn1.credit_status, 'available');
    assert.equal(cn1.balance_amount_cents, 0);
    assert.equal(cn1.items[0].fee.lago_id, fee1!.lago_id);
    assert.equal(cn1.items[0].precise_amount_cents, '6833.0');
    assert.equal(cn1.applied_taxes[0].amount_cents, 13_67);

    await paid(invoice.lago_id, 162_00n);
    const second = (await ok('POST', '/credit_notes/estimate', { credit_note: { invoice_id: invoice.lago_id, items: [{ fee_id: fee2!.lago_id, amount_cents: 68_33 }] } }))
      .estimated_credit_note;
    // The last credit note of the invoice takes back the 0.4 the first one rounded up.
    assert.deepEqual(
      [second.taxes_amount_cents, second.precise_taxes_amount_cents, second.max_creditable_amount_cents, second.max_refundable_amount_cents],
      [13_66, '1366.2', 81_99, 80_00],
    );
    await paid(invoice.lago_id, 163_99n, 'succeeded');
    const cn2 = (
      await ok('POST', '/credit_notes', {
        credit_note: { invoice_id: invoice.lago_id, reason: 'other', refund_amount_cents: 81_99, items: [{ fee_id: fee2!.lago_id, amount_cents: 68_33 }] },
      })
    ).credit_note;
    assert.equal(cn2.number, `${invoice.number}-CN002`);
    assert.deepEqual([cn2.taxes_amount_cents, cn2.total_amount_cents, cn2.precise_taxes_amount_cents], [13_66, 81_99, '1366.2']);
    assert.equal(cn1.taxes_amount_cents + cn2.taxes_amount_cents, invoice.taxes_amount_cents);

    // Nothing is left on either fee.
    const more = await call('POST', '/credit_notes', {
      credit_note: { invoice_id: invoice.lago_id, credit_amount_cents: 1, items: [{ fee_id: fee1!.lago_id, amount_cents: 1 }] },
    });
    assert.deepEqual([more.status, more.body], [422, UNPROCESSABLE({ amount_cents: ['higher_than_remaining_fee_amount'] })]);
  });

  test("Lago's error answers, in Lago's order", async () => {
    const invoice = await oneOff('cus', ['a1']);
    const other = await oneOff('cus', ['a2']);
    const fee = (invoice.fees as Json[])[0]!;
    const create = (body: Json) => call('POST', '/credit_notes', { credit_note: { invoice_id: invoice.lago_id, reason: 'duplicated_charge', ...body } });
    const item = (amount: number) => [{ fee_id: fee.lago_id, amount_cents: amount }];

    assert.deepEqual((await create({ invoice_id: '00000000-0000-0000-0000-000000000000', credit_amount_cents: 1, items: item(1) })).body, NOT_FOUND('invoice_not_found'));
    assert.deepEqual((await create({ invoice_id: 'not-a-uuid', items: item(1) })).body, NOT_FOUND('invoice_not_found'));
    assert.deepEqual((await create({ credit_amount_cents: 120, items: [{ fee_id: (other.fees as Json[])[0]!.lago_id, amount_cents: 100 }] })).body, NOT_FOUND('fee_not_found'));
    assert.deepEqual((await create({ reason: 'bogus', credit_amount_cents: 120, items: item(100) })).body, UNPROCESSABLE({ reason: ['value_is_invalid'] }));
    assert.deepEqual((await create({ credit_amount_cents: 120, items: 'nope' })).body, UNPROCESSABLE({ items: ['must_be_an_array'] }));
    assert.deepEqual((await create({ credit_amount_cents: 1, items: item(-1) })).body, UNPROCESSABLE({ amount_cents: ['invalid_value'] }));
    assert.deepEqual((await create({ credit_amount_cents: 10_000, items: item(68_34) })).body, UNPROCESSABLE({ amount_cents: ['higher_than_remaining_fee_amount'] }));
    assert.deepEqual((await create({ credit_amount_cents: -5, items: item(1) })).body, UNPROCESSABLE({ credit_amount_cents: ['value_is_out_of_range'] }));
    // 100 + 20 % = 120: one cent of rounding is allowed, two are not.
    assert.deepEqual((await create({ credit_amount_cents: 122, items: item(100) })).body, UNPROCESSABLE({ base: ['does_not_match_item_amounts'] }));
    assert.deepEqual((await create({ items: [] })).body, UNPROCESSABLE({ base: ['total_amount_must_be_positive'] }));
    assert.deepEqual((await create({ refund_amount_cents: 120, items: item(100) })).body, UNPROCESSABLE({ refund_amount_cents: ['cannot_refund_unpaid_invoice'] }));
    await paid(invoice.lago_id, 50n);
    assert.deepEqual((await create({ refund_amount_cents: 120, items: item(100) })).body, UNPROCESSABLE({ refund_amount_cents: ['higher_than_remaining_invoice_amount'] }));
    // More than the invoice holds: the amounts do not match the items, the credit and the whole exceed what is left.
    assert.deepEqual(
      (await create({ credit_amount_cents: 8_300, items: item(68_33) })).body,
      UNPROCESSABLE({ base: ['does_not_match_item_amounts', 'higher_than_remaining_invoice_amount'], credit_amount_cents: ['higher_than_remaining_invoice_amount'] }),
    );
    // 1 cent off is settled: the total follows the items (100 + 20 = 120).
    const settled = (await create({ credit_amount_cents: 121, items: item(100) })).body.credit_note;
    assert.deepEqual([settled.total_amount_cents, settled.credit_amount_cents, settled.balance_amount_cents], [120, 120, 120]);
    const estimateUnknown = await call('POST', '/credit_notes/estimate', { credit_note: { invoice_id: '00000000-0000-0000-0000-000000000000', items: [] } });
    assert.deepEqual(estimateUnknown.body, NOT_FOUND('invoice_not_found'));
    // Billow credits finalized (or voided) invoices only, and not wallet top-ups.
    for (const changes of [{ status: 'draft' }, { invoiceType: 'credit' }]) {
      const target = await oneOff('cus', ['a1']);
      await invoicesRepo.updateInvoice(t.database.db, organizationId, target.lago_id, changes);
      const body = { invoice_id: target.lago_id, credit_amount_cents: 120, items: [{ fee_id: target.fees[0].lago_id, amount_cents: 100 }] };
      assert.deepEqual((await call('POST', '/credit_notes', { credit_note: body })).body, NOT_ALLOWED('invalid_type_or_status'));
      assert.deepEqual((await call('POST', '/credit_notes/estimate', { credit_note: body })).body, NOT_ALLOWED('invalid_type_or_status'));
    }
    // Bad shapes are Lago's 422s, never a 500.
    for (const bad of [{ items: [null] }, { items: [{ fee_id: 5 }] }, { credit_amount_cents: 'ten', items: item(1) }, { credit_amount_cents: 1.5, items: item(1) }]) {
      assert.ok([404, 422].includes((await create(bad)).status), JSON.stringify(bad));
    }
    assert.deepEqual((await create({ credit_amount_cents: 1, items: [{ fee_id: fee.lago_id, amount_cents: { a: 1 } }] })).body, UNPROCESSABLE({ amount_cents: ['invalid_value'] }));
  });

  test('the official client creates, finds, lists, updates, voids and downloads credit notes; webhooks report them', async () => {
    const client = t.client(key);
    await ok('POST', '/webhook_endpoints', { webhook_endpoint: { webhook_url: 'http://127.0.0.1:9/hooks', signature_algo: 'hmac' } });
    const invoice = await oneOff('cus', ['a3']);
    const fee = (invoice.fees as Json[])[0]!;
    const { data: created } = await client.creditNotes.createCreditNote({
      credit_note: {
        invoice_id: invoice.lago_id,
        reason: 'product_unsatisfactory',
        description: 'Broken',
        credit_amount_cents: 60_00,
        refund_amount_cents: 0,
        items: [{ fee_id: fee.lago_id, amount_cents: 50_00 }],
      },
    } as never);
    const note = created.credit_note as unknown as Json;
    assert.deepEqual(
      [note.reason, note.description, note.credit_status, note.refund_status, note.total_amount_cents, note.taxes_amount_cents, note.balance_amount_cents, note.invoice_number],
      ['product_unsatisfactory', 'Broken', 'available', null, 60_00, 10_00, 60_00, invoice.number],
    );
    assert.equal(note.customer.external_id, 'cus');
    assert.equal(note.taxes_rate, 20);

    const { data: found } = await client.creditNotes.findCreditNote(note.lago_id);
    assert.equal(found.credit_note.lago_id, note.lago_id);

    const { data: listed } = await client.creditNotes.findAllCreditNotes({ external_customer_id: 'cus', per_page: 2, page: 1 } as never);
    assert.equal(listed.credit_notes[0]!.lago_id, note.lago_id, 'newest first');
    assert.equal(listed.meta.current_page, 1);
    const ids = async (query: string) => ((await ok('GET', `/credit_notes?${query}`)).credit_notes as Json[]).map((n) => n.lago_id);
    assert.deepEqual(await ids('reason=product_unsatisfactory'), [note.lago_id]);
    assert.deepEqual(await ids(`invoice_number=${invoice.number}`), [note.lago_id]);
    assert.deepEqual(await ids(`search_term=${encodeURIComponent(note.number)}`), [note.lago_id]);
    assert.deepEqual(await ids('amount_from=6000&amount_to=6000&credit_status=available'), [note.lago_id]);
    assert.ok((await ids('refund_status=pending')).every((id) => id !== note.lago_id));
    assert.deepEqual(await ids('currency=USD'), []);
    assert.deepEqual(await ids('external_customer_id=nobody'), []);
    assert.deepEqual(await ids('issuing_date_from=2999-01-01'), []);
    assert.deepEqual((await call('GET', '/credit_notes?currency=EURO')).body, UNPROCESSABLE({ currency: ['value_is_invalid'] }));
    assert.deepEqual((await ok('GET', '/customers/cus/credit_notes?reason=product_unsatisfactory')).credit_notes.map((n: Json) => n.lago_id), [note.lago_id]);

    const updated = (await ok('PUT', `/credit_notes/${note.lago_id}`, { credit_note: { metadata: { ticket: 'T-1' } } })).credit_note;
    assert.deepEqual(updated.metadata, { ticket: 'T-1' });
    const merged = (await ok('PUT', `/credit_notes/${note.lago_id}`, { credit_note: { metadata: { owner: 'ops' }, refund_status: 'succeeded' } })).credit_note;
    assert.deepEqual([merged.metadata, merged.refund_status], [{ ticket: 'T-1', owner: 'ops' }, 'succeeded']);
    assert.deepEqual((await call('PUT', `/credit_notes/${note.lago_id}`, { credit_note: { refund_status: 'done' } })).body, UNPROCESSABLE({ refund_status: ['value_is_invalid'] }));

    const { data: voided } = await client.creditNotes.voidCreditNote(note.lago_id);
    assert.deepEqual([voided.credit_note.credit_status, voided.credit_note.balance_amount_cents], ['voided', 0]);
    assert.deepEqual(await failure(client.creditNotes.voidCreditNote(note.lago_id)), { status: 405, body: NOT_ALLOWED('no_voidable_amount') });
    assert.deepEqual(await failure(client.creditNotes.findCreditNote('00000000-0000-0000-0000-000000000000')), { status: 404, body: NOT_FOUND('credit_note_not_found') });

    const { data: downloaded } = await client.creditNotes.downloadCreditNote(note.lago_id);
    const fileUrl = downloaded.credit_note.file_url as string;
    assert.match(fileUrl, /\/documents\/.+\.pdf$/);
    const pdf = await fetch(fileUrl);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');

    const hooks = (await ok('GET', '/webhooks?per_page=100')).webhooks as Json[];
    const createdHook = JSON.parse(hooks.find((w) => w.webhook_type === 'credit_note.created' && JSON.parse(w.payload).credit_note.lago_id === note.lago_id)!.payload);
    assert.deepEqual(Object.keys(createdHook), ['webhook_type', 'object_type', 'organization_id', 'credit_note']);
    assert.equal(createdHook.credit_note.items.length, 1);
    assert.equal(createdHook.credit_note.applied_taxes.length, 1);
    assert.equal(createdHook.credit_note.customer.external_id, 'cus');
    const generated = JSON.parse(hooks.find((w) => w.webhook_type === 'credit_note.generated')!.payload);
    assert.equal(generated.credit_note.file_url, fileUrl);
    assert.equal(generated.credit_note.items, undefined);

    // Another organization sees none of it.
    const { key: otherKey } = await t.newOrganization({ name: 'Other' });
    const foreign = await t.request(otherKey, { method: 'GET', url: `/api/v1/credit_notes/${note.lago_id}` });
    assert.deepEqual(foreign.json(), NOT_FOUND('credit_note_not_found'));
    const foreignVoid = await t.request(otherKey, { method: 'PUT', url: `/api/v1/credit_notes/${note.lago_id}/void` });
    assert.equal(foreignVoid.statusCode, 404);
  });

  test('an offset settles the invoice: nothing is due and it is paid', async () => {
    const invoice = await oneOff('cus', ['a1']);
    const fee = (invoice.fees as Json[])[0]!;
    assert.equal(invoice.total_amount_cents, 82_00);
    const half = (await ok('POST', '/credit_notes', { credit_note: { invoice_id: invoice.lago_id, offset_amount_cents: 12_00, items: [{ fee_id: fee.lago_id, amount_cents: 10_00 }] } }))
      .credit_note;
    assert.deepEqual([half.offset_amount_cents, half.credit_amount_cents, half.balance_amount_cents, half.refund_status], [12_00, 0, 0, null]);
    let seen = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.deepEqual([seen.total_offsetted_credit_note_amount_cents, seen.total_due_amount_cents, seen.payment_status], [12_00, 70_00, 'pending']);
    const tooMuch = await call('POST', '/credit_notes', { credit_note: { invoice_id: invoice.lago_id, offset_amount_cents: 70_01, items: [{ fee_id: fee.lago_id, amount_cents: 58_33 }] } });
    assert.deepEqual(tooMuch.body, UNPROCESSABLE({ offset_amount_cents: ['higher_than_remaining_invoice_amount'] }));
    await ok('POST', '/credit_notes', { credit_note: { invoice_id: invoice.lago_id, offset_amount_cents: 70_00, items: [{ fee_id: fee.lago_id, amount_cents: 58_33 }] } });
    seen = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.deepEqual([seen.total_offsetted_credit_note_amount_cents, seen.total_due_amount_cents, seen.payment_status], [82_00, 0, 'succeeded']);
    const listedInvoice = ((await ok('GET', `/invoices?search_term=${invoice.number}`)).invoices as Json[])[0]!;
    assert.equal(listedInvoice.total_offsetted_credit_note_amount_cents, 82_00);
  });
});

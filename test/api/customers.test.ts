import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CustomerObjectExtended, TimezoneOrNull } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { insertPlan, insertSubscription, subscriptionStates } from './coupons-factory.ts';

const NOT_FOUND = (code: string) => ({ status: 404, error: 'Not Found', code });
const UNPROCESSABLE = (details: Record<string, unknown>) => ({
  status: 422,
  error: 'Unprocessable Entity',
  code: 'validation_errors',
  error_details: details,
});
const missingRoot = { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: customer' };

describe('customers through the Lago client', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  let prefix: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ name: 'Acme Corp', timezone: 'Europe/Paris', testClock: '2024-03-01T10:00:00Z' }));
    prefix = (await t.request(key, { method: 'GET', url: '/api/v1/organizations' })).json().organization.document_number_prefix;
    const client = t.client(key);
    await client.taxes.createTax({ tax: { name: 'VAT', code: 'vat', rate: '20' } });
    await client.taxes.createTax({ tax: { name: 'Local', code: 'local', rate: '2.5' } });
  });
  after(() => t.close());

  test('creates a customer with everything Lago accepts and echoes it back', async () => {
    const client = t.client(key);
    const res = await client.customers.createCustomer({
      customer: {
        external_id: 'cus_full',
        name: 'Foo Bar',
        firstname: 'Foo',
        lastname: 'Bar',
        customer_type: 'company',
        account_type: 'customer',
        country: 'fr' as never,
        address_line1: '5 rue de la Paix',
        address_line2: '',
        city: 'Paris',
        zipcode: '75002',
        state: 'IDF',
        email: 'billing@foo.test,ops@foo.test',
        url: 'https://foo.test',
        phone: '+33 1 23 45 67 89',
        logo_url: 'https://foo.test/logo.png',
        legal_name: 'Foo Bar SAS',
        legal_number: '123456789',
        tax_identification_number: 'FR123',
        currency: 'EUR',
        timezone: 'America/Toronto' as TimezoneOrNull,
        net_payment_term: 30,
        external_salesforce_id: 'sf_1',
        finalize_zero_amount_invoice: 'skip',
        billing_configuration: {
          invoice_grace_period: 3,
          document_locale: 'fr',
          payment_provider: 'stripe',
          payment_provider_code: 'stripe_eu',
          provider_customer_id: 'cus_stripe_1',
          sync_with_provider: true,
          subscription_invoice_issuing_date_anchor: 'current_period_end',
          subscription_invoice_issuing_date_adjustment: 'keep_anchor',
        },
        shipping_address: { address_line1: '1 quai', city: 'Lyon', country: 'de' as never, zipcode: ' ' },
        metadata: [
          { key: 'crm', value: 'hubspot', display_in_invoice: true },
          { key: 'segment', value: 'smb' },
        ],
        tax_codes: ['vat', 'local'],
      },
    });
    const c: CustomerObjectExtended = res.data.customer;
    assert.equal(res.status, 200);
    assert.equal(c.external_id, 'cus_full');
    assert.equal(c.billing_entity_code, 'acme_corp');
    assert.equal(c.sequential_id, 1);
    assert.equal(c.slug, `${prefix}-001`);
    assert.equal(c.country, 'FR');
    assert.equal(c.address_line2, null, 'blank address fields are stored as null');
    assert.equal(c.currency, 'EUR');
    assert.equal(c.timezone, 'America/Toronto');
    assert.equal(c.applicable_timezone, 'America/Toronto');
    assert.equal(c.net_payment_term, 30);
    assert.equal(c.finalize_zero_amount_invoice, 'skip');
    assert.equal(c.customer_type, 'company');
    assert.equal(c.created_at, '2024-03-01T10:00:00Z');
    assert.deepEqual(c.billing_configuration, {
      invoice_grace_period: 3,
      payment_provider: 'stripe',
      payment_provider_code: 'stripe_eu',
      document_locale: 'fr',
      subscription_invoice_issuing_date_anchor: 'current_period_end',
      subscription_invoice_issuing_date_adjustment: 'keep_anchor',
      provider_customer_id: 'cus_stripe_1',
      provider_payment_methods: ['card'],
      sync_with_provider: true,
    });
    assert.deepEqual(c.shipping_address, { address_line1: '1 quai', address_line2: null, city: 'Lyon', zipcode: null, state: null, country: 'DE' });
    assert.deepEqual(
      c.metadata?.map(({ key, value, display_in_invoice }) => ({ key, value, display_in_invoice })),
      [
        { key: 'crm', value: 'hubspot', display_in_invoice: true },
        { key: 'segment', value: 'smb', display_in_invoice: false },
      ],
    );
    assert.deepEqual(c.taxes?.map((x) => x.code), ['local', 'vat']);
    assert.deepEqual(c.integration_customers, []);
    assert.deepEqual(c.applicable_invoice_custom_sections, []);
    assert.deepEqual(c.error_details, []);
    assert.deepEqual(Object.keys(c).slice(0, 6), ['lago_id', 'billing_entity_code', 'external_id', 'account_type', 'name', 'firstname']);

    const found = (await client.customers.findCustomer('cus_full')).data.customer;
    assert.deepEqual(found, c);
  });

  test('POST again updates by external_id: absent keys stay, metadata follows Lago upsert rules, taxes are replaced', async () => {
    const client = t.client(key);
    const created = (
      await client.customers.createCustomer({
        customer: {
          external_id: 'cus_upsert',
          name: 'Before',
          email: 'a@b.test',
          metadata: [
            { key: 'keep', value: '1' },
            { key: 'drop', value: '2' },
          ],
          tax_codes: ['vat'],
          shipping_address: { city: 'Lyon', country: 'FR' },
          billing_configuration: { document_locale: 'de' },
        },
      })
    ).data.customer;
    const keep = created.metadata!.find((m) => m.key === 'keep')!;

    const updated = (
      await client.customers.createCustomer({
        customer: {
          external_id: 'cus_upsert',
          name: 'After',
          metadata: [
            { id: keep.lago_id, key: 'kept', value: 'changed', display_in_invoice: true },
            { key: 'drop', value: 'new row, same key' },
          ],
          tax_codes: ['local'],
          shipping_address: { zipcode: '69001' },
          billing_configuration: { invoice_grace_period: 5 },
        },
      })
    ).data.customer;
    assert.equal(updated.lago_id, created.lago_id);
    assert.equal(updated.sequential_id, created.sequential_id);
    assert.equal(updated.name, 'After');
    assert.equal(updated.email, 'a@b.test', 'a key that is not sent keeps its value');
    assert.deepEqual(updated.shipping_address, { address_line1: null, address_line2: null, city: 'Lyon', zipcode: '69001', state: null, country: 'FR' });
    assert.equal(updated.billing_configuration?.document_locale, 'de');
    assert.equal(updated.billing_configuration?.invoice_grace_period, 5);
    assert.deepEqual(updated.taxes?.map((x) => x.code), ['local']);
    const kept = updated.metadata!.find((m) => m.lago_id === keep.lago_id)!;
    assert.deepEqual({ key: kept.key, value: kept.value, display_in_invoice: kept.display_in_invoice }, { key: 'kept', value: 'changed', display_in_invoice: true });
    assert.equal(updated.metadata!.length, 2);
    assert.ok(!updated.metadata!.some((m) => m.value === '2'), 'an entry the request does not name is removed');

    const cleared = (await client.customers.createCustomer({ customer: { external_id: 'cus_upsert', metadata: [], tax_codes: [], name: null } })).data.customer;
    assert.deepEqual(cleared.metadata, []);
    assert.deepEqual(cleared.taxes, []);
    assert.equal(cleared.name, null);
    assert.equal(cleared.email, 'a@b.test');
  });

  test('lists newest first with pagination and Lago filters', async () => {
    const { key: own } = await t.newOrganization({ name: 'Lister', testClock: '2024-01-01T00:00:00Z' });
    const make = async (customer: Record<string, unknown>, at: string) => {
      await t.request(own, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: at } } });
      const res = await t.request(own, { method: 'POST', url: '/api/v1/customers', payload: { customer } });
      assert.equal(res.statusCode, 200, res.body);
    };
    await make({ external_id: 'a', name: 'Alpha Foods', country: 'FR', currency: 'EUR', customer_type: 'company' }, '2024-01-02T00:00:00Z');
    await make({ external_id: 'b', firstname: 'Bobby', country: 'US', currency: 'USD', customer_type: 'individual' }, '2024-01-03T00:00:00Z');
    await make({ external_id: 'c', legal_name: 'Gamma_100% Ltd', email: 'boss@gamma.test', country: 'DE', account_type: 'partner' }, '2024-01-04T00:00:00Z');
    const client = t.client(own);
    const ids = async (query: Parameters<typeof client.customers.findAllCustomers>[0]) =>
      (await client.customers.findAllCustomers(query)).data.customers.map((c) => c.external_id);

    assert.deepEqual(await ids(undefined), ['c', 'b', 'a']);
    const page = await client.customers.findAllCustomers({ per_page: 2, page: 2 });
    assert.deepEqual(page.data.customers.map((c) => c.external_id), ['a']);
    assert.deepEqual(page.data.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 });
    assert.deepEqual(await ids({ external_id: 'b' }), ['b']);
    assert.deepEqual(await ids({ external_id: 'b', search_term: 'alpha' }), ['b'], 'external_id wins over search_term');
    assert.deepEqual(await ids({ search_term: 'HA FO' }), ['a']);
    assert.deepEqual(await ids({ search_term: 'bob' }), ['b']);
    assert.deepEqual(await ids({ search_term: 'gamma.test' }), ['c']);
    assert.deepEqual(await ids({ search_term: '_100%' }), ['c']);
    assert.deepEqual(await ids({ search_term: '1%0' }), [], 'LIKE wildcards are matched literally');
    assert.deepEqual(await ids({ 'countries[]': ['FR'] }), ['a']);
    assert.deepEqual(await ids({ 'countries[]': ['FR', 'DE'] }), ['c', 'a']);
    assert.deepEqual(await ids({ 'currencies[]': ['USD'] }), ['b']);
    assert.deepEqual(await ids({ 'account_type[]': ['partner'] }), ['c']);
    assert.deepEqual(await ids({ 'account_type[]': ['customer', 'partner'] }), ['c', 'b', 'a']);
    assert.deepEqual(await ids({ customer_type: 'individual' }), ['b']);
    assert.deepEqual(await ids({ customer_type: 'company', 'countries[]': ['US'] }), []);
    const list = await client.customers.findAllCustomers({ external_id: 'a' });
    assert.equal('applicable_invoice_custom_sections' in list.data.customers[0]!, false, 'lists carry the short form');

    const bad = await t.request(own, { method: 'GET', url: '/api/v1/customers?countries%5B%5D=XX' });
    assert.deepEqual(bad.json(), UNPROCESSABLE({ countries: ['not_a_valid_country_code'] }));
    const badCurrency = await t.request(own, { method: 'GET', url: '/api/v1/customers?currencies%5B%5D=eur&currencies%5B%5D=USD' });
    assert.deepEqual(badCurrency.json(), UNPROCESSABLE({ currencies: ['value_is_invalid'] }));
    const badType = await t.request(own, { method: 'GET', url: '/api/v1/customers?customer_type=alien&account_type%5B%5D=vendor' });
    assert.deepEqual(badType.json(), UNPROCESSABLE({ customer_type: ['value_is_invalid'], account_type: ['value_is_invalid'] }));
  });

  test('delete soft-deletes, ends subscriptions and coupons, and frees the external_id', async () => {
    const client = t.client(key);
    const created = (await client.customers.createCustomer({ customer: { external_id: 'cus_gone', currency: 'EUR' } })).data.customer;
    const planId = await insertPlan(t.database, orgId, 'plan_for_delete');
    await insertSubscription(t.database, orgId, created.lago_id, planId, 'active');
    await insertSubscription(t.database, orgId, created.lago_id, planId, 'pending');
    await insertSubscription(t.database, orgId, created.lago_id, planId, 'terminated');
    await client.coupons.createCoupon({
      coupon: { name: 'Ten', code: 'ten_off_delete', coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'EUR', frequency: 'once', expiration: 'no_expiration' },
    });
    const applied = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'cus_gone', coupon_code: 'ten_off_delete' } })).data.applied_coupon;

    const deleted = (await client.customers.destroyCustomer('cus_gone')).data.customer;
    assert.equal(deleted.lago_id, created.lago_id);
    assert.equal(deleted.external_id, 'cus_gone');

    const states = await subscriptionStates(t.database, created.lago_id);
    assert.deepEqual(states.map((s) => s.status), ['terminated', 'canceled', 'terminated']);
    assert.ok(states[0]!.terminated_at && states[1]!.canceled_at);
    assert.equal(new Date(states[0]!.terminated_at!).toISOString(), '2024-03-01T10:00:00.000Z');
    const rows = await t.database.withSession((s) => s.query<{ status: string }>('SELECT status FROM applied_coupons WHERE id = $1', [applied.lago_id]));
    assert.equal(rows[0]!.status, 'terminated');

    for (const call of [() => client.customers.findCustomer('cus_gone'), () => client.customers.destroyCustomer('cus_gone')]) {
      await assert.rejects(call(), (e) => {
        assert.deepEqual(lagoError(e), { status: 404, body: NOT_FOUND('customer_not_found') });
        return true;
      });
    }
    const listed = (await client.customers.findAllCustomers({ external_id: 'cus_gone' })).data.customers;
    assert.deepEqual(listed, []);
    const coupons = (await client.appliedCoupons.findAllAppliedCoupons({ external_customer_id: 'cus_gone' })).data.applied_coupons;
    assert.deepEqual(coupons, [], 'applied coupons of a deleted customer disappear from lists');

    const again = (await client.customers.createCustomer({ customer: { external_id: 'cus_gone' } })).data.customer;
    assert.notEqual(again.lago_id, created.lago_id);
    assert.ok(again.sequential_id > created.sequential_id, 'a deleted customer keeps its number');
    assert.equal(again.currency, null);
  });

  test('the currency changes only while nothing is billed in it', async () => {
    const client = t.client(key);
    await client.customers.createCustomer({ customer: { external_id: 'cus_cur', currency: 'EUR' } });
    const changed = (await client.customers.createCustomer({ customer: { external_id: 'cus_cur', currency: 'USD' } })).data.customer;
    assert.equal(changed.currency, 'USD');
    const planId = await insertPlan(t.database, orgId, 'plan_cur', { amountCurrency: 'USD' });
    await insertSubscription(t.database, orgId, changed.lago_id, planId, 'active');

    const before = await snapshotDatabase(t.database);
    const res = await t.request(key, { method: 'POST', url: '/api/v1/customers', payload: { customer: { external_id: 'cus_cur', currency: 'EUR', name: 'x' } } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json(), UNPROCESSABLE({ currency: ['currencies_does_not_match'] }));
    const cleared = await t.request(key, { method: 'POST', url: '/api/v1/customers', payload: { customer: { external_id: 'cus_cur', currency: null } } });
    assert.deepEqual(cleared.json(), UNPROCESSABLE({ currency: ['currencies_does_not_match'] }));
    assert.equal(await snapshotDatabase(t.database), before);

    const same = (await client.customers.createCustomer({ customer: { external_id: 'cus_cur', currency: 'USD', name: 'Same currency' } })).data.customer;
    assert.equal(same.name, 'Same currency');
  });

  test('concurrent creations of one external_id end in one customer', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.request(key, { method: 'POST', url: '/api/v1/customers', payload: { customer: { external_id: 'cus_race', name: `n${i}` } } })),
    );
    assert.deepEqual(results.map((r) => r.statusCode), [200, 200, 200, 200, 200, 200], results.map((r) => r.body).join("\n"));
    assert.equal(new Set(results.map((r) => r.json().customer.lago_id)).size, 1);
    const rows = await t.database.withSession((s) => s.query('SELECT 1 FROM customers WHERE organization_id = $1 AND external_id = $2', [orgId, 'cus_race']));
    assert.equal(rows.length, 1);
  });

  test('time zones: any IANA zone, else the organization one', async () => {
    const client = t.client(key);
    const plain = (await client.customers.createCustomer({ customer: { external_id: 'cus_tz' } })).data.customer;
    assert.equal(plain.timezone, null);
    assert.equal(plain.applicable_timezone, 'Europe/Paris');
    const oslo = (await client.customers.createCustomer({ customer: { external_id: 'cus_tz', timezone: 'Europe/Oslo' as TimezoneOrNull } })).data.customer;
    assert.equal(oslo.applicable_timezone, 'Europe/Oslo');
    const reset = await t.request(key, { method: 'POST', url: '/api/v1/customers', payload: { customer: { external_id: 'cus_tz', timezone: null } } });
    assert.equal(reset.json().customer.applicable_timezone, 'Europe/Paris');
  });

  test('null bytes are stripped, account type and custom sections follow Lago', async () => {
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/customers',
      payload: { customer: { external_id: 'cus_\u0000nul', name: 'Foo\u0000Bar', firstname: '\u0000', account_type: 'partner', skip_invoice_custom_sections: true } },
    });
    assert.equal(res.statusCode, 200, res.body);
    const c = res.json().customer;
    assert.equal(c.external_id, 'cus_nul');
    assert.equal(c.name, 'FooBar');
    assert.equal(c.firstname, '');
    assert.equal(c.account_type, 'partner');
    assert.equal(c.skip_invoice_custom_sections, true);
    const picked = await t.request(key, {
      method: 'POST',
      url: '/api/v1/customers',
      payload: { customer: { external_id: 'cus_nul', invoice_custom_section_codes: [] } },
    });
    assert.equal(picked.json().customer.skip_invoice_custom_sections, false);
    const unknownPath = await t.request(key, { method: 'GET', url: '/api/v1/customers/a%00b' });
    assert.deepEqual(unknownPath.json(), NOT_FOUND('resource_not_found'));
    const noPut = await t.request(key, { method: 'PUT', url: '/api/v1/customers/cus_nul', payload: { customer: { name: 'x' } } });
    assert.deepEqual(noPut.json(), NOT_FOUND('resource_not_found'));
  });

  test('bad requests get Lago answers and change nothing', async () => {
    const planId = await insertPlan(t.database, orgId, 'plan_locked');
    const locked = (await t.client(key).customers.createCustomer({ customer: { external_id: 'cus_locked', currency: 'EUR' } })).data.customer;
    await insertSubscription(t.database, orgId, locked.lago_id, planId, 'active');
    const cases: { name: string; payload: unknown; status: number; body: unknown }[] = [
      { name: 'no root key', payload: {}, status: 400, body: missingRoot },
      { name: 'empty root', payload: { customer: {} }, status: 400, body: missingRoot },
      { name: 'string root', payload: { customer: 'customer' }, status: 400, body: missingRoot },
      { name: 'null root', payload: { customer: null }, status: 400, body: missingRoot },
      {
        name: 'Lago example: bad currency, no external_id',
        payload: { customer: { name: 'Foo Bar', currency: 'invalid' } },
        status: 422,
        body: UNPROCESSABLE({ currency: ['value_is_invalid'], external_id: ['value_is_mandatory'] }),
      },
      { name: 'blank external_id', payload: { customer: { external_id: '  ' } }, status: 422, body: UNPROCESSABLE({ external_id: ['value_is_mandatory'] }) },
      { name: 'huge external_id', payload: { customer: { external_id: 'x'.repeat(501) } }, status: 422, body: UNPROCESSABLE({ external_id: ['value_is_too_long'] }) },
      { name: 'lower-case currency', payload: { customer: { external_id: 'n', currency: 'eur' } }, status: 422, body: UNPROCESSABLE({ currency: ['value_is_invalid'] }) },
      { name: 'country', payload: { customer: { external_id: 'n', country: 'XX' } }, status: 422, body: UNPROCESSABLE({ country: ['not_a_valid_country_code'] }) },
      {
        name: 'shipping country',
        payload: { customer: { external_id: 'n', shipping_address: { country: 'ZZ' } } },
        status: 422,
        body: UNPROCESSABLE({ shipping_country: ['not_a_valid_country_code'] }),
      },
      { name: 'email', payload: { customer: { external_id: 'n', email: 'joão.silva@' } }, status: 422, body: UNPROCESSABLE({ email: ['invalid_email_format'] }) },
      { name: 'url', payload: { customer: { external_id: 'n', url: 'not a url' } }, status: 422, body: UNPROCESSABLE({ url: ['url_is_invalid'] }) },
      { name: 'negative term', payload: { customer: { external_id: 'n', net_payment_term: -1 } }, status: 422, body: UNPROCESSABLE({ net_payment_term: ['value_is_out_of_range'] }) },
      { name: 'term beyond integer', payload: { customer: { external_id: 'n', net_payment_term: 1e12 } }, status: 422, body: UNPROCESSABLE({ net_payment_term: ['value_is_out_of_range'] }) },
      { name: 'term as text', payload: { customer: { external_id: 'n', net_payment_term: '5' } }, status: 422, body: UNPROCESSABLE({ net_payment_term: ['value_is_invalid'] }) },
      {
        name: 'negative grace period',
        payload: { customer: { external_id: 'n', billing_configuration: { invoice_grace_period: -1 } } },
        status: 422,
        body: UNPROCESSABLE({ invoice_grace_period: ['value_is_out_of_range'] }),
      },
      { name: 'timezone', payload: { customer: { external_id: 'n', timezone: 'Mars/Olympus' } }, status: 422, body: UNPROCESSABLE({ timezone: ['invalid_timezone'] }) },
      { name: 'customer type', payload: { customer: { external_id: 'n', customer_type: 'alien' } }, status: 422, body: UNPROCESSABLE({ customer_type: ['value_is_invalid'] }) },
      { name: 'account type', payload: { customer: { external_id: 'n', account_type: 'vendor' } }, status: 422, body: UNPROCESSABLE({ account_type: ['value_is_invalid'] }) },
      {
        name: 'document locale',
        payload: { customer: { external_id: 'n', billing_configuration: { document_locale: 'xx' } } },
        status: 422,
        body: UNPROCESSABLE({ document_locale: ['not_a_valid_language_code'] }),
      },
      {
        name: 'issuing date anchor and adjustment',
        payload: {
          customer: {
            external_id: 'n',
            billing_configuration: { subscription_invoice_issuing_date_anchor: 'x', subscription_invoice_issuing_date_adjustment: 'y' },
          },
        },
        status: 422,
        body: UNPROCESSABLE({ subscription_invoice_issuing_date_anchor: ['value_is_invalid'], subscription_invoice_issuing_date_adjustment: ['value_is_invalid'] }),
      },
      {
        name: 'payment provider',
        payload: { customer: { external_id: 'n', billing_configuration: { payment_provider: 'paypal' } } },
        status: 422,
        body: UNPROCESSABLE({ payment_provider: ['value_is_invalid'] }),
      },
      {
        name: 'finalize_zero_amount_invoice',
        payload: { customer: { external_id: 'n', finalize_zero_amount_invoice: 'never', country: 'XX' } },
        status: 422,
        body: UNPROCESSABLE({ finalize_zero_amount_invoice: ['invalid_value'] }),
      },
      {
        name: 'six metadata',
        payload: { customer: { external_id: 'n', metadata: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: 'v' })) } },
        status: 422,
        body: UNPROCESSABLE({ metadata: ['invalid_count'] }),
      },
      {
        name: 'metadata key too long, value missing',
        payload: { customer: { external_id: 'n', metadata: [{ key: 'k'.repeat(21), value: 'v' }, { key: 'ok' }] } },
        status: 422,
        body: UNPROCESSABLE({ key: ['value_is_too_long'], value: ['value_is_mandatory'] }),
      },
      {
        name: 'metadata duplicate key, long value',
        payload: { customer: { external_id: 'n', metadata: [{ key: 'k', value: 'v' }, { key: 'k', value: 'v'.repeat(101) }] } },
        status: 422,
        body: UNPROCESSABLE({ key: ['value_already_exist'], value: ['value_is_too_long'] }),
      },
      { name: 'unknown tax code', payload: { customer: { external_id: 'n', tax_codes: ['vat', 'nope'] } }, status: 404, body: NOT_FOUND('tax_not_found') },
      { name: 'unknown billing entity', payload: { customer: { external_id: 'n', billing_entity_code: 'other' } }, status: 404, body: NOT_FOUND('billing_entity_not_found') },
      {
        name: 'skip sections and pick some',
        payload: { customer: { external_id: 'n', skip_invoice_custom_sections: true, invoice_custom_section_codes: ['a'] } },
        status: 422,
        body: UNPROCESSABLE({ invoice_custom_sections: ['skip_sections_and_selected_ids_sent_together'] }),
      },
      {
        name: 'currency of a billed customer',
        payload: { customer: { external_id: 'cus_locked', currency: 'USD' } },
        status: 422,
        body: UNPROCESSABLE({ currency: ['currencies_does_not_match'] }),
      },
      { name: 'metadata entry not an object', payload: { customer: { external_id: 'n', metadata: ['x'] } }, status: 422, body: UNPROCESSABLE({ metadata: ['value_is_invalid'] }) },
    ];
    const before = await snapshotDatabase(t.database);
    for (const c of cases) {
      const res = await t.request(key, { method: 'POST', url: '/api/v1/customers', payload: c.payload as object });
      assert.equal(res.statusCode, c.status, `${c.name}: ${res.body}`);
      assert.deepEqual(res.json(), c.body, c.name);
    }
    const malformed = await t.request(key, { method: 'POST', url: '/api/v1/customers', headers: { 'content-type': 'application/json' }, payload: '{"customer":' });
    assert.equal(malformed.statusCode, 400);
    assert.deepEqual(malformed.json(), { status: 400, error: 'Bad Request' });
    assert.equal(await snapshotDatabase(t.database), before);
  });

  test("another organization's key never reaches these customers", async () => {
    const client = t.client(key);
    await client.customers.createCustomer({ customer: { external_id: 'cus_private', name: 'Private' } });
    const { key: other } = await t.newOrganization({ name: 'Other' });
    const intruder = t.client(other);
    const expect404 = async (call: () => Promise<unknown>, code: string) =>
      assert.rejects(call(), (e) => {
        assert.deepEqual(lagoError(e), { status: 404, body: NOT_FOUND(code) });
        return true;
      });
    await expect404(() => intruder.customers.findCustomer('cus_private'), 'customer_not_found');
    await expect404(() => intruder.customers.destroyCustomer('cus_private'), 'customer_not_found');
    await expect404(() => intruder.customers.findAllCustomerAppliedCoupons('cus_private'), 'customer_not_found');
    const list = await intruder.customers.findAllCustomers({ search_term: 'Private' });
    assert.deepEqual(list.data.customers, []);
    assert.equal(list.data.meta.total_count, 0);

    const own = (await intruder.customers.createCustomer({ customer: { external_id: 'cus_private', name: 'Mine' } })).data.customer;
    assert.equal(own.sequential_id, 1, 'numbering is per organization');
    assert.equal((await client.customers.findCustomer('cus_private')).data.customer.name, 'Private');
  });
});

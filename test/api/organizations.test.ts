import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OrganizationObject } from 'lago-javascript-client';
import { ADMIN_KEY, lagoError, startTestApp, type TestApp } from '../support/app.ts';

describe('organizations, keys and test clocks', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  test('GET and PUT /organizations through the Lago client', async () => {
    const { key } = await t.newOrganization({ name: 'Acme Corp' });
    const client = t.client(key);
    const shown: OrganizationObject = (await client.organizations.findOrganization()).data.organization;
    assert.equal(shown.name, 'Acme Corp');
    assert.equal(shown.default_currency, 'USD');
    assert.equal(shown.timezone, 'UTC');
    assert.match(shown.document_number_prefix, /^ACM-[0-9A-F]{4}$/);

    const updated = await client.organizations.updateOrganization({
      organization: {
        country: 'pl' as never,
        default_currency: 'EUR',
        timezone: 'Europe/Paris',
        net_payment_term: 30,
        document_number_prefix: 'org-2',
        email: 'billing@acme.test',
        finalize_zero_amount_invoice: false,
        billing_configuration: { invoice_footer: 'footer', invoice_grace_period: 3, document_locale: 'fr' },
      },
    });
    const o = updated.data.organization;
    assert.equal(o.country, 'PL');
    assert.equal(o.default_currency, 'EUR');
    assert.equal(o.timezone, 'Europe/Paris');
    assert.equal(o.net_payment_term, 30);
    assert.equal(o.document_number_prefix, 'ORG-2');
    assert.equal(o.finalize_zero_amount_invoice, false);
    assert.deepEqual(o.billing_configuration, { invoice_footer: 'footer', invoice_grace_period: 3, document_locale: 'fr' });
  });

  test('the organization shows its hmac_key and the webhook URLs of its endpoints; webhook_url on PUT sets the first', async () => {
    const { key, id } = await t.newOrganization();
    const client = t.client(key);
    const shown = (await client.organizations.findOrganization()).data.organization as OrganizationObject & { hmac_key: string };
    const [stored] = await t.database.withSession((s) => s.query<{ hmac_key: string }>('SELECT hmac_key FROM organizations WHERE id = $1', [id]));
    assert.equal(shown.hmac_key, stored!.hmac_key);
    assert.equal(shown.webhook_url, '');
    assert.deepEqual(shown.webhook_urls, []);

    const updated = (await client.organizations.updateOrganization({ organization: { webhook_url: 'https://acme.test/hooks', legal_name: 'Acme SA' } }))
      .data.organization as OrganizationObject & { hmac_key: string };
    assert.equal(updated.webhook_url, 'https://acme.test/hooks');
    assert.deepEqual(updated.webhook_urls, ['https://acme.test/hooks']);
    assert.equal(updated.legal_name, 'Acme SA');
    assert.equal(updated.hmac_key, shown.hmac_key);
    const endpoints = (await client.webhookEndpoints.findAllWebhookEndpoints()).data.webhook_endpoints;
    assert.deepEqual(endpoints.map((e) => [e.webhook_url, e.signature_algo]), [['https://acme.test/hooks', 'jwt']]);

    const bad = await t.request(key, { method: 'PUT', url: '/api/v1/organizations', payload: { organization: { webhook_url: 'acme.test' } } });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().error_details, { webhook_url: ['url_is_invalid'] });

    const { key: other } = await t.newOrganization();
    const otherShown = (await t.client(other).organizations.findOrganization()).data.organization as OrganizationObject & { hmac_key: string };
    assert.notEqual(otherShown.hmac_key, shown.hmac_key);
    assert.deepEqual(otherShown.webhook_urls, []);
  });

  test('bad organization settings get Lago field codes and change nothing', async () => {
    const { key } = await t.newOrganization();
    const res = await t.request(key, {
      method: 'PUT',
      url: '/api/v1/organizations',
      payload: { organization: { country: 'XX', timezone: 'Mars/Olympus', default_currency: 'ABC', email: 'nope', name: 'ignored' } },
    });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().error_details, {
      country: ['not_a_valid_country_code'],
      default_currency: ['value_is_invalid'],
      email: ['invalid_email_format'],
      timezone: ['invalid_timezone'],
    });
    const after = await t.request(key, { method: 'GET', url: '/api/v1/organizations' });
    assert.equal(after.json().organization.timezone, 'UTC');
    assert.equal(after.json().organization.country, null);
  });

  test('a missing, malformed or unknown key is a 401', async () => {
    for (const authorization of [undefined, 'Bearer', 'Basic abc', 'Bearer not-a-key']) {
      const res = await t.app.http.inject({ method: 'GET', url: '/api/v1/organizations', headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { status: 401, error: 'Unauthorized' });
    }
    await assert.rejects(t.client('').organizations.findOrganization(), (e) => lagoError(e).status === 401);
  });

  test('keys are stored as digests, never in clear', async () => {
    const { key, id } = await t.newOrganization();
    const rows = await t.database.withSession((s) =>
      s.query<{ key_digest: Uint8Array; key_hint: string }>('SELECT key_digest, key_hint FROM api_keys WHERE organization_id = $1', [id]),
    );
    assert.equal(rows.length, 1);
    assert.notEqual(Buffer.from(rows[0]!.key_digest).toString('utf8'), key);
    assert.equal(Buffer.from(rows[0]!.key_digest).length, 32);
    assert.equal(rows[0]!.key_hint, key.slice(-4));
  });

  test('the admin API creates organizations and shows the key once', async () => {
    const denied = await t.app.http.inject({ method: 'POST', url: '/admin/v1/organizations', payload: { organization: { name: 'X' } } });
    assert.equal(denied.statusCode, 401);
    const wrong = await t.request('not-the-admin-key-at-all', { method: 'POST', url: '/admin/v1/organizations', payload: { organization: { name: 'X' } } });
    assert.equal(wrong.statusCode, 401);

    const res = await t.request(ADMIN_KEY, {
      method: 'POST',
      url: '/admin/v1/organizations',
      payload: { organization: { name: 'Globex', timezone: 'America/New_York', default_currency: 'EUR' } },
    });
    assert.equal(res.statusCode, 200);
    const org = res.json().organization;
    assert.equal(org.name, 'Globex');
    assert.equal(org.timezone, 'America/New_York');
    assert.equal(org.default_currency, 'EUR');
    assert.match(org.api_key, /^billow_/);

    const me = await t.request(org.api_key, { method: 'GET', url: '/api/v1/organizations' });
    assert.equal(me.json().organization.lago_id, org.lago_id);
    assert.equal(me.json().organization.api_key, undefined);

    const bad = await t.request(ADMIN_KEY, {
      method: 'POST',
      url: '/admin/v1/organizations',
      payload: { organization: { name: 'Bad', timezone: 'Nowhere/Land', default_currency: 'XXX' } },
    });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().error_details, { timezone: ['invalid_timezone'], default_currency: ['value_is_invalid'] });
  });

  test('a test clock freezes now, advances forward only, and is refused without one', async () => {
    const res = await t.request(ADMIN_KEY, {
      method: 'POST',
      url: '/admin/v1/organizations',
      payload: { organization: { name: 'Clocked', test_clock: { frozen_time: '2024-01-01T00:00:00Z' } } },
    });
    const { api_key: key, created_at } = res.json().organization;
    assert.equal(created_at, '2024-01-01T00:00:00Z');

    const clock = await t.request(key, { method: 'GET', url: '/api/v1/test_clock' });
    assert.deepEqual(clock.json(), { test_clock: { frozen_time: '2024-01-01T00:00:00Z' } });

    const advanced = await t.request(key, {
      method: 'POST',
      url: '/api/v1/test_clock/advance',
      payload: { test_clock: { frozen_time: '2024-02-15T12:30:00Z' } },
    });
    assert.equal(advanced.statusCode, 200);
    assert.deepEqual(advanced.json(), { test_clock: { frozen_time: '2024-02-15T12:30:00Z' } });

    const tax = await t.request(key, { method: 'POST', url: '/api/v1/taxes', payload: { tax: { name: 'VAT', code: 'vat', rate: 20 } } });
    assert.equal(tax.json().tax.created_at, '2024-02-15T12:30:00Z');

    const back = await t.request(key, {
      method: 'POST',
      url: '/api/v1/test_clock/advance',
      payload: { test_clock: { frozen_time: '2024-02-01T00:00:00Z' } },
    });
    assert.equal(back.statusCode, 422);
    assert.deepEqual(back.json().error_details, { frozen_time: ['cannot_move_backwards'] });

    const garbage = await t.request(key, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: 'soon' } } });
    assert.equal(garbage.statusCode, 422);
    assert.deepEqual(garbage.json().error_details, { frozen_time: ['invalid_date'] });

    const { key: live } = await t.newOrganization();
    for (const [method, url] of [['GET', '/api/v1/test_clock'], ['POST', '/api/v1/test_clock/advance']] as const) {
      const r = await t.request(live, { method, url, payload: method === 'POST' ? { test_clock: { frozen_time: '2030-01-01T00:00:00Z' } } : undefined });
      assert.equal(r.statusCode, 405);
      assert.deepEqual(r.json(), { status: 405, error: 'Method Not Allowed', code: 'test_clock_not_enabled' });
    }
  });
});

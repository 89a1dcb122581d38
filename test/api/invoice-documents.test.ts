import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { story } from '../scenarios/story.ts';

type Json = Record<string, any>;
const POPPLER = spawnSync('pdftotext', ['-v']).error === undefined;

const pdfText = (pdf: Buffer): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'billow-doc-')), 'invoice.pdf');
  writeFileSync(path, pdf);
  const result = spawnSync('pdftotext', ['-layout', '-enc', 'UTF-8', path, '-'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
};

// An invoice's PDF through the API: rendered in-process, served at its file_url, reported with invoice.generated.
describe('invoice documents: download, file_url, invoice.generated', () => {
  let t: TestApp;
  let receiver: Receiver;
  before(async () => {
    t = await startTestApp({ listen: true });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  const billed = async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.call('POST', '/webhook_endpoints', { webhook_endpoint: { webhook_url: receiver.url, signature_algo: 'hmac' } });
    await s.metric({ code: 'api', aggregation_type: 'count_agg' });
    await s.tax('vat', '20');
    await s.tax('city', '2.5');
    await s.plan({
      code: 'tiered',
      amount_cents: 1_000,
      tax_codes: ['vat', 'city'],
      charges: [
        {
          billable_metric_id: (await s.call<Json>('GET', '/billable_metrics/api')).billable_metric.lago_id,
          charge_model: 'graduated',
          properties: {
            graduated_ranges: [
              { from_value: 0, to_value: 10, per_unit_amount: '0', flat_amount: '0' },
              { from_value: 11, to_value: null, per_unit_amount: '0.5', flat_amount: '1' },
            ],
          },
        },
      ],
    });
    await s.customer({ external_id: 'doc-customer', name: 'Доку Ment', currency: 'EUR' });
    await s.call('POST', '/coupons', { coupon: { name: 'Welcome', code: 'welcome', coupon_type: 'fixed_amount', amount_cents: 200, amount_currency: 'EUR', frequency: 'once', expiration: 'no_expiration' } });
    await s.call('POST', '/applied_coupons', { applied_coupon: { external_customer_id: 'doc-customer', coupon_code: 'welcome' } });
    await s.subscribe({ external_customer_id: 'doc-customer', plan_code: 'tiered', external_id: 'doc-sub' });
    for (let i = 0; i < 14; i++) await s.event('doc-sub', 'api', '2024-01-10T00:00:00Z');
    await s.advance('2024-02-01T01:00:00Z');
    const [invoice] = (await s.invoices('doc-customer')) as unknown as Json[];
    return { s, invoice: invoice! };
  };

  test('downloading a finalized invoice renders its PDF once, serves it at file_url and reports invoice.generated', async () => {
    const { s, invoice } = await billed();
    assert.equal(invoice.status, 'finalized');
    assert.equal(invoice.file_url, null);

    const downloaded = await t.client(s.key).invoices.downloadInvoice(invoice.lago_id);
    const fileUrl = downloaded.data.invoice.file_url!;
    assert.match(fileUrl, new RegExp(`^${t.url}/documents/[0-9a-f-]{36}/[A-Za-z0-9_-]+\\.pdf$`));
    assert.equal(((await s.call<Json>('GET', `/invoices/${invoice.lago_id}`)).invoice.file_url), fileUrl);

    // The link needs no API key, like a storage link.
    const response = await fetch(fileUrl);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    if (POPPLER) {
      const text = pdfText(pdf);
      for (const expected of [invoice.number, 'Доку Ment', 'Welcome', 'vat', 'city', 'EUR']) assert.ok(text.includes(expected), `the PDF shows ${expected}`);
    }

    // Downloading again serves the same document; it is rendered and reported once.
    const again = await s.call<Json>('POST', `/invoices/${invoice.lago_id}/download_pdf`);
    assert.equal(again.invoice.file_url, fileUrl);
    await t.app.services.webhookDelivery.deliverDue();
    const generated = receiver.requests.filter((r) => r.json.webhook_type === 'invoice.generated' && (r.json.invoice as Json).lago_id === invoice.lago_id);
    assert.equal(generated.length, 1);
    const payload = generated[0]!.json.invoice as Json;
    assert.equal(payload.file_url, fileUrl);
    assert.equal(payload.customer.external_id, 'doc-customer');
    assert.equal('fees' in payload, false);
  });

  test('finalized invoices get their PDF in the background; drafts, voided invoices and other organizations get 404', async () => {
    const { s, invoice } = await billed();
    while ((await t.app.services.documents.renderPending()) > 0);
    const rendered = (await s.call<Json>('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.match(rendered.file_url, /\/documents\/.+\.pdf$/);

    const other = await t.newOrganization({ name: 'Other' });
    const foreign = await t.request(other.key, { method: 'POST', url: `/api/v1/invoices/${invoice.lago_id}/download` });
    assert.equal(foreign.statusCode, 404);
    assert.deepEqual(foreign.json(), { status: 404, error: 'Not Found', code: 'invoice_not_found' });
    assert.equal((await t.request(s.key, { method: 'POST', url: '/api/v1/invoices/not-a-uuid/download' })).statusCode, 404);

    await s.call('POST', `/invoices/${invoice.lago_id}/void`);
    const voided = await t.request(s.key, { method: 'POST', url: `/api/v1/invoices/${invoice.lago_id}/download` });
    assert.equal(voided.statusCode, 404);

    await s.customer({ external_id: 'drafty', billing_configuration: { invoice_grace_period: 3 } });
    await s.subscribe({ external_customer_id: 'drafty', plan_code: 'tiered', external_id: 'drafty-sub' });
    await s.advance('2024-03-01T01:00:00Z');
    const draft = ((await s.invoices('drafty')) as unknown as Json[]).find((i) => i.status === 'draft')!;
    const refused = await t.request(s.key, { method: 'POST', url: `/api/v1/invoices/${draft.lago_id}/download` });
    assert.equal(refused.statusCode, 404);
    while ((await t.app.services.documents.renderPending()) > 0);
    assert.equal((await s.call<Json>('GET', `/invoices/${draft.lago_id}`)).invoice.file_url, null, 'a draft is not rendered in the background');

    const missing = await fetch(`${t.url}/documents/not-an-organization/not-a-token.pdf`);
    assert.equal(missing.status, 404);
    // Another organization's id with this token names nothing.
    const [, , , , , token] = rendered.file_url.split('/');
    assert.equal((await fetch(`${t.url}/documents/${other.id}/${token}`)).status, 404);
    assert.equal((await fetch(rendered.file_url)).status, 200);
    const [{ n }] = (await queryRows<{ n: string }>(t.database.db, sql`SELECT count(*)::text AS n FROM documents`)) as [{ n: string }];
    assert.ok(Number(n) >= 2);
  });
});

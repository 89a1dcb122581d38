import type { InvoiceDetailJson } from '../invoices/serialize.ts';
import { formatIsoDate, formatPlainDate, localDate } from './date-format.ts';
import { invoiceSections } from './invoice-lines.ts';
import { documentLabels, type DocumentLabels } from './labels.ts';
import { formatMoney, formatPercent } from './number-format.ts';
import { customerDisplayName, customerParty, organizationParty, type DocumentOrganization } from './parties.ts';
import { documentDefinition, type DocumentLayout, type Marker, type MetaField, type TotalLine } from './pdf-layout.ts';
import { renderPdf } from './pdf-render.ts';

export type { DocumentOrganization } from './parties.ts';

/** Everything an invoice document shows: the invoice as the API prints it, and its issuer. */
export interface InvoiceDocument {
  invoice: InvoiceDetailJson;
  organization: DocumentOrganization;
}

type Credit = InvoiceDetailJson['credits'][number];

const marker = (invoice: InvoiceDetailJson, labels: DocumentLabels): Marker | null => {
  switch (invoice.status) {
    case 'finalized':
      return invoice.payment_status === 'succeeded' ? { text: labels.paid, tone: 'success' } : null;
    case 'draft':
      return { text: labels.draft, tone: 'alert' };
    case 'voided':
      return { text: labels.voided, tone: 'muted' };
    default:
      return { text: invoice.status.toUpperCase(), tone: 'alert' };
  }
};

const notice = (invoice: InvoiceDetailJson, labels: DocumentLabels, timeZone: string): string | null => {
  switch (invoice.status) {
    case 'finalized':
      return null;
    case 'draft':
      return labels.draftNotice;
    case 'voided':
      return labels.voidedNotice(invoice.voided_at ? formatPlainDate(localDate(invoice.voided_at, timeZone)) : null);
    default:
      return labels.failedNotice;
  }
};

const meta = (invoice: InvoiceDetailJson, labels: DocumentLabels): MetaField[] => {
  const fields: Array<MetaField | null> = [
    { label: labels.invoiceNumber, value: invoice.number },
    { label: labels.issueDate, value: formatIsoDate(invoice.issuing_date)! },
    invoice.payment_due_date ? { label: labels.dueDate, value: formatIsoDate(invoice.payment_due_date)! } : null,
    invoice.purchase_order_number ? { label: labels.purchaseOrder, value: invoice.purchase_order_number } : null,
  ];
  return fields.filter((f): f is MetaField => f !== null);
};

/**
 * The invoice's totals in the order they are computed: fees, less usage already billed and coupons, make the subtotal
 * excluding taxes; each tax on it; then credit notes and prepaid credits; then what is still due.
 */
export const invoiceTotals = (invoice: InvoiceDetailJson, labels: DocumentLabels): TotalLine[] => {
  const money = (cents: number) => formatMoney(cents, invoice.currency);
  const deduction = (cents: number) => formatMoney(-cents, invoice.currency);
  const coupon = (c: Credit): TotalLine => ({ label: labels.coupon(c.item.name || c.item.code || ''), value: deduction(c.amount_cents) });
  const lines: TotalLine[] = [{ label: labels.subtotal, value: money(invoice.fees_amount_cents) }];
  if (invoice.progressive_billing_credit_amount_cents !== 0) {
    lines.push({ label: labels.progressiveBilling, value: deduction(invoice.progressive_billing_credit_amount_cents) });
  }
  lines.push(...invoice.credits.filter((c) => c.before_taxes).map(coupon));
  lines.push({ label: labels.subtotalExcludingTaxes, value: money(invoice.sub_total_excluding_taxes_amount_cents), kind: 'subtotal' });
  if (invoice.applied_taxes.length === 0) {
    lines.push({ label: labels.taxes, value: money(invoice.taxes_amount_cents) });
  } else {
    lines.push(
      ...invoice.applied_taxes.map((t) => ({
        label: labels.taxLine(t.tax_name, formatPercent(t.tax_rate)),
        note: labels.taxBase(money(t.fees_amount_cents)),
        value: money(t.amount_cents),
      })),
    );
  }
  lines.push({ label: labels.subtotalIncludingTaxes, value: money(invoice.sub_total_including_taxes_amount_cents), kind: 'subtotal' });
  // Credit notes consumed are one line below, with their total.
  lines.push(...invoice.credits.filter((c) => !c.before_taxes && c.item.type === 'coupon').map(coupon));
  if (invoice.credit_notes_amount_cents !== 0) lines.push({ label: labels.creditNotes, value: deduction(invoice.credit_notes_amount_cents) });
  if (invoice.prepaid_credit_amount_cents !== 0) {
    lines.push({ label: labels.prepaidCreditsApplied, value: deduction(invoice.prepaid_credit_amount_cents) });
  }
  // "Total" and "Amount paid" only when something was paid (or a voided invoice owes nothing of its total).
  if (invoice.total_paid_amount_cents !== 0 || invoice.total_due_amount_cents !== invoice.total_amount_cents) {
    lines.push({ label: labels.total, value: money(invoice.total_amount_cents), kind: 'subtotal' });
    if (invoice.total_paid_amount_cents !== 0) lines.push({ label: labels.amountPaid, value: deduction(invoice.total_paid_amount_cents) });
  }
  lines.push({ label: labels.totalDue, value: money(invoice.total_due_amount_cents), kind: 'grand' });
  return lines;
};

/** The invoice as a page layout: what `renderInvoicePdf` prints. Pure: the same input gives the same layout. */
export const invoiceLayout = ({ invoice, organization }: InvoiceDocument): DocumentLayout => {
  const labels = documentLabels(invoice.customer.billing_configuration.document_locale ?? organization.document_locale);
  const timeZone = invoice.customer.applicable_timezone || 'UTC';
  const title = invoice.self_billed ? labels.selfBilledInvoice : labels.invoice;
  const partyLabels = { taxId: labels.taxId, registration: labels.registration };
  return {
    title,
    reference: `${title} ${invoice.number}`,
    marker: marker(invoice, labels),
    notice: notice(invoice, labels, timeZone),
    meta: meta(invoice, labels),
    issuer: organizationParty(organization, labels.from, partyLabels),
    recipient: customerParty(invoice.customer, labels.billTo, partyLabels),
    sections: invoiceSections(invoice, labels, timeZone),
    noLinesText: labels.noLines,
    totals: invoiceTotals(invoice, labels),
    closingNote: organization.invoice_footer,
    pageLabel: labels.page,
    info: {
      title: `${title} ${invoice.number}`,
      author: organization.name,
      subject: `${title} ${invoice.number}, ${customerDisplayName(invoice.customer)}`,
      // The document's date is the invoice's last change, never the clock: re-rendering gives the same bytes.
      creationDate: new Date(invoice.updated_at),
    },
  };
};

/** The invoice as a PDF document, rendered in-process. */
export const renderInvoicePdf = (doc: InvoiceDocument): Promise<Buffer> => renderPdf(documentDefinition(invoiceLayout(doc)));

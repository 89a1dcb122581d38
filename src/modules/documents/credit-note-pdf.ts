import type { CreditNoteJson } from '../credit-notes/serialize.ts';
import type { CustomerJson } from '../customers/serialize.ts';
import { formatIsoDate, formatPeriod } from './date-format.ts';
import { documentLabels, type DocumentLabels } from './labels.ts';
import { formatMoney, formatPercent } from './number-format.ts';
import { customerDisplayName, customerParty, organizationParty, type DocumentOrganization } from './parties.ts';
import { documentDefinition, type DocumentLayout, type LineSection, type TotalLine } from './pdf-layout.ts';
import { renderPdf } from './pdf-render.ts';

/** Everything a credit note document shows: the note as the API prints it (customer, items and taxes included), and its issuer. */
export interface CreditNoteDocument {
  creditNote: CreditNoteJson;
  organization: DocumentOrganization;
}

type Item = NonNullable<CreditNoteJson['items']>[number];

const itemLabel = (item: Item): string => item.fee.item.invoice_display_name || item.fee.item.name || item.fee.item.code || item.fee.item.type;

/** One table of what the note gives back, fee by fee (before coupons and taxes), with the period each fee billed. */
export const creditNoteSections = (note: CreditNoteJson, labels: DocumentLabels, timeZone: string): LineSection[] => {
  const items = note.items ?? [];
  if (items.length === 0) return [];
  return [
    {
      title: null,
      subtitle: null,
      columns: [
        { header: labels.item, width: '*', align: 'left' },
        { header: labels.amount, width: 'fit', align: 'right' },
      ],
      items: items.map((item) => {
        const period = formatPeriod(item.fee.from_date ?? null, item.fee.to_date ?? null, timeZone);
        return { cells: [itemLabel(item), formatMoney(item.amount_cents, note.currency)], details: period ? [labels.billingPeriod(period)] : [] };
      }),
    },
  ];
};

/**
 * The note's totals in the order they are computed: the items, less their share of the invoice's coupons, make the
 * subtotal; each tax on it; the total; then how it is given back (credit, refund, offset) and the credit left.
 */
export const creditNoteTotals = (note: CreditNoteJson, labels: DocumentLabels): TotalLine[] => {
  const money = (cents: number) => formatMoney(cents, note.currency);
  const itemsTotal = (note.items ?? []).reduce((sum, i) => sum + i.amount_cents, 0);
  const lines: TotalLine[] = [{ label: labels.subtotal, value: money(itemsTotal) }];
  if (note.coupons_adjustment_amount_cents !== 0) lines.push({ label: labels.couponsAdjustment, value: money(-note.coupons_adjustment_amount_cents) });
  lines.push({ label: labels.subtotalExcludingTaxes, value: money(note.sub_total_excluding_taxes_amount_cents), kind: 'subtotal' });
  const taxes = note.applied_taxes ?? [];
  if (taxes.length === 0) lines.push({ label: labels.taxes, value: money(note.taxes_amount_cents) });
  for (const t of taxes) {
    lines.push({ label: labels.taxLine(t.tax_name, formatPercent(t.tax_rate)), note: labels.taxBase(money(t.base_amount_cents)), value: money(t.amount_cents) });
  }
  lines.push({ label: labels.totalCredited, value: money(note.total_amount_cents), kind: 'subtotal' });
  if (note.credit_amount_cents !== 0) lines.push({ label: labels.creditedToBalance, value: money(note.credit_amount_cents) });
  if (note.refund_amount_cents !== 0) lines.push({ label: labels.refunded, value: money(note.refund_amount_cents) });
  if (note.offset_amount_cents !== 0) lines.push({ label: labels.offsetOnInvoice, value: money(note.offset_amount_cents) });
  if (note.credit_amount_cents !== 0) lines.push({ label: labels.creditLeft, value: money(note.balance_amount_cents), kind: 'grand' });
  return lines;
};

/** The credit note as a page layout (what `renderCreditNotePdf` prints). Pure: the same input gives the same layout. */
export const creditNoteLayout = ({ creditNote: note, organization }: CreditNoteDocument): DocumentLayout => {
  const customer = note.customer as unknown as CustomerJson;
  const labels = documentLabels(customer.billing_configuration?.document_locale ?? organization.document_locale);
  const timeZone = customer.applicable_timezone || 'UTC';
  const partyLabels = { taxId: labels.taxId, registration: labels.registration };
  return {
    title: labels.creditNote,
    reference: `${labels.creditNote} ${note.number}`,
    marker: note.credit_status === 'voided' ? { text: labels.voided, tone: 'muted' } : null,
    notice: note.credit_status === 'voided' ? labels.creditNoteVoidedNotice : null,
    meta: [
      { label: labels.creditNoteNumber, value: note.number },
      { label: labels.invoiceReference, value: note.invoice_number },
      { label: labels.issueDate, value: formatIsoDate(note.issuing_date)! },
      { label: labels.reason, value: labels.reasons[note.reason] ?? note.reason },
    ],
    issuer: organizationParty(organization, labels.from, partyLabels),
    recipient: customerParty(customer, labels.billTo, partyLabels),
    sections: creditNoteSections(note, labels, timeZone),
    noLinesText: labels.noCreditNoteLines,
    totals: creditNoteTotals(note, labels),
    closingNote: note.description || organization.invoice_footer,
    pageLabel: labels.page,
    info: {
      title: `${labels.creditNote} ${note.number}`,
      author: organization.name,
      subject: `${labels.creditNote} ${note.number}, ${customerDisplayName(customer)}`,
      // The note's last change, never the clock: re-rendering gives the same bytes.
      creationDate: new Date(note.updated_at),
    },
  };
};

export const renderCreditNotePdf = (doc: CreditNoteDocument): Promise<Buffer> => renderPdf(documentDefinition(creditNoteLayout(doc)));

/**
 * The words documents are printed with. English only for now: an organization's or customer's `document_locale`
 * names the language it wants, and another language is another object of this shape.
 */
export const EN = {
  invoice: 'Invoice',
  selfBilledInvoice: 'Self-billed invoice',
  invoiceNumber: 'Invoice number',
  issueDate: 'Issue date',
  dueDate: 'Payment due date',
  purchaseOrder: 'Purchase order',
  from: 'FROM',
  billTo: 'BILL TO',
  taxId: 'Tax ID',
  registration: 'Registration no.',
  page: (page: number, count: number) => `Page ${page} of ${count}`,

  draft: 'DRAFT',
  voided: 'VOIDED',
  paid: 'PAID',
  draftNotice: 'Draft: the amounts on this invoice may still change until it is finalized. It is not a request for payment.',
  voidedNotice: (date: string | null) => (date ? `This invoice was voided on ${date}. Nothing is due on it.` : 'This invoice was voided. Nothing is due on it.'),
  failedNotice: 'This invoice could not be finalized.',

  item: 'Item',
  units: 'Units',
  unitPrice: 'Unit price',
  tax: 'Tax',
  amount: 'Amount',
  billingPeriod: (period: string) => `Billing period: ${period}`,
  subscriptionAndUsage: (subscription: string, usage: string) => `Subscription: ${subscription} · Usage: ${usage}`,
  otherItems: 'Other items',
  noLines: 'This invoice has no lines.',

  subscriptionFee: 'Subscription fee',
  commitmentFee: 'Minimum commitment true-up',
  trueUp: 'Minimum spend true-up',
  prepaidCredits: 'Prepaid credits',
  tier: (n: number, range: string) => `Tier ${n}: ${range}`,
  tierFlat: (n: number) => `Tier ${n}: flat fee`,
  rangeTo: (from: string, to: string) => `${from} – ${to}`,
  rangeAbove: (from: string) => `${from} and above`,
  atRate: (rate: string) => `at ${rate}`,
  perUnit: 'Per unit',
  flatFee: 'Flat fee',
  freeUnits: 'Free units',
  packages: (size: string) => `Packages of ${size} units`,
  percentageOf: (rate: string) => `${rate} of paid units`,
  transactionFee: 'Per transaction fee',
  minMaxAdjustment: 'Per transaction minimum/maximum adjustment',

  subtotal: 'Subtotal',
  progressiveBilling: 'Usage already billed',
  coupon: (name: string) => `Coupon ${name}`,
  subtotalExcludingTaxes: 'Subtotal excl. taxes',
  taxes: 'Taxes',
  taxLine: (name: string, rate: string) => `${name} (${rate})`,
  taxBase: (base: string) => `on ${base}`,
  subtotalIncludingTaxes: 'Subtotal incl. taxes',
  creditNotes: 'Credit notes',
  prepaidCreditsApplied: 'Prepaid credits',
  total: 'Total',
  amountPaid: 'Amount paid',
  totalDue: 'Total due',
};

export type DocumentLabels = typeof EN;

export const documentLabels = (_locale: string | null | undefined): DocumentLabels => EN;

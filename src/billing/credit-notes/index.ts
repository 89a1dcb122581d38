export * from './types.ts';
export { creditNoteTaxes, round, toScale } from './taxes.ts';
export { feeCreditableAmountCents, feeTotalAmountCents, invoiceCreditableAmountCents, invoiceRefundableAmountCents } from './limits.ts';
export { creditNoteErrors, estimate, itemAmounts, itemError, settleAmounts, type Estimate, type ItemAmounts, type RequestedAmounts, type SettledAmounts } from './amounts.ts';
export { terminationCreditNote, type TerminationCreditNote, type TerminationInput, type TerminationMode } from './termination.ts';
export { consumeCredit } from './consume.ts';

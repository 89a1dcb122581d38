import { Type, type Static } from '@sinclair/typebox';
import { OptionalNullable, QueryValue } from '../../http/schemas.ts';
import type { CustomerView } from '../customers/views.ts';
import type { FeeView } from '../fees/types.ts';
import type { CreditNoteAppliedTaxRow, CreditNoteItemRow, CreditNoteRow } from './repository.ts';

export type { CreditNoteRow } from './repository.ts';

/** Lago's `CreditNote::REASON`, `CREDIT_STATUS` and `REFUND_STATUS`. */
export const REASONS = ['duplicated_charge', 'product_unsatisfactory', 'order_change', 'order_cancellation', 'fraudulent_charge', 'other'] as const;
export const CREDIT_STATUSES = ['available', 'consumed', 'voided'] as const;
export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export const TYPES = ['credit', 'refund', 'offset'] as const;

/** Lago's `Metadata::ItemMetadata` limits. */
export const METADATA_MAX_KEYS = 50;
export const METADATA_MAX_KEY_LENGTH = 100;
export const METADATA_MAX_VALUE_LENGTH = 255;

/** An amount in cents as JSON gives it: a number (Lago rounds a fractional item amount) or numeric text. */
const Amount = Type.Union([Type.Number(), Type.String()]);
const Metadata = Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]));

const Item = Type.Object({ fee_id: OptionalNullable(Type.String()), amount_cents: OptionalNullable(Amount) });

export const CreditNoteCreateBody = Type.Object({
  credit_note: Type.Object({
    invoice_id: OptionalNullable(Type.String()),
    reason: OptionalNullable(Type.String()),
    description: OptionalNullable(Type.String()),
    credit_amount_cents: OptionalNullable(Amount),
    refund_amount_cents: OptionalNullable(Amount),
    offset_amount_cents: OptionalNullable(Amount),
    metadata: OptionalNullable(Metadata),
    // Lago answers `items: ["must_be_an_array"]` for anything else, so anything is let through to say so.
    items: OptionalNullable(Type.Unknown()),
  }),
});
export type CreditNoteCreateInput = Static<typeof CreditNoteCreateBody>['credit_note'];
export type ItemInput = Static<typeof Item>;

export const CreditNoteEstimateBody = Type.Object({
  credit_note: Type.Object({ invoice_id: OptionalNullable(Type.String()), items: OptionalNullable(Type.Unknown()) }),
});
export type CreditNoteEstimateInput = Static<typeof CreditNoteEstimateBody>['credit_note'];

export const CreditNoteUpdateBody = Type.Object({
  credit_note: Type.Object({ refund_status: OptionalNullable(Type.String()), metadata: OptionalNullable(Metadata) }),
});
export type CreditNoteUpdateInput = Static<typeof CreditNoteUpdateBody>['credit_note'];

const Q = Type.Optional(QueryValue);
export const CreditNoteListQuery = Type.Object({
  page: Q,
  per_page: Q,
  external_customer_id: Q,
  issuing_date_from: Q,
  issuing_date_to: Q,
  search_term: Q,
  currency: Q,
  reason: Q,
  'reason[]': Q,
  credit_status: Q,
  'credit_status[]': Q,
  refund_status: Q,
  'refund_status[]': Q,
  types: Q,
  'types[]': Q,
  invoice_number: Q,
  amount_from: Q,
  amount_to: Q,
  self_billed: Q,
  purchase_order_number: Q,
  'billing_entity_codes[]': Q,
});
export type CreditNoteListQueryInput = Static<typeof CreditNoteListQuery> & Record<string, unknown>;

/** A credit note with what its JSON shows beside its own row. */
export interface CreditNoteView {
  creditNote: CreditNoteRow;
  billingEntityCode: string;
  invoiceNumber: string;
  customer: CustomerView;
  items: { item: CreditNoteItemRow; fee: FeeView }[];
  appliedTaxes: CreditNoteAppliedTaxRow[];
}

/** What POST /credit_notes/estimate answers. */
export interface CreditNoteEstimateView {
  invoiceId: string;
  invoiceNumber: string;
  currency: string;
  taxesAmountCents: bigint;
  preciseTaxesAmountCents: string;
  subTotalExcludingTaxesAmountCents: bigint;
  maxCreditableAmountCents: bigint;
  maxRefundableAmountCents: bigint;
  couponsAdjustmentAmountCents: bigint;
  preciseCouponsAdjustmentAmountCents: string;
  taxesRate: number;
  items: { feeId: string; amountCents: bigint }[];
  appliedTaxes: { taxId: string | null; name: string; code: string; rate: string; description: string | null; baseAmountCents: bigint; amountCents: bigint; currency: string }[];
}

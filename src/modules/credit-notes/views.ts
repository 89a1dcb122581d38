import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { customers, fees } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { loadCustomerViews } from '../customers/views.ts';
import type { Customer } from '../customers/types.ts';
import { billingEntityCode } from '../customers/views.ts';
import { loadFeeViews } from '../fees/queries.ts';
import type { FeeRow } from '../invoices/repository.ts';
import { findOrganization } from '../organizations/repository.ts';
import * as repo from './repository.ts';
import type { CreditNoteRow, CreditNoteView } from './types.ts';

const uuidList = (ids: readonly string[]) => sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `);

/** Credit notes of one organization with their invoice number, customer, items (with their fees) and taxes. */
export const loadCreditNoteViews = async (db: Db, organizationId: string, rows: readonly CreditNoteRow[]): Promise<CreditNoteView[]> => {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  // One after the other: inside a transaction the handle is a single connection.
  const organization = await findOrganization(db, organizationId);
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  const invoiceIds = [...new Set(rows.map((r) => r.invoiceId))];
  const numbers = new Map(
    (
      await queryRows<{ id: string; number: string }>(
        db,
        sql`SELECT id, number FROM invoices WHERE organization_id = ${organizationId} AND id IN (${uuidList(invoiceIds)})`,
      )
    ).map((r) => [r.id, r.number]),
  );
  const customerRows = await selectRows<Customer>(
    db,
    customers,
    sql`customers WHERE organization_id = ${organizationId} AND id IN (${uuidList([...new Set(rows.map((r) => r.customerId))])})`,
  );
  const customerViews = new Map((await loadCustomerViews(db, organizationId, customerRows)).map((v) => [v.customer.id, v]));
  const items = await repo.itemsOf(db, organizationId, ids);
  const feeIds = [...new Set(items.map((i) => i.feeId))];
  const feeRows = feeIds.length === 0 ? [] : await selectRows<FeeRow>(db, fees, sql`fees WHERE organization_id = ${organizationId} AND id IN (${uuidList(feeIds)})`);
  const feeViews = new Map((await loadFeeViews(db, organizationId, feeRows)).map((v) => [v.fee.id, v]));
  const taxes = await repo.appliedTaxesOf(db, organizationId, ids);
  const code = billingEntityCode(organization);
  return rows.map((creditNote) => ({
    creditNote,
    billingEntityCode: code,
    invoiceNumber: numbers.get(creditNote.invoiceId) ?? '',
    customer: customerViews.get(creditNote.customerId)!,
    items: items.filter((i) => i.creditNoteId === creditNote.id).map((item) => ({ item, fee: feeViews.get(item.feeId)! })),
    appliedTaxes: taxes.filter((t) => t.creditNoteId === creditNote.id),
  }));
};

import { and, asc, count, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { billableMetrics } from '../../db/schema/index.ts';
import { recurringTransactionRules, walletTransactionConsumptions, walletTransactions, wallets } from '../../db/schema/wallets.ts';
import { selectRows } from '../../db/select.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { RuleRow, TransactionFilters, TransactionRow, WalletRow } from './types.ts';

const ofOrganization = (organizationId: string, id: string) => and(eq(wallets.organizationId, organizationId), eq(wallets.id, id));

export const insertWallet = async (db: Db, row: typeof wallets.$inferInsert): Promise<WalletRow> => {
  const [created] = await db.insert(wallets).values(row).returning();
  return created!;
};

export const updateWallet = async (db: Db, organizationId: string, id: string, changes: Partial<WalletRow>): Promise<WalletRow> => {
  const [updated] = await db.update(wallets).set(changes).where(ofOrganization(organizationId, id)).returning();
  return updated!;
};

/** A wallet of the organization; `lock` holds it (FOR UPDATE) until the transaction ends, for balance changes. */
export const findWallet = async (db: Db, organizationId: string, id: string, lock = false): Promise<WalletRow | null> => {
  const [row] = await selectRows<WalletRow>(db, wallets, sql`wallets WHERE organization_id = ${organizationId} AND id = ${id}${lock ? sql` FOR UPDATE` : sql``}`);
  return row ?? null;
};

/** A customer's wallet by code: the active one, else the latest terminated one. */
export const findWalletByCode = async (db: Db, organizationId: string, customerId: string, code: string): Promise<WalletRow | null> => {
  const [row] = await selectRows<WalletRow>(
    db,
    wallets,
    sql`wallets WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND code = ${code}
      ORDER BY (status = 'active') DESC, created_at DESC LIMIT 1`,
  );
  return row ?? null;
};

/**
 * A customer's active wallets in Lago's application order (priority, then oldest). With `lock`, rows are locked in id
 * order first, so that two transactions locking a customer's wallets never wait on each other in a cycle.
 */
export const activeWalletsOf = async (db: Db, organizationId: string, customerId: string, options: { lock?: boolean; currency?: string } = {}): Promise<WalletRow[]> => {
  const currency = options.currency === undefined ? sql`` : sql` AND currency = ${options.currency}`;
  const rows = await selectRows<WalletRow>(
    db,
    wallets,
    sql`wallets WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND status = 'active'${currency}
      ORDER BY id${options.lock ? sql` FOR UPDATE` : sql``}`,
  );
  return rows.sort(applicationOrder);
};

export const applicationOrder = (a: WalletRow, b: WalletRow): number =>
  a.priority - b.priority || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const countActiveWallets = async (db: Db, organizationId: string, customerId: string): Promise<number> => {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`SELECT count(*) AS n FROM wallets WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND status = 'active'`,
  );
  return Number(row!.n);
};

export const activeCodeTaken = async (db: Db, organizationId: string, customerId: string, code: string, exceptId: string | null): Promise<boolean> => {
  const rows = await queryRows<{ one: number }>(
    db,
    sql`SELECT 1 AS one FROM wallets WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND status = 'active'
      AND code = ${code}${exceptId ? sql` AND id <> ${exceptId}` : sql``} LIMIT 1`,
  );
  return rows.length > 0;
};

/** Newest first (Lago's `created_at DESC, id ASC`). */
export const listWallets = async (
  db: Db,
  organizationId: string,
  filters: { customerId?: string; currency?: string },
  page: PageRequest,
): Promise<{ rows: WalletRow[]; total: number }> => {
  const conditions: SQL[] = [eq(wallets.organizationId, organizationId)];
  if (filters.customerId) conditions.push(eq(wallets.customerId, filters.customerId));
  if (filters.currency) conditions.push(eq(wallets.currency, filters.currency));
  const where = and(...conditions);
  const rows = await db.select().from(wallets).where(where).orderBy(desc(wallets.createdAt), asc(wallets.id)).limit(page.perPage).offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(wallets).where(where);
  return { rows, total: Number(total!.value) };
};

/**
 * Credits in or out of a wallet (Lago's `Wallets::Balance::IncreaseService` / `DecreaseService`), under the lock the
 * caller holds: balance and credits move together; credits going out count as consumed. The ongoing balance is due for
 * a refresh from then (depletion, threshold rules).
 */
export const moveBalance = async (
  db: Db,
  wallet: WalletRow,
  change: { direction: 'in' | 'out'; cents: bigint; credits: string },
  at: Date,
): Promise<WalletRow> => {
  const sign = change.direction === 'in' ? sql`+` : sql`-`;
  const stamp = at.toISOString();
  const consumed =
    change.direction === 'out'
      ? sql`, consumed_credits = consumed_credits + ${change.credits}::numeric,
          consumed_amount_cents = consumed_amount_cents + ${change.cents.toString()}::bigint, last_consumed_credit_at = ${stamp}::timestamptz`
      : sql``;
  await db.execute(
    sql`UPDATE wallets SET balance_cents = balance_cents ${sign} ${change.cents.toString()}::bigint,
        credits_balance = credits_balance ${sign} ${change.credits}::numeric,
        last_balance_sync_at = ${stamp}::timestamptz, updated_at = ${stamp}::timestamptz,
        refresh_due_at = coalesce(refresh_due_at, ${stamp}::timestamptz)${consumed}
      WHERE organization_id = ${wallet.organizationId} AND id = ${wallet.id}`,
  );
  return (await findWallet(db, wallet.organizationId, wallet.id))!;
};

export const insertRule = async (db: Db, row: typeof recurringTransactionRules.$inferInsert): Promise<RuleRow> => {
  const [created] = await db.insert(recurringTransactionRules).values(row).returning();
  return created!;
};

export const updateRule = async (db: Db, organizationId: string, id: string, changes: Partial<RuleRow>): Promise<RuleRow> => {
  const [updated] = await db
    .update(recurringTransactionRules)
    .set(changes)
    .where(and(eq(recurringTransactionRules.organizationId, organizationId), eq(recurringTransactionRules.id, id)))
    .returning();
  return updated!;
};

/** The rules of some wallets, oldest first. */
export const rulesOf = async (db: Db, organizationId: string, walletIds: readonly string[]): Promise<RuleRow[]> =>
  walletIds.length === 0
    ? []
    : db
        .select()
        .from(recurringTransactionRules)
        .where(and(eq(recurringTransactionRules.organizationId, organizationId), inArray(recurringTransactionRules.walletId, [...walletIds])))
        .orderBy(asc(recurringTransactionRules.createdAt), asc(recurringTransactionRules.id));

/** Whether the organization has a live threshold rule (one indexed probe). */
export const hasActiveThresholdRule = async (db: Db, organizationId: string): Promise<boolean> => {
  const rows = await queryRows<{ one: number }>(
    db,
    sql`SELECT 1 AS one FROM recurring_transaction_rules WHERE organization_id = ${organizationId} AND status = 'active' AND trigger = 'threshold' LIMIT 1`,
  );
  return rows.length > 0;
};

export const insertTransaction = async (db: Db, row: typeof walletTransactions.$inferInsert): Promise<TransactionRow> => {
  const [created] = await db.insert(walletTransactions).values(row).returning();
  return created!;
};

export const updateTransaction = async (db: Db, organizationId: string, id: string, changes: Partial<TransactionRow>): Promise<TransactionRow> => {
  const [updated] = await db
    .update(walletTransactions)
    .set(changes)
    .where(and(eq(walletTransactions.organizationId, organizationId), eq(walletTransactions.id, id)))
    .returning();
  return updated!;
};

export const findTransaction = async (db: Db, organizationId: string, id: string): Promise<TransactionRow | null> => {
  const [row] = await db
    .select()
    .from(walletTransactions)
    .where(and(eq(walletTransactions.organizationId, organizationId), eq(walletTransactions.id, id)))
    .limit(1);
  return row ?? null;
};

/** The purchase a credit invoice bills (its one inbound `purchased` transaction). */
export const purchaseOfInvoice = async (db: Db, organizationId: string, invoiceId: string): Promise<TransactionRow | null> => {
  const [row] = await selectRows<TransactionRow>(
    db,
    walletTransactions,
    sql`wallet_transactions WHERE organization_id = ${organizationId} AND invoice_id = ${invoiceId}
      AND transaction_type = 'inbound' AND transaction_status = 'purchased' LIMIT 1`,
  );
  return row ?? null;
};

/** A wallet's transactions, newest first, with Lago's filters. */
export const listTransactions = async (
  db: Db,
  organizationId: string,
  walletId: string,
  filters: TransactionFilters,
  page: PageRequest,
): Promise<{ rows: TransactionRow[]; total: number }> => {
  const conditions: SQL[] = [eq(walletTransactions.organizationId, organizationId), eq(walletTransactions.walletId, walletId)];
  if (filters.status) conditions.push(eq(walletTransactions.status, filters.status));
  if (filters.transactionType) conditions.push(eq(walletTransactions.transactionType, filters.transactionType));
  if (filters.transactionStatus) conditions.push(eq(walletTransactions.transactionStatus, filters.transactionStatus));
  for (const [key, value] of Object.entries(filters.metadata)) {
    if (value === '') continue;
    conditions.push(
      sql`EXISTS (SELECT 1 FROM jsonb_array_elements(${walletTransactions.metadata}) AS pair WHERE pair->>'key' = ${key} AND pair->>'value' = ${value})`,
    );
  }
  const where = and(...conditions);
  const rows = await db
    .select()
    .from(walletTransactions)
    .where(where)
    .orderBy(desc(walletTransactions.createdAt), asc(walletTransactions.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(walletTransactions).where(where);
  return { rows, total: Number(total!.value) };
};

/** Credits of a wallet's purchases not settled yet (Lago counts them before a threshold top-up). */
export const pendingCredits = async (db: Db, organizationId: string, walletId: string): Promise<string> => {
  const [row] = await queryRows<{ credits: string | null }>(
    db,
    sql`SELECT coalesce(sum(credit_amount), 0)::text AS credits FROM wallet_transactions
      WHERE organization_id = ${organizationId} AND wallet_id = ${walletId} AND status = 'pending'`,
  );
  return row?.credits ?? '0';
};

/** A wallet's settled inbound transactions with credits left, locked: what consumptions draw from. */
export const availableInbounds = async (db: Db, organizationId: string, walletId: string): Promise<TransactionRow[]> =>
  selectRows<TransactionRow>(
    db,
    walletTransactions,
    sql`wallet_transactions WHERE organization_id = ${organizationId} AND wallet_id = ${walletId} AND transaction_type = 'inbound'
      AND status = 'settled' AND remaining_amount_cents > 0 ORDER BY id FOR UPDATE`,
  );

export const recordConsumption = async (db: Db, row: typeof walletTransactionConsumptions.$inferInsert): Promise<void> => {
  await db.insert(walletTransactionConsumptions).values(row);
  await db.execute(
    sql`UPDATE wallet_transactions SET remaining_amount_cents = remaining_amount_cents - ${row.consumedAmountCents.toString()}::bigint
      WHERE organization_id = ${row.organizationId} AND id = ${row.inboundWalletTransactionId}`,
  );
};

/** How much of some outbound transactions granted and purchased credits paid for. */
export const fundingSplit = async (db: Db, organizationId: string, outboundIds: readonly string[]): Promise<{ granted: bigint; purchased: bigint }> => {
  if (outboundIds.length === 0) return { granted: 0n, purchased: 0n };
  const rows = await queryRows<{ granted: string; purchased: string }>(
    db,
    sql`SELECT coalesce(sum(c.consumed_amount_cents) FILTER (WHERE i.transaction_status = 'granted'), 0)::text AS granted,
        coalesce(sum(c.consumed_amount_cents) FILTER (WHERE i.transaction_status <> 'granted'), 0)::text AS purchased
      FROM wallet_transaction_consumptions c JOIN wallet_transactions i ON i.organization_id = c.organization_id AND i.id = c.inbound_wallet_transaction_id
      WHERE c.organization_id = ${organizationId} AND c.outbound_wallet_transaction_id IN (${sql.join(outboundIds.map((id) => sql`${id}::uuid`), sql`, `)})`,
  );
  return { granted: BigInt(rows[0]!.granted), purchased: BigInt(rows[0]!.purchased) };
};

/** Live billable metrics of the organization by code. */
export const metricsByCodes = async (db: Db, organizationId: string, codes: readonly string[]): Promise<{ id: string; code: string }[]> =>
  codes.length === 0
    ? []
    : db
        .select({ id: billableMetrics.id, code: billableMetrics.code })
        .from(billableMetrics)
        .where(and(eq(billableMetrics.organizationId, organizationId), inArray(billableMetrics.code, [...codes]), isNull(billableMetrics.deletedAt)));

/** Codes of metrics by id (deleted ones included: a wallet keeps showing what it was limited to). */
export const metricCodesByIds = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Map<string, string>> => {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: billableMetrics.id, code: billableMetrics.code })
    .from(billableMetrics)
    .where(and(eq(billableMetrics.organizationId, organizationId), inArray(billableMetrics.id, [...ids])));
  return new Map(rows.map((r) => [r.id, r.code]));
};

import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { billingEntityCode } from '../customers/views.ts';
import type { DomainEvent } from '../domain-events/record.ts';
import { findOrganization } from '../organizations/repository.ts';
import type { TransactionEventView, WalletEventView } from './ledger.ts';
import * as repo from './repository.ts';
import { serializeTransaction, serializeWallet } from './serialize.ts';
import type { OngoingBalance, WalletRow, WalletView } from './types.ts';

/** Wallets with what their JSON shows beside the row (customer, billing entity, rules, metric codes). */
export const loadWalletViews = async (db: Db, organizationId: string, wallets: readonly WalletRow[], ongoing?: Map<string, OngoingBalance>): Promise<WalletView[]> => {
  if (wallets.length === 0) return [];
  const organization = await findOrganization(db, organizationId);
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  const customerIds = [...new Set(wallets.map((w) => w.customerId))];
  const customers = await queryRows<{ id: string; external_id: string }>(
    db,
    sql`SELECT id, external_id FROM customers WHERE organization_id = ${organizationId} AND id IN (${sql.join(customerIds.map((id) => sql`${id}::uuid`), sql`, `)})`,
  );
  const externalIds = new Map(customers.map((c) => [c.id, c.external_id]));
  const rules = await repo.rulesOf(db, organizationId, wallets.map((w) => w.id));
  const codes = await repo.metricCodesByIds(db, organizationId, [...new Set(wallets.flatMap((w) => w.billableMetricIds))]);
  const entity = billingEntityCode(organization);
  return wallets.map((wallet) => {
    const own = ongoing?.get(wallet.id);
    return {
      wallet,
      externalCustomerId: externalIds.get(wallet.customerId) ?? '',
      billingEntityCode: entity,
      rules: rules.filter((r) => r.walletId === wallet.id),
      billableMetricCodes: wallet.billableMetricIds.flatMap((id) => (codes.has(id) ? [codes.get(id)!] : [])),
      ...(own && { ongoing: own }),
    };
  });
};

/** Wallet webhooks (Lago's `Webhooks::Wallets::*`): created, updated and terminated show the live rules; depletion not. */
export const walletWebhookObject = async (tx: Db, event: DomainEvent): Promise<Record<string, unknown>> => {
  const { wallet } = event.view as WalletEventView;
  const [view] = await loadWalletViews(tx, event.organizationId, [wallet]);
  return serializeWallet(view!, event.type === 'wallet.depleted_ongoing_balance' ? 'none' : 'rules', event.at.epochMilliseconds);
};

/** Wallet transaction webhooks carry the transaction with its wallet. */
export const walletTransactionWebhookObject = async (tx: Db, event: DomainEvent): Promise<Record<string, unknown>> => {
  const { transaction, wallet } = event.view as TransactionEventView;
  const [view] = await loadWalletViews(tx, event.organizationId, [wallet]);
  return serializeTransaction(transaction, { row: wallet, billingEntityCode: view!.billingEntityCode, json: serializeWallet(view!, 'none', event.at.epochMilliseconds) });
};

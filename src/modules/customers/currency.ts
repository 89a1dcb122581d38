import type { Db } from '../../db/database.ts';
import type { Ctx } from '../../lib/context.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { invalid } from '../../lib/errors.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import * as repo from './repository.ts';
import { countActiveWallets } from '../wallets/repository.ts';
import type { Customer } from './types.ts';

/**
 * A customer is billed in one currency. Until something has been billed or promised in it (a live subscription, a
 * fixed-amount coupon, an active wallet), the currency may still change. This is Lago's long-standing rule
 * (`Customer#editable?`), which Billow keeps rather than Lago's newer multi-currency customers.
 */
export const isCustomerEditable = async (db: Db, customer: Customer): Promise<boolean> =>
  !(await repo.hasLiveSubscription(db, customer.organizationId, customer.id)) &&
  !(await repo.hasCurrencyCoupon(db, customer.organizationId, customer.id)) &&
  (await countActiveWallets(db, customer.organizationId, customer.id)) === 0;

const mismatch = () => err(invalid('currency', 'currencies_does_not_match'));

/**
 * Called when something billed in `currency` is attached to the customer (a subscription's plan, a fixed-amount
 * coupon): a customer without a currency takes it; one already billed in another currency refuses with 422
 * `{"currency":["currencies_does_not_match"]}`. Run it inside the caller's transaction, on a customer row the caller
 * has locked (found with `{ lock: true }`), so two concurrent assignments cannot both win.
 */
export const assignCustomerCurrency = async (tx: Db, ctx: Ctx, customer: Customer, currency: string): Promise<Result<Customer>> => {
  if (!isCurrency(currency)) return err(invalid('currency', 'value_is_invalid'));
  if (customer.currency === currency) return ok(customer);
  if (customer.currency !== null || !(await isCustomerEditable(tx, customer))) return mismatch();
  return ok(await repo.updateCustomer(tx, customer.organizationId, customer.id, { currency, updatedAt: instantToDate(ctx.clock.now()) }));
};

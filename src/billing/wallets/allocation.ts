import { Decimal } from '../../lib/money.ts';

/** What a wallet may pay for: fee types, and charges of some billable metrics. Both empty: everything. */
export interface WalletScope {
  id: string;
  feeTypes: readonly string[];
  billableMetricIds: readonly string[];
}

/** A share of an invoice (or of unbilled usage) by what it bills: its fee type and, for charges, its metric. */
export interface FeeBucket {
  feeType: string;
  billableMetricId: string | null;
  amountCents: Decimal;
}

const keyOf = (b: { feeType: string; billableMetricId: string | null }) => `${b.feeType}|${b.billableMetricId ?? ''}`;

/**
 * Lago's `applicable_fee?`: a restricted wallet pays for a bucket when its fee type is listed or it is a charge of a
 * listed metric (either is enough); an unrestricted wallet pays for everything.
 */
export const walletApplies = (wallet: WalletScope, bucket: { feeType: string; billableMetricId: string | null }): boolean => {
  if (wallet.feeTypes.length === 0 && wallet.billableMetricIds.length === 0) return true;
  if (wallet.feeTypes.includes(bucket.feeType)) return true;
  return bucket.feeType === 'charge' && bucket.billableMetricId !== null && wallet.billableMetricIds.includes(bucket.billableMetricId);
};

/** Sums buckets of the same fee type and metric, keeping the order each was first seen in. */
const grouped = (buckets: readonly FeeBucket[]): FeeBucket[] => {
  const sums = new Map<string, FeeBucket>();
  for (const b of buckets) {
    const key = keyOf(b);
    const seen = sums.get(key);
    if (seen) seen.amountCents = seen.amountCents.add(b.amountCents);
    else sums.set(key, { ...b });
  }
  return [...sums.values()];
};

/** Largest first; equal amounts keep their order (a stable sort). */
const largestFirst = (buckets: FeeBucket[]): FeeBucket[] => buckets.map((b, i) => ({ b, i })).sort((x, y) => y.b.amountCents.cmp(x.b.amountCents) || x.i - y.i).map(({ b }) => b);

/**
 * Which wallet pays how much of an invoice being finalized (Lago's `Credits::AllocatePrepaidCreditsByWalletsService`).
 * Each fee counts for what is left of it after coupons, with its precise taxes; fees of one type and metric form a
 * bucket, largest bucket first. When the buckets add up to a little less than the invoice total (taxes rounded up at
 * invoice level: at most one minor unit per bucket), the largest takes the difference. Wallets, in the order given
 * (priority, then age), take from the buckets they apply to, each up to its balance and all together up to the total.
 * Amounts are rounded once per wallet, half away from zero.
 *
 * Example: total 11000, one unrestricted wallet with 3000 -> 3000; with 20000 -> 11000. A wallet limited to metric A
 * on an invoice with a subscription fee of 5000 and a charge of A of 4000 takes at most 4000.
 */
export const allocatePrepaidCredits = (
  fees: readonly FeeBucket[],
  totalCents: bigint,
  wallets: readonly (WalletScope & { balanceCents: bigint })[],
): Map<string, bigint> => {
  const buckets = largestFirst(grouped(fees.filter((f) => f.amountCents.gt(0))));
  if (buckets.length > 0) {
    const difference = new Decimal(totalCents.toString()).sub(buckets.reduce((s, b) => s.add(b.amountCents), new Decimal(0)));
    if (difference.gt(0) && difference.lte(buckets.length)) buckets[0]!.amountCents = buckets[0]!.amountCents.add(difference);
  }
  let invoiceLeft = new Decimal(totalCents.toString());
  // Each wallet's share is rounded on its own: two halves rounded up would take a cent more than the invoice holds.
  let centsLeft = totalCents;
  const result = new Map<string, bigint>();
  for (const wallet of wallets) {
    let used = new Decimal(0);
    const balance = new Decimal(wallet.balanceCents.toString());
    for (const bucket of buckets) {
      if (bucket.amountCents.lte(0) || !walletApplies(wallet, bucket)) continue;
      const take = Decimal.min(bucket.amountCents, balance.sub(used), invoiceLeft);
      if (take.lte(0)) continue;
      bucket.amountCents = bucket.amountCents.sub(take);
      invoiceLeft = invoiceLeft.sub(take);
      used = used.add(take);
    }
    let cents = BigInt(used.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
    if (cents > wallet.balanceCents) cents = wallet.balanceCents;
    if (cents > centsLeft) cents = centsLeft;
    if (cents > 0n) {
      result.set(wallet.id, cents);
      centsLeft -= cents;
    }
  }
  return result;
};

/**
 * How a customer's unbilled usage is spread over its wallets for their ongoing balances (Lago's
 * `Wallets::Balance::AllocateOngoingUsageByWalletsService`). Usage is netted per fee type and metric (already billed
 * amounts count negative); the positive buckets, largest first, are spread over the wallets that apply, in order, each
 * up to its balance. A wallet with a live threshold rule takes everything that reaches it (so that its rule can fire),
 * and the last wallet that applies takes what is left: both may go below zero.
 *
 * Example: buckets charge/A 900, wallets W1 (balance 500) then W2 (balance 1000) -> W1 500, W2 400.
 */
export const allocateOngoingUsage = (
  usage: readonly FeeBucket[],
  wallets: readonly (WalletScope & { balanceCents: bigint; threshold: boolean })[],
): Map<string, bigint> => {
  const net = grouped(usage);
  let budget = Decimal.max(
    net.reduce((s, b) => s.add(b.amountCents), new Decimal(0)),
    0,
  );
  const allocations = new Map<string, Decimal>(wallets.map((w) => [w.id, new Decimal(0)]));
  for (const bucket of largestFirst(net.filter((b) => b.amountCents.gt(0)))) {
    let remaining = Decimal.min(bucket.amountCents, budget);
    const applicable = wallets.filter((w) => walletApplies(w, bucket));
    for (const [index, wallet] of applicable.entries()) {
      if (remaining.lte(0)) break;
      const allocated = allocations.get(wallet.id)!;
      let take: Decimal;
      if (wallet.threshold || index === applicable.length - 1) take = remaining;
      else {
        const room = new Decimal(wallet.balanceCents.toString()).sub(allocated);
        if (room.lte(0)) continue;
        take = Decimal.min(remaining, room);
      }
      allocations.set(wallet.id, allocated.add(take));
      remaining = remaining.sub(take);
      budget = budget.sub(take);
    }
  }
  return new Map([...allocations].map(([id, cents]) => [id, BigInt(cents.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0))]));
};

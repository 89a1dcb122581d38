import { Decimal } from '../../lib/money.ts';
import { decimalProperty } from '../charge-models/pricing.ts';
import { rangeBound } from '../charge-models/properties.ts';
import type { Properties } from '../charge-models/index.ts';

const ZERO = new Decimal(0);

interface Tier {
  from: Decimal;
  to: Decimal | null;
  perUnit: Decimal;
  flat: Decimal;
}

const tiersOf = (properties: Properties): Tier[] =>
  (Array.isArray(properties.graduated_ranges) ? (properties.graduated_ranges as Record<string, unknown>[]) : []).map((r) => ({
    from: rangeBound(r.from_value) ?? ZERO,
    to: rangeBound(r.to_value),
    perUnit: decimalProperty(r.per_unit_amount),
    flat: decimalProperty(r.flat_amount),
  }));

/** The tier the running full total sits in (Lago's `range`), looking at the next event to break ties on a bound. */
const tierAt = (tiers: readonly Tier[], fullSum: Decimal, overflow: Decimal, next: Decimal | undefined): Tier => {
  if (fullSum.lte(0)) return tiers[0]!;
  const units = overflow.isZero() ? fullSum : overflow.gt(0) ? fullSum.minus(overflow).plus(1) : fullSum.plus(overflow);
  for (let i = 0; i < tiers.length; i++) {
    const tier = tiers[i]!;
    if (tier.to !== null && units.eq(tier.to) && next !== undefined && next.gt(0)) return tiers[i + 1] ?? tier;
    if (tier.to !== null && units.eq(tier.to)) return tier;
    if (units.gte(tier.from) && (tier.to === null || units.lt(tier.to))) return tier;
  }
  return tiers[0]!;
};

// Lago takes this coefficient as a binary float (BigDecimal#fdiv); its shortest text keeps the same digits.
const coefficient = (prorated: Decimal, full: Decimal): Decimal => new Decimal(String(prorated.toNumber() / full.toNumber()));

const withFlatAmounts = (tiers: readonly Tier[], amount: Decimal, totalFull: Decimal, maxFull: Decimal): Decimal => {
  if (totalFull.isNegative()) return ZERO;
  let flat = ZERO;
  const result = amount.isNegative() ? ZERO : amount;
  for (const tier of tiers) {
    flat = flat.plus(tier.flat);
    if (tier.to === null || maxFull.lte(tier.to)) return result.plus(flat);
  }
  return result.plus(flat);
};

/**
 * A prorated graduated charge's amount (Lago's `ProratedGraduatedService`): events are walked in time order, their full
 * values deciding which tier is being filled and their prorated values what is priced in it; an event straddling a
 * tier bound is split pro rata between the tiers. The flat amounts of every tier reached by the largest running total
 * are added. `units` is the prorated aggregation: none, and only the first tier's flat amount is due.
 * Example: tiers 0–5 at "1", 6–∞ at "2"; one event of 10 held half the period (prorated 5): 5 units fill the first tier
 * (priced 5 × 0.5 × 1 = 2.5) and 5 the second (5 × 0.5 × 2 = 5): 7.5.
 */
export const proratedGraduatedAmount = (
  properties: Properties,
  perEvent: { full: readonly Decimal[]; prorated: readonly Decimal[] },
  units: Decimal,
): Decimal => {
  const tiers = tiersOf(properties);
  if (tiers.length === 0) return ZERO;
  if (units.isZero()) return withFlatAmounts(tiers, ZERO, ZERO, ZERO);
  const { full, prorated } = perEvent;
  let index = 0;
  let overflow = ZERO;
  let fullSum = ZERO;
  let maxFullSum = ZERO;
  let proratedSum = ZERO;
  let amount = ZERO;
  let tier: Tier = tiers[0]!;
  const coefficientAt = (i: number) => coefficient(prorated[i]!, full[i]!);
  while (index < prorated.length || !overflow.isZero()) {
    tier = tierAt(tiers, fullSum, overflow, full[index]);
    if (!overflow.isZero()) {
      proratedSum = proratedSum.plus(overflow.mul(coefficientAt(index - 1)));
      // One event can cross several tiers: carry what is past this tier's bound into the next turn.
      if (tier.to !== null && fullSum.gte(tier.to)) {
        overflow = fullSum.minus(tier.to);
        proratedSum = proratedSum.minus(overflow.mul(coefficientAt(index - 1)));
        amount = amount.plus(proratedSum.mul(tier.perUnit));
        proratedSum = ZERO;
        continue;
      }
      overflow = ZERO;
    }
    if (index >= prorated.length) break;
    const p = prorated[index]!;
    const f = full[index]!;
    // An add held for no time in the window, and a remove whose add was skipped, change no tier.
    if (p.isZero() && f.gt(0)) {
      index++;
      continue;
    }
    if (p.isZero() && f.isNegative() && fullSum.plus(f).isNegative()) {
      index++;
      continue;
    }
    fullSum = fullSum.plus(f);
    if (fullSum.gt(maxFullSum)) maxFullSum = fullSum;
    proratedSum = proratedSum.plus(p);
    index++;
    const inside = tier.to === null ? fullSum.gte(tier.from.minus(1)) : fullSum.lt(tier.to) && fullSum.gte(tier.from);
    if (inside) continue;
    overflow = tier.to === null ? fullSum.minus(tier.from).plus(1) : fullSum.gte(tier.to) ? fullSum.minus(tier.to) : fullSum.minus(tier.from).plus(1);
    proratedSum = proratedSum.minus(overflow.mul(coefficientAt(index - 1)));
    amount = amount.plus(proratedSum.mul(tier.perUnit));
    proratedSum = ZERO;
  }
  amount = amount.plus(proratedSum.mul(tier.perUnit));
  return withFlatAmounts(tiers, amount, fullSum, maxFullSum);
};

import { Decimal } from '../../lib/money.ts';
import type { InvoiceDetailJson } from '../invoices/serialize.ts';
import { formatPeriod } from './date-format.ts';
import type { DocumentLabels } from './labels.ts';
import { formatAmount, formatMoney, formatPercent, formatQuantity, formatUnitPrice } from './number-format.ts';
import type { LineColumn, LineItem, LineSection } from './pdf-layout.ts';

type Fee = InvoiceDetailJson['fees'][number];
type BillingPeriod = InvoiceDetailJson['billing_periods'][number];
type Details = Record<string, unknown>;

interface LineContext {
  labels: DocumentLabels;
  timeZone: string;
  /** Whether the tables carry a tax-rate column (only when something on the invoice is taxed). */
  withTax: boolean;
}

/** A decimal as amount_details holds it (a decimal text, or a JSON number for range bounds and zeros). */
const decimalOf = (value: unknown): Decimal | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return new Decimal(value);
  if (typeof value === 'string' && value.trim() !== '') {
    try {
      return new Decimal(value.trim());
    } catch {
      return null;
    }
  }
  return null;
};

const rangesOf = (details: Details, key: string): Details[] | null =>
  Array.isArray(details[key]) ? (details[key] as unknown[]).filter((r): r is Details => typeof r === 'object' && r !== null) : null;

const rangeText = (range: Details, labels: DocumentLabels): string => {
  const from = formatQuantity(decimalOf(range.from_value) ?? 0);
  const to = decimalOf(range.to_value);
  return to === null ? labels.rangeAbove(from) : labels.rangeTo(from, formatQuantity(to));
};

/** A breakdown row: label, units, unit price, (tax), amount; empty texts where a figure does not apply. */
const breakdown = (ctx: LineContext, label: string, units: string, unitPrice: string, amount: string): LineItem => ({
  kind: 'breakdown',
  cells: ctx.withTax ? [label, units, unitPrice, '', amount] : [label, units, unitPrice, amount],
});

const isPositive = (value: Decimal | null): value is Decimal => value !== null && value.gt(0);

/**
 * The lines that explain a fee's amount, read from Lago's `amount_details`: one per graduated tier reached (units at
 * the tier's price, and its flat fee), the volume tier's unit and flat prices, package counts, percentage rates and
 * per-transaction fees. None for standard and dynamic charges, whose units times unit price say it all.
 */
export const breakdownLines = (fee: Fee, ctx: LineContext): LineItem[] => {
  const { labels } = ctx;
  const currency = fee.amount_currency;
  const details = fee.amount_details as Details;
  const money = (value: Decimal | null) => formatAmount(value ?? 0, currency);
  const lines: LineItem[] = [];

  const graduated = rangesOf(details, 'graduated_ranges');
  if (graduated) {
    graduated.forEach((range, i) => {
      lines.push(
        breakdown(
          ctx,
          labels.tier(i + 1, rangeText(range, labels)),
          formatQuantity(decimalOf(range.units) ?? 0),
          formatUnitPrice(decimalOf(range.per_unit_amount) ?? 0, currency),
          money(decimalOf(range.per_unit_total_amount)),
        ),
      );
      const flat = decimalOf(range.flat_unit_amount);
      if (isPositive(flat)) lines.push(breakdown(ctx, labels.tierFlat(i + 1), '', '', money(flat)));
    });
    return lines;
  }

  const graduatedPercentage = rangesOf(details, 'graduated_percentage_ranges');
  if (graduatedPercentage) {
    graduatedPercentage.forEach((range, i) => {
      lines.push(
        breakdown(
          ctx,
          labels.tier(i + 1, rangeText(range, labels)),
          formatQuantity(decimalOf(range.units) ?? 0),
          formatPercent(decimalOf(range.rate) ?? 0),
          money(decimalOf(range.per_unit_total_amount)),
        ),
      );
      const flat = decimalOf(range.flat_unit_amount);
      if (isPositive(flat)) lines.push(breakdown(ctx, labels.tierFlat(i + 1), '', '', money(flat)));
    });
    return lines;
  }

  if ('per_package_size' in details) {
    const size = decimalOf(details.per_package_size);
    const paid = decimalOf(details.paid_units);
    const free = decimalOf(details.free_units);
    if (!isPositive(size)) return lines;
    // The free units the usage took: all of them once units are paid for, otherwise the usage itself.
    const freeUsed = isPositive(paid) ? free : Decimal.min(free ?? 0, new Decimal(fee.units));
    if (isPositive(freeUsed)) lines.push(breakdown(ctx, labels.freeUnits, formatQuantity(freeUsed), '', money(new Decimal(0))));
    if (isPositive(paid)) {
      const packages = paid.div(size).ceil();
      const price = decimalOf(details.per_package_unit_amount) ?? new Decimal(0);
      lines.push(breakdown(ctx, labels.packages(formatQuantity(size)), formatQuantity(packages), formatUnitPrice(price, currency), money(packages.mul(price))));
    }
    return lines;
  }

  if ('per_unit_total_amount' in details && 'per_unit_amount' in details && 'flat_unit_amount' in details) {
    lines.push(
      breakdown(
        ctx,
        labels.perUnit,
        formatQuantity(fee.units),
        formatUnitPrice(decimalOf(details.per_unit_amount) ?? 0, currency),
        money(decimalOf(details.per_unit_total_amount)),
      ),
    );
    const flat = decimalOf(details.flat_unit_amount);
    if (isPositive(flat)) lines.push(breakdown(ctx, labels.flatFee, '', '', money(flat)));
    return lines;
  }

  if ('rate' in details && 'paid_units' in details) {
    const free = decimalOf(details.free_units);
    if (isPositive(free)) lines.push(breakdown(ctx, labels.freeUnits, formatQuantity(free), '', money(new Decimal(0))));
    const rate = formatPercent(decimalOf(details.rate) ?? 0);
    lines.push(breakdown(ctx, labels.percentageOf(rate), formatQuantity(decimalOf(details.paid_units) ?? 0), rate, money(decimalOf(details.per_unit_total_amount))));
    const events = decimalOf(details.paid_events);
    const fixedTotal = decimalOf(details.fixed_fee_total_amount);
    if (isPositive(events) && isPositive(fixedTotal)) {
      lines.push(breakdown(ctx, labels.transactionFee, formatQuantity(events), formatUnitPrice(decimalOf(details.fixed_fee_unit_amount) ?? 0, currency), money(fixedTotal)));
    }
    const adjustment = decimalOf(details.min_max_adjustment_total_amount);
    if (adjustment !== null && !adjustment.isZero()) lines.push(breakdown(ctx, labels.minMaxAdjustment, '', '', money(adjustment)));
    return lines;
  }
  return lines;
};

const feePeriod = (fee: Fee, timeZone: string): string | null => formatPeriod(fee.from_date, fee.to_date, timeZone);

const groupNames = (fee: Fee): string | null => {
  const values = Object.values(fee.item.grouped_by ?? {}).filter((v): v is string => typeof v === 'string' && v !== '');
  return values.length > 0 ? values.join(' · ') : null;
};

/** What the fee is, then what distinguishes it from the same item's other fees (filter, group, description, period). */
const feeItem = (fee: Fee, ctx: LineContext, sectionTitle: string | null, sectionPeriods: Array<string | null>): LineItem[] => {
  const { labels } = ctx;
  const name = fee.item.invoice_display_name || fee.item.name || fee.item.code || '';
  let label = name;
  const details: Array<string | null> = [];
  switch (fee.item.type) {
    case 'subscription':
      // The section is already titled with the subscription's name.
      if (name === sectionTitle || name === '') label = labels.subscriptionFee;
      break;
    case 'commitment':
      label = labels.commitmentFee;
      break;
    case 'credit':
      label = labels.prepaidCredits;
      break;
    default:
      break;
  }
  if (fee.lago_true_up_parent_fee_id) details.push(labels.trueUp);
  details.push(fee.item.filter_invoice_display_name, groupNames(fee));
  if (fee.description && fee.description !== label) details.push(fee.description);
  const period = feePeriod(fee, ctx.timeZone);
  if (period !== null && !sectionPeriods.includes(period)) details.push(period);

  const tiers = breakdownLines(fee, ctx);
  const unitPrice = tiers.length > 0 ? '' : formatUnitPrice(fee.precise_unit_amount, fee.amount_currency);
  const cells = [label, formatQuantity(fee.units), unitPrice];
  if (ctx.withTax) cells.push(formatPercent(fee.taxes_rate));
  cells.push(formatMoney(fee.amount_cents, fee.amount_currency));
  return [{ kind: 'item', cells, details: details.filter((d): d is string => typeof d === 'string' && d.trim() !== '') }, ...tiers];
};

/**
 * Lago's document lists only the charges that were used. Billow also keeps a charge that costs something without use
 * (a graduated first tier's flat fee), so that the lines always add up to the subtotal.
 */
const isShown = (fee: Fee): boolean => !(fee.item.type === 'charge' && fee.amount_cents === 0 && new Decimal(fee.units).isZero());

const TYPE_ORDER: Record<string, number> = { subscription: 0, fixed_charge: 1, charge: 2, commitment: 3 };
const byType = (fees: Fee[]): Fee[] =>
  fees
    .map((fee, index) => ({ fee, index }))
    .sort((a, b) => (TYPE_ORDER[a.fee.item.type] ?? 4) - (TYPE_ORDER[b.fee.item.type] ?? 4) || a.index - b.index)
    .map(({ fee }) => fee);

export const lineColumns = (labels: DocumentLabels, withTax: boolean): LineColumn[] => [
  { header: labels.item, width: '*', align: 'left' },
  { header: labels.units, width: 'fit', align: 'right' },
  { header: labels.unitPrice, width: 'fit', align: 'right' },
  ...(withTax ? [{ header: labels.tax, width: 'fit', align: 'right' } as LineColumn] : []),
  { header: labels.amount, width: 'fit', align: 'right' },
];

const subscriptionTitle = (invoice: InvoiceDetailJson, period: BillingPeriod, fees: Fee[]): string => {
  const subscriptionFee = fees.find((f) => f.item.type === 'subscription');
  const subscription = invoice.subscriptions.find((s) => s.lago_id === period.lago_subscription_id);
  return (
    subscriptionFee?.item.invoice_display_name ||
    subscription?.name ||
    subscription?.plan_code ||
    period.external_subscription_id ||
    period.lago_subscription_id
  );
};

/**
 * The invoice's fees as tables: one per subscription billed (titled with its name and billing period), then the
 * fees of no subscription (add-ons, one-off items, credit purchases).
 */
export const invoiceSections = (invoice: InvoiceDetailJson, labels: DocumentLabels, timeZone: string): LineSection[] => {
  const fees = invoice.fees.filter(isShown);
  const withTax = invoice.applied_taxes.length > 0 || fees.some((f) => f.taxes_rate > 0);
  const ctx: LineContext = { labels, timeZone, withTax };
  const columns = lineColumns(labels, withTax);
  const sections: LineSection[] = [];
  const placed = new Set<Fee>();

  const seen = new Set<string>();
  for (const period of invoice.billing_periods) {
    if (seen.has(period.lago_subscription_id)) continue;
    seen.add(period.lago_subscription_id);
    const own = fees.filter((f) => f.lago_subscription_id === period.lago_subscription_id);
    own.forEach((f) => placed.add(f));
    const subscriptionPeriod = formatPeriod(period.subscription_from_datetime, period.subscription_to_datetime, timeZone);
    const chargesPeriod = formatPeriod(period.charges_from_datetime, period.charges_to_datetime, timeZone);
    const subtitle =
      subscriptionPeriod && chargesPeriod && subscriptionPeriod !== chargesPeriod
        ? labels.subscriptionAndUsage(subscriptionPeriod, chargesPeriod)
        : subscriptionPeriod || chargesPeriod
          ? labels.billingPeriod((subscriptionPeriod || chargesPeriod)!)
          : null;
    const title = subscriptionTitle(invoice, period, own);
    sections.push({
      title,
      subtitle,
      columns,
      items: byType(own).flatMap((fee) => feeItem(fee, ctx, title, [subscriptionPeriod, chargesPeriod])),
    });
  }

  const rest = fees.filter((f) => !placed.has(f));
  if (rest.length > 0) {
    sections.push({
      title: sections.length > 0 ? labels.otherItems : null,
      subtitle: null,
      columns,
      items: byType(rest).flatMap((fee) => feeItem(fee, ctx, null, [])),
    });
  }
  // A subscription whose every fee was left off (nothing used, nothing owed) gets no empty table.
  return sections.filter((s) => s.items.length > 0);
};

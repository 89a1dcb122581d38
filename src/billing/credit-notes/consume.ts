/**
 * How an invoice consumes credit notes (Lago's `Credits::CreditNoteService`): in the order given (oldest first), each
 * note gives what the invoice still owes, up to its balance, until the invoice is covered. Answers the amount taken
 * from each note, in the same order; their sum never exceeds the invoice's total nor any note its balance.
 *
 * @example
 * consumeCredit(120_00n, [84_00n, 120_00n]) // [84_00n, 36_00n]
 * consumeCredit(50_00n, [0n, 20_00n])       // [0n, 20_00n]
 */
export const consumeCredit = (invoiceTotalCents: bigint, balances: readonly bigint[]): bigint[] => {
  let remaining = invoiceTotalCents > 0n ? invoiceTotalCents : 0n;
  return balances.map((balance) => {
    const taken = balance <= 0n ? 0n : balance < remaining ? balance : remaining;
    remaining -= taken;
    return taken;
  });
};

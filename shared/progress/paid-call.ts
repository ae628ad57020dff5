/** One booked call as the run view shows it (run-view.ts `paidCalls`, compensation-view.ts). */
export interface PaidCallView {
  /** 1-based attempt that made the call. */
  attempt: number;
  /** All four token counts added. */
  tokens: number;
  /** Booked at its reserved worst case: its answer never reached the books (an upper bound). */
  estimated: boolean;
  /** Booked from the provider's usage log after it was estimated (exact): engine/reconcile-estimates.ts. */
  reconciled?: boolean;
}

/**
 * A record of the run's `paid` hash (`<in>,<out>,<cacheRead>,<cacheWrite>,<µUSD>[,e|r|v]`, record-paid.ts and
 * reconcile-estimate.ts) as a {@link PaidCallView}, or null for a call the usage log showed unbilled (`v`: no call).
 */
export function paidCallOf(attempt: number, record: string): PaidCallView | null {
  const parts = record.split(",");
  if (parts[5] === "v") return null;
  const tokens = parts.slice(0, 4).reduce((a, x) => a + (Number(x) || 0), 0);
  return { attempt, tokens, estimated: parts[5] === "e", ...(parts[5] === "r" ? { reconciled: true } : {}) };
}

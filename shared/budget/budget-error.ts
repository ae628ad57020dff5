import { formatUsd as fmtUsd } from "../routing/budget-cap.js";
import type { BudgetAmount, BudgetLeft, BudgetLimits } from "./budget-store.js";
import { type BudgetScope, describeScope } from "./scopes.js";

/**
 * A call's worst case does not fit its budget (and `onBudget` is `"fail"`, or no cheaper tier fits either). The
 * node fails for good: retrying cannot help until the budget changes, so the engine should treat it as
 * non-retryable. `message` says which budget, what the call needed and what was left, e.g.
 * `run budget exceeded: the call needs up to 6,000 tokens, 2,500 left of 10,000`.
 */
export class BudgetExceededError extends Error {
  override readonly name = "BudgetExceededError";

  /**
   * @param scope the budget that refused.
   * @param requested the call's worst case (tokens, USD).
   * @param left headroom of that budget when it refused (null where it has no limit).
   * @param limits that budget's limits.
   */
  constructor(
    readonly scope: BudgetScope,
    readonly requested: BudgetAmount,
    readonly left: BudgetLeft,
    readonly limits: BudgetLimits,
  ) {
    super(describeRefusal(scope, requested, left, limits));
  }
}

/**
 * The one-line explanation of a refusal, naming each limit the request did not fit:
 * `tenant acme's budget for 2025-01-31 exceeded: the call needs up to $0.42, $0.10 left of $5.00`.
 */
export function describeRefusal(
  scope: BudgetScope,
  requested: BudgetAmount,
  left: BudgetLeft,
  limits: BudgetLimits,
): string {
  const parts: string[] = [];
  if (left.tokens !== null && requested.tokens > left.tokens) {
    parts.push(
      `${fmtInt(requested.tokens)} tokens, ${fmtInt(Math.max(0, left.tokens))} left of ${fmtInt(limits.tokens ?? 0)}`,
    );
  }
  if (left.usd !== null && requested.usd > left.usd) {
    parts.push(`${fmtUsd(requested.usd)}, ${fmtUsd(Math.max(0, left.usd))} left of ${fmtUsd(limits.usd ?? 0)}`);
  }
  const detail =
    parts.length > 0 ? parts.join("; ") : `${fmtInt(requested.tokens)} tokens and ${fmtUsd(requested.usd)}`;
  return `${describeScope(scope)} exceeded: the call needs up to ${detail}`;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/**
 * Budget settings as users and operators write them, parsed with zod at those trust boundaries: a run's budget (in
 * the trigger body or the workflow definition) and the per-tenant daily budgets (a JSON env value).
 */
import { z } from "zod";
import { ON_BUDGET } from "./reserve-with-policy.js";

/** Largest USD limit accepted (ours: keeps micro-dollar sums far below 2^53; units.ts). */
export const MAX_BUDGET_USD = 1_000_000;

/** Largest token limit accepted (ours). */
export const MAX_BUDGET_TOKENS = 1_000_000_000_000;

/** Limits: `tokens` (integer, input + output) and `usd` (US dollars), each optional, each >= 0. */
export const budgetLimitsSchema = z.strictObject({
  tokens: z.number().int().min(0).max(MAX_BUDGET_TOKENS).optional(),
  usd: z.number().min(0).max(MAX_BUDGET_USD).optional(),
});

/**
 * A run's budget: limits plus `onBudget` (`"fail"`, default, or `"downgrade"`: retry the reservation one tier
 * down). Example: `{ "usd": 2.5, "tokens": 200000, "onBudget": "downgrade" }`.
 */
export const runBudgetSchema = budgetLimitsSchema.extend({
  onBudget: z.enum(ON_BUDGET).default("fail"),
});

/** A parsed run budget. */
export type RunBudget = z.output<typeof runBudgetSchema>;

/**
 * Daily budgets per tenant (UTC days): tenant -> limits; the key `"*"` applies to tenants not listed.
 * Example: `{ "acme": { "usd": 50 }, "*": { "usd": 5, "tokens": 2000000 } }`.
 */
export const tenantBudgetsSchema = z.record(
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^{}]+$/),
  budgetLimitsSchema,
);

/** Parsed per-tenant daily budgets. */
export type TenantBudgets = z.output<typeof tenantBudgetsSchema>;

/**
 * The daily limits of `tenant`: its own entry, else the `"*"` entry, else none (undefined).
 */
export function tenantDailyLimits(
  budgets: TenantBudgets,
  tenant: string,
): z.output<typeof budgetLimitsSchema> | undefined {
  return budgets[tenant] ?? budgets["*"];
}

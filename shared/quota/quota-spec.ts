/**
 * Per-tenant quotas as the operator writes them (`TENANT_QUOTAS`, a JSON env value), parsed with zod at that trust
 * boundary: how many runs a tenant may start per minute, how many may be live at once, how many nodes its runs may
 * have per UTC day, and which models or tiers its nodes may use.
 */
import { z } from "zod";
import { TIERS } from "../routing/tier.js";

/** Largest count limit accepted (ours: far below 2^53, and Redis counters are 64-bit). */
export const MAX_QUOTA_COUNT = 1_000_000_000;

const countSchema = z.number().int().min(0).max(MAX_QUOTA_COUNT);

/**
 * One tenant's quota; every field optional (absent = no limit):
 * - `runsPerMinute`: runs started per fixed minute window (UTC, aligned on the epoch minute);
 * - `concurrentRuns`: runs `running` at once;
 * - `nodesPerDay`: nodes of the runs started per UTC day (a run counts all its nodes when it starts);
 * - `allowedModels`: concrete model ids a node may name explicitly;
 * - `allowedTiers`: tiers (`fast|balanced|deep`) a node may run at, explicitly or by routing.
 * Example: `{ "runsPerMinute": 30, "concurrentRuns": 5, "nodesPerDay": 10000, "allowedTiers": ["fast", "balanced"] }`.
 */
export const tenantQuotaSchema = z.strictObject({
  runsPerMinute: countSchema.optional(),
  concurrentRuns: countSchema.optional(),
  nodesPerDay: countSchema.optional(),
  allowedModels: z.array(z.string().min(1).max(128)).max(1000).optional(),
  allowedTiers: z.array(z.enum(TIERS)).max(TIERS.length).optional(),
});

/** A parsed tenant quota. */
export type TenantQuota = z.output<typeof tenantQuotaSchema>;

/**
 * Quotas per tenant: tenant id -> quota; the key `"*"` applies to tenants not listed (a tenant listed with `{}` has
 * no limits). Tenant ids may not contain `{` or `}` (they become part of a Redis hash tag).
 * Example: `{ "acme": { "concurrentRuns": 20 }, "*": { "runsPerMinute": 10, "concurrentRuns": 2 } }`.
 */
export const tenantQuotasSchema = z.record(
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^{}]+$/),
  tenantQuotaSchema,
);

/** Parsed per-tenant quotas. */
export type TenantQuotas = z.output<typeof tenantQuotasSchema>;

/**
 * Parses `TENANT_QUOTAS` JSON text.
 * @throws Error naming the first offending path when the text is not JSON or does not match {@link tenantQuotasSchema}.
 */
export function parseTenantQuotas(text: string): TenantQuotas {
  const parsed = tenantQuotasSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid quota at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** The quota of `tenant`: its own entry, else the `"*"` entry, else none (undefined). */
export function tenantQuota(quotas: TenantQuotas, tenant: string): TenantQuota | undefined {
  return quotas[tenant] ?? quotas["*"];
}

/** Whether `q` limits what a start counts in Redis (rate, concurrency or nodes per day). */
export function hasCountedLimits(q: TenantQuota | undefined): q is TenantQuota {
  return (
    q !== undefined && (q.runsPerMinute !== undefined || q.concurrentRuns !== undefined || q.nodesPerDay !== undefined)
  );
}

/**
 * The quota check of a run start (shared/engine/start-run.ts): models and tiers first (no Redis), then the counted
 * quotas in one Lua script. A refusal is a {@link ProblemError} and changes nothing; without any quota configured
 * for the tenant no Redis command is sent.
 */
import { ProblemError, type ProblemSlug, problem } from "../errors/problem.js";
import type { TierMap } from "../routing/tier-map.js";
import type { WorkflowDefinition } from "../schema/workflow.js";
import { disallowedModelErrors } from "./model-allowance.js";
import { hasCountedLimits, type TenantQuotas, tenantQuota } from "./quota-spec.js";
import type { Admission, CountedQuota, QuotaStore, QuotaTicket } from "./quota-store.js";
import { simulatedNodeErrors } from "./simulated-switch.js";

/** Quotas as the engine holds them: per-tenant config (`TENANT_QUOTAS`) and the Redis counters. */
export interface QuotaConfig {
  tenants: TenantQuotas;
  store: QuotaStore;
}

/** Problem type of each counted quota (shared/errors/problem.ts). */
const SLUG: Record<CountedQuota, ProblemSlug> = {
  runsPerMinute: "quota-runs-per-minute",
  concurrentRuns: "quota-concurrent-runs",
  nodesPerDay: "quota-nodes-per-day",
};

/**
 * Checks a retry or rerun of `runId` (it makes a finished run live again) against `runsPerMinute` and
 * `concurrentRuns` of the tenant's quota; its nodes are not counted again in `nodesPerDay` (they were when the run
 * started). An entry the run still holds in the live set admits it without counting.
 * @returns what to release if the run does not run again after all (null when nothing was counted).
 * @throws ProblemError 429 `quota-runs-per-minute` or `quota-concurrent-runs` with `Retry-After`; UpstashError.
 */
export async function admitRestart(
  config: QuotaConfig | undefined,
  tenant: string,
  runId: string,
  now: number,
): Promise<QuotaTicket | null> {
  const quota = config ? tenantQuota(config.tenants, tenant) : undefined;
  if (!config || !quota) return null;
  const counted = { runsPerMinute: quota.runsPerMinute, concurrentRuns: quota.concurrentRuns };
  if (!hasCountedLimits(counted)) return null;
  const answer = await config.store.admit(tenant, counted, runId, 0, now);
  if (answer.ok) return answer.ticket;
  throw refusal(answer, 0);
}

/** What {@link admitStart} checks: the tenant, the run id, the workflow and where models are looked up. */
export interface StartQuotaRequest {
  tenant: string;
  runId: string;
  workflow: WorkflowDefinition;
  tierMap: TierMap;
  defaultProvider: string;
  /** ms since epoch. */
  now: number;
  /** Whether the `simulated` provider is on (the engine's providers hold it). */
  simulatedOn: boolean;
}

/**
 * Checks a start against the tenant's quota; on success returns what to release if the run is not created after
 * all (null when nothing was counted).
 * @throws ProblemError 403 `provider-disabled` naming every node that would call the `simulated` provider while it
 *   is off; 403 `quota-model-not-allowed` naming every node whose explicit model or tier is not allowed;
 *   429 `quota-runs-per-minute`, `quota-nodes-per-day` or `quota-concurrent-runs` with a `Retry-After` header
 *   (seconds). UpstashError when Redis fails (nothing counted).
 */
export async function admitStart(config: QuotaConfig | undefined, req: StartQuotaRequest): Promise<QuotaTicket | null> {
  if (!req.simulatedOn) {
    const errors = simulatedNodeErrors(req.workflow, req.tierMap, req.defaultProvider);
    if (errors.length > 0)
      throw new ProblemError(
        problem(
          "provider-disabled",
          `The simulated provider is off (ALLOW_SIMULATED_PROVIDER): ${errors.map((e) => e.node).join(", ")}`,
          {
            errors,
          },
        ),
      );
  }
  const quota = config ? tenantQuota(config.tenants, req.tenant) : undefined;
  if (!config || !quota) return null;
  const errors = disallowedModelErrors(req.workflow, quota, req.tierMap, req.defaultProvider);
  if (errors.length > 0) {
    const nodes = errors.map((e) => e.node).join(", ");
    throw new ProblemError(
      problem("quota-model-not-allowed", `Tenant quota allowedModels/allowedTiers refuses node(s) ${nodes}`, {
        errors,
      }),
    );
  }
  if (!hasCountedLimits(quota)) return null;
  const nodeCount = req.workflow.nodes.length;
  const answer = await config.store.admit(req.tenant, quota, req.runId, nodeCount, req.now);
  if (answer.ok) return answer.ticket;
  throw refusal(answer, nodeCount);
}

/** The 429 problem of a refused admission, naming the quota, with its `Retry-After` (seconds). */
function refusal(answer: Extract<Admission, { ok: false }>, nodeCount: number): ProblemError {
  const why =
    answer.quota === "nodesPerDay"
      ? `this run's ${nodeCount} node(s) would exceed the tenant quota nodesPerDay (${answer.limit} per UTC day)${
          nodeCount > answer.limit ? "; the run is larger than the whole daily quota" : ""
        }`
      : answer.quota === "runsPerMinute"
        ? `tenant quota runsPerMinute (${answer.limit}) reached for this minute`
        : `tenant quota concurrentRuns (${answer.limit}) reached: wait for a run to finish`;
  return new ProblemError(
    problem(SLUG[answer.quota], `Run not started: ${why}`, {
      errors: [{ pointer: "", detail: `quota ${answer.quota}` }],
    }),
    { headers: { "Retry-After": String(answer.retryAfterSeconds) } },
  );
}

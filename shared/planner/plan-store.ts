/**
 * Plans in Redis: one JSON string per plan under `<prefix>:{plan:<tenant>}:<planId>`, expiring after
 * PLAN_TTL_SECONDS. The tenant is part of the key, so another tenant's id finds nothing.
 */
import type { Redis } from "@upstash/redis";
import { PLAN_ID_RE, PLAN_TTL_SECONDS, type Plan } from "./plan.js";

/** The slice of the Upstash Redis client the store uses (created with `automaticDeserialization: false`). */
export type PlanRedis = Pick<Redis, "get" | "set">;

/** The key of a tenant's plan. */
export function planKey(prefix: string, tenant: string, planId: string): string {
  return `${prefix}:{plan:${tenant}}:${planId}`;
}

/** Per-tenant plan store (see the module header). */
export class PlanStore {
  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    private readonly redis: PlanRedis,
    private readonly prefix: string,
  ) {}

  /** Stores `plan` for PLAN_TTL_SECONDS. @throws UpstashError when Redis fails. */
  async put(plan: Plan): Promise<void> {
    await this.redis.set(planKey(this.prefix, plan.tenant, plan.id), JSON.stringify(plan), { ex: PLAN_TTL_SECONDS });
  }

  /** The tenant's plan, or null when the id is malformed, unknown, expired or another tenant's. */
  async get(tenant: string, planId: string): Promise<Plan | null> {
    if (!PLAN_ID_RE.test(planId)) return null;
    const text = await this.redis.get<string>(planKey(this.prefix, tenant, planId));
    return typeof text === "string" ? (JSON.parse(text) as Plan) : null;
  }
}

import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { CRON_TENANT, cronIdempotencyKey, handleScheduled, SWEEPER_CRON } from "../../functions/scheduled.js";
import { runIdFor } from "../../shared/engine/start-run.js";
import { testRedis } from "./helpers.js";

const ACTIVE = `${env.KEY_PREFIX}:active`;
/** A run id the active index holds but Redis has no run for (it expired): the sweeper drops it when it looks. */
const GONE = `run_${"e".repeat(26)}`;

describe("scheduled handler: sweeper and cron workflows", () => {
  it("runs the sweeper on its cron only", async () => {
    const redis = testRedis();
    await redis.zadd(ACTIVE, { score: 1, member: GONE });
    await handleScheduled({ cron: "0 0 1 1 *", scheduledTime: Date.now() }, env);
    expect(await redis.zscore(ACTIVE, GONE)).not.toBeNull();
    await handleScheduled({ cron: SWEEPER_CRON, scheduledTime: Date.now() }, env);
    expect(await redis.zscore(ACTIVE, GONE)).toBeNull();
  });

  it("a workflow that cannot start stops neither the others nor the sweeper", async () => {
    const redis = testRedis();
    await redis.zadd(ACTIVE, { score: 1, member: GONE });
    const scheduledTime = Date.UTC(2026, 10, 22, 6, 0);
    const input = { repo: "cron", tree: "", files: "", omitted: "" };
    const broken = {
      ...env,
      CRON_WORKFLOWS: JSON.stringify([
        { cron: SWEEPER_CRON, workflow: "no-such-workflow" },
        { cron: SWEEPER_CRON, workflow: "review-all", input },
      ]),
    };
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await handleScheduled({ cron: SWEEPER_CRON, scheduledTime }, broken);
    expect(errors.mock.calls.map((c) => String(c[1]))).toEqual([expect.stringMatching(/no-such-workflow/)]);
    errors.mockRestore();
    expect(await redis.zscore(ACTIVE, GONE)).toBeNull();
    const started = await runIdFor(
      CRON_TENANT,
      cronIdempotencyKey(SWEEPER_CRON, scheduledTime, "review-all"),
      "scheduled",
    );
    expect(await redis.hget(`${env.KEY_PREFIX}:{run:${started}}:meta`, "status")).toBe("running");
  });
});

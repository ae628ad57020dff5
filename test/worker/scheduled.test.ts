import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../functions/index.js";
import { CRON_TENANT, cronIdempotencyKey, runScheduled } from "../../functions/scheduled.js";
import { runIdFor } from "../../shared/engine/start-run.js";

async function getRun(runId: string) {
  const res = await SELF.fetch(`http://agent-dag.test/v1/runs/${runId}`, {
    headers: { authorization: "Bearer cron-key" },
  });
  return {
    status: res.status,
    body: (await res.json()) as { trigger: string; workflow: string; totals: { nodes: number } },
  };
}

describe("cron triggers", () => {
  it("starts the workflows CRON_WORKFLOWS maps to the cron that fired, once per firing", async () => {
    const firing = { cron: "*/5 * * * *", scheduledTime: Date.UTC(2026, 10, 20, 6, 0) };
    const first = await runScheduled(firing, env);
    const again = await runScheduled(firing, env);
    expect(first).toHaveLength(1);
    expect(again).toEqual(first);
    const run = await getRun(first[0] as string);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ workflow: "review-all", trigger: "cron:*/5 * * * *", totals: { nodes: 7 } });
    const next = await runScheduled({ ...firing, scheduledTime: firing.scheduledTime + 300_000 }, env);
    expect(next[0]).not.toBe(first[0]);
  });

  it("starts nothing for a cron with no workflows", async () => {
    expect(await runScheduled({ cron: "0 0 1 1 *", scheduledTime: Date.now() }, env)).toEqual([]);
  });

  it("is wired to the worker's scheduled handler", async () => {
    const scheduledTime = Date.UTC(2026, 10, 21, 6, 0);
    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime }), env, ctx);
    await waitOnExecutionContext(ctx);
    // the run id of a firing is derived from (cron, time, workflow): it must exist without calling runScheduled
    const runId = await runIdFor(
      CRON_TENANT,
      cronIdempotencyKey("*/5 * * * *", scheduledTime, "review-all"),
      "scheduled",
    );
    const run = await getRun(runId);
    expect(run.status).toBe(200);
    expect(run.body.trigger).toBe("cron:*/5 * * * *");
  });
});

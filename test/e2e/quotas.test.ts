import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { RunClientError } from "../../shared/client/run-client-error.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

const nodesOf = (v: RunViewBody) => v.levels.flatMap((l) => l.nodes);

describe("quotas through the full stack (DoS, overspend)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      vars: { TENANT_QUOTAS: JSON.stringify({ "*": { concurrentRuns: 1, allowedTiers: ["fast", "balanced"] } }) },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("DoS: the concurrent-run count returns to the limit when runs finish, run after run", async () => {
    for (let round = 0; round < 3; round++) {
      const slow = workflow([node("a", [], { simulate: { latencyMs: 1000 } })]);
      const { runId } = await h.client.start({ workflow: slow, input: { round } });
      const second = await h.client.start({ workflow: workflow([node("b")]), input: { round } }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(second).toBeInstanceOf(RunClientError);
      expect((second as RunClientError).status).toBe(429);
      expect((second as RunClientError).problem.type).toBe("https://agent-dag.dev/problems/quota-concurrent-runs");
      expect((await h.waitForRun(runId)).status).toBe("completed");
    }
    // after the last run finished the slot is free again
    const { runId } = await h.client.start({ workflow: workflow([node("c")]) });
    expect((await h.waitForRun(runId)).status).toBe("completed");
  });

  it("overspend: an automatically routed node stays inside allowedTiers", async () => {
    // the rules send this prompt to deep (docs/routing.md); the quota allows fast and balanced only
    const wf = workflow(
      [node("audit", [], { prompt: "Audit the security architecture and design trade-offs of this system." })],
      { agents: { a: { system: "You are careful." } } },
    );
    const v = await h.waitForRun((await h.client.start({ workflow: wf })).runId);
    expect(v.status).toBe("completed");
    const audit = nodesOf(v)[0];
    expect(audit?.route?.tier).toBe("balanced");
    expect(audit?.model).toBe("sim-balanced");
    expect(audit?.route?.reason).toMatch(/quota allows fast, balanced/);
  });
});

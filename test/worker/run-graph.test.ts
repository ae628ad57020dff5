import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunGraph } from "../../shared/client/run-api.js";
import { node, workflow } from "../support/workflows.js";
import { postRun } from "./helpers.js";

function graph(runId: string, key = "dev-key"): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test/v1/runs/${runId}/graph`, { headers: { authorization: `Bearer ${key}` } });
}

describe("GET /v1/runs/:id/graph", () => {
  it("answers the run's DAG in topological order with levels, agents and dependencies, privately cacheable", async () => {
    const wf = workflow([node("c", ["a", "b"]), node("a"), node("b", ["a", "a"])], { name: "graph-shape" });
    const started = await postRun({ workflow: wf });
    const { runId } = (await started.json()) as { runId: string };
    const res = await graph(runId);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toMatch(/^private, max-age=\d+$/);
    expect((await res.json()) as RunGraph).toEqual({
      runId,
      workflow: "graph-shape",
      nodes: [
        { id: "a", agent: "a", level: 1, dependsOn: [] },
        { id: "b", agent: "a", level: 2, dependsOn: ["a"] },
        { id: "c", agent: "a", level: 3, dependsOn: ["a", "b"] },
      ],
      edgeCount: 3,
    });
  });

  it("answers 404 for another tenant's run, an unknown run and a malformed id, and 401 without a key", async () => {
    const { runId } = (await (await postRun({ workflow: workflow([node("only")]) })).json()) as { runId: string };
    expect((await graph(runId, "acme-key")).status).toBe(404);
    expect((await graph("run_00000000000000000000000000")).status).toBe(404);
    expect((await graph("nope")).status).toBe(404);
    expect((await SELF.fetch(`http://agent-dag.test/v1/runs/${runId}/graph`)).status).toBe(401);
  });
});

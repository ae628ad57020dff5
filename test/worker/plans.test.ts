import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SIMULATED_BANNER } from "../../shared/providers/simulated.js";
import type { Problem } from "../support/workflows.js";
import { keysUnderPrefix, postRun } from "./helpers.js";

/** A request to the worker with tenant `dev` (or the key given). */
function call(method: string, path: string, body?: unknown, key = "dev-key"): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

interface PlanBody {
  id: string;
  simulated: boolean;
  reason: string;
  source: { kind: string; name?: string; agents?: string[] };
  workflow: { nodes: { id: string; agent: string }[] };
  preview: {
    nodes: { id: string; tier: string | null; reason: string; worstCase: { tokens: number; usd: number | null } }[];
    levels: string[][];
    criticalPath: string[];
    worstCase: { tokens: number; usd: number | null };
    fits: boolean;
  };
}

const planKeys = async () => (await keysUnderPrefix()).filter((k) => k.includes("{plan:"));

describe("POST /v1/plans", () => {
  it("an empty or missing task is 422 naming /task, and nothing is stored", async () => {
    const before = await planKeys();
    for (const body of [{ task: "" }, { task: "   " }, {}]) {
      const res = await call("POST", "/v1/plans", body);
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const p = (await res.json()) as Problem;
      expect(p.type).toContain("invalid-request");
      expect(p.errors?.map((e) => e.pointer)).toContain("/task");
    }
    const extra = await call("POST", "/v1/plans", { task: "x", nodes: [] });
    expect(extra.status).toBe(422);
    expect(await planKeys()).toEqual(before);
  });

  it("a task whose words fit a bundled workflow's description proposes it (simulated, deterministic)", async () => {
    const task = "review this repository for security and performance";
    const res = await call("POST", "/v1/plans", { task, budget: { usd: 1 } });
    expect(res.status).toBe(201);
    const plan = (await res.json()) as PlanBody;
    expect(plan.id).toMatch(/^plan_[0-9a-f]{26}$/);
    expect(res.headers.get("location")).toBe(`/v1/plans/${plan.id}`);
    expect(plan.simulated).toBe(true);
    expect(plan.reason).toContain(SIMULATED_BANNER);
    expect(plan.source).toMatchObject({ kind: "workflow", name: "review-all" });
    expect(plan.preview.nodes).toHaveLength(7);
    expect(plan.preview.levels.map((l) => l.length)).toEqual([1, 5, 1]);
    expect(plan.preview.criticalPath).toHaveLength(3);
    // the simulated models cost nothing: the worst case fits any USD budget, but has tokens
    expect(plan.preview.worstCase.tokens).toBeGreaterThan(0);
    expect(plan.preview.fits).toBe(true);
    const again = (await (await call("POST", "/v1/plans", { task })).json()) as PlanBody;
    expect(again.id).not.toBe(plan.id);
    expect(again.workflow).toEqual(plan.workflow);
  });

  it("otherwise plans a DAG over registered agents chosen by capability, and runs it with trigger plan:<id>", async () => {
    const agent = `log-sleuth-${crypto.randomUUID().slice(0, 6)}`;
    const put = await call("PUT", `/v1/agents/${agent}`, {
      description: "Reads server logs and finds the errors behind an incident.",
      capabilities: ["logs", "incident"],
      system: "You read logs.",
    });
    expect(put.status).toBe(201);
    const res = await call("POST", "/v1/plans", { task: "find the incident in these logs and summarize it" });
    expect(res.status).toBe(201);
    const plan = (await res.json()) as PlanBody;
    expect(plan.source.kind).toBe("decomposed");
    const agents = plan.workflow.nodes.map((n) => n.agent);
    expect(agents).toContain(agent);
    expect(agents).toContain("summarizer");
    for (const n of plan.preview.nodes) expect(n.tier).not.toBeNull();
    expect(plan.preview.worstCase.tokens).toBe(plan.preview.nodes.reduce((a, n) => a + n.worstCase.tokens, 0));

    // another tenant cannot read or run it
    expect((await call("GET", `/v1/plans/${plan.id}`, undefined, "acme-key")).status).toBe(404);
    const foreign = await postRun({ plan: plan.id }, { authorization: "Bearer acme-key" });
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as Problem).errors?.[0]?.pointer).toBe("/plan");

    const started = await postRun({ plan: plan.id });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const view = (await (await call("GET", `/v1/runs/${runId}`)).json()) as { totals: { nodes: number } };
    expect(view.totals.nodes).toBe(plan.workflow.nodes.length);
  });

  it("POST /v1/runs takes exactly one of workflow and plan", async () => {
    const both = await postRun({ workflow: "hello", plan: `plan_${"0".repeat(26)}` });
    expect(both.status).toBe(422);
    expect(((await both.json()) as Problem).errors?.map((e) => e.pointer)).toContain("/plan");
    const none = await postRun({ input: {} });
    expect(none.status).toBe(422);
    expect(((await none.json()) as Problem).errors?.map((e) => e.pointer)).toContain("/workflow");
    const unknown = await postRun({ plan: `plan_${"0".repeat(26)}` });
    expect(unknown.status).toBe(404);
  });
});

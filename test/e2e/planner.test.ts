import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";
import type { PlanBody } from "../../local/plan-lines.js";
import type { PlanAnswer } from "../../shared/planner/plan-answer.js";
import { fakeAnthropicVars } from "../support/fake-anthropic-vars.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

/** A request to the worker with the dev key. */
async function call(h: Harness, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: "Bearer dev-key", "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const registered = {
  "log-reader": {
    description: "Reads server logs and extracts the errors.",
    capabilities: ["logs"],
    maxOutputTokens: 300,
  },
  "root-causer": {
    description: "Finds the root cause of an incident.",
    capabilities: ["incident"],
    maxOutputTokens: 400,
  },
  "report-writer": { description: "Writes the incident report.", capabilities: ["report"], maxOutputTokens: 500 },
};

/** The plan the fake model answers: a DAG over the registered agents, reading the input and upstream outputs. */
const answer: PlanAnswer = {
  reason: "logs first, then the cause, then the report",
  nodes: [
    { id: "read", agent: "log-reader", prompt: "Extract the errors from {{input.logs}}", dependsOn: [] },
    { id: "cause", agent: "root-causer", prompt: "Find the cause in {{nodes.read.output}}", dependsOn: ["read"] },
    {
      id: "report",
      agent: "report-writer",
      prompt: "Report on {{nodes.read.output}} and {{nodes.cause.output}} for {{input.service}}",
      dependsOn: ["read", "cause"],
    },
  ],
};

describe("planner through the full stack (fake Anthropic)", () => {
  let h: Harness;
  let fake: FakeProviderServer;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    h = await startHarness({ vars: fakeAnthropicVars(fake.baseUrl) });
    for (const [name, profile] of Object.entries(registered)) {
      expect((await call(h, "PUT", `/v1/agents/${name}`, { ...profile, system: `You are ${name}.` })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it("plans on the fast tier, runs the plan unchanged, and the run costs no more than the preview's worst case", async () => {
    fake.reset();
    fake.setBehaviour({ reply: JSON.stringify(answer) });
    const input = { logs: "ERROR db timeout\n".repeat(40), service: "checkout" };
    const res = await call(h, "POST", "/v1/plans", { task: "find why checkout failed from its logs", input });
    expect(res.status).toBe(201);
    const plan = (await res.json()) as PlanBody;
    expect(plan.simulated).toBe(false);
    expect(plan.source).toEqual({ kind: "decomposed", agents: ["log-reader", "report-writer", "root-causer"] });
    expect(plan.planner.calls).toHaveLength(1);
    expect(plan.planner.calls[0]).toMatchObject({ provider: "anthropic", model: "claude-haiku-4-5", tier: "fast" });
    expect(plan.planner.costUsd).toBeGreaterThan(0);
    expect(fake.calls()).toHaveLength(1);
    const worst = plan.preview.worstCase;
    expect(worst.usd).not.toBeNull();

    // every answer now fills its output limit, so every downstream prompt is as large as it can be
    fake.reset();
    fake.setBehaviour({ reply: "lorem ipsum ".repeat(10_000) });
    const started = await h.client.start({ plan: plan.id });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    expect(view.trigger).toBe(`plan:${plan.id}`);
    const agents = view.levels.flatMap((l) => l.nodes.map((n) => n.agent));
    expect(agents.sort()).toEqual(Object.keys(registered).sort());
    expect(view.totals.outputTokens).toBe(300 + 400 + 500);
    expect(view.totals.inputTokens + view.totals.outputTokens).toBeLessThanOrEqual(worst.tokens);
    expect(view.totals.costUsd).toBeGreaterThan(0);
    expect(view.totals.costUsd).toBeLessThanOrEqual(worst.usd as number);
  });

  it("an answer naming an unregistered agent is retried once with the error, then 502 naming /nodes/<i>/agent", async () => {
    fake.reset();
    const wrong: PlanAnswer = { ...answer, nodes: [{ ...answer.nodes[0]!, agent: "ghost-agent" }] };
    fake.setBehaviour({ reply: JSON.stringify(wrong) });
    const res = await call(h, "POST", "/v1/plans", { task: "find why checkout failed" });
    expect(res.status).toBe(502);
    const p = (await res.json()) as { type: string; errors?: { pointer: string; detail: string }[] };
    expect(p.type).toContain("planner-failed");
    expect(p.errors?.[0]).toMatchObject({ pointer: "/nodes/0/agent" });
    expect(p.errors?.[0]?.detail).toContain("ghost-agent");
    const calls = fake.calls();
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls[1]?.body)).toContain("ghost-agent");
  });
});

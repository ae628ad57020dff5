import { describe, expect, it } from "vitest";
import { resolveNodeSettings } from "../../../shared/schema/node-settings.js";
import { DEFAULT_AGENT_NAME, workflowDefinitionSchema } from "../../../shared/schema/workflow.js";

const minimal = {
  name: "review-all",
  agents: { reviewer: { system: "You review.", model: "sim-balanced", maxOutputTokens: 512 } },
  nodes: [{ id: "a", agent: "reviewer", prompt: "Review {{input.repo}}" }],
};

describe("workflowDefinitionSchema", () => {
  it("fills the contract defaults", () => {
    const wf = workflowDefinitionSchema.parse(minimal);
    expect(wf.concurrency).toBe(5);
    // absent: the engine's default applies (chain-policy.ts), and a stored definition stays as written
    expect(wf.nodesPerDelivery).toBeUndefined();
    expect(wf.defaults).toEqual({ retries: 3, timeout: "120s" });
    expect(wf.nodes[0]).toMatchObject({ kind: "llm", dependsOn: [] });
  });

  it("parses its own output again to the same value", () => {
    const wf = workflowDefinitionSchema.parse(minimal);
    expect(workflowDefinitionSchema.parse(JSON.parse(JSON.stringify(wf)))).toEqual(wf);
  });

  it("accepts dotted and dashed node ids", () => {
    const wf = { ...minimal, nodes: [{ id: "NFCORE_X.Y-z_1", agent: "reviewer", prompt: "p" }] };
    expect(workflowDefinitionSchema.safeParse(wf).success).toBe(true);
  });

  it.each([
    ["bad name", { ...minimal, name: "Review All" }, ["name"]],
    ["concurrency 0", { ...minimal, concurrency: 0 }, ["concurrency"]],
    ["concurrency 1001", { ...minimal, concurrency: 1001 }, ["concurrency"]],
    ["nodesPerDelivery 0", { ...minimal, nodesPerDelivery: 0 }, ["nodesPerDelivery"]],
    ["nodesPerDelivery 65", { ...minimal, nodesPerDelivery: 65 }, ["nodesPerDelivery"]],
    ["nodesPerDelivery 2.5", { ...minimal, nodesPerDelivery: 2.5 }, ["nodesPerDelivery"]],
    ["bad agent name", { ...minimal, agents: { "bad name": {} } }, ["agents", "bad name"]],
    ["temperature 3", { ...minimal, agents: { reviewer: { temperature: 3 } } }, ["agents", "reviewer", "temperature"]],
    ["unknown top-level key", { ...minimal, extra: 1 }, []],
    ["retries 11", { ...minimal, nodes: [{ ...minimal.nodes[0], retries: 11 }] }, ["nodes", 0, "retries"]],
    ["timeout 3h", { ...minimal, nodes: [{ ...minimal.nodes[0], timeout: "3h" }] }, ["nodes", 0, "timeout"]],
    ["defaults.timeout bad", { ...minimal, defaults: { timeout: "soon" } }, ["defaults", "timeout"]],
    ["id starting with dash", { ...minimal, nodes: [{ ...minimal.nodes[0], id: "-a" }] }, ["nodes", 0, "id"]],
    ["id of 129 chars", { ...minimal, nodes: [{ ...minimal.nodes[0], id: "a".repeat(129) }] }, ["nodes", 0, "id"]],
    ["empty prompt", { ...minimal, nodes: [{ ...minimal.nodes[0], prompt: "" }] }, ["nodes", 0, "prompt"]],
    [
      "negative latency",
      { ...minimal, nodes: [{ ...minimal.nodes[0], simulate: { latencyMs: -1 } }] },
      ["nodes", 0, "simulate", "latencyMs"],
    ],
    ["kind other", { ...minimal, nodes: [{ ...minimal.nodes[0], kind: "shell" }] }, ["nodes", 0, "kind"]],
  ])("rejects %s", (_name, input, path) => {
    const r = workflowDefinitionSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toContainEqual(path);
  });

  it('asks a kind "workflow" node for its workflow, and gives one without a prompt its description', () => {
    const r = workflowDefinitionSchema.safeParse({ ...minimal, nodes: [{ ...minimal.nodes[0], kind: "workflow" }] });
    expect(r.error?.issues[0]?.message).toBe('a workflow node needs "workflow": { "name": … }');
    const ok = workflowDefinitionSchema.parse({
      ...minimal,
      nodes: [{ id: "sub", kind: "workflow", workflow: { name: "hello", version: 2, input: "{{input.x}}" } }],
    });
    expect(ok.nodes[0]).toMatchObject({
      prompt: "workflow hello@2",
      workflow: { name: "hello", input: "{{input.x}}" },
    });
    expect(workflowDefinitionSchema.parse(ok).nodes[0]).toEqual(ok.nodes[0]);
  });

  it("does not turn a __proto__ agent into a real agent", () => {
    const r = workflowDefinitionSchema.safeParse(
      JSON.parse(
        '{"name":"x","agents":{"__proto__":{"model":"m"}},"nodes":[{"id":"a","agent":"__proto__","prompt":"p"}]}',
      ),
    );
    expect(r.success && Object.hasOwn(r.data.agents, "__proto__")).toBe(false);
  });

  it("needs neither agents nor a node agent: nodes default to the assistant profile", () => {
    const wf = workflowDefinitionSchema.parse({ name: "hello", nodes: [{ id: "a", prompt: "Say hi." }] });
    expect(DEFAULT_AGENT_NAME).toBe("assistant");
    expect(wf.agents).toEqual({});
    expect(wf.nodes[0]!.agent).toBe(DEFAULT_AGENT_NAME);
    expect(workflowDefinitionSchema.parse({ ...minimal, nodes: [{ id: "a", prompt: "p" }] }).nodes[0]!.agent).toBe(
      "assistant",
    );
  });

  it("accepts and keeps a $schema string, and nothing else in its place", () => {
    const wf = workflowDefinitionSchema.parse({ ...minimal, $schema: "./workflow.schema.json" });
    expect(wf.$schema).toBe("./workflow.schema.json");
    expect(workflowDefinitionSchema.safeParse({ ...minimal, $schema: 1 }).success).toBe(false);
    expect(workflowDefinitionSchema.safeParse({ ...minimal, $schemas: "x" }).success).toBe(false);
  });
});

describe("resolveNodeSettings", () => {
  it("uses workflow defaults and the agent's output limit", () => {
    const wf = workflowDefinitionSchema.parse(minimal);
    expect(resolveNodeSettings(wf, wf.nodes[0]!)).toEqual({ retries: 3, timeoutMs: 120_000, maxOutputTokens: 512 });
  });

  it("prefers node values over defaults and agent values", () => {
    const wf = workflowDefinitionSchema.parse({
      ...minimal,
      defaults: { retries: 1, timeout: 60 },
      nodes: [
        { ...minimal.nodes[0], retries: 0, timeout: "5m", maxOutputTokens: 64 },
        { id: "b", agent: "reviewer", prompt: "p" },
      ],
    });
    expect(resolveNodeSettings(wf, wf.nodes[0]!)).toEqual({ retries: 0, timeoutMs: 300_000, maxOutputTokens: 64 });
    expect(resolveNodeSettings(wf, wf.nodes[1]!)).toEqual({ retries: 1, timeoutMs: 60_000, maxOutputTokens: 512 });
  });
});

import { describe, expect, it } from "vitest";
import { MAX_REPORTED_ERRORS, validateWorkflow } from "../../../shared/dag/validate.js";
import type { ProblemDetails } from "../../../shared/errors/problem.js";

type RawNode = { id: string; agent?: string; prompt?: string; dependsOn?: string[]; [k: string]: unknown };

function wf(nodes: RawNode[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "review-all",
    agents: { analyzer: { model: "sim-balanced" }, reviewer: { system: "Review." } },
    nodes: nodes.map((n) => ({ agent: "analyzer", prompt: "Do it", ...n })),
    ...extra,
  };
}

function problemOf(raw: unknown, base?: string): ProblemDetails {
  const r = validateWorkflow(raw, base);
  if (r.ok) throw new Error("expected validation to fail");
  return r.problem;
}

describe("validateWorkflow accepts valid definitions", () => {
  it("returns the parsed workflow and its compiled DAG", () => {
    const r = validateWorkflow(
      wf([
        { id: "codebase-analyzer", prompt: "Analyse {{input.repo}}", simulate: { latencyMs: 1000 } },
        {
          id: "sec.review",
          agent: "reviewer",
          dependsOn: ["codebase-analyzer"],
          prompt: "{{nodes.codebase-analyzer.output}}",
          simulate: { latencyMs: 2000 },
        },
        {
          id: "summary",
          dependsOn: ["sec.review", "sec.review"],
          prompt: "{{nodes.codebase-analyzer.output}} {{nodes.sec.review.output}}",
        },
      ]),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.workflow.concurrency).toBe(5);
    expect(r.dag.levels).toEqual([["codebase-analyzer"], ["sec.review"], ["summary"]]);
    expect(r.dag.pendingCounts.summary).toBe(1);
    // weights come from simulate.latencyMs (1 ms when absent)
    expect(r.dag.criticalPath.weightMs).toBe(3001);
  });
});

describe("validateWorkflow rejections", () => {
  it.each<[string, unknown, string, string | undefined, RegExp]>([
    ["empty workflow", wf([]), "/nodes", undefined, /at least one node/],
    [
      "more than 1000 nodes",
      wf(Array.from({ length: 1001 }, (_, i) => ({ id: `n${i}` }))),
      "/nodes",
      undefined,
      /at most 1000 nodes/,
    ],
    ["duplicate id", wf([{ id: "a" }, { id: "b" }, { id: "a" }]), "/nodes/2/id", "a", /duplicate node id "a"/],
    [
      "unknown dependency",
      wf([{ id: "a" }, { id: "b", dependsOn: ["a", "ghost"] }]),
      "/nodes/1/dependsOn/1",
      "b",
      /unknown node "ghost"/,
    ],
    ["self dependency", wf([{ id: "a", dependsOn: ["a"] }]), "/nodes/0/dependsOn/0", "a", /depends on itself/],
    [
      "cycle",
      wf([
        { id: "a", dependsOn: ["b"] },
        { id: "b", dependsOn: ["c"] },
        { id: "c", dependsOn: ["a"] },
      ]),
      "/nodes/0/dependsOn/0",
      "a",
      /a -> b -> c -> a/,
    ],
    ["unknown agent", wf([{ id: "a", agent: "ghost" }]), "/nodes/0/agent", "a", /unknown agent "ghost"/],
    [
      'kind "workflow" without its workflow',
      wf([{ id: "x", kind: "workflow" }]),
      "/nodes/0/workflow",
      "x",
      /needs "workflow"/,
    ],
    [
      "workflow input reads unknown node",
      wf([{ id: "x", kind: "workflow", workflow: { name: "hello", input: { k: "{{nodes.ghost.output}}" } } }]),
      "/nodes/0/workflow/input/k",
      "x",
      /no node "ghost"/,
    ],
    [
      "template reads unknown node",
      wf([{ id: "a", prompt: "{{nodes.ghost.output}}" }]),
      "/nodes/0/prompt",
      "a",
      /no node "ghost"/,
    ],
    [
      "template reads a non-ancestor",
      wf([{ id: "a" }, { id: "b" }, { id: "c", dependsOn: ["a"], prompt: "{{ nodes.b.output }}" }]),
      "/nodes/2/prompt",
      "c",
      /"b" is not an ancestor of "c"/,
    ],
    [
      "template reads a descendant",
      wf([
        { id: "a", prompt: "{{nodes.b.output}}" },
        { id: "b", dependsOn: ["a"] },
      ]),
      "/nodes/0/prompt",
      "a",
      /"b" is not an ancestor of "a"/,
    ],
    [
      "template reads itself",
      wf([{ id: "a", prompt: "{{nodes.a.output}}" }]),
      "/nodes/0/prompt",
      "a",
      /its own output/,
    ],
    [
      "malformed template",
      wf([{ id: "a", prompt: "{{nodes.a.outptu}}" }]),
      "/nodes/0/prompt",
      "a",
      /invalid node reference/,
    ],
    ["bad node id", wf([{ id: "has space" }]), "/nodes/0/id", "has space", /node id must match/],
    [
      "unknown node key",
      wf([{ id: "a", dependson: ["b"] }]),
      "/nodes/0/dependson",
      "a",
      /Unrecognized key "dependson"/,
    ],
    ["not an object", "nope", "", undefined, /expected object/],
    [
      "no agents",
      { name: "x", nodes: [{ id: "a", agent: "a", prompt: "p" }] },
      "/nodes/0/agent",
      "a",
      /unknown agent "a" \(defined: none\)/,
    ],
    [
      "no agent and no default agent defined",
      { name: "x", agents: { other: {} }, nodes: [{ id: "a", prompt: "p" }] },
      "/nodes/0/agent",
      "a",
      /default agent "assistant", which is not defined \(defined: "other"\)/,
    ],
  ])("%s", (_name, raw, pointer, node, detail) => {
    const p = problemOf(raw);
    expect(p.status).toBe(422);
    expect(p.type).toBe("https://agent-dag.dev/problems/invalid-workflow");
    expect(p.title).toBe("Invalid workflow");
    const match = p.errors?.find((e) => e.pointer === pointer && detail.test(e.detail));
    expect(match, JSON.stringify(p.errors)).toBeDefined();
    expect(match!.node).toBe(node);
    expect(p.detail).toMatch(detail);
  });

  it("prefixes the base pointer", () => {
    const p = problemOf(wf([{ id: "a", dependsOn: ["zz"] }]), "/workflow");
    expect(p.errors).toEqual([
      { pointer: "/workflow/nodes/0/dependsOn/0", node: "a", detail: expect.stringContaining("zz") },
    ]);
    const q = problemOf(wf([{ id: "a", retries: 99 }]), "/workflow");
    expect(q.errors?.[0]).toMatchObject({ pointer: "/workflow/nodes/0/retries", node: "a" });
  });

  it("collects every graph, agent and template problem at once", () => {
    const p = problemOf(
      wf([
        { id: "a", dependsOn: ["b"] },
        { id: "b", dependsOn: ["a"] },
        { id: "c", agent: "ghost", dependsOn: ["zz"] },
        { id: "c" },
        { id: "d", prompt: "{{nodes.nope.output}}" },
      ]),
    );
    expect(p.errors?.map((e) => [e.pointer, e.node])).toEqual([
      ["/nodes/3/id", "c"],
      ["/nodes/2/dependsOn/0", "c"],
      ["/nodes/0/dependsOn/0", "a"],
      ["/nodes/2/agent", "c"],
      ["/nodes/4/prompt", "d"],
    ]);
    expect(p.errors?.[2]?.detail).toContain("a -> b -> a");
    expect(p.detail).toMatch(/and 4 more problems/);
  });

  it("collects every schema problem at once", () => {
    const p = problemOf({
      name: "Bad Name",
      agents: { a: {} },
      nodes: [
        { id: "x", agent: "a" },
        { id: 7, agent: "a", prompt: "p" },
      ],
    });
    expect(p.errors?.map((e) => e.pointer).sort()).toEqual(["/name", "/nodes/0/prompt", "/nodes/1/id"]);
    expect(p.errors?.find((e) => e.pointer === "/nodes/0/prompt")?.node).toBe("x");
    expect(p.errors?.find((e) => e.pointer === "/nodes/1/id")?.node).toBeUndefined();
  });

  it("caps the listed errors but counts them all", () => {
    const nodes = Array.from({ length: 150 }, (_, i) => ({ id: `n${i}`, dependsOn: ["ghost"] }));
    const p = problemOf(wf(nodes));
    expect(p.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(p.detail).toMatch(/and 149 more problems/);
  });

  it.each([null, undefined, 42, [], { nodes: "x" }, JSON.parse('{"__proto__":{"name":"x"}}')])(
    "never throws on %j",
    (raw) => {
      const r = validateWorkflow(raw);
      expect(r.ok).toBe(false);
    },
  );
});

describe("validateWorkflow reports schema and graph problems together", () => {
  it("lists the graph problems of the node list beside a bad field on one node", () => {
    const p = problemOf(
      wf([
        { id: "a", dependsOn: ["ghost"] },
        { id: "b", dependsOn: ["c"] },
        { id: "c", dependsOn: ["b"], retries: 99 },
        { id: "a" },
      ]),
      "/workflow",
    );
    expect(p.errors?.map((e) => [e.pointer, e.node])).toEqual([
      ["/workflow/nodes/2/retries", "c"],
      ["/workflow/nodes/3/id", "a"],
      ["/workflow/nodes/0/dependsOn/0", "a"],
      ["/workflow/nodes/1/dependsOn/0", "b"],
    ]);
    const details = p.errors?.map((e) => e.detail).join("\n");
    expect(details).toMatch(/duplicate node id "a" \(also used by node 0\)/);
    expect(details).toMatch(/unknown node "ghost"/);
    expect(details).toContain("b -> c -> b");
    expect(p.detail).toMatch(/and 3 more problems/);
  });

  it("points at raw positions when some entries cannot be read", () => {
    const p = problemOf({
      name: "x",
      agents: { a: {} },
      nodes: [
        { id: 7, agent: "a", prompt: "p" },
        { id: "a", agent: "a", prompt: "p", dependsOn: [5, "b"] },
        { id: "b", agent: "a", prompt: "p", dependsOn: ["a"] },
        { id: "b", agent: "a", prompt: "p" },
      ],
    });
    expect(p.errors?.map((e) => e.pointer)).toEqual([
      "/nodes/0/id",
      "/nodes/1/dependsOn/0",
      "/nodes/3/id",
      "/nodes/1/dependsOn/1",
    ]);
    expect(p.errors?.[2]?.detail).toBe('duplicate node id "b" (also used by node 2)');
    expect(p.errors?.[3]?.detail).toContain("a -> b -> a");
  });

  it("does not call a dependency unknown when a node id could not be read", () => {
    const p = problemOf({
      name: "x",
      agents: { a: {} },
      nodes: [
        { id: 7, agent: "a", prompt: "p" },
        { id: "b", agent: "a", prompt: "p", dependsOn: ["7"] },
      ],
    });
    expect(p.errors?.map((e) => e.pointer)).toEqual(["/nodes/0/id"]);
  });

  it("names a field once when the schema and the graph both object to it", () => {
    const p = problemOf(wf([{ id: "a", dependsOn: [""] }]));
    expect(p.errors?.map((e) => e.pointer)).toEqual(["/nodes/0/dependsOn/0"]);
  });

  it("adds no graph problems when the node list itself is unreadable", () => {
    const p = problemOf({ name: "x", nodes: "a,b" });
    expect(p.errors?.map((e) => e.pointer)).toEqual(["/nodes"]);
  });
});

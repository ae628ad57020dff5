import { describe, expect, it } from "vitest";
import {
  type GenerationVector,
  type InvalidationSelector,
  nodeGenerationFields,
  selectorField,
} from "../../../shared/cache/generations.js";
import {
  CACHE_KEY_VERSION,
  type CacheKeyInput,
  cacheKeyMaterial,
  computeCacheKey,
} from "../../../shared/cache/key-material.js";
import { canonicalJson, sha256Hex } from "../../../shared/util/hash.js";

const REF_A = "a".repeat(64);
const REF_B = "b".repeat(64);
const REF_C = "c".repeat(64);

const base: CacheKeyInput = {
  tenant: "acme",
  agent: { name: "reviewer", system: "You review code.", provider: "anthropic" },
  model: "claude-sonnet-4-5",
  params: { maxOutputTokens: 1024, temperature: 0.2 },
  sharedContext: "analysis of the codebase",
  prompt: "Review this:\n<<shared>>",
  inputs: { analyzer: REF_A, lint: REF_B },
  runInputRef: REF_C,
  sensitive: false,
  generations: { "*": 0, "wf:review-all": 0, "node:review-all:security": 0 },
};

describe("computeCacheKey", () => {
  it("is the SHA-256 of the canonical JSON of the material, 64 lowercase hex", async () => {
    const key = await computeCacheKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).toBe(await sha256Hex(canonicalJson(cacheKeyMaterial(base))));
  });

  it("puts every component into the material, normalised", () => {
    expect(
      cacheKeyMaterial({
        ...base,
        inputs: { lint: REF_B, analyzer: REF_A },
        generations: { "tag:x": 2, "*": 0, "wf:a": 1 },
      }),
    ).toEqual({
      v: CACHE_KEY_VERSION,
      tenant: "acme",
      agent: { name: "reviewer", system: "You review code.", provider: "anthropic" },
      model: "claude-sonnet-4-5",
      params: { maxOutputTokens: 1024, temperature: 0.2 },
      sharedContext: "analysis of the codebase",
      prompt: "Review this:\n<<shared>>",
      inputs: [
        ["analyzer", REF_A],
        ["lint", REF_B],
      ],
      runInputRef: REF_C,
      sensitive: false,
      generations: [
        ["tag:x", 2],
        ["wf:a", 1],
      ],
    });
  });

  // One row per component: changing it (alone) must change the key.
  const variants: [string, (i: CacheKeyInput) => CacheKeyInput][] = [
    ["tenant", (i) => ({ ...i, tenant: "globex" })],
    ["agent name", (i) => ({ ...i, agent: { ...i.agent, name: "auditor" } })],
    ["agent system", (i) => ({ ...i, agent: { ...i.agent, system: "You review code carefully." } })],
    ["agent system absent", (i) => ({ ...i, agent: { name: i.agent.name, provider: i.agent.provider } })],
    ["provider", (i) => ({ ...i, agent: { ...i.agent, provider: "openai-compatible" } })],
    ["model", (i) => ({ ...i, model: "claude-opus-4-1" })],
    ["maxOutputTokens", (i) => ({ ...i, params: { ...i.params, maxOutputTokens: 1025 } })],
    ["temperature", (i) => ({ ...i, params: { ...i.params, temperature: 0.3 } })],
    ["temperature absent", (i) => ({ ...i, params: { maxOutputTokens: i.params.maxOutputTokens } })],
    ["shared context", (i) => ({ ...i, sharedContext: "analysis of the codebase!" })],
    ["shared context absent", (i) => ({ ...i, sharedContext: undefined })],
    ["prompt", (i) => ({ ...i, prompt: "Review this:\n<<shared>> " })],
    ["an input's ref (upstream change)", (i) => ({ ...i, inputs: { analyzer: REF_C, lint: REF_B } })],
    ["an input's node id", (i) => ({ ...i, inputs: { analyzer2: REF_A, lint: REF_B } })],
    ["one input fewer", (i) => ({ ...i, inputs: { analyzer: REF_A } })],
    ["run input ref", (i) => ({ ...i, runInputRef: REF_A })],
    ["run input ref absent", (i) => ({ ...i, runInputRef: undefined })],
    ["sensitive", (i) => ({ ...i, sensitive: true })],
    ["tenant generation", (i) => ({ ...i, generations: { ...i.generations, "*": 1 } })],
    ["workflow generation", (i) => ({ ...i, generations: { ...i.generations, "wf:review-all": 1 } })],
    ["node generation", (i) => ({ ...i, generations: { ...i.generations, "node:review-all:security": 1 } })],
    ["tag generation", (i) => ({ ...i, generations: { ...i.generations, "tag:nightly": 1 } })],
    ["generation value", (i) => ({ ...i, generations: { ...i.generations, "wf:review-all": 2 } })],
  ];

  it.each(variants)("changes when the %s changes", async (_name, change) => {
    expect(await computeCacheKey(change(base))).not.toBe(await computeCacheKey(base));
  });

  it("gives every variant a key of its own", async () => {
    const keys = await Promise.all(variants.map(([, change]) => computeCacheKey(change(base))));
    expect(new Set([await computeCacheKey(base), ...keys]).size).toBe(variants.length + 1);
  });

  it("is stable across object key order, input order and duplicate input pairs", async () => {
    const reordered: CacheKeyInput = {
      generations: { "node:review-all:security": 0, "wf:review-all": 0, "*": 0 },
      sensitive: false,
      runInputRef: REF_C,
      inputs: [
        ["lint", REF_B],
        ["analyzer", REF_A],
        ["lint", REF_B],
      ],
      prompt: base.prompt,
      sharedContext: base.sharedContext,
      params: { temperature: 0.2, maxOutputTokens: 1024 },
      model: base.model,
      agent: { provider: "anthropic", system: "You review code.", name: "reviewer" },
      tenant: "acme",
    };
    expect(await computeCacheKey(reordered)).toBe(await computeCacheKey(base));
  });

  it("treats generations at 0 like fields never read, and the default flags like their explicit values", async () => {
    const bare: CacheKeyInput = { ...base, generations: {}, sensitive: undefined };
    expect(await computeCacheKey(bare)).toBe(await computeCacheKey({ ...base, sensitive: false }));
  });

  it("cascades: a changed root output changes the key of its child, and so of its grandchild", async () => {
    const child = (analyzerRef: string): CacheKeyInput => ({ ...base, inputs: { analyzer: analyzerRef } });
    const [child1, child2] = await Promise.all([computeCacheKey(child(REF_A)), computeCacheKey(child(REF_B))]);
    expect(child1).not.toBe(child2);
    // The child's output ref is content-addressed; with a new output the grandchild reads a new ref.
    const grandchild = (childOutputRef: string): CacheKeyInput => ({
      ...base,
      prompt: "Summarise",
      inputs: { child: childOutputRef },
    });
    const childOutput = async (text: string) => sha256Hex(text);
    const g1 = await computeCacheKey(grandchild(await childOutput(`output of ${child1}`)));
    const g2 = await computeCacheKey(grandchild(await childOutput(`output of ${child2}`)));
    expect(g1).not.toBe(g2);
  });

  it("differs between tenants for the same call", async () => {
    expect(await computeCacheKey({ ...base, tenant: "acme" })).not.toBe(
      await computeCacheKey({ ...base, tenant: "globex" }),
    );
  });

  it.each([
    ["an empty tenant", { ...base, tenant: "" }],
    ["a tenant with a brace", { ...base, tenant: "a}b" }],
    ["an empty model", { ...base, model: "" }],
    ["an empty provider", { ...base, agent: { name: "x", provider: "" } }],
    ["a fractional maxOutputTokens", { ...base, params: { maxOutputTokens: 1.5 } }],
    ["a zero maxOutputTokens", { ...base, params: { maxOutputTokens: 0 } }],
    ["a NaN temperature", { ...base, params: { maxOutputTokens: 10, temperature: Number.NaN } }],
    ["an empty input ref", { ...base, inputs: { a: "" } }],
    [
      "one input with two refs",
      {
        ...base,
        inputs: [
          ["a", REF_A],
          ["a", REF_B],
        ] as [string, string][],
      },
    ],
    ["a negative generation", { ...base, generations: { "*": -1 } }],
  ])("rejects %s with a RangeError", (_name, input) => {
    expect(() => cacheKeyMaterial(input)).toThrow(RangeError);
  });
});

describe("generations in keys", () => {
  // Four nodes with identical calls: the same key until an invalidation singles some out.
  const nodes = [
    { workflow: "wf-a", node: "x", tags: ["t1"] },
    { workflow: "wf-a", node: "y", tags: [] },
    { workflow: "wf-b", node: "x", tags: ["t1", "t2"] },
    { workflow: "wf-b", node: "z", tags: ["t2"] },
  ];
  const keyOf = (n: (typeof nodes)[number], gen: Record<string, number>) => {
    const vector: GenerationVector = Object.fromEntries(
      nodeGenerationFields(n.workflow, n.node, n.tags).map((f) => [f, gen[f] ?? 0]),
    );
    return computeCacheKey({ ...base, generations: vector });
  };

  it("shares one key between identical calls nobody invalidated, across workflows, nodes and tags", async () => {
    const keys = await Promise.all(nodes.map((n) => keyOf(n, {})));
    expect(new Set(keys).size).toBe(1);
  });

  it.each<[string, InvalidationSelector, string[]]>([
    ["workflow", { workflow: "wf-a" }, ["wf-a/x", "wf-a/y"]],
    ["node", { workflow: "wf-a", node: "x" }, ["wf-a/x"]],
    ["node of another workflow", { workflow: "wf-b", node: "x" }, ["wf-b/x"]],
    ["tag", { tag: "t1" }, ["wf-a/x", "wf-b/x"]],
    ["other tag", { tag: "t2" }, ["wf-b/x", "wf-b/z"]],
    ["everything", { all: true }, ["wf-a/x", "wf-a/y", "wf-b/x", "wf-b/z"]],
  ])("invalidating by %s changes the keys of exactly the selected nodes", async (_name, selector, changed) => {
    const before = await Promise.all(nodes.map((n) => keyOf(n, {})));
    const after = await Promise.all(nodes.map((n) => keyOf(n, { [selectorField(selector)]: 1 })));
    const actual = nodes.filter((_, i) => before[i] !== after[i]).map((n) => `${n.workflow}/${n.node}`);
    expect(actual).toEqual(changed);
  });

  it("never lets two selectors bumped to the same count produce the same key", async () => {
    // wf-a and wf-b each invalidated once: their nodes must not meet again under generation 1.
    const a = await keyOf(nodes[1]!, { "wf:wf-a": 1, "wf:wf-b": 1 });
    const b = await keyOf(nodes[3]!, { "wf:wf-a": 1, "wf:wf-b": 1 });
    expect(a).not.toBe(b);
  });
});

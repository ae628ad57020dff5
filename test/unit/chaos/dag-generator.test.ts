import { describe, expect, it } from "vitest";
import {
  auditedNodes,
  DAG_SHAPES,
  forCancelAndRetry,
  generateRun,
  MAX_NODES,
  MIN_NODES,
  withoutCompensation,
} from "../../../local/chaos/dag-generator.js";
import { createPrng } from "../../../local/chaos/prng.js";
import { attributeCall } from "../../../local/chaos/provider-ledger.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";

const many = (seed: number, n: number) => {
  const rng = createPrng(seed);
  return Array.from({ length: n }, (_, i) => generateRun(rng, seed, i));
};

describe("generateRun", () => {
  const runs = many(11, 200);

  it("is reproducible from the seed", () => {
    expect(many(11, 5)).toEqual(runs.slice(0, 5));
    expect(many(12, 5)).not.toEqual(runs.slice(0, 5));
  });

  it("makes 5..50 nodes, every edge to an earlier node, no duplicate edge, in every shape", () => {
    for (const r of runs) {
      expect(r.nodes.length).toBeGreaterThanOrEqual(MIN_NODES);
      expect(r.nodes.length).toBeLessThanOrEqual(MAX_NODES);
      r.nodes.forEach((n, i) => {
        expect(new Set(n.dependsOn).size).toBe(n.dependsOn.length);
        for (const d of n.dependsOn) expect(Number(d.slice(1))).toBeLessThan(i);
      });
    }
    expect(new Set(runs.map((r) => r.shape))).toEqual(new Set(DAG_SHAPES));
  });

  it("gives each shape its fan-in/fan-out", () => {
    for (const r of runs) {
      const last = r.nodes.at(-1)!;
      if (r.shape === "diamond") {
        expect(last.dependsOn).toHaveLength(r.nodes.length - 2);
        for (const n of r.nodes.slice(1, -1)) expect(n.dependsOn).toEqual(["n0"]);
      }
      if (r.shape === "deep") {
        for (const [i, n] of r.nodes.slice(1).entries()) expect(n.dependsOn).toContain(`n${i}`);
      }
      if (r.shape === "wide") {
        for (const n of r.nodes) for (const d of n.dependsOn) expect(["n0", "n1", "n2"]).toContain(d);
      }
    }
    const maxFanIn = Math.max(...runs.flatMap((r) => r.nodes.map((n) => n.dependsOn.length)));
    expect(maxFanIn).toBeGreaterThan(10);
  });

  it("produces workflows the engine accepts, every prompt marked with its run and node", () => {
    for (const r of runs.slice(0, 40)) {
      const v = validateWorkflow(r.body.workflow);
      expect(v.ok, JSON.stringify(v.ok ? null : v.problem)).toBe(true);
      for (const n of r.body.workflow.nodes as { id: string; prompt: string; kind?: string }[]) {
        // a map's prompt is its children's: rendered, it names child `<map>[<index>]`
        const prompt = n.kind === "map" ? n.prompt.replace("{{index}}", "3") : n.prompt;
        expect(attributeCall({ messages: [{ role: "user", content: prompt }] })).toEqual({
          runTag: r.tag,
          nodeId: n.kind === "map" ? `${n.id}[3]` : n.id,
        });
      }
    }
  });

  it("makes one node of some runs a map over the input's items, whose children the audits check as nodes", () => {
    const withMap = runs.filter((r) => (r.mapChildren ?? []).length > 0);
    expect(withMap.length).toBeGreaterThan(runs.length * 0.15);
    expect(withMap.length).toBeLessThan(runs.length * 0.45);
    for (const r of withMap) {
      const maps = (
        r.body.workflow.nodes as { id: string; kind?: string; over?: string; dependsOn: string[] }[]
      ).filter((n) => n.kind === "map");
      expect(maps).toHaveLength(1);
      const map = maps[0]!;
      expect(map.over).toBe("{{input.items}}");
      const items = r.body.input["items"] as string[];
      expect(items.length).toBeGreaterThanOrEqual(2);
      expect(r.mapChildren).toEqual(items.map((_, i) => `${map.id}[${i}]`));
      // never a root, the node made to fail or a compensated node
      expect(map.dependsOn.length).toBeGreaterThan(0);
      expect(r.failing).not.toBe(map.id);
      expect(r.compensated ?? []).not.toContain(map.id);
      // the audits see the children with the map's dependencies, after the workflow's own nodes
      const audited = auditedNodes(r);
      expect(audited.slice(r.nodes.length)).toEqual(
        (r.mapChildren ?? []).map((id) => ({ id, dependsOn: map.dependsOn })),
      );
    }
    for (const r of runs.filter((x) => !x.mapChildren)) expect(r.body.input["items"]).toBeUndefined();
  });

  it("gives some runs a token budget with onBudget fail, and the rest none", () => {
    const budgeted = runs.filter((r) => r.budgetTokens !== null);
    expect(budgeted.length).toBeGreaterThan(30);
    expect(budgeted.length).toBeLessThan(100);
    for (const r of budgeted) expect(r.body.budget).toEqual({ tokens: r.budgetTokens, onBudget: "fail" });
    for (const r of runs.filter((x) => x.budgetTokens === null)) expect(r.body.budget).toBeUndefined();
  });

  it("gives a share of the nodes of some runs a compensate step, and makes a node of some of them fail", () => {
    const nodesOf = (r: (typeof runs)[number]) =>
      r.body.workflow.nodes as { id: string; compensate?: { prompt: string } }[];
    const withSteps = runs.filter((r) => (r.compensated ?? []).length > 0);
    expect(withSteps.length).toBeGreaterThan(20);
    expect(withSteps.length).toBeLessThan(runs.length - 20);
    for (const r of withSteps) {
      const stepped = nodesOf(r)
        .filter((n) => n.compensate)
        .map((n) => n.id);
      expect(stepped).toEqual(r.compensated);
      for (const id of stepped) {
        const prompt = nodesOf(r).find((n) => n.id === id)?.compensate?.prompt ?? "";
        expect(attributeCall({ messages: [{ role: "user", content: prompt }] })).toEqual({
          runTag: r.tag,
          nodeId: `${id}~compensate`,
        });
      }
      const v = validateWorkflow(r.body.workflow);
      expect(v.ok, JSON.stringify(v.ok ? null : v.problem)).toBe(true);
    }
    const failing = withSteps.filter((r) => r.failing);
    expect(failing.length).toBeGreaterThan(5);
    for (const r of runs.filter((x) => (x.compensated ?? []).length === 0)) expect(r.failing ?? null).toBeNull();
    const stripped = withoutCompensation(withSteps[0] as (typeof runs)[number]);
    expect(stripped.compensated).toEqual([]);
    expect(nodesOf(stripped).some((n) => n.compensate)).toBe(false);
    // the run cancelled and retried can complete: no budget, no compensation, the failing node's prompt unpadded
    const budgeted = failing.find((r) => r.body.budget) ?? (failing[0] as (typeof runs)[number]);
    const plain = forCancelAndRetry({ ...budgeted, body: { ...budgeted.body, budget: { tokens: 10 } } });
    expect(plain.body.budget).toBeUndefined();
    expect(plain.failing ?? null).toBeNull();
    expect(nodesOf(plain).some((n) => n.compensate)).toBe(false);
    expect(JSON.stringify(plain.body.workflow)).not.toContain("pad pad");
    expect(validateWorkflow(plain.body.workflow).ok).toBe(true);
  });
});

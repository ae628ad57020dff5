import { describe, expect, it } from "vitest";
import { validateWorkflow as validateDirect } from "../../shared/dag/validate.js";
import { startRun as startRunDirect } from "../../shared/engine/start-run.js";
import * as entry from "../../shared/index.js";

/** The public entry, shared/index.ts: what an embedder imports is there, is the engine's own, and works. */
describe("shared/index.ts", () => {
  it("exports the engine's parts, steps and errors", () => {
    const exported = new Map<string, unknown>(Object.entries(entry));
    for (const name of [
      "RunStore",
      "BlobStore",
      "CacheStore",
      "BudgetStore",
      "QStashDispatcher",
      "startRun",
      "runDelivery",
      "advance",
      "fail",
      "buildRunView",
      "loadRun",
      "validateWorkflow",
      "createProviders",
      "parseProvidersConfig",
      "ProblemError",
      "ProviderError",
      "attemptFailure",
    ] as const) {
      expect(typeof exported.get(name), name).toBe("function");
    }
    expect(typeof entry.workflowDefinitionSchema.safeParse).toBe("function");
    // the same bindings as the modules, not copies
    expect(entry.startRun).toBe(startRunDirect);
    expect(entry.validateWorkflow).toBe(validateDirect);
  });

  it("validates a workflow and compiles its DAG, or answers a 422 problem", () => {
    const ok = entry.validateWorkflow({
      name: "two-steps",
      agents: { a: {} },
      nodes: [
        { id: "first", agent: "a", prompt: "start" },
        { id: "second", agent: "a", prompt: "use {{nodes.first.output}}", dependsOn: ["first"] },
      ],
    });
    expect(ok.ok && ok.dag.order).toEqual(["first", "second"]);
    const bad = entry.validateWorkflow({ name: "empty", agents: { a: {} }, nodes: [] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problem.status).toBe(422);
  });

  it("builds providers from the PROVIDERS config and classifies a failed attempt", () => {
    const providers = entry.createProviders(entry.parseProvidersConfig(undefined), {});
    expect([...providers.keys()]).toEqual(["simulated"]);
    expect(() => entry.parseProvidersConfig("not json")).toThrow(entry.ProvidersConfigError);
    expect(entry.attemptFailure(new entry.ProviderError("non-retryable", "bad request"))).toEqual({
      retryable: false,
      reason: "bad request",
    });
    expect(entry.attemptFailure(new entry.ProviderError("rate-limited", "slow down", 2.5))).toEqual({
      retryable: true,
      reason: "slow down",
      retryAfterSeconds: 3,
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { SIMULATED_BANNER } from "../../shared/providers/simulated.js";
import { fakeAnthropicVars } from "../support/fake-anthropic-vars.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

const nodesOf = (v: RunViewBody) => Object.fromEntries(v.levels.flatMap((l) => l.nodes).map((n) => [n.id, n]));

describe("structured outputs through the full stack (simulated provider)", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("node plan returns { files: [{ path }] } and node review reads {{nodes.plan.output.files[0].path}}", async () => {
    const started = await h.client.start({
      workflow: {
        name: "plan-review",
        cache: false,
        agents: { a: { system: "You plan.", model: "sim-fast" } },
        nodes: [
          {
            id: "plan",
            agent: "a",
            prompt: "List the files to change.",
            output: {
              schema: {
                type: "object",
                required: ["files"],
                additionalProperties: false,
                properties: {
                  files: {
                    type: "array",
                    minItems: 1,
                    items: {
                      type: "object",
                      required: ["path"],
                      additionalProperties: false,
                      properties: { path: { type: "string" } },
                    },
                  },
                },
              },
            },
          },
          {
            id: "review",
            agent: "a",
            dependsOn: ["plan"],
            prompt: "Review the file <{{nodes.plan.output.files[0].path}}> now.",
          },
        ],
      },
    });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    expect(view.simulated).toBe(true);
    const nodes = nodesOf(view);
    expect(nodes.plan?.status).toBe("done");
    expect(nodes.review?.status).toBe("done");

    // the plan's output is the schema-valid JSON, whole in its excerpt (it is short)
    expect(JSON.parse(nodes.plan?.excerpt ?? "null")).toEqual({ files: [{ path: SIMULATED_BANNER }] });
    const out = await h.client.output(started.runId);
    // the simulated answer quotes the first line of the prompt it was sent: the path was rendered into it
    expect(out.outputs.review).toContain(`> Review the file <${SIMULATED_BANNER}> now.`);
  });
});

describe("structured output mismatch through the full stack (fake Anthropic answers prose)", () => {
  let h: Harness;
  let fake: FakeProviderServer;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    h = await startHarness({
      vars: fakeAnthropicVars(fake.baseUrl),
    });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it("retries once with the validation error, then fails the node non-retryably; both paid calls are booked", async () => {
    fake.reset();
    fake.setBehaviour({ reply: "Sure! The plan is to change a.ts." });
    const started = await h.client.start({
      workflow: {
        name: "plan-fails",
        cache: false,
        defaults: { retries: 3, timeout: "30s" },
        agents: { a: { system: "You plan.", model: "claude-haiku-4-5" } },
        nodes: [
          {
            id: "plan",
            agent: "a",
            prompt: "List the files to change.",
            output: { schema: { type: "object", required: ["files"], properties: { files: { type: "array" } } } },
          },
        ],
      },
    });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("failed");
    const plan = nodesOf(view).plan;
    expect(plan?.status).toBe("failed");
    expect(plan?.attempts).toBe(1);
    expect(plan?.error).toContain("output does not match the node's output schema at the root");
    const calls = fake.calls();
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls[1]?.body)).toContain("did not match the required JSON Schema");
    // the two answered calls were paid: the run's books hold them
    expect(view.totals.outputTokens).toBeGreaterThan(0);
    expect(view.totals.costUsd).toBeGreaterThan(0);
  });
});

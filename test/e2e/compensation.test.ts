import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeCall, FakeProviderServer } from "../../local/fake-providers/harness.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { fakeAnthropicVars } from "../support/fake-anthropic-vars.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

/**
 * Saga compensation through the worker, the local stack and a real Redis: the compensations of a failed or cancelled
 * run's done nodes run in reverse topological order and are shown in the run view; a failed one is reported.
 */

/** The text of a fake call's last message. */
function textOf(c: FakeCall): string {
  const messages = (c.body as { messages?: { content: string | { type: string; text?: string }[] }[] }).messages ?? [];
  const content = messages.at(-1)?.content ?? "";
  return typeof content === "string" ? content : content.map((b) => b.text ?? "").join("\n");
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Longer than the fake's context window below: the provider answers 400, which is not retried. */
const TOO_LONG = "long ".repeat(600);

describe("compensation through the full stack", () => {
  let h: Harness;
  let fake: FakeProviderServer;
  const agents = { a: { system: "You test." } };

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

  const compensation = (v: RunViewBody) => Object.fromEntries((v.compensation?.nodes ?? []).map((n) => [n.node, n]));

  it("a run failing at its third node compensates its two done nodes, the later one first", async () => {
    fake.reset();
    fake.setBehaviour({ contextWindowTokens: 400 });
    const undo = (id: string) => ({
      prompt: `Undo ${id}: {{nodes.${id}.output}} because the run {{run.status}} ({{run.error}})`,
    });
    const wf = workflow(
      [
        node("a", [], { model: "fast", compensate: undo("a") }),
        node("b", ["a"], { model: "fast", compensate: undo("b") }),
        node("c", ["b"], { model: "fast", prompt: `Do c. ${TOO_LONG}` }),
      ],
      { agents },
    );
    const { runId } = await h.client.start({ workflow: wf });
    const v = await h.waitForRun(runId);
    expect(v.status).toBe("failed");
    expect(v.compensation).toMatchObject({ status: "completed", runStatus: "failed" });
    expect(v.compensation?.reason).toMatch(/^c: /);
    const comp = compensation(v);
    expect(comp.a).toMatchObject({ id: "a~compensate", status: "done", attempts: 1, error: null });
    expect(comp.b).toMatchObject({ id: "b~compensate", status: "done", attempts: 1, error: null });
    expect(comp.a?.excerpt).toBeTruthy();
    // reverse topological order: b's compensation ends before a's starts
    expect(Date.parse(comp.b?.finishedAt ?? "")).toBeLessThanOrEqual(Date.parse(comp.a?.startedAt ?? ""));
    // the provider saw both, with the node's output and the run's status and error rendered
    const undos = fake.calls().filter((c) => textOf(c).startsWith("Undo "));
    expect(undos.map((c) => textOf(c).slice(0, 6))).toEqual(["Undo b", "Undo a"]);
    expect(textOf(undos[1] as FakeCall)).toMatch(/because the run failed \(c: /);
    // the compensated run is not retried
    const retry = await fetch(`${h.url}/v1/runs/${runId}/retry`, {
      method: "POST",
      headers: { authorization: "Bearer dev-key" },
    });
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { type: string }).type).toMatch(/run-compensated$/);
  });

  it("a cancel mid-run compensates the nodes that were done", async () => {
    fake.reset();
    fake.setBehaviour({ latencyMs: 600 });
    const wf = workflow(
      [
        node("a", [], { model: "fast", compensate: { prompt: "Undo a: {{run.status}}" } }),
        node("b", ["a"], { model: "fast", compensate: { prompt: "Undo b." } }),
        node("c", ["b"], { model: "fast" }),
      ],
      { agents, nodesPerDelivery: 1 },
    );
    const { runId } = await h.client.start({ workflow: wf });
    // wait until a is done and b is running
    for (let i = 0; i < 100; i++) {
      const v = await h.client.get(runId);
      if (v.levels[1]?.nodes[0]?.status === "running") break;
      await sleep(50);
    }
    const res = await fetch(`${h.url}/v1/runs/${runId}/cancel`, {
      method: "POST",
      headers: { authorization: "Bearer dev-key" },
    });
    expect(res.status).toBe(200);
    const v = await h.waitForRun(runId);
    expect(v.status).toBe("cancelled");
    expect(v.compensation).toMatchObject({ status: "completed", runStatus: "cancelled", reason: "cancelled" });
    const comp = compensation(v);
    expect(comp.a).toMatchObject({ status: "done", attempts: 1 });
    expect(comp.b?.status).toBe("skipped");
    expect(fake.calls().filter((c) => textOf(c).startsWith("Undo a: cancelled"))).toHaveLength(1);
  });

  it("a compensation whose provider fails non-retryably is reported as failed", async () => {
    fake.reset();
    fake.setBehaviour({ contextWindowTokens: 400 });
    const wf = workflow(
      [
        node("a", [], { model: "fast", compensate: { prompt: `Undo a. ${TOO_LONG}`, retries: 2 } }),
        node("b", ["a"], { model: "fast", prompt: `Do b. ${TOO_LONG}` }),
      ],
      { agents },
    );
    const { runId } = await h.client.start({ workflow: wf });
    const v = await h.waitForRun(runId);
    expect(v.status).toBe("failed");
    expect(v.compensation?.status).toBe("failed");
    const comp = compensation(v);
    expect(comp.a?.status).toBe("failed");
    expect(comp.a?.error).toBeTruthy();
    expect(comp.a?.attempts).toBe(1);
  });
});

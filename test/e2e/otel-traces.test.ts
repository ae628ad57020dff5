import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { runTraceIds } from "../../shared/telemetry/trace-context.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

const nodesOf = (v: RunViewBody) => v.levels.flatMap((l) => l.nodes);

/** review-all's edges (workflows/review-all.json): the analyst, five reviewers reading it, the senior reading them. */
const REVIEWERS = ["quality", "best-practices", "architecture", "performance", "security"].map((r) => `${r}-reviewer`);

describe("OpenTelemetry traces over OTLP/HTTP (local receiver)", () => {
  let h: Harness;
  let otlp: OtlpReceiver;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    h = await startHarness({
      vars: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Basic%20dGVzdDp0ZXN0",
        OTEL_SERVICE_NAME: "agent-dag-e2e",
        CACHE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await otlp?.close();
  });

  /** The spans of a run's trace, once its root span has arrived (flushed after the answers, through waitUntil). */
  async function traceOf(runId: string): Promise<ReceivedSpan[]> {
    const { traceId, spanId } = runTraceIds(runId);
    const deadline = Date.now() + 15_000;
    while (!otlp.spans.some((s) => s.spanId === spanId) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    // the root span comes with the last delivery's flush; anything that delivery ended is in the same flush
    await new Promise((r) => setTimeout(r, 300));
    return otlp.spans.filter((s) => s.traceId === traceId);
  }

  it("review-all: one trace, one span per node attempt parented across deliveries, tokens and cost as the run view", async () => {
    const input = { repo: `otel-${Date.now()}`, tree: "x/\n  a.ts", files: "=== a.ts\nexport {}\n", omitted: "none" };
    const started = await h.client.start({
      workflow: "review-all",
      input,
      simulate: { latencyMs: 20 },
      budget: { usd: 100, tokens: 10_000_000 },
    });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    const spans = await traceOf(started.runId);
    const root = runTraceIds(started.runId);

    // every span of the run is in its trace, and every export carried the configured header
    expect(
      new Set(otlp.spans.filter((s) => s.attributes["agent_dag.run.id"] === started.runId).map((s) => s.traceId)),
    ).toEqual(new Set([root.traceId]));
    expect(otlp.requests.every((r) => r.authorization === "Basic dGVzdDp0ZXN0")).toBe(true);
    expect(spans.every((s) => s.serviceName === "agent-dag-e2e")).toBe(true);

    // the run's root span: once, no parent, under the derived id
    const roots = spans.filter((s) => s.name === "run review-all");
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ spanId: root.spanId, parentSpanId: "" });
    expect(roots[0]?.attributes["agent_dag.run.status"]).toBe("completed");

    // one span per node attempt: 7 nodes, one attempt each under normal delivery
    const attempts = spans.filter((s) => s.name.startsWith("node "));
    const views = nodesOf(view);
    expect(views.map((n) => n.attempts)).toEqual(Array(7).fill(1));
    expect(attempts).toHaveLength(7);
    const byNode = new Map(attempts.map((s) => [String(s.attributes["agent_dag.node.id"]), s]));
    expect([...byNode.keys()].sort()).toEqual(views.map((n) => n.id).sort());

    // parents: the analyst under the run's root span; a reviewer under the analyst's attempt (whose completion
    // published or chained it); the senior under one of the reviewers' attempts
    const spanOf = (id: string) => byNode.get(id) as ReceivedSpan;
    expect(spanOf("codebase-analyzer").parentSpanId).toBe(root.spanId);
    for (const r of REVIEWERS) expect(spanOf(r).parentSpanId).toBe(spanOf("codebase-analyzer").spanId);
    expect(REVIEWERS.map((r) => spanOf(r).spanId)).toContain(spanOf("senior-reviewer").parentSpanId);

    for (const n of views) {
      const s = spanOf(n.id);
      expect(s.attributes).toMatchObject({
        "agent_dag.node.attempt": 1,
        "agent_dag.node.level": view.levels.findIndex((l) => l.nodes.some((x) => x.id === n.id)) + 1,
        "agent_dag.cache.outcome": "miss",
        "gen_ai.usage.input_tokens": n.usage?.inputTokens,
        "gen_ai.usage.output_tokens": n.usage?.outputTokens,
        "gen_ai.response.model": n.model,
        "agent_dag.route.tier": n.route?.tier,
        "agent_dag.route.reason": n.route?.reason,
      });
      expect(s.attributes["agent_dag.cost.usd"]).toBeCloseTo(n.costUsd ?? -1, 9);
      expect(String(s.attributes["agent_dag.lease"])).toMatch(/:\d+$/);
      // its steps: cache lookup, budget reservation and the provider call, each a child of the attempt
      const children = spans.filter((c) => c.parentSpanId === s.spanId && !c.name.startsWith("node "));
      expect(children.map((c) => c.name).sort()).toEqual(["budget reservation", "cache lookup", `chat ${n.model}`]);
      const chat = children.find((c) => c.name.startsWith("chat ")) as ReceivedSpan;
      expect(chat.kind).toBe(3); // SPAN_KIND_CLIENT
      expect(chat.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "simulated",
        "gen_ai.request.model": n.model,
        "gen_ai.usage.input_tokens": n.usage?.inputTokens,
        "gen_ai.usage.output_tokens": n.usage?.outputTokens,
      });
    }
    // the token totals of the trace are the run view's
    const sum = (k: string) => attempts.reduce((a, s) => a + Number(s.attributes[k]), 0);
    expect(sum("gen_ai.usage.input_tokens") + sum("gen_ai.usage.output_tokens")).toBe(
      views.reduce((a, n) => a + (n.usage?.inputTokens ?? 0) + (n.usage?.outputTokens ?? 0), 0),
    );
  });

  it("a retried attempt is a span of its own, with an error status", async () => {
    const started = await h.client.start({
      workflow: workflow([node("b", [], { retries: 2, simulate: { failAttempts: 1 } })]),
    });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    const spans = (await traceOf(started.runId)).filter((s) => s.attributes["agent_dag.node.id"] === "b");
    expect(spans.map((s) => s.attributes["agent_dag.node.attempt"]).sort()).toEqual([1, 2]);
    const [first, second] = [1, 2].map((k) => spans.find((s) => s.attributes["agent_dag.node.attempt"] === k));
    expect(first?.status.code).toBe(2); // STATUS_CODE_ERROR
    expect(second?.status.code ?? 0).not.toBe(2);
    // the message's retry carries the same traceparent: both attempts hang under the run's root span
    for (const s of spans) expect(s.parentSpanId).toBe(runTraceIds(started.runId).spanId);
  });

  it("exports no prompt or output of a sensitive node (nor of the nodes that read it)", async () => {
    const secret = `PINEAPPLE-${Date.now()}`;
    const started = await h.client.start({
      workflow: workflow([
        node("s", [], { prompt: `The code is ${secret}. Repeat it.`, sensitive: true }),
        node("t", ["s"], { prompt: "Summarise {{nodes.s.output}}" }),
      ]),
    });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    const { outputs } = await h.client.output(started.runId);
    const spans = await traceOf(started.runId);
    const attempts = spans.filter((s) => s.name.startsWith("node "));
    expect(attempts).toHaveLength(2);
    for (const s of attempts) expect(s.attributes["agent_dag.node.sensitive"]).toBe(true);
    const text = JSON.stringify(spans);
    expect(text).not.toContain(secret);
    expect(outputs.t).toBeTruthy();
    expect(text).not.toContain(String(outputs.t).slice(0, 40));
  });
});

import { describe, expect, it } from "vitest";
import { parseOtelConfig } from "../../../functions/otel-config.js";
import { RunTracer } from "../../../shared/telemetry/run-tracer.js";
import { formatTraceparent, runTraceIds } from "../../../shared/telemetry/trace-context.js";

const CONFIG = { tracesUrl: "https://otel.example/v1/traces", headers: { Authorization: "Basic x" }, serviceName: "t" };

type Span = { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes: { key: string }[] };

/** A tracer whose exports land in `posts` (each the decoded OTLP JSON spans and the request's headers). */
function tracerWithFetch(answer: () => Promise<Response>) {
  const posts: { url: string; headers: Record<string, string>; spans: Span[] }[] = [];
  const tracer = new RunTracer(CONFIG, async (url, init) => {
    const body = JSON.parse(new TextDecoder().decode(init.body as Uint8Array));
    const spans = body.resourceSpans.flatMap((r: { scopeSpans: { spans: Span[] }[] }) =>
      r.scopeSpans.flatMap((s) => s.spans),
    );
    posts.push({ url, headers: init.headers as Record<string, string>, spans });
    return answer();
  });
  return { tracer, posts };
}

const ok = async () => new Response("{}", { status: 200 });
const run = "run_0000000000000000000000000a";

describe("RunTracer", () => {
  it("chains a delivery's node attempts: the first under the message's traceparent, the next under the first", async () => {
    const { tracer, posts } = tracerWithFetch(ok);
    const ids = runTraceIds(run);
    const incoming = { traceId: ids.traceId, spanId: "00000000000000aa" };
    let published = "";
    await tracer.delivery(run, formatTraceparent(incoming), async () => {
      await tracer.nodeAttempt(run, "node a", {}, async () => tracer.step("cache lookup", {}, async () => 1), {
        describe: () => ({}),
        produced: () => true,
      });
      published = tracer.traceparent(run);
      await tracer.nodeAttempt(run, "node b", {}, async () => 2, {
        describe: () => ({}),
        produced: () => true,
      });
    });
    expect(await tracer.flush()).toBe(3);
    const spans = posts[0]?.spans ?? [];
    const by = (n: string) => spans.find((s) => s.name === n) as Span;
    expect(spans.every((s) => s.traceId === ids.traceId)).toBe(true);
    expect(by("node a").parentSpanId).toBe(incoming.spanId);
    expect(by("cache lookup").parentSpanId).toBe(by("node a").spanId);
    expect(by("node b").parentSpanId).toBe(by("node a").spanId);
    // what the delivery publishes between the two hangs under the attempt whose completion took it
    expect(published).toBe(formatTraceparent({ traceId: ids.traceId, spanId: by("node a").spanId }));
    expect(posts[0]?.url).toBe(CONFIG.tracesUrl);
    expect(posts[0]?.headers).toMatchObject({ Authorization: "Basic x", "Content-Type": "application/json" });
  });

  it("ignores a traceparent of another trace, and exports the run's root span under its derived ids", async () => {
    const { tracer, posts } = tracerWithFetch(ok);
    const ids = runTraceIds(run);
    const foreign = formatTraceparent({ traceId: "ab".repeat(16), spanId: "cd".repeat(8) });
    await tracer.delivery(run, foreign, () =>
      tracer.nodeAttempt(run, "node a", {}, async () => 1, {
        describe: () => ({}),
        produced: () => true,
      }),
    );
    tracer.endRun(run, "run wf", Date.now() - 1000, { "agent_dag.run.status": "completed" });
    await tracer.flush();
    const spans = posts.flatMap((p) => p.spans);
    expect(spans.find((s) => s.name === "node a")?.parentSpanId).toBe(ids.spanId);
    const root = spans.find((s) => s.name === "run wf");
    expect(root).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId });
    expect(root?.parentSpanId ?? "").toBe("");
  });

  it("never throws from a flush: a refused or failed export drops its spans", async () => {
    const { tracer } = tracerWithFetch(async () => {
      throw new TypeError("network down");
    });
    tracer.endRun(run, "run wf", Date.now(), {});
    expect(await tracer.flush()).toBe(0);
    const refused = tracerWithFetch(async () => new Response("no", { status: 401 }));
    refused.tracer.endRun(run, "run wf", Date.now(), {});
    expect(await refused.tracer.flush()).toBe(0);
    expect(await refused.tracer.flush()).toBe(0);
    expect(refused.posts).toHaveLength(1);
  });

  it("a step outside a node attempt is not a span; a failed attempt ends with an error status", async () => {
    const { tracer, posts } = tracerWithFetch(ok);
    expect(await tracer.step("cache lookup", {}, async () => 7)).toBe(7);
    await expect(
      tracer.nodeAttempt(
        run,
        "node a",
        {},
        async () => {
          throw new Error("secret detail");
        },
        { describe: () => ({}), produced: () => true },
      ),
    ).rejects.toThrow("secret detail");
    await tracer.flush();
    const spans = posts.flatMap((p) => p.spans) as (Span & { status: { code: number; message?: string } })[];
    expect(spans.map((s) => s.name)).toEqual(["node a"]);
    expect(spans[0]?.status.code).toBe(2);
    expect(JSON.stringify(spans)).not.toContain("secret detail");
  });
});

describe("parseOtelConfig", () => {
  it("is off without an endpoint, and appends /v1/traces to one", () => {
    const problems: string[] = [];
    expect(parseOtelConfig({}, problems)).toBeNull();
    expect(parseOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: " " }, problems)).toBeNull();
    expect(
      parseOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://cloud.langfuse.com/api/public/otel/" }, problems),
    ).toEqual({
      tracesUrl: "https://cloud.langfuse.com/api/public/otel/v1/traces",
      headers: {},
      serviceName: "agent-dag",
    });
    expect(problems).toEqual([]);
  });

  it("reads percent-encoded headers and the service name; names bad values without echoing them", () => {
    const problems: string[] = [];
    const c = parseOtelConfig(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Basic%20cGs6c2s=, x-tenant = a",
        OTEL_SERVICE_NAME: "svc",
      },
      problems,
    );
    expect(c).toEqual({
      tracesUrl: "http://127.0.0.1:4318/v1/traces",
      headers: { Authorization: "Basic cGs6c2s=", "x-tenant": "a" },
      serviceName: "svc",
    });
    parseOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://x" }, problems);
    parseOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", OTEL_EXPORTER_OTLP_HEADERS: "sk-secret" }, problems);
    expect(problems).toHaveLength(2);
    expect(problems.join(" ")).not.toContain("sk-secret");
  });
});

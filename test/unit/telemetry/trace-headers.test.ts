import { afterEach, describe, expect, it, vi } from "vitest";
import { services } from "../../../functions/services.js";
import type { DispatchRun } from "../../../shared/dispatch/dispatcher.js";
import { runTraceIds } from "../../../shared/telemetry/trace-context.js";
import { MINIMAL_ENV } from "../../support/env-fixture.js";

const RUN: DispatchRun = { baseUrl: "https://w.example", concurrency: 2, generation: 1, advance: "inline" };
const NODE = { runId: "run_0123456789abcdef0123456789", nodeId: "a", retries: 1, timeoutMs: 1000, priority: 1 };

/** Publishes one node and one deferral through the engine `services` builds, capturing QStash's batch requests. */
async function publishedHeaders(env: Record<string, string>): Promise<Headers[]> {
  const seen: Headers[] = [];
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    if (new URL(req.url).pathname === "/v2/batch") {
      for (const m of (await req.json()) as { headers: Record<string, string> }[]) seen.push(new Headers(m.headers));
      return Response.json([{ messageId: "m1" }]);
    }
    return new Response("{}", { status: 404 });
  });
  const { engine } = services({ ...MINIMAL_ENV, QSTASH_URL: "http://127.0.0.1:8080", ...env });
  await engine.dispatcher.dispatch(RUN, [NODE]);
  await engine.dispatcher.defer(RUN, NODE, 5, "lease-1");
  return seen;
}

describe("traceparent on QStash messages", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("with OTEL_EXPORTER_OTLP_ENDPOINT unset: no tracer, and no message carries a traceparent", async () => {
    const headers = await publishedHeaders({});
    expect(headers).toHaveLength(2);
    for (const h of headers) {
      expect(h.get("Upstash-Forward-traceparent")).toBeNull();
      expect([...h.keys()].filter((k) => k.includes("trace"))).toEqual([]);
    }
    expect(services({ ...MINIMAL_ENV }).engine.tracing).toBeUndefined();
  });

  it("with it set: every message forwards the run's root span as traceparent (outside a delivery)", async () => {
    const headers = await publishedHeaders({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example/api" });
    const { traceId, spanId } = runTraceIds(NODE.runId);
    expect(headers.map((h) => h.get("Upstash-Forward-traceparent"))).toEqual(
      Array(2).fill(`00-${traceId}-${spanId}-01`),
    );
  });
});

import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent, runTraceIds } from "../../../shared/telemetry/trace-context.js";

describe("a run's trace context", () => {
  it("derives the trace and root span ids from the run id: stable, distinct per run, W3C-shaped", () => {
    const a = runTraceIds("run_aaaaaaaaaaaaaaaaaaaaaaaaaa");
    expect(runTraceIds("run_aaaaaaaaaaaaaaaaaaaaaaaaaa")).toEqual(a);
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    const b = runTraceIds("run_aaaaaaaaaaaaaaaaaaaaaaaaab");
    expect(b.traceId).not.toBe(a.traceId);
    expect(b.spanId).not.toBe(a.spanId);
  });

  it("formats and parses traceparent (version 00), refusing malformed and all-zero ids", () => {
    const ids = runTraceIds("run_x");
    expect(parseTraceparent(formatTraceparent(ids))).toEqual(ids);
    expect(parseTraceparent(` 00-${ids.traceId.toUpperCase()}-${ids.spanId}-00 `)).toEqual(ids);
    expect(parseTraceparent(undefined)).toBeNull();
    expect(parseTraceparent(`01-${ids.traceId}-${ids.spanId}-01`)).toBeNull();
    expect(parseTraceparent(`00-${ids.traceId}-${ids.spanId}`)).toBeNull();
    expect(parseTraceparent(`00-${"0".repeat(32)}-${ids.spanId}-01`)).toBeNull();
    expect(parseTraceparent(`00-${ids.traceId}-${"0".repeat(16)}-01`)).toBeNull();
  });
});

import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";

/**
 * With tracing on (shared/telemetry/run-tracer.ts), runs an `/internal/execute` delivery in its run's trace scope:
 * its first node attempt hangs under the message's `traceparent` (QStash forwards it from
 * `Upstash-Forward-traceparent`), or the run's root span. With tracing off it only calls `next`. Goes after the
 * signature check, which reads the body (`rawBody`); an unreadable body is left to the route.
 */
export function traceDelivery(): MiddlewareHandler<AppEnv> {
  return async function traceDeliveryScope(c, next) {
    const tracing = c.get("services").engine.tracing;
    if (!tracing) return next();
    let runId: unknown;
    try {
      runId = (JSON.parse(c.get("rawBody")) as { runId?: unknown } | null)?.runId;
    } catch {
      runId = undefined;
    }
    if (typeof runId !== "string") return next();
    await tracing.delivery(runId, c.req.header("traceparent"), () => next());
  };
}

/**
 * After every request, with tracing on, sends the spans ended so far to the collector through `waitUntil`, so the
 * answer never waits for the export (and an export failure never fails the request). Off: nothing.
 */
export function flushTraces(): MiddlewareHandler<AppEnv> {
  return async function flushSpans(c, next) {
    await next();
    const tracing = c.get("services").engine.tracing;
    if (!tracing) return;
    const flushing = tracing.flush();
    try {
      c.executionCtx.waitUntil(flushing);
    } catch {
      // no execution context (an in-process test of the app): the flush runs on its own
    }
  };
}

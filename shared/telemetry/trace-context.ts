/**
 * A run's trace context: one trace per run, whose ids derive from the run id, so that every delivery (and the run's
 * start, the callbacks and the sweeper) can rebuild them without reading anything; and the W3C `traceparent` header
 * that carries a parent span on QStash messages (https://www.w3.org/TR/trace-context/#traceparent-header).
 */
import { createHash } from "node:crypto";

/** The ids of a span: trace id (32 lowercase hex) and span id (16 lowercase hex), as W3C Trace Context spells them. */
export interface SpanIds {
  traceId: string;
  spanId: string;
}

/**
 * The trace of a run and its root span: the first 16 bytes of SHA-256(`agent-dag.trace:<runId>`) are the trace id,
 * the next 8 the run root span's id (never all zero: W3C Trace Context forbids it; a zero id is replaced by `…01`).
 * Deterministic, synchronous (node:crypto, available in workerd under `nodejs_compat`), about a microsecond.
 */
export function runTraceIds(runId: string): SpanIds {
  const hex = createHash("sha256").update(`agent-dag.trace:${runId}`).digest("hex");
  return { traceId: nonZero(hex.slice(0, 32)), spanId: nonZero(hex.slice(32, 48)) };
}

/** The W3C `traceparent` value of a sampled span: `00-<trace id>-<span id>-01`. */
export function formatTraceparent(ids: SpanIds): string {
  return `00-${ids.traceId}-${ids.spanId}-01`;
}

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Parses a `traceparent` header value (version 00 only; W3C Trace Context §3.2).
 * @returns the ids, or null for an absent, malformed or all-zero value.
 */
export function parseTraceparent(value: string | null | undefined): SpanIds | null {
  const m = value ? TRACEPARENT_RE.exec(value.trim().toLowerCase()) : null;
  if (!m) return null;
  const [, traceId, spanId] = m as unknown as [string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId };
}

function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -2)}01` : hex;
}

/**
 * The trace scope of the work under way in a request: which run it serves, which span the next node attempt (and
 * every message published meanwhile, as its `traceparent`) hangs under, and the node attempt running now (the
 * parent of its steps). Held in an AsyncLocalStorage (node:async_hooks, available in workerd under
 * `nodejs_compat`), because one isolate serves many requests at once. Only set when tracing is on.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Span } from "@opentelemetry/api";
import type { SpanIds } from "./trace-context.js";

/** A delivery's scope; the object is shared (and `parent` updated) by the node attempts it runs one after another. */
export interface DeliveryScope {
  runId: string;
  /** The span the next node attempt hangs under: the incoming `traceparent`, the run's root span, or the last node
   * attempt this delivery finished (whose completion took the next nodes). */
  parent: SpanIds;
}

/** The scope inside one node attempt: its delivery's, plus the attempt's span. */
export interface TraceScope {
  delivery: DeliveryScope;
  /** The node attempt running now, when there is one. */
  node?: Span | undefined;
}

/** The scope store (one per isolate). */
export const traceScope = new AsyncLocalStorage<TraceScope>();

/**
 * agent-dag's tracer: one per isolate, built only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (functions/services.ts);
 * when it is unset there is no tracer, no span object, no header and no Redis command. A run is one trace whose ids
 * derive from the run id (trace-context.ts); what parents what is in docs/tracing.md:
 * - the run's root span (`run <workflow>`, from the run's creation to its end) is exported by the request whose
 *   transition ends the run, under the run's derived root span id;
 * - a node attempt (`node <id>`) hangs under the span its message's `traceparent` names (the node attempt whose
 *   completion published it, or the run's root span), or, in a chain, under the attempt the chain ran before it;
 * - its steps (`cache lookup`, `budget reservation`, `chat <model>`) hang under the node attempt.
 */
import {
  type Attributes,
  type AttributeValue,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { type IdGenerator, RandomIdGenerator, TracerProvider } from "@opentelemetry/sdk-trace";
import { AGENT_DAG } from "./attributes.js";
import { type FetchFn, OtlpBufferExporter, type OtlpExportConfig } from "./otlp-exporter.js";
import { formatTraceparent, parseTraceparent, runTraceIds, type SpanIds } from "./trace-context.js";
import { type DeliveryScope, traceScope } from "./trace-scope.js";

/** Instrumentation scope name of every span. */
export const TRACER_NAME = "agent-dag";

/** What a traced step records: its kind (default internal), attributes, and attributes read from its result. */
export interface StepOptions<T> {
  kind?: SpanKind | undefined;
  attributes?: Attributes | undefined;
  /** Attributes of the step's result, set before the span ends. */
  describe?: ((value: T) => Attributes) | undefined;
}

/**
 * Random ids, except for the one span whose ids are given ({@link RunTracer.endRun}): the SDK asks for a span id,
 * then (for a span without parent) a trace id, synchronously inside `startSpan`.
 */
class RunIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  fixed: SpanIds | null = null;
  generateTraceId(): string {
    return this.fixed?.traceId ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.fixed?.spanId ?? this.random.generateSpanId();
  }
}

/** A context whose (remote) parent span is `ids`. */
function parentContext(ids: SpanIds) {
  return trace.setSpanContext(ROOT_CONTEXT, { ...ids, traceFlags: TraceFlags.SAMPLED, isRemote: true });
}

/** Attributes without the undefined or null ones (the SDK drops them with a warning). */
export function defined(attrs: Record<string, AttributeValue | null | undefined>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

/** The tracer of an isolate: spans, their scope across a delivery, the `traceparent` of messages, and the flush. */
export class RunTracer {
  private readonly exporter: OtlpBufferExporter;
  private readonly ids = new RunIdGenerator();
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;

  /** @param fetchFn the exporter's fetch (tests). */
  constructor(config: OtlpExportConfig, fetchFn?: FetchFn) {
    this.exporter = new OtlpBufferExporter(config, fetchFn);
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": config.serviceName }),
      idGenerator: this.ids,
      spanProcessors: [this.exporter],
    });
    this.tracer = this.provider.getTracer(TRACER_NAME);
  }

  /**
   * Runs one delivery of `runId` in a scope whose first node attempt hangs under `traceparent` (the message's
   * forwarded header) when it names this run's trace, else under the run's root span.
   */
  delivery<T>(runId: string, traceparent: string | null | undefined, fn: () => Promise<T>): Promise<T> {
    const root = runTraceIds(runId);
    const incoming = parseTraceparent(traceparent);
    const parent = incoming && incoming.traceId === root.traceId ? incoming : root;
    return traceScope.run({ delivery: { runId, parent } }, fn);
  }

  /**
   * Runs one node attempt as a span under the delivery's current parent (the run's root span outside a delivery),
   * its steps hanging under it; the span ends when `fn` settles, with `describe`'s attributes (or status error and
   * the error's type: never its message, which may quote a prompt or an output). An attempt that produced an output becomes the parent of what its delivery
   * does next (the chain's next node, the messages its completion publishes).
   */
  async nodeAttempt<T>(
    runId: string,
    name: string,
    attributes: Attributes,
    fn: () => Promise<T>,
    opts: { describe: (value: T) => Attributes; produced: (value: T) => boolean },
  ): Promise<T> {
    const outer = traceScope.getStore();
    const delivery: DeliveryScope =
      outer && outer.delivery.runId === runId ? outer.delivery : { runId, parent: runTraceIds(runId) };
    const span = this.tracer.startSpan(name, { attributes }, parentContext(delivery.parent));
    let value: T;
    try {
      value = await traceScope.run({ delivery, node: span }, fn);
    } catch (err) {
      endWithError(span, err);
      throw err;
    }
    span.setAttributes(opts.describe(value));
    span.end();
    if (opts.produced(value))
      delivery.parent = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
    return value;
  }

  /** Runs a step of the node attempt under way as its child span; outside a node attempt, just runs it. */
  async step<T>(name: string, opts: StepOptions<T>, fn: () => Promise<T>): Promise<T> {
    const node = traceScope.getStore()?.node;
    if (!node) return fn();
    const span = this.tracer.startSpan(
      name,
      { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes ?? {} },
      trace.setSpan(ROOT_CONTEXT, node),
    );
    let value: T;
    try {
      value = await fn();
    } catch (err) {
      endWithError(span, err);
      throw err;
    }
    if (opts.describe) span.setAttributes(opts.describe(value));
    span.end();
    return value;
  }

  /**
   * The `traceparent` of a message of `runId` published now: the node attempt under way (a deferral), else the
   * delivery's current parent (the attempt whose completion took the node), else the run's root span.
   */
  traceparent(runId: string): string {
    const scope = traceScope.getStore();
    if (scope && scope.delivery.runId === runId) {
      const node = scope.node?.spanContext();
      return formatTraceparent(node ? { traceId: node.traceId, spanId: node.spanId } : scope.delivery.parent);
    }
    return formatTraceparent(runTraceIds(runId));
  }

  /**
   * Exports the run's root span, from `startedAt` (the run's creation, ms since epoch) to now, under the run's
   * derived ids. Called once, by the request whose transition ended the run.
   */
  endRun(runId: string, name: string, startedAt: number, attributes: Attributes): void {
    this.ids.fixed = runTraceIds(runId);
    let span: Span;
    try {
      span = this.tracer.startSpan(name, { root: true, startTime: startedAt, attributes }, ROOT_CONTEXT);
    } finally {
      this.ids.fixed = null;
    }
    if (attributes[AGENT_DAG.runStatus] === "failed") span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  /** Sends every span ended so far (OtlpBufferExporter `flush`); never throws. Pass it to `waitUntil`. */
  flush(): Promise<number> {
    return this.exporter.flush();
  }
}

function endWithError(span: Span, err: unknown): void {
  span.setAttribute("error.type", err instanceof Error ? err.name : typeof err);
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Runs `fn` as a step span when tracing is on ({@link RunTracer.step}); with no tracer, just runs it. */
export function traced<T>(
  tracer: RunTracer | undefined,
  name: string,
  opts: StepOptions<T>,
  fn: () => Promise<T>,
): Promise<T> {
  return tracer ? tracer.step(name, opts, fn) : fn();
}

/**
 * The span processor and OTLP/HTTP exporter of agent-dag's traces: ended spans wait in memory (per isolate) until
 * the request that ended them flushes (functions/app.ts, through `waitUntil`, after the answer), then go in batches
 * of OTLP JSON (`@opentelemetry/otlp-transformer`'s serializer; OTLP/HTTP with `Content-Type: application/json`,
 * https://opentelemetry.io/docs/specs/otlp/#otlphttp) to the collector with `fetch`. No timer and no background
 * export: workerd runs nothing between requests, and a request never waits on the collector.
 */
import type { Context } from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace";

/** Where and how spans are exported (functions/otel-config.ts parses it from the bindings). */
export interface OtlpExportConfig {
  /** `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
  tracesUrl: string;
  /** Extra request headers (`OTEL_EXPORTER_OTLP_HEADERS`), e.g. `Authorization`. */
  headers: Record<string, string>;
  /** `service.name` of the resource (`OTEL_SERVICE_NAME`). */
  serviceName: string;
}

/** Most spans one export request carries (the OpenTelemetry SDK's `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` default). */
export const MAX_EXPORT_BATCH = 512;

/** Most ended spans kept waiting for a flush; later ones are dropped (the SDK's `OTEL_BSP_MAX_QUEUE_SIZE` default). */
export const MAX_QUEUED_SPANS = 2048;

/** How long one export request may take before it is aborted, ms (the SDK's `OTEL_EXPORTER_OTLP_TIMEOUT` default). */
export const EXPORT_TIMEOUT_MS = 10_000;

/** The `fetch` the exporter uses (injectable for tests). */
export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Keeps ended spans until {@link OtlpBufferExporter.flush} sends them. Implements the SDK's `SpanProcessor`, so the
 * tracer provider hands it every span it ends.
 */
export class OtlpBufferExporter implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  /** Spans dropped because the queue was full, since the isolate started. */
  dropped = 0;

  constructor(
    private readonly config: OtlpExportConfig,
    private readonly fetchFn: FetchFn = (url, init) => fetch(url, init),
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.queue.length >= MAX_QUEUED_SPANS) this.dropped += 1;
    else this.queue.push(span);
  }

  /**
   * Sends every span ended so far, {@link MAX_EXPORT_BATCH} per request. Never throws: a refused or failed export
   * is logged (status only; the headers may hold credentials) and its spans are dropped.
   * @returns how many spans the collector accepted (its answer was 2xx).
   */
  async flush(): Promise<number> {
    let sent = 0;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_EXPORT_BATCH);
      try {
        const body = JsonTraceSerializer.serializeRequest(batch);
        if (!body) continue;
        const res = await this.fetchFn(this.config.tracesUrl, {
          method: "POST",
          headers: { ...this.config.headers, "Content-Type": "application/json" },
          body,
          signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (res.ok) sent += batch.length;
        else console.warn(`otlp export: ${batch.length} spans refused (HTTP ${res.status})`);
      } catch (err) {
        console.warn(`otlp export: ${batch.length} spans not sent (${(err as Error).name})`);
      }
    }
    return sent;
  }

  forceFlush(): Promise<void> {
    return this.flush().then(() => undefined);
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }
}

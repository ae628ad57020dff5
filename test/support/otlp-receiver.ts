import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One attribute value of OTLP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding). */
type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };

/** A span as the receiver decoded it: ids as hex, attributes as plain values, `headers` of its export request. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a span without parent. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  serviceName: string | undefined;
}

/** A local OTLP/HTTP receiver (JSON encoding only) on a free port: `POST /v1/traces`. */
export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:40123` (set as OTEL_EXPORTER_OTLP_ENDPOINT). */
  url: string;
  /** Every span received so far, in arrival order. */
  spans: ReceivedSpan[];
  /** The headers of every export request received. */
  requests: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

function plain(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return "";
}

function attributes(list: { key: string; value: AnyValue }[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, plain(a.value)]));
}

/** Starts the receiver on 127.0.0.1 and a free port; it answers 200 `{}` to every export (415 to non-JSON). */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: Record<string, string | string[] | undefined>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      if (!String(req.headers["content-type"]).startsWith("application/json")) {
        res.writeHead(415).end();
        return;
      }
      requests.push(req.headers);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const rs of body.resourceSpans ?? []) {
        const serviceName = attributes(rs.resource?.attributes)["service.name"];
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? "",
              name: s.name,
              kind: s.kind,
              attributes: attributes(s.attributes),
              status: s.status ?? {},
              serviceName: typeof serviceName === "string" ? serviceName : undefined,
            });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

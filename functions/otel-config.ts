import type { OtlpExportConfig } from "../shared/telemetry/otlp-exporter.js";

/** Service name of the exported spans when `OTEL_SERVICE_NAME` is unset. */
export const DEFAULT_OTEL_SERVICE_NAME = "agent-dag";

/**
 * Parses the tracing bindings (docs/tracing.md), pushing what is wrong onto `problems` (functions/env.ts turns them
 * into one misconfiguration error):
 * - `OTEL_EXPORTER_OTLP_ENDPOINT`: the OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces` (the OpenTelemetry
 *   exporter spec's rule for the signal-less variable). Unset or empty: tracing is off (null).
 * - `OTEL_EXPORTER_OTLP_HEADERS` (a secret): `name=value` pairs separated by commas, values percent-decoded, as the
 *   OpenTelemetry SDK environment variable specification defines it (e.g. `Authorization=Basic%20<base64>`).
 * - `OTEL_SERVICE_NAME`: the `service.name` resource attribute, default {@link DEFAULT_OTEL_SERVICE_NAME}.
 * @returns the exporter's settings, or null when tracing is off.
 */
export function parseOtelConfig(
  vars: {
    OTEL_EXPORTER_OTLP_ENDPOINT?: unknown;
    OTEL_EXPORTER_OTLP_HEADERS?: unknown;
    OTEL_SERVICE_NAME?: unknown;
  },
  problems: string[],
): OtlpExportConfig | null {
  const raw = typeof vars.OTEL_EXPORTER_OTLP_ENDPOINT === "string" ? vars.OTEL_EXPORTER_OTLP_ENDPOINT.trim() : "";
  if (raw === "") return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL");
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    problems.push("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL");
    return null;
  }
  const headers: Record<string, string> = {};
  const text = typeof vars.OTEL_EXPORTER_OTLP_HEADERS === "string" ? vars.OTEL_EXPORTER_OTLP_HEADERS : "";
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const i = pair.indexOf("=");
    const name = i > 0 ? pair.slice(0, i).trim() : "";
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      // the value may be a credential: name the position only
      problems.push("OTEL_EXPORTER_OTLP_HEADERS must be name=value pairs separated by commas");
      continue;
    }
    try {
      headers[name] = decodeURIComponent(pair.slice(i + 1).trim());
    } catch {
      problems.push(`OTEL_EXPORTER_OTLP_HEADERS: the value of ${name} is not percent-encoded text`);
    }
  }
  const service = typeof vars.OTEL_SERVICE_NAME === "string" ? vars.OTEL_SERVICE_NAME.trim() : "";
  return {
    tracesUrl: `${url.href.replace(/\/+$/, "")}/v1/traces`,
    headers,
    serviceName: service || DEFAULT_OTEL_SERVICE_NAME,
  };
}

/**
 * What a client sees of an unexpected server error, and what the log keeps. A 5xx body says what failed in general
 * words (storage, configuration, or "internal error"), never the error's own message: an `UpstashError` carries the
 * whole Redis command (keys, values, scripts), a configuration error may quote a secret, and the answer reaches
 * unauthenticated callers. The full error, with secrets redacted (redact.ts), goes to the log.
 */
import type { ProblemDetails } from "./problem.js";
import { REDACTED, redactSecrets } from "./redact.js";

/** The general detail of each kind of unexpected failure. */
export const SERVER_ERROR_DETAILS = {
  storage: "storage unavailable",
  configuration: "the service is misconfigured (see the worker log)",
  internal: "internal error",
} as const;

/** Which of {@link SERVER_ERROR_DETAILS} an error is: by class name, so no client library needs importing. */
export function serverErrorKind(err: unknown): keyof typeof SERVER_ERROR_DETAILS {
  const name = err instanceof Error ? err.name : "";
  const message = err instanceof Error ? err.message : "";
  if (name.startsWith("Upstash") || name === "RedisError") return "storage";
  if (name === "KeyringConfigError" || message.startsWith("agent-dag is misconfigured")) return "configuration";
  return "internal";
}

/**
 * The problem details of an unexpected error: 500 `about:blank`, "Internal Server Error", a general detail.
 * @param instance the request path.
 */
export function serverErrorProblem(err: unknown, instance: string): ProblemDetails {
  return {
    type: "about:blank",
    title: "Internal Server Error",
    status: 500,
    detail: SERVER_ERROR_DETAILS[serverErrorKind(err)],
    instance,
  };
}

/**
 * The log line of an error: name, message, stack and each `cause` (at most 5 deep), with secrets redacted.
 * @param secrets known secret values to redact (redact.ts `secretValuesOf`).
 */
export function describeForLog(err: unknown, secrets: readonly string[] = []): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      parts.push(e.stack?.includes(e.message) ? e.stack : `${e.name}: ${e.message}\n${e.stack ?? ""}`);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  const text = redactSecrets(parts.join("\ncaused by: "), secrets);
  return text.length > 0 ? text : REDACTED;
}

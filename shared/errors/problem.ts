/**
 * Problem details for HTTP APIs (RFC 9457, which obsoletes RFC 7807): the one error shape every agent-dag
 * endpoint answers with, as `application/problem+json`.
 *
 * Each problem `type` is a stable URI `https://agent-dag.dev/problems/<slug>`; clients branch on it, never on
 * `title` or `detail` (RFC 9457 §3.1.1). Field-level errors go in the `errors` extension member, each naming the
 * offending field by JSON Pointer (RFC 6901) into the request body, as in RFC 9457 §3 "errors" example.
 */

/** Base of every problem type URI (RFC 9457 §3.1.1 `type`). */
export const PROBLEM_TYPE_BASE = "https://agent-dag.dev/problems/";

/** Media type of problem details serialised as JSON (RFC 9457 §3). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * The closed set of problem types agent-dag answers with: slug -> HTTP status and human title.
 * Statuses follow RFC 9110 §15 (413 Content Too Large, 422 Unprocessable Content, 503 Service Unavailable).
 */
export const PROBLEM_TYPES = {
  "invalid-workflow": { status: 422, title: "Invalid workflow" },
  "invalid-request": { status: 422, title: "Invalid request" },
  "prompt-too-large": { status: 422, title: "Rendered prompt too large" },
  "payload-too-large": { status: 413, title: "Payload too large" },
  unauthorized: { status: 401, title: "Unauthorized" },
  "not-found": { status: 404, title: "Not found" },
  // GET or DELETE /mcp: the MCP server is stateless, POST only (functions/mcp/routes.ts)
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "idempotency-conflict": { status: 409, title: "Idempotency key reused with a different request" },
  "dispatch-unavailable": { status: 503, title: "Dispatch unavailable" },
  "malformed-json": { status: 400, title: "Malformed JSON" },
  "invalid-event-id": { status: 400, title: "Invalid Last-Event-ID" },
  "run-finished": { status: 409, title: "Run already finished" },
  "run-running": { status: 409, title: "Run is still running" },
  "rerun-blocked": { status: 409, title: "Rerun node's dependencies are not done" },
  "run-compensated": { status: 409, title: "Run was compensated" },
  // a signal to a node that is not a wait node waiting for one (functions/signal.ts)
  "node-not-waiting": { status: 409, title: "Node is not waiting for a signal" },
  "cache-invalidation-limit": { status: 409, title: "Too many cache invalidation selectors" },
  // the tenant's registry (shared/registry/) is at its cap of names or bytes; a bundled entry cannot be deleted
  "registry-full": { status: 409, title: "Registry full" },
  "registry-read-only": { status: 409, title: "Registry entry is read-only" },
  // a signed /internal/* request whose token (jti) was already used: a replayed copy (functions/middleware/qstash-signature.ts)
  "replayed-delivery": { status: 409, title: "Delivery token already used" },
  // production deploy with development signing keys or no PUBLIC_URL (functions/deployment-safety.ts)
  "unsafe-deployment": { status: 503, title: "Deployment not safe to start work" },
  // Operator quotas (TENANT_QUOTAS, shared/quota/): one type per quota, 429 with Retry-After, 403 for models/tiers
  "quota-runs-per-minute": { status: 429, title: "Quota exceeded: runs started per minute" },
  "quota-concurrent-runs": { status: 429, title: "Quota exceeded: concurrent runs" },
  "quota-nodes-per-day": { status: 429, title: "Quota exceeded: nodes per day" },
  "quota-model-not-allowed": { status: 403, title: "Quota: model or tier not allowed" },
  "provider-disabled": { status: 403, title: "Provider turned off by the operator" },
  // POST /v1/plans (functions/plans.ts): the planner's model call failed or its plan stayed invalid after one retry;
  // the tenant's daily budget refused the planner's call
  "planner-failed": { status: 502, title: "Planner failed" },
  "budget-exceeded": { status: 429, title: "Budget exceeded" },
  // Answers to QStash from /internal/execute (docs/upstash-protocols.md B5): 500 is retried with backoff, 429 after
  // its Retry-After, 489 (with Upstash-NonRetryable-Error: true) not at all.
  "node-attempt-failed": { status: 500, title: "Node attempt failed" },
  "provider-rate-limited": { status: 429, title: "Provider rate limit" },
  "node-busy": { status: 429, title: "Node held by another attempt" },
  "non-retryable": { status: 489, title: "Non-retryable failure" },
} as const satisfies Record<string, { status: number; title: string }>;

/** Slug of a problem type, e.g. `"invalid-workflow"`; see {@link PROBLEM_TYPES}. */
export type ProblemSlug = keyof typeof PROBLEM_TYPES;

/**
 * One field-level error inside a problem (extension member `errors`, RFC 9457 §3.2).
 * - `pointer`: JSON Pointer (RFC 6901) into the request body, e.g. `"/workflow/nodes/3/dependsOn/0"`;
 *   `""` means the whole body.
 * - `node`: the workflow node id concerned, when there is one.
 * - `detail`: what is wrong, for a human.
 */
export type ProblemFieldError = { pointer: string; node?: string; detail: string };

/**
 * Problem details object (RFC 9457 §3.1): `type` (URI), `title` (same for every occurrence of the type),
 * `status` (HTTP status code), `detail` (this occurrence), optional `instance` (URI of this occurrence, e.g. the
 * request path) and the `errors` extension listing field-level errors.
 */
export type ProblemDetails = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: ProblemFieldError[];
};

/** Options shared by the problem factories: `instance` URI and field-level `errors`. */
export type ProblemOptions = { instance?: string; errors?: ProblemFieldError[] };

/**
 * Returns the type URI of a slug.
 *
 * @example problemTypeUri("not-found") === "https://agent-dag.dev/problems/not-found"
 */
export function problemTypeUri(slug: ProblemSlug): string {
  return PROBLEM_TYPE_BASE + slug;
}

/**
 * Builds problem details of a known type; status and title come from {@link PROBLEM_TYPES}.
 *
 * @param slug - the problem type.
 * @param detail - human explanation of this occurrence.
 * @param options - optional `instance` and field `errors` (omitted from the object when absent or empty).
 */
export function problem(slug: ProblemSlug, detail: string, options: ProblemOptions = {}): ProblemDetails {
  const { status, title } = PROBLEM_TYPES[slug];
  const out: ProblemDetails = { type: problemTypeUri(slug), title, status, detail };
  if (options.instance !== undefined) out.instance = options.instance;
  if (options.errors !== undefined && options.errors.length > 0) out.errors = options.errors;
  return out;
}

/** 422 `invalid-workflow`: the workflow definition failed validation; `errors` name each field and node. */
export function invalidWorkflow(detail: string, options?: ProblemOptions): ProblemDetails {
  return problem("invalid-workflow", detail, options);
}

/** 422 `invalid-request`: the request body (outside the workflow definition) failed validation. */
export function invalidRequest(detail: string, options?: ProblemOptions): ProblemDetails {
  return problem("invalid-request", detail, options);
}

/**
 * 413 `payload-too-large`: the request body exceeds the limit.
 *
 * @param limitBytes - the limit in bytes (1 MiB = 1,048,576 for request bodies per the contract).
 */
export function payloadTooLarge(limitBytes: number, options?: ProblemOptions): ProblemDetails {
  return problem("payload-too-large", `Request body exceeds ${limitBytes} bytes`, options);
}

/** 401 `unauthorized`: missing or invalid credentials (API key or signature). */
export function unauthorized(detail = "Missing or invalid credentials", options?: ProblemOptions): ProblemDetails {
  return problem("unauthorized", detail, options);
}

/** 404 `not-found`: the addressed resource (run, workflow, route) does not exist. */
export function notFound(detail: string, options?: ProblemOptions): ProblemDetails {
  return problem("not-found", detail, options);
}

/** 409 `idempotency-conflict`: an `Idempotency-Key` was reused with a different request body. */
export function idempotencyConflict(detail: string, options?: ProblemOptions): ProblemDetails {
  return problem("idempotency-conflict", detail, options);
}

/** 503 `dispatch-unavailable`: the message queue (QStash) refused or failed to accept the dispatch. */
export function dispatchUnavailable(detail: string, options?: ProblemOptions): ProblemDetails {
  return problem("dispatch-unavailable", detail, options);
}

/** 400 `malformed-json`: the request body is not valid JSON. */
export function malformedJson(detail = "Request body is not valid JSON", options?: ProblemOptions): ProblemDetails {
  return problem("malformed-json", detail, options);
}

/**
 * An exception carrying problem details, thrown anywhere in the engine and turned into a response in exactly one
 * place (the app's error handler, via {@link problemResponse}). `message` is the problem's `detail`.
 */
export class ProblemError extends Error {
  /** The problem details this error answers with. */
  readonly problem: ProblemDetails;
  /** Extra response headers, e.g. `Retry-After` (RFC 9110 §10.2.3) of a 429; empty by default. */
  readonly headers: Record<string, string>;

  /**
   * @param problem - the details to answer with.
   * @param options - standard `ErrorOptions` (e.g. `cause`) and extra response `headers`.
   */
  constructor(problem: ProblemDetails, options?: ErrorOptions & { headers?: Record<string, string> }) {
    super(problem.detail, options);
    this.name = "ProblemError";
    this.problem = problem;
    this.headers = options?.headers ?? {};
  }

  /** HTTP status of the problem. */
  get status(): number {
    return this.problem.status;
  }
}

/**
 * Serialises problem details as an HTTP response: status = `p.status`, body = JSON, content type
 * `application/problem+json` (RFC 9457 §3). Extra headers (e.g. `WWW-Authenticate` for 401, RFC 9110 §11.6.1,
 * or `Retry-After` for 503) can be passed in `headers`; the content type is always set.
 */
export function problemResponse(p: ProblemDetails, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", PROBLEM_CONTENT_TYPE);
  return new Response(JSON.stringify(p), { status: p.status, headers: h });
}

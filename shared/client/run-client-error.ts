/**
 * The errors a {@link RunClient} throws: the worker refused (`RunClientError`, carrying its problem details), the
 * worker answered 2xx with a body the client cannot read (`RunResponseError`), or a followed run was not terminal
 * in time (`RunFollowTimeoutError`, carrying the last view).
 */
import { z } from "zod";
import type { ProblemDetails } from "../errors/problem.js";
import type { RunViewBody } from "./run-api.js";

/** Problem details as received: every member optional, extension members kept (RFC 9457 §3.1, §3.2). */
const receivedProblemSchema = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.looseObject({ pointer: z.string(), node: z.string().optional(), detail: z.string() })).optional(),
});

/** Longest piece of a non-problem body kept as `detail`, characters. */
const MAX_RAW_DETAIL_CHARS = 500;

/**
 * Reads a non-2xx answer's body as problem details. A problem+json body keeps its members; `type` defaults to
 * `about:blank` and `title` to the HTTP status text (RFC 9457 §4.2.1). Any other body (HTML from a proxy, plain
 * text) becomes an `about:blank` problem whose `detail` is its first 500 characters. `status` is always the HTTP
 * status of the answer, which RFC 9457 §3.1.2 makes authoritative over the member.
 * @param status the answer's HTTP status; @param statusText its reason phrase (may be empty); @param text its body.
 */
export function readProblem(status: number, statusText: string, text: string): ProblemDetails {
  const title = statusText || `HTTP ${status}`;
  let parsed: z.output<typeof receivedProblemSchema> | null = null;
  try {
    const body = receivedProblemSchema.safeParse(JSON.parse(text));
    if (body.success) parsed = body.data;
  } catch {
    // not JSON: the raw text is the detail
  }
  if (!parsed) return { type: "about:blank", title, status, detail: text.slice(0, MAX_RAW_DETAIL_CHARS) };
  const problem: ProblemDetails = {
    type: parsed.type ?? "about:blank",
    title: parsed.title ?? title,
    status,
    detail: parsed.detail ?? "",
  };
  if (parsed.instance !== undefined) problem.instance = parsed.instance;
  if (parsed.errors !== undefined) problem.errors = parsed.errors;
  return problem;
}

/**
 * A non-2xx answer from the run API. `message` reads `<METHOD> <path> answered <status>: <title>: <detail>`;
 * branch on `problem.type` (a stable URI, shared/errors/problem.ts), never on the message.
 */
export class RunClientError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The answer's problem details ({@link readProblem}): type, title, status, detail, field-level `errors`. */
  readonly problem: ProblemDetails;

  /**
   * @param method the request's method; @param path the request's path, e.g. `/v1/runs`.
   * @param problem the details read from the answer.
   */
  constructor(
    readonly method: string,
    readonly path: string,
    problem: ProblemDetails,
  ) {
    const what = [problem.title, problem.detail].filter((s) => s !== "").join(": ");
    super(`${method} ${path} answered ${problem.status}: ${what}`);
    this.name = "RunClientError";
    this.status = problem.status;
    this.problem = problem;
  }
}

/** A 2xx answer whose body is not JSON of the documented shape; `message` names the request and the first issues. */
export class RunResponseError extends Error {
  /**
   * @param method the request's method; @param path its path; @param status the answer's HTTP status.
   * @param reason what was wrong (JSON syntax error or validation issues).
   */
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    reason: string,
  ) {
    super(`${method} ${path} answered ${status} with an unreadable body: ${reason}`);
    this.name = "RunResponseError";
  }
}

/** A followed run still not terminal after the follow's `timeoutMs`; `view` is the last one read. */
export class RunFollowTimeoutError extends Error {
  /** @param view the last view read; @param timeoutMs the timeout that passed, ms. */
  constructor(
    readonly view: RunViewBody,
    readonly timeoutMs: number,
  ) {
    super(`run ${view.runId} still ${view.status} after ${timeoutMs} ms: ${JSON.stringify(view.totals)}`);
    this.name = "RunFollowTimeoutError";
  }
}

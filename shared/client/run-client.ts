/**
 * A typed client of the run API (functions/runs.ts): start a run, read its view and its output, and follow it to
 * its end. It needs only `fetch`, so it runs in Node, workerd and browsers; answers are validated with the schemas
 * of run-api.ts, and every failure is a typed error (run-client-error.ts).
 *
 * @example
 * const client = new RunClient({ baseUrl: "http://127.0.0.1:8787", apiKey: "dev-key" });
 * const view = await client.run({ workflow: "review-all", input }, { intervalMs: 500, onView: render });
 */
import { z } from "zod";
import { sleep } from "../util/sleep.js";
import {
  isTerminalStatus,
  type RunAccepted,
  type RunCancelled,
  type RunGraph,
  type RunListFilters,
  type RunOutput,
  type RunPageBody,
  type RunRequest,
  type RunRestarted,
  type RunSignalled,
  type RunViewBody,
  runAcceptedSchema,
  runCancelledSchema,
  runGraphSchema,
  runOutputSchema,
  runPageSchema,
  runRestartedSchema,
  runSignalledSchema,
  runViewBodySchema,
} from "./run-api.js";
import { RunClientError, RunFollowTimeoutError, RunResponseError, readProblem } from "./run-client-error.js";

/** How often {@link RunClient.follow} reads the run view by default, ms. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 250;

/** Where the run API is and how to authenticate. */
export interface RunClientOptions {
  /** The worker's origin (optionally with a path prefix), e.g. `https://agent-dag.example.workers.dev`. */
  baseUrl: string;
  /** An API key of the worker (`API_KEYS`), sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** The fetch to use (default: the global one), e.g. a Hono app's `request` in tests. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** Options of one request: aborting `signal` aborts the request (the promise rejects with its reason). */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** Options of {@link RunClient.start}. */
export interface StartOptions extends RequestOptions {
  /** Sent as `Idempotency-Key` (1..255 characters): repeating it returns the first run (`created: false`). */
  idempotencyKey?: string;
}

/** Options of {@link RunClient.follow}. */
export interface FollowOptions extends RequestOptions {
  /** Pause between the end of one read of the view and the start of the next, ms (default 250). */
  intervalMs?: number;
  /** Give up after this long, ms: {@link RunFollowTimeoutError} carries the last view. Default: never. */
  timeoutMs?: number;
  /** Called with every view read, the terminal one included, before the next pause; what it throws ends the follow. */
  onView?: (view: RunViewBody) => void;
}

/** A client of one worker's run API, with one API key. */
export class RunClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: (input: string, init: RequestInit) => Promise<Response>;

  /**
   * @param options base URL, API key and an optional fetch.
   * @throws TypeError when `baseUrl` is not an absolute URL or `apiKey` is empty.
   */
  constructor(options: RunClientOptions) {
    new URL(options.baseUrl); // throws TypeError when not absolute
    if (options.apiKey === "") throw new TypeError("Expected a non-empty `apiKey`");
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    // called unbound: workerd and browsers refuse a global fetch called as a method of another object
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * `POST /v1/runs`: starts a run of a bundled workflow (by name) or of an inline definition.
   * @returns the run id, its status, `created` (false for an idempotent replay) and its links.
   * @throws RunClientError on a non-2xx answer (e.g. 422 `invalid-workflow` with field `errors`, 409
   *   `idempotency-conflict`, 503 `dispatch-unavailable`); RunResponseError on an unreadable 2xx body.
   */
  async start(body: RunRequest, options: StartOptions = {}): Promise<RunAccepted> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    return this.#request("POST", "/v1/runs", runAcceptedSchema, {
      headers,
      body: JSON.stringify(body),
      signal: options.signal,
    });
  }

  /**
   * `GET /v1/runs/:id`: the run's view (todo list by level, timings ms, tokens, cost USD, critical path).
   * @throws RunClientError on a non-2xx answer (404 `not-found` for an unknown, expired or foreign run);
   *   RunResponseError on an unreadable 2xx body.
   */
  async get(runId: string, options: RequestOptions = {}): Promise<RunViewBody> {
    return this.#request("GET", runPath(runId), runViewBodySchema, { signal: options.signal });
  }

  /**
   * `GET /v1/runs/:id/output`: the full output text of each sink node (a node nothing depends on).
   * @throws RunClientError on a non-2xx answer; RunResponseError on an unreadable 2xx body.
   */
  async output(runId: string, options: RequestOptions = {}): Promise<RunOutput> {
    return this.#request("GET", `${runPath(runId)}/output`, runOutputSchema, { signal: options.signal });
  }

  /**
   * `GET /v1/runs/:id/graph`: the run's DAG (nodes in topological order with agent, level and dependencies).
   * @throws RunClientError on a non-2xx answer (404 `not-found`); RunResponseError on an unreadable 2xx body.
   */
  async graph(runId: string, options: RequestOptions = {}): Promise<RunGraph> {
    return this.#request("GET", `${runPath(runId)}/graph`, runGraphSchema, { signal: options.signal });
  }

  /**
   * `GET /v1/runs`: one page of the tenant's runs, newest first, filtered (status, workflow, trigger, since, until),
   * at most `limit` (1..100, default 20); pass the page's `nextCursor` as `cursor` for the next one.
   * @throws RunClientError on a non-2xx answer (422 `invalid-request` naming the bad parameter).
   */
  async list(filters: RunListFilters = {}, options: RequestOptions = {}): Promise<RunPageBody> {
    return this.#request("GET", `/v1/runs${listQuery(filters)}`, runPageSchema, { signal: options.signal });
  }

  /**
   * `POST /v1/runs/:id/cancel`: cancels a running run (its unfinished nodes become `cancelled`); repeating it is
   * harmless (`alreadyCancelled: true`).
   * @throws RunClientError on a non-2xx answer (404 `not-found`; 409 `run-finished` when it already ended).
   */
  async cancel(runId: string, options: RequestOptions = {}): Promise<RunCancelled> {
    return this.#request("POST", `${runPath(runId)}/cancel`, runCancelledSchema, { signal: options.signal });
  }

  /**
   * `POST /v1/runs/:id/retry`: runs the failed or cancelled nodes of an ended run again, and what they block.
   * @throws RunClientError on a non-2xx answer (409 `run-running`, or `run-finished` for a completed run).
   */
  async retry(runId: string, options: StartOptions = {}): Promise<RunRestarted> {
    return this.#action(`${runPath(runId)}/retry`, {}, options);
  }

  /**
   * `POST /v1/runs/:id/rerun {from}`: runs node `from` and everything downstream of it again.
   * @throws RunClientError on a non-2xx answer (422 for an unknown node, 409 `run-running` or `rerun-blocked`).
   */
  async rerun(runId: string, from: string, options: StartOptions = {}): Promise<RunRestarted> {
    return this.#action(`${runPath(runId)}/rerun`, { from }, options);
  }

  /**
   * `POST /v1/runs/:id/nodes/:node/signal {approved?, payload?}`: the signal a waiting wait node waits for.
   * @throws RunClientError on a non-2xx answer (409 `node-not-waiting`, 404 for an unknown run or node, 422 for a bad
   *   body).
   */
  async signal(
    runId: string,
    nodeId: string,
    body: { approved?: boolean; payload?: unknown },
    options: StartOptions = {},
  ): Promise<RunSignalled> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    return this.#request("POST", `${runPath(runId)}/nodes/${encodeURIComponent(nodeId)}/signal`, runSignalledSchema, {
      headers,
      body: JSON.stringify(body),
      signal: options.signal,
    });
  }

  #action(path: string, body: object, options: StartOptions): Promise<RunRestarted> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    return this.#request("POST", path, runRestartedSchema, {
      headers,
      body: JSON.stringify(body),
      signal: options.signal,
    });
  }

  /**
   * Reads the run's view until its status is terminal (`completed`, `failed`, `cancelled`), pausing `intervalMs`
   * between reads, and returns that final view.
   * @throws RunFollowTimeoutError when `timeoutMs` passes first; the signal's reason when it aborts; the errors of
   *   {@link RunClient.get}.
   */
  async follow(runId: string, options: FollowOptions = {}): Promise<RunViewBody> {
    const { intervalMs = DEFAULT_FOLLOW_INTERVAL_MS, timeoutMs, signal, onView } = options;
    if (!(intervalMs >= 0)) throw new TypeError(`Expected \`intervalMs\` to be a number >= 0, got ${intervalMs}`);
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    for (;;) {
      const view = await this.get(runId, { signal });
      onView?.(view);
      if (isTerminalStatus(view.status)) return view;
      if (timeoutMs !== undefined && Date.now() >= deadline) throw new RunFollowTimeoutError(view, timeoutMs);
      await sleep(intervalMs, signal);
    }
  }

  /**
   * Starts a run and follows it to its end: {@link RunClient.start}, then {@link RunClient.follow}.
   * @returns the final view. @throws the errors of both.
   */
  async run(body: RunRequest, options: StartOptions & FollowOptions = {}): Promise<RunViewBody> {
    const { runId } = await this.start(body, options);
    return this.follow(runId, options);
  }

  async #request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    init: { headers?: Record<string, string>; body?: string; signal?: AbortSignal | undefined },
  ): Promise<z.output<S>> {
    init.signal?.throwIfAborted(); // whether or not the given fetch honours the signal
    const doFetch = this.#fetch;
    const res = await doFetch(this.#baseUrl + path, {
      method,
      headers: { accept: "application/json", authorization: `Bearer ${this.#apiKey}`, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
    const text = await res.text();
    if (!res.ok) throw new RunClientError(method, path, readProblem(res.status, res.statusText, text));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new RunResponseError(method, path, res.status, err instanceof Error ? err.message : String(err));
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new RunResponseError(method, path, res.status, z.prettifyError(parsed.error));
    return parsed.data;
  }
}

/** The query string of `GET /v1/runs` for `filters` (`""` when none is set); `status` joins with commas. */
export function listQuery(filters: RunListFilters): string {
  const q = new URLSearchParams();
  if (filters.status && filters.status.length > 0) q.set("status", filters.status.join(","));
  for (const key of ["workflow", "trigger", "since", "until", "limit", "cursor"] as const) {
    const v = filters[key];
    if (v !== undefined && v !== "") q.set(key, String(v));
  }
  const text = q.toString();
  return text === "" ? "" : `?${text}`;
}

/** The path of a run's view; the id is percent-encoded, so any string stays one path segment. */
function runPath(runId: string): string {
  return `/v1/runs/${encodeURIComponent(runId)}`;
}

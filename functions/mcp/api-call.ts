/**
 * The MCP server's one way to act: a request to the worker's own Hono app, in process (no network), carrying the
 * MCP caller's `Authorization` header. The route that answers it is the one HTTP clients reach, so starting,
 * cancelling, retrying, viewing and listing runs, planning and listing workflows each keep one implementation, and
 * its API-key check, tenant rules, validation (problem+json with JSON pointers) and deployment guard apply unchanged.
 */

/** Dispatches a request to the worker's Hono app (`app.fetch` bound to this request's bindings and context). */
export type AppFetch = (request: Request) => Promise<Response>;

/** One API request: method, path with query (e.g. `/v1/runs?limit=5`), JSON body, `Idempotency-Key` header. */
export interface ApiRequest {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  idempotencyKey?: string | undefined;
}

/** The route's answer: HTTP status and parsed JSON body (a problem+json object when `ok` is false). */
export interface ApiAnswer {
  ok: boolean;
  status: number;
  body: unknown;
}

/** Sends {@link ApiRequest}s as the MCP caller. */
export type ApiCaller = (request: ApiRequest) => Promise<ApiAnswer>;

/**
 * An {@link ApiCaller} for one MCP request.
 * @param fetchApp the worker's app.
 * @param origin the MCP request's origin (`https://host`): routes that build links or callback URLs from the request
 *   origin (runs.ts without `PUBLIC_URL`) see the same one as an HTTP client's request.
 * @param authorization the caller's `Authorization` header, forwarded as is (the route checks it again).
 */
export function apiCaller(fetchApp: AppFetch, origin: string, authorization: string): ApiCaller {
  return async ({ method, path, body, idempotencyKey }) => {
    const headers = new Headers({ authorization, accept: "application/json" });
    if (body !== undefined) headers.set("content-type", "application/json");
    if (idempotencyKey !== undefined) headers.set("idempotency-key", idempotencyKey);
    const res = await fetchApp(
      new Request(new URL(path, origin), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      parsed = { detail: text };
    }
    return { ok: res.ok, status: res.status, body: parsed };
  };
}

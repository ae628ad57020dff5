import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { type Context, Hono } from "hono";
import { problem, problemResponse } from "../../shared/errors/problem.js";
import { MAX_TRIGGER_BYTES } from "../../shared/schema/trigger.js";
import type { AppEnv } from "../app-env.js";
import type { Env } from "../env.js";
import { apiKeyAuth } from "../middleware/api-key.js";
import { apiCaller } from "./api-call.js";
import { createMcpServer } from "./mcp-server.js";

/** Largest MCP request body, bytes: a `start_run` with the largest trigger body plus room for its JSON-RPC envelope. */
export const MAX_MCP_BODY_BYTES = MAX_TRIGGER_BYTES + 64 * 1024;

/** The worker's app as the MCP tools call it: `app.fetch` (functions/app.ts). */
export type AppFetchHandler = (
  request: Request,
  env: Env,
  ctx: McpContext["executionCtx"],
) => Response | Promise<Response>;

type McpContext = Context<AppEnv>;

/**
 * `/mcp`: the MCP server (docs/mcp.md) over Streamable HTTP (MCP spec 2025-06-18, "Transports"), stateless: each
 * `POST` builds a server and a transport for that request and answers JSON (no SSE stream, no session id, nothing
 * stored between requests), which suits Workers. `GET` (a server-to-client stream) and `DELETE` (ending a session)
 * answer 405 `method-not-allowed` with `Allow: POST`, as the spec allows a server without them. Every method needs
 * the Bearer API key first (functions/middleware/api-key.ts): a missing or unknown key is 401 problem+json before
 * any MCP message is read.
 * The tools act by calling `app` in process with the caller's key (functions/mcp/api-call.ts).
 */
export function mcpRoutes(app: AppFetchHandler): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use("*", apiKeyAuth());
  routes.post("/", async (c) => {
    const ctx = executionContextOf(c);
    const api = apiCaller(
      async (request) => app(request, c.env, ctx),
      new URL(c.req.url).origin,
      c.req.header("authorization") ?? "",
    );
    const server = createMcpServer(api);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: MAX_MCP_BODY_BYTES,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
  routes.on(["GET", "DELETE"], "/", (c) =>
    problemResponse(
      problem("method-not-allowed", `${c.req.method} /mcp is not supported: this MCP server is stateless, POST only`),
      { Allow: "POST" },
    ),
  );
  return routes;
}

/** The request's `ExecutionContext`, or a stand-in when there is none (Hono's getter throws then: `app.request`). */
function executionContextOf(c: McpContext): McpContext["executionCtx"] {
  try {
    return c.executionCtx;
  } catch {
    return { waitUntil() {}, passThroughOnException() {}, props: {} };
  }
}

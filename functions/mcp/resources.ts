import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { ApiCaller } from "./api-call.js";
import { runIdInput } from "./tool-inputs.js";
import { problemText } from "./tool-result.js";

/** JSON-RPC error code of an unknown resource (MCP spec 2025-06-18, "Resources: error handling"). */
export const RESOURCE_NOT_FOUND = -32002;

/** URI of a run's view as an MCP resource. */
export const runViewUri = (runId: string) => `agent-dag://runs/${runId}`;

/** The resource read of one API answer: its JSON body; a 404 (or a malformed id) as {@link RESOURCE_NOT_FOUND}. */
async function read(api: ApiCaller, uri: URL, runId: unknown, suffix: string): Promise<ReadResourceResult> {
  if (!runIdInput.shape.runId.safeParse(runId).success) {
    throw new McpError(RESOURCE_NOT_FOUND, `No run resource ${uri.href}`);
  }
  const answer = await api({ method: "GET", path: `/v1/runs/${runId}${suffix}` });
  if (!answer.ok) {
    const code =
      answer.status === 404
        ? RESOURCE_NOT_FOUND
        : answer.status >= 500
          ? ErrorCode.InternalError
          : ErrorCode.InvalidParams;
    throw new McpError(code, problemText(answer.status, answer.body));
  }
  return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(answer.body) }] };
}

/**
 * Registers the run resources: `agent-dag://runs/{runId}` (the view of `GET /v1/runs/:id`, listed for the tenant's 20
 * newest runs) and `agent-dag://runs/{runId}/output` (`GET /v1/runs/:id/output`), read through the same routes as
 * the tools, so the same tenant rules apply (another tenant's run is not found).
 */
export function registerRunResources(server: McpServer, api: ApiCaller): void {
  server.registerResource(
    "run-output",
    new ResourceTemplate("agent-dag://runs/{runId}/output", { list: undefined }),
    {
      title: "Run output",
      description: "The full output text of each sink node of a run",
      mimeType: "application/json",
    },
    (uri, { runId }) => read(api, uri, runId, "/output"),
  );
  server.registerResource(
    "run",
    new ResourceTemplate("agent-dag://runs/{runId}", {
      async list() {
        const answer = await api({ method: "GET", path: "/v1/runs?limit=20" });
        const runs = answer.ok
          ? ((answer.body as { runs?: { runId: string; workflow: string; status: string }[] }).runs ?? [])
          : [];
        return {
          resources: runs.map((r) => ({
            uri: runViewUri(r.runId),
            name: `${r.workflow} ${r.runId}`,
            description: `Run of ${r.workflow}: ${r.status}`,
            mimeType: "application/json",
          })),
        };
      },
    }),
    {
      title: "Run",
      description: "A run's progress: the todo list by level with timings, tokens, cost and the critical path",
      mimeType: "application/json",
    },
    (uri, { runId }) => read(api, uri, runId, ""),
  );
}

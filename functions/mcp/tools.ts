import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ApiCaller } from "./api-call.js";
import {
  listRunsInput,
  planTaskInput,
  retryRunInput,
  runIdInput,
  runListQueryString,
  startRunInput,
} from "./tool-inputs.js";
import { toolResult } from "./tool-result.js";

/** The names of the MCP tools, in the order `tools/list` answers them. */
export const MCP_TOOL_NAMES = [
  "list_workflows",
  "start_run",
  "get_run",
  "get_run_output",
  "list_runs",
  "cancel_run",
  "retry_run",
  "plan_task",
] as const;

const runPath = (runId: string) => `/v1/runs/${runId}`;

/**
 * Registers the eight tools on `server`. Each one is one request to the HTTP route it names (functions/mcp/api-call.ts)
 * as the caller: a 2xx answer is the result (JSON text and `structuredContent`), a problem is a result with
 * `isError: true` and the problem's detail (functions/mcp/tool-result.ts). Run ids are checked for form before the
 * request (they become a path segment); another tenant's run is the route's 404, like an unknown one.
 */
export function registerTools(server: McpServer, api: ApiCaller): void {
  server.registerTool(
    "list_workflows",
    {
      title: "List workflows",
      description:
        "Lists the workflows start_run can run by name: the tenant's registered ones and the bundled ones (e.g. " +
        "hello, review-all), each with its description, node count, source and latest version. (GET /v1/workflows)",
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => toolResult(await api({ method: "GET", path: "/v1/workflows" })),
  );
  server.registerTool(
    "start_run",
    {
      title: "Start a run",
      description:
        "Starts a run of a workflow and answers its runId at once (the run goes on in the background: follow it " +
        "with get_run, read its result with get_run_output). workflow: a workflow name from list_workflows (version " +
        "pins a registered version) or an inline workflow definition (docs/workflows.md); or plan: a plan id from " +
        "plan_task. input: any JSON value the prompts read as {{input.*}}. budget: {tokens?, usd?, onBudget?: " +
        "fail|downgrade} replaces the workflow's run budget. simulate.latencyMs: the simulated provider's latency " +
        "(its outputs say they are simulated). (POST /v1/runs)",
      inputSchema: startRunInput,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => toolResult(await api({ method: "POST", path: "/v1/runs", body: args })),
  );
  server.registerTool(
    "get_run",
    {
      title: "Get a run's progress",
      description:
        "A run's progress as a todo list by level: status (running, completed, failed, cancelled, …), each node's " +
        "status, attempts, timings (ms), tokens, cost (USD), model and route, an excerpt of its output and its " +
        "error; totals, the critical path and the budget's use. Poll it until status is completed, failed or " +
        "cancelled. (GET /v1/runs/:id)",
      inputSchema: runIdInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ runId }) => toolResult(await api({ method: "GET", path: runPath(runId) })),
  );
  server.registerTool(
    "get_run_output",
    {
      title: "Get a run's output",
      description:
        "The full output text of each sink node (a node nothing depends on) of a run, by node id; a node that has " +
        "not finished is absent. (GET /v1/runs/:id/output)",
      inputSchema: runIdInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ runId }) => toolResult(await api({ method: "GET", path: `${runPath(runId)}/output` })),
  );
  server.registerTool(
    "list_runs",
    {
      title: "List runs",
      description:
        "The tenant's runs, newest first, one page at a time (nextCursor for the next), each with status, " +
        "workflow, trigger, times and totals; filtered by status, workflow, trigger and creation time. (GET /v1/runs)",
      inputSchema: listRunsInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => toolResult(await api({ method: "GET", path: `/v1/runs${runListQueryString(args)}` })),
  );
  server.registerTool(
    "cancel_run",
    {
      title: "Cancel a run",
      description:
        "Cancels a running run: nodes not yet done are cancelled and no further provider call starts. A run " +
        "that already ended is refused (run-finished). (POST /v1/runs/:id/cancel)",
      inputSchema: runIdInput,
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ runId }) => toolResult(await api({ method: "POST", path: `${runPath(runId)}/cancel` })),
  );
  server.registerTool(
    "retry_run",
    {
      title: "Retry or rerun a run",
      description:
        "Runs a failed or cancelled run again as its next try, keeping the nodes that are done (POST " +
        "/v1/runs/:id/retry); with from, reruns that node and everything downstream of it, also in a completed run " +
        "(POST /v1/runs/:id/rerun). A run still running is refused (run-running).",
      inputSchema: retryRunInput,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async ({ runId, from, idempotencyKey }) =>
      toolResult(
        await api(
          from === undefined
            ? { method: "POST", path: `${runPath(runId)}/retry`, body: {}, idempotencyKey }
            : { method: "POST", path: `${runPath(runId)}/rerun`, body: { from }, idempotencyKey },
        ),
      ),
  );
  server.registerTool(
    "plan_task",
    {
      title: "Plan a task",
      description:
        "Plans a task described in words: picks a registered or bundled workflow that fits, or builds a DAG over " +
        "the available agents, and answers the stored plan (id, workflow, a preview of each node's model and " +
        "worst-case tokens and USD, whether it fits the budget). Nothing runs: start it with start_run {plan: " +
        "<id>} (plans are kept 24 h). (POST /v1/plans, docs/planner.md)",
      inputSchema: planTaskInput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    async (args) => toolResult(await api({ method: "POST", path: "/v1/plans", body: args })),
  );
}

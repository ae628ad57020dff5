import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { ApiCaller } from "./api-call.js";
import { registerRunResources } from "./resources.js";
import { registerTools } from "./tools.js";

/** What `initialize` answers as the server's implementation (`serverInfo`). */
export const MCP_SERVER_INFO = { name: "agent-dag", version: "0.1.0" } as const;

/** What `initialize` tells the model about using the tools (MCP `instructions`). */
const INSTRUCTIONS =
  "agent-dag runs DAGs of LLM agents. list_workflows shows what start_run can run by name; start_run answers a " +
  "runId at once; poll get_run until its status is completed, failed or cancelled, then read get_run_output. " +
  "plan_task turns a task in words into a plan that start_run {plan} runs. Outputs of the simulated provider say so.";

/**
 * A fresh MCP server for one request (stateless Streamable HTTP: no session outlives the request), with the tools
 * and run resources acting through `api` as the caller. JSON Schema validation (the SDK's, for elicitation) uses
 * `@cfworker/json-schema`: the SDK's default, Ajv, compiles validators with `new Function`, which workerd forbids.
 */
export function createMcpServer(api: ApiCaller): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
  });
  registerTools(server, api);
  registerRunResources(server, api);
  return server;
}

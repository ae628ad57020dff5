import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MCP_TOOL_NAMES } from "../../functions/mcp/tools.js";
import { isSimulatedText } from "../../shared/providers/simulated.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

/**
 * The MCP server at `/mcp` through the official MCP SDK client (`Client` + `StreamableHTTPClientTransport`), against
 * the worker, the local stack and a real Redis, with the simulated provider: the dev stack's keys `dev-key` (tenant
 * `dev`) and `cron-dev-key` (tenant `cron`, wrangler.toml `[env.dev]`).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

describe("MCP server (official SDK client, full stack)", () => {
  let h: Harness;
  const open: Client[] = [];

  async function connect(apiKey: string): Promise<Client> {
    const client = new Client({ name: "agent-dag-e2e", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
    });
    await client.connect(transport);
    open.push(client);
    return client;
  }
  async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    return (await client.callTool({ name, arguments: args })) as CallToolResult;
  }

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    for (const c of open) await c.close().catch(() => {});
    await h?.close();
  });

  it("lists the eight tools, each input schema from the HTTP API's", async () => {
    const client = await connect("dev-key");
    expect(client.getServerVersion()?.name).toBe("agent-dag");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...MCP_TOOL_NAMES].sort());
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    // start_run is the POST /v1/runs body: workflow by name or definition, plan, version, input, simulate, budget
    const start = byName.start_run?.inputSchema;
    expect(Object.keys(start?.properties ?? {}).sort()).toEqual([
      "budget",
      "input",
      "plan",
      "simulate",
      "version",
      "workflow",
    ]);
    expect(start?.additionalProperties).toBe(false);
    expect(byName.plan_task?.inputSchema.required).toEqual(["task"]);
    expect(Object.keys(byName.list_runs?.inputSchema.properties ?? {}).sort()).toEqual(
      ["cursor", "limit", "since", "status", "trigger", "until", "workflow"].sort(),
    );
    expect(byName.get_run?.inputSchema.required).toEqual(["runId"]);
  });

  it("starts review-all, polls get_run to completion and reads the synthesised output", async () => {
    const client = await connect("dev-key");
    const workflows = await call(client, "list_workflows");
    expect(workflows.isError).toBeFalsy();
    const names = (workflows.structuredContent as { workflows: { name: string }[] }).workflows.map((w) => w.name);
    expect(names).toContain("review-all");

    const started = await call(client, "start_run", {
      workflow: "review-all",
      input: { repo: "mcp-e2e", tree: "index.ts", files: "=== index.ts\nexport const x = 1;\n", omitted: "nothing" },
      budget: { tokens: 2_000_000 },
    });
    expect(started.isError).toBeFalsy();
    const { runId, created } = started.structuredContent as { runId: string; created: boolean };
    expect(runId).toMatch(/^run_[0-9a-f]{26}$/);
    expect(created).toBe(true);

    let view:
      | { status: string; simulated: boolean; totals: { done: number; nodes: number }; budget: unknown }
      | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const r = await call(client, "get_run", { runId });
      expect(r.isError).toBeFalsy();
      view = r.structuredContent as typeof view;
      if (view && ["completed", "failed", "cancelled"].includes(view.status)) break;
      await sleep(150);
    }
    expect(view?.status).toBe("completed");
    expect(view?.totals).toMatchObject({ done: 7, nodes: 7 });
    expect(view?.simulated).toBe(true);
    expect(view?.budget).toMatchObject({ tokens: 2_000_000, onBudget: "fail" });

    const output = await call(client, "get_run_output", { runId });
    expect(output.isError).toBeFalsy();
    const { outputs, status } = output.structuredContent as { status: string; outputs: Record<string, string | null> };
    expect(status).toBe("completed");
    expect(Object.keys(outputs)).toEqual(["senior-reviewer"]);
    const report = outputs["senior-reviewer"] ?? "";
    expect(report.length).toBeGreaterThan(0);
    expect(isSimulatedText(report)).toBe(true);
    // the same body as the HTTP route's
    const http = await fetch(`${h.url}/v1/runs/${runId}/output`, { headers: { authorization: "Bearer dev-key" } });
    expect(await http.json()).toEqual(output.structuredContent);

    // listed by list_runs, and readable as a resource
    const listed = await call(client, "list_runs", { workflow: "review-all", status: ["completed"], limit: 5 });
    expect((listed.structuredContent as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toContain(runId);
    const resource = await client.readResource({ uri: `agent-dag://runs/${runId}` });
    const first = resource.contents[0] as { text: string };
    expect(JSON.parse(first.text)).toMatchObject({ runId, status: "completed" });
    const outputResource = await client.readResource({ uri: `agent-dag://runs/${runId}/output` });
    expect(JSON.parse((outputResource.contents[0] as { text: string }).text)).toEqual(output.structuredContent);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`agent-dag://runs/${runId}`);

    // a finished run cannot be cancelled: the route's problem, as a tool error
    const cancel = await call(client, "cancel_run", { runId });
    expect(cancel.isError).toBe(true);
    expect(textOf(cancel)).toContain("run-finished");
  });

  it("a wrong or missing API key gets an error from the SDK client, and no data", async () => {
    await expect(connect("not-a-key")).rejects.toThrow(/401|Unknown API key/);
    const res = await fetch(`${h.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await res.text()).not.toContain("start_run");
  });

  it("another tenant's run id is not found, by tools and resources alike", async () => {
    const dev = await connect("dev-key");
    const started = await call(dev, "start_run", { workflow: "hello", input: { topic: "tenancy" } });
    expect(started.isError).toBeFalsy();
    const { runId } = started.structuredContent as { runId: string };

    const other = await connect("cron-dev-key");
    for (const name of ["get_run", "get_run_output", "cancel_run", "retry_run"]) {
      const r = await call(other, name, { runId });
      expect(r.isError, name).toBe(true);
      expect(textOf(r), name).toMatch(/^Not found \(HTTP 404\): No run run_/);
      expect(textOf(r), name).not.toContain("hello");
    }
    await expect(other.readResource({ uri: `agent-dag://runs/${runId}` })).rejects.toThrow(/No run/);
    const listed = await call(other, "list_runs", {});
    expect((listed.structuredContent as { runs: { runId: string }[] }).runs.map((r) => r.runId)).not.toContain(runId);
    // the owner still sees it
    expect((await call(dev, "get_run", { runId })).isError).toBeFalsy();
  });

  it("bad arguments are tool errors naming the field, and nothing starts", async () => {
    const client = await connect("dev-key");
    const before = (await call(client, "list_runs", { limit: 100 })).structuredContent as { runs: unknown[] };
    // a malformed definition: the route's problem, with its JSON pointer
    const bad = await call(client, "start_run", {
      workflow: { name: "broken", nodes: [{ id: "a", agent: "nobody", prompt: "x" }] },
    });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain("/workflow/nodes/0");
    // out of the trigger schema: refused before the route
    const neither = await call(client, "start_run", { input: {} });
    expect(neither.isError).toBe(true);
    expect(textOf(neither)).toMatch(/workflow \(or plan\) is required/);
    const limit = await call(client, "list_runs", { limit: 500 });
    expect(limit.isError).toBe(true);
    expect(textOf(limit)).toContain("/limit");
    const after = (await call(client, "list_runs", { limit: 100 })).structuredContent as { runs: unknown[] };
    expect(after.runs.length).toBe(before.runs.length);
  });

  it("plans a task with plan_task and runs the plan with start_run", async () => {
    const client = await connect("dev-key");
    const planned = await call(client, "plan_task", { task: "say hello to the world", budget: { usd: 1 } });
    expect(planned.isError).toBeFalsy();
    const plan = planned.structuredContent as { id: string; simulated: boolean };
    expect(plan.id).toMatch(/^plan_[0-9a-f]{26}$/);
    expect(plan.simulated).toBe(true);
    const started = await call(client, "start_run", { plan: plan.id });
    expect(started.isError).toBeFalsy();
    const { runId } = started.structuredContent as { runId: string };
    const view = await h.waitForRun(runId);
    expect(view.trigger).toBe(`plan:${plan.id}`);
  });
});

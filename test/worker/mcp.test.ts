import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keysUnderPrefix, postRun } from "./helpers.js";

/** One JSON-RPC request to `/mcp` (stateless Streamable HTTP: no initialize needed per request) with `key`. */
function rpc(method: string, params: unknown, key: string | null = "dev-key"): Promise<Response> {
  return SELF.fetch("http://agent-dag.test/mcp", {
    method: "POST",
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
}

interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

async function callTool(name: string, args: unknown, key = "dev-key"): Promise<ToolResult> {
  const res = await rpc("tools/call", { name, arguments: args }, key);
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: ToolResult }).result;
}

describe("/mcp in workerd", () => {
  it("no key or an unknown key is 401 problem+json, and nothing of the server is answered", async () => {
    for (const key of [null, "wrong-key"]) {
      const res = await rpc("tools/list", {}, key);
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(await res.text()).not.toContain("start_run");
    }
  });

  it("GET and DELETE are 405 with Allow: POST (stateless server)", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await SELF.fetch("http://agent-dag.test/mcp", {
        method,
        headers: { authorization: "Bearer dev-key", accept: "text/event-stream" },
      });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(((await res.json()) as { type: string }).type).toMatch(/method-not-allowed$/);
    }
  });

  it("an invalid inline workflow is a tool error with the route's pointer, and nothing is stored", async () => {
    const before = await keysUnderPrefix();
    const r = await callTool("start_run", {
      workflow: {
        name: "bad",
        nodes: [
          { id: "a", prompt: "x" },
          { id: "b", dependsOn: ["nope"], prompt: "y" },
        ],
      },
    });
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toMatch(/^Invalid workflow \(HTTP 422\)/);
    expect(r.content[0]?.text).toContain("/workflow/nodes/1/dependsOn/0");
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("a run is the starting tenant's: another key's get_run, cancel_run and resource read find nothing", async () => {
    const started = await postRun({ workflow: "hello", simulate: { latencyMs: 60_000 } });
    const { runId } = (await started.json()) as { runId: string };
    const mine = await callTool("get_run", { runId });
    expect(mine.isError).toBeFalsy();
    expect(mine.structuredContent).toMatchObject({ runId, workflow: "hello" });
    for (const name of ["get_run", "cancel_run"]) {
      const theirs = await callTool(name, { runId }, "acme-key");
      expect(theirs.isError, name).toBe(true);
      expect(theirs.content[0]?.text, name).toMatch(/^Not found \(HTTP 404\)/);
    }
    const res = await rpc("resources/read", { uri: `agent-dag://runs/${runId}` }, "acme-key");
    const body = (await res.json()) as { error?: { code: number } };
    expect(body.error?.code).toBe(-32002);
    // the owner can still cancel it
    expect((await callTool("cancel_run", { runId })).structuredContent).toMatchObject({ status: "cancelled" });
  });
});

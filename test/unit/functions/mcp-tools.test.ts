import { describe, expect, it } from "vitest";
import { listRunsInput, retryRunInput, runIdInput, runListQueryString } from "../../../functions/mcp/tool-inputs.js";
import { problemText, toolResult } from "../../../functions/mcp/tool-result.js";
import { runListQuerySchema } from "../../../shared/schema/run-list-query.js";

/** The MCP tools' pure parts: list_runs arguments as the route's query, and API answers as tool results. */
describe("list_runs arguments", () => {
  it("become the GET /v1/runs query that the route's schema parses to the same filters", () => {
    const args = listRunsInput.parse({
      status: ["completed", "failed"],
      workflow: "review-all",
      since: "2026-12-01T00:00:00Z",
      limit: 5,
    });
    const qs = runListQueryString(args);
    expect(qs).toBe("?status=completed&status=failed&workflow=review-all&since=2026-12-01T00%3A00%3A00Z&limit=5");
    const params = new URLSearchParams(qs.slice(1));
    const queries = Object.fromEntries([...new Set(params.keys())].map((k) => [k, params.getAll(k)]));
    expect(runListQuerySchema.parse(queries)).toMatchObject({
      status: ["completed", "failed"],
      workflow: "review-all",
      since: Date.parse("2026-12-01T00:00:00Z"),
      limit: 5,
    });
  });

  it("no arguments: no query string", () => {
    expect(runListQueryString(listRunsInput.parse({}))).toBe("");
  });

  it("has exactly the route's query parameters, and refuses others", () => {
    expect(Object.keys(listRunsInput.shape).sort()).toEqual(Object.keys(runListQuerySchema.in.shape).sort());
    expect(listRunsInput.safeParse({ page: 2 }).success).toBe(false);
  });
});

describe("run ids and retry arguments", () => {
  it("a run id is run_ and 26 hex digits: a path segment cannot be smuggled in", () => {
    expect(runIdInput.safeParse({ runId: `run_${"a".repeat(26)}` }).success).toBe(true);
    for (const runId of ["..", "run_../../v1/workflows", `run_${"A".repeat(26)}`, ""]) {
      expect(runIdInput.safeParse({ runId }).success, runId).toBe(false);
    }
  });

  it("from is a node id as the rerun route takes it", () => {
    const runId = `run_${"0".repeat(26)}`;
    expect(retryRunInput.safeParse({ runId, from: "security-reviewer" }).success).toBe(true);
    expect(retryRunInput.safeParse({ runId, from: "no spaces" }).success).toBe(false);
  });
});

describe("tool results", () => {
  it("a 2xx object is JSON text and structured content", () => {
    const r = toolResult({ ok: true, status: 200, body: { runId: "run_x", status: "running" } });
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toEqual({ runId: "run_x", status: "running" });
    expect(JSON.parse((r.content[0] as { text: string }).text)).toEqual({ runId: "run_x", status: "running" });
  });

  it("a problem is isError with its title, status, detail and field errors", () => {
    const body = {
      type: "https://agent-dag.dev/problems/invalid-workflow",
      title: "Invalid workflow",
      status: 422,
      detail: "node b depends on unknown node c",
      errors: [{ pointer: "/workflow/nodes/1/dependsOn/0", node: "b", detail: "unknown node c" }],
    };
    const r = toolResult({ ok: false, status: 422, body });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    const lines = (r.content[0] as { text: string }).text.split("\n");
    expect(lines[0]).toBe("Invalid workflow (HTTP 422): node b depends on unknown node c");
    expect(lines[1]).toBe("- /workflow/nodes/1/dependsOn/0 [node b]: unknown node c");
    expect(JSON.parse(lines[2] as string)).toEqual(body);
  });

  it("a body that is not problem details still reads as a failure", () => {
    expect(problemText(502, null).split("\n")[0]).toBe("Request failed (HTTP 502)");
  });
});

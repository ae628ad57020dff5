import { describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../../../local/agent-dag/args.js";
import { dashboardUrl, exitStatusOf, formatRunsTable } from "../../../local/agent-dag/format.js";

const ENV = { AGENT_DAG_URL: "https://w.example", AGENT_DAG_API_KEY: "k" };
const RUN = "run_0123456789abcdef0123456789";

describe("parseCommandLine", () => {
  it("parses run with a file, an input and --watch, connecting through the environment", () => {
    expect(parseCommandLine(["run", "flow.json", "--input", "in.json", "--watch"], ENV)).toEqual({
      command: { kind: "run", workflow: "flow.json", input: "in.json", watch: true },
      connection: { url: "https://w.example", apiKey: "k", json: false },
    });
  });

  it("lets --url and --key override the environment", () => {
    const { connection } = parseCommandLine(["watch", RUN, "--url", "http://127.0.0.1:8787", "--key", "dev"], ENV);
    expect(connection).toEqual({ url: "http://127.0.0.1:8787", apiKey: "dev", json: false });
  });

  it("collects repeated and comma-separated statuses for runs, and checks --limit", () => {
    const { command } = parseCommandLine(["runs", "--status", "running,failed", "--status", "cancelled"], ENV);
    expect(command).toEqual({
      kind: "runs",
      status: ["running", "failed", "cancelled"],
      workflow: undefined,
      trigger: undefined,
      limit: 20,
    });
    expect(() => parseCommandLine(["runs", "--limit", "500"], ENV)).toThrow(/--limit expects an integer 1..100/);
  });

  it("parses the actions and rerun's --from", () => {
    for (const kind of ["cancel", "retry", "output"] as const) {
      expect(parseCommandLine([kind, RUN], ENV).command).toEqual({ kind, runId: RUN });
    }
    expect(parseCommandLine(["rerun", RUN, "--from", "b"], ENV).command).toEqual({
      kind: "rerun",
      runId: RUN,
      from: "b",
    });
    expect(() => parseCommandLine(["rerun", RUN], ENV)).toThrow(/--from/);
  });

  it("parses signal: its run and node, --reject and a JSON --payload", () => {
    expect(parseCommandLine(["signal", RUN, "approve"], ENV).command).toEqual({
      kind: "signal",
      runId: RUN,
      nodeId: "approve",
      approved: true,
      payload: undefined,
    });
    expect(parseCommandLine(["signal", RUN, "approve", "--reject", "--payload", '{"why":"no"}'], ENV).command).toEqual({
      kind: "signal",
      runId: RUN,
      nodeId: "approve",
      approved: false,
      payload: { why: "no" },
    });
    expect(() => parseCommandLine(["signal", RUN], ENV)).toThrow(/<runId> <node>/);
    expect(() => parseCommandLine(["signal", RUN, "a", "--payload", "{bad"], ENV)).toThrow(/--payload expects JSON/);
    expect(() => parseCommandLine(["signal", RUN, "a", "extra"], ENV)).toThrow(/unexpected argument "extra"/);
    expect(() => parseCommandLine(["cancel", RUN, "a"], ENV)).toThrow(/unexpected argument "a"/);
  });

  it("answers help without a connection", () => {
    expect(parseCommandLine([], {})).toEqual({ command: { kind: "help" }, connection: null });
    expect(parseCommandLine(["runs", "--help"], {}).command).toEqual({ kind: "help" });
  });

  it("refuses unknown commands and options, missing arguments, and a missing URL or key", () => {
    expect(() => parseCommandLine(["launch"], ENV)).toThrow(UsageError);
    expect(() => parseCommandLine(["runs", "--colour"], ENV)).toThrow(UsageError);
    expect(() => parseCommandLine(["cancel"], ENV)).toThrow(/expects a run id/);
    expect(() => parseCommandLine(["cancel", RUN, "extra"], ENV)).toThrow(/unexpected argument/);
    expect(() => parseCommandLine(["runs"], { AGENT_DAG_API_KEY: "k" })).toThrow(/AGENT_DAG_URL/);
    expect(() => parseCommandLine(["runs"], { AGENT_DAG_URL: "https://w.example" })).toThrow(/AGENT_DAG_API_KEY/);
    expect(() => parseCommandLine(["runs", "--url", "not a url"], ENV)).toThrow(/not an absolute URL/);
  });
});

describe("CLI formatting", () => {
  const run = {
    runId: RUN,
    status: "completed",
    workflow: "review-all",
    trigger: "api",
    createdAt: "2026-12-07T09:00:00.000Z",
    finishedAt: "2026-12-07T09:00:03.500Z",
    totals: { nodes: 7, done: 6, failed: 1, skipped: 0, inputTokens: 1500, outputTokens: 500, costUsd: 0.0123 },
  };

  it("prints an aligned table with a header", () => {
    const lines = formatRunsTable(
      [run, { ...run, runId: "run_x", status: "running", finishedAt: null }],
      Date.parse("2026-12-07T09:01:00Z"),
    ).split("\n");
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+WORKFLOW\s+TRIGGER\s+CREATED \(UTC\)\s+TOOK\s+NODES\s+TOKENS\s+COST$/);
    expect(lines[1]).toContain("completed");
    expect(lines[1]).toContain("2026-12-07 09:00:00");
    expect(lines[1]).toContain("3.50 s");
    expect(lines[1]).toContain("6/7 (1 failed)");
    expect(lines[1]).toContain("2.0k");
    expect(lines[1]).toContain("$0.0123");
    expect(lines[2]).toContain("1 m 00 s"); // a running run's duration runs to now
    expect(lines[1]?.indexOf("completed")).toBe(lines[2]?.indexOf("running"));
    expect(formatRunsTable([], 0)).toBe("no runs");
  });

  it("exits 0 only for a completed run and links the dashboard", () => {
    expect([exitStatusOf("completed"), exitStatusOf("failed"), exitStatusOf("cancelled")]).toEqual([0, 1, 1]);
    expect(dashboardUrl("https://w.example/", RUN)).toBe(`https://w.example/#/runs/${RUN}`);
  });
});

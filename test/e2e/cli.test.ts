/**
 * `agent-dag` against a running worker (workerd + local stack + real Redis), as a user calls it: the bin script
 * through Node, the connection from AGENT_DAG_URL and AGENT_DAG_API_KEY, output on a pipe (one line per change).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../local/project-root.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

const run = promisify(execFile);
const BIN = join(PROJECT_ROOT, "bin", "agent-dag.mjs");

describe("agent-dag CLI", () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env, cwd: PROJECT_ROOT });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    h = await startHarness();
    env = { ...process.env, AGENT_DAG_URL: h.url, AGENT_DAG_API_KEY: "dev-key" };
  });
  afterAll(async () => {
    await h?.close();
  });

  it("runs a workflow file with an input file and --watch, then lists it and prints its output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-dag-cli-"));
    const wf = workflow([node("pros"), node("cons"), node("verdict", ["pros", "cons"])], { name: "pros-cons" });
    writeFileSync(join(dir, "flow.json"), JSON.stringify(wf));
    writeFileSync(join(dir, "input.json"), JSON.stringify({ topic: "queues" }));
    const out = await cli("run", join(dir, "flow.json"), "--input", join(dir, "input.json"), "--watch");
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const runId = /^(run_[0-9a-f]{26}) running {2}http/.exec(out.stdout)?.[1] as string;
    expect(runId).toBeDefined();
    expect(out.stdout).toContain(`${h.url}/#/runs/${runId}`);
    expect(out.stdout).toMatch(/✔ verdict {2}done {2}level 2/);
    // "run completed" after a change, or the first line already says "completed" when the run ended before it
    expect(out.stdout).toMatch(/(?:\brun|pros-cons run_[0-9a-f]{26}) completed/);

    const list = await cli("runs", "--status", "completed", "--workflow", "pros-cons", "--json");
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toContain(runId);

    const output = await cli("output", runId);
    expect(output.stdout).toMatch(/^=== verdict\n\[SIMULATED OUTPUT/);
  });

  it("cancels a long run, exits 1 from watch on it, and refuses to retry a running run", async () => {
    const { runId } = await h.client.start({
      workflow: workflow([node("slow", [], { simulate: { latencyMs: 120_000 } }), node("after", ["slow"])]),
    });
    const refused = await cli("retry", runId);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/409/);
    const cancelled = await cli("cancel", runId);
    expect(cancelled.stdout).toMatch(new RegExp(`^${runId} cancelled`));
    const watched = await cli("watch", runId);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toContain("cancelled");
  });

  it("exits 2 with one line for a bad command line, and 1 when the worker refuses the key", async () => {
    const bad = await cli("launch");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('agent-dag: unknown command "launch" (agent-dag --help lists them)\n');
    env = { ...env, AGENT_DAG_API_KEY: "wrong" };
    const refused = await cli("runs");
    env = { ...env, AGENT_DAG_API_KEY: "dev-key" };
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401/);
  });
});

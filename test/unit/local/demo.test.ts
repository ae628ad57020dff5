import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCodebase } from "../../../local/codebase";
import { describeInput, synthesisText } from "../../../local/demo";
import { workerBindings } from "../../../local/worker-bindings";
import { curlHelp, wranglerDevArgs } from "../../../local/dev";
import { node, runningView } from "./fixtures";

describe("demo helpers", () => {
  it("points every Upstash variable of the worker at the stack, as plain_text bindings", () => {
    const bindings = workerBindings(
      {
        redisRestUrl: "http://127.0.0.1:4001",
        redisToken: "tok",
        qstashUrl: "http://127.0.0.1:4002",
        qstashToken: "qtok",
        signingKeys: { current: "sig_a", next: "sig_b" },
      },
      "http://127.0.0.1:4003",
      { SIMULATED_LATENCY_MS: "250" },
    );
    expect(bindings).toEqual({
      UPSTASH_REDIS_REST_URL: { type: "plain_text", value: "http://127.0.0.1:4001" },
      UPSTASH_REDIS_REST_TOKEN: { type: "plain_text", value: "tok" },
      QSTASH_URL: { type: "plain_text", value: "http://127.0.0.1:4002" },
      QSTASH_TOKEN: { type: "plain_text", value: "qtok" },
      QSTASH_CURRENT_SIGNING_KEY: { type: "plain_text", value: "sig_a" },
      QSTASH_NEXT_SIGNING_KEY: { type: "plain_text", value: "sig_b" },
      PUBLIC_URL: { type: "plain_text", value: "http://127.0.0.1:4003" },
      SIMULATED_LATENCY_MS: { type: "plain_text", value: "250" },
    });
  });

  it("describes the codebase input in one line", async () => {
    const root = await mkdtemp(join(tmpdir(), "agent-dag-demo-"));
    try {
      await writeFile(join(root, "a.ts"), "x\n");
      await writeFile(join(root, "yarn.lock"), "lock\n");
      const input = await readCodebase(root, { name: "demo" });
      expect(describeInput(input)).toBe("demo: 1 of 2 files, 29 B of the 256 KiB budget; omitted: 1 lock file");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("shows the senior reviewer's output, else the sinks, else why there is none", () => {
    const view = runningView({ status: "completed" });
    expect(synthesisText({ runId: "r", status: "completed", outputs: { "senior-reviewer": "All good." } }, view)).toBe("All good.");
    expect(synthesisText({ runId: "r", status: "completed", outputs: { other: "x" } }, view)).toBe("## other\nx");
    const failed = runningView({
      status: "failed",
      levels: [{ level: 1, title: "", nodes: [node("codebase-analyzer", { status: "failed", error: "boom" })] }],
    });
    expect(synthesisText({ runId: "r", status: "failed", outputs: {} }, failed)).toBe(
      "(no output: the run ended failed: codebase-analyzer failed (boom))",
    );
  });
});

describe("dev helpers", () => {
  it("runs wrangler dev on 127.0.0.1:8787 with the dev env", () => {
    expect(wranglerDevArgs()).toEqual(expect.arrayContaining(["dev", "--env", "dev", "--ip", "127.0.0.1", "--port", "8787"]));
  });

  it("prints a curl whose body is valid JSON for review-all and safe inside single quotes", () => {
    const help = curlHelp("http://127.0.0.1:8787");
    const body = /-d '([^']*)'/.exec(help)?.[1];
    expect(body).toBeDefined();
    const parsed = JSON.parse(body ?? "") as { workflow: string; input: Record<string, string> };
    expect(parsed.workflow).toBe("review-all");
    expect(Object.keys(parsed.input).sort()).toEqual(["files", "omitted", "repo", "tree"]);
    expect(help).toContain("curl -X POST http://127.0.0.1:8787/v1/runs -H 'authorization: Bearer dev-key'");
  });
});

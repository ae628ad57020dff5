import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { RunClientError } from "../../shared/client/run-client-error.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";
import { readWorkload, workloadWorkflow } from "../support/workloads.js";

const allNodes = (v: RunViewBody) => v.levels.flatMap((l) => l.nodes);

describe("end to end: worker in workerd + local QStash + Upstash REST + real Redis", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("runs review-all to completion: 7 nodes, each once, synthesis stored", async () => {
    const input = {
      repo: "tiny",
      tree: "tiny/\n  index.ts",
      files: "=== index.ts\nexport const x = 1;\n",
      omitted: "nothing",
    };
    const started = await h.client.start({ workflow: "review-all", input, simulate: { latencyMs: 20 } });
    expect(started.created).toBe(true);
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    expect(view.totals.done).toBe(7);
    expect(view.levels.map((l) => l.nodes.length)).toEqual([1, 5, 1]);
    for (const n of allNodes(view)) expect(n.attempts).toBe(1);
    expect(view.simulated).toBe(true);
    expect(view.criticalPath.nodes).toHaveLength(3);
    const { outputs } = await h.client.output(started.runId);
    expect(Object.keys(outputs)).toEqual(["senior-reviewer"]);
    expect(outputs["senior-reviewer"]).toMatch(/SIMULATED/);
  });

  it("runs a 203-node real DAG (viralrecon) with every node run exactly once", async () => {
    const tasks = readWorkload("viralrecon-dirt02-001");
    h.stack.resetStats();
    const started = await h.client.start({ workflow: workloadWorkflow("viralrecon", tasks, 0) });
    expect(started.created).toBe(true);
    const view = await h.waitForRun(started.runId, 150_000);
    expect(view.status).toBe("completed");
    expect(view.totals.done).toBe(tasks.length);
    const nodes = allNodes(view);
    expect(nodes).toHaveLength(tasks.length);
    expect(nodes.filter((n) => n.attempts !== 1)).toEqual([]);
    await h.stack.idle();
    // one delivery per message and nothing else: execute advances the DAG itself, no success callback; and fewer
    // messages than nodes, since deliveries went on to run nodes their completions released (chains)
    const stats = h.stack.stats();
    expect(stats.qstashDeliveries).toBe(stats.qstashMessagesPublished);
    expect(stats.qstashMessagesPublished).toBeLessThan(tasks.length);
    expect(stats.qstashCallbacks).toBe(0);
  });

  it("fails the run when a node exhausts its retries: descendants skipped, other branches finish", async () => {
    const wf = workflow([
      node("a"),
      node("b", ["a"], { retries: 1, simulate: { failAttempts: 99 } }),
      node("c", ["b"]),
      node("d", ["c"]),
      node("e", ["a"]),
    ]);
    const started = await h.client.start({ workflow: wf });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("failed");
    const byId = Object.fromEntries(allNodes(view).map((n) => [n.id, n]));
    expect(byId.a?.status).toBe("done");
    expect(byId.b?.status).toBe("failed");
    expect(byId.b?.attempts).toBe(2);
    expect(byId.b?.error).toMatch(/simulated failure/);
    expect(byId.c?.status).toBe("skipped");
    expect(byId.d?.status).toBe("skipped");
    expect(byId.e?.status).toBe("done");
    expect(view.totals).toMatchObject({ done: 2, failed: 1, skipped: 2, running: 0, pending: 0, queued: 0 });
  });

  it("retries a flaky node and completes it", async () => {
    const started = await h.client.start({
      workflow: workflow([node("flaky", [], { retries: 3, simulate: { failAttempts: 2 } }), node("after", ["flaky"])]),
    });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    expect(allNodes(view).find((n) => n.id === "flaky")?.attempts).toBe(3);
  });

  it("refuses a forged callback and the run is unaffected", async () => {
    const started = await h.client.start({ workflow: workflow([node("slow", [], { simulate: { latencyMs: 300 } })]) });
    const forged = JSON.stringify({
      status: 500,
      body: "",
      retried: 3,
      maxRetries: 3,
      sourceMessageId: "msg_forged",
      sourceBody: btoa(JSON.stringify({ runId: started.runId, nodeId: "slow" })),
    });
    for (const path of ["/internal/failure", "/internal/callback"]) {
      const res = await fetch(`${h.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "upstash-signature": "eyJhbGciOiJIUzI1NiJ9.e30.forged" },
        body: forged,
      });
      expect(res.status).toBe(401);
    }
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
  });

  it("the run client reads the worker's answers: idempotent replay, problem details, output", async () => {
    const key = `e2e-${Math.random().toString(36).slice(2)}`;
    const body = { workflow: workflow([node("only")]) };
    const first = await h.client.start(body, { idempotencyKey: key });
    const replay = await h.client.start(body, { idempotencyKey: key });
    expect([first.created, replay.created]).toEqual([true, false]);
    expect(replay.runId).toBe(first.runId);
    const refused = await h.client.start({ workflow: workflow([node("a", ["missing"])]) }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RunClientError);
    const problem = (refused as RunClientError).problem;
    expect(problem).toMatchObject({ type: "https://agent-dag.dev/problems/invalid-workflow", status: 422 });
    expect(problem.errors?.[0]?.pointer).toMatch(/^\/workflow\/nodes\/0\/dependsOn/);
    const missing = await h.client.get("run_00000000000000000000000000").catch((err: unknown) => err);
    expect((missing as RunClientError).status).toBe(404);
    const view = await h.client.follow(first.runId, { intervalMs: 50, timeoutMs: 30_000 });
    expect(view.status).toBe("completed");
    expect(Object.keys((await h.client.output(first.runId)).outputs)).toEqual(["only"]);
  });
});

describe("end to end under duplicate delivery", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ chaos: { duplicateDelivery: true } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("completes every node once when every message is delivered twice", async () => {
    const tasks = readWorkload("methylseq-dirt02-001");
    const started = await h.client.start({ workflow: workloadWorkflow("methylseq", tasks, 0) });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    const nodes = allNodes(view);
    expect(nodes).toHaveLength(tasks.length);
    expect(view.totals.done).toBe(tasks.length);
    // every execute was delivered twice, but each node ran (claimed) once
    expect(nodes.filter((n) => n.attempts !== 1)).toEqual([]);
    await h.stack.idle();
    // each execute message twice (no success callbacks: execute advances the DAG itself)
    const stats = h.stack.stats();
    expect(stats.qstashMessagesPublished).toBeGreaterThan(0);
    expect(stats.qstashDeliveries).toBeGreaterThanOrEqual(2 * stats.qstashMessagesPublished);
  });

  it("completes review-all under duplicate delivery", async () => {
    const started = await h.client.start({
      workflow: "review-all",
      input: { repo: "x", tree: "", files: "", omitted: "" },
    });
    const view = await h.waitForRun(started.runId);
    expect(view.status).toBe("completed");
    expect(view.totals.done).toBe(7);
  });
});

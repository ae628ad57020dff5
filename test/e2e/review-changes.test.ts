import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { SIMULATED_BANNER } from "../../shared/providers/simulated.js";
import reviewChanges from "../../workflows/review-changes.json";
import { fakeAnthropicVars } from "../support/fake-anthropic-vars.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

/**
 * The bundled `review-changes` workflow (workflows/review-changes.json) through the worker, the local stack and a
 * real Redis: analyzer (structured list of files) → map of per-file reviews (structured) → conditional approval →
 * report, on the simulated provider and on the fake Anthropic endpoint. Both answer `securityIssue: true`, so the run
 * waits at `approve` until a signal.
 */

const nodesOf = (v: RunViewBody) => Object.fromEntries(v.levels.flatMap((l) => l.nodes).map((n) => [n.id, n]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small change set, as the demo's input would carry it (local/codebase.ts), with a diff. */
const LINE = `const q = "SELECT * FROM users WHERE name = '" + req.query.name + "'";`;
const INPUT = {
  repo: "shop",
  diff: `--- a/src/login.ts\n+++ b/src/login.ts\n+${LINE}`,
  tree: "src/\n  login.ts",
  files: `<file path="src/login.ts">\n${LINE}\n</file>`,
  omitted: "",
};

/** Reads the run view until `ok` holds (every 100 ms, at most `ms`). */
async function until(h: Harness, runId: string, ok: (v: RunViewBody) => boolean, ms = 30_000): Promise<RunViewBody> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await h.client.get(runId);
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`run ${runId} never got there: ${JSON.stringify(nodesOf(v))}`);
    await sleep(100);
  }
}

describe("review-changes on the simulated provider", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ vars: { SIMULATED_LATENCY_MS: "20" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("waits at approve after a review reports a security issue; the approval lets the report read the reviews", async () => {
    const { runId } = await h.client.start({ workflow: "review-changes", input: INPUT });
    const waiting = await until(h, runId, (v) => nodesOf(v).approve?.status === "waiting");
    expect(waiting.status).toBe("running");
    const nodes = nodesOf(waiting);
    // the analyzer's structured list has one file, so the map has one child, whose review says securityIssue
    expect(JSON.parse(nodes.analyze?.excerpt ?? "null")).toEqual({
      files: [{ path: SIMULATED_BANNER, change: SIMULATED_BANNER }],
    });
    expect(nodes["review[0]"]?.status).toBe("done");
    expect(nodes["review[1]"]).toBeUndefined();
    // the question quotes the reviews: the map's array of structured outputs
    expect(nodes.approve?.wait?.question).toContain('"securityIssue":true');
    expect(nodes.approve?.wait).toMatchObject({ asked: true, signal: null });
    expect(nodes.approve?.wait?.question).toContain("reported a security issue in the change set of shop");
    expect(nodes.report?.status).toBe("pending");

    await h.client.signal(runId, "approve", { approved: true, payload: { by: "e2e" } });
    const done = await h.waitForRun(runId, 30_000);
    expect(done.status).toBe("completed");
    expect(done.simulated).toBe(true);
    const report = (await h.client.output(runId)).outputs.report ?? "";
    expect(report.startsWith(SIMULATED_BANNER)).toBe(true);
    // the simulated answer quotes the prompt's first lines: the reviews, the map's output, are its shared context
    expect(report).toContain("> [the output of review is given above as shared context]");
  });

  it("with no security issue, approve completes unasked and the report runs at once", async () => {
    // the bundled definition, inline, with securityIssue fixed to false: the simulated provider answers a const
    const wf = structuredClone(reviewChanges) as typeof reviewChanges;
    wf.nodes[1]!.output!.schema.properties!.securityIssue = { type: "boolean", const: false } as never;
    const { runId } = await h.client.start({ workflow: { ...wf, name: "review-changes-calm" }, input: INPUT });
    const v = await h.waitForRun(runId, 30_000);
    expect(v.status).toBe("completed");
    expect(nodesOf(v).approve).toMatchObject({ status: "done", wait: { asked: false, question: null } });
    expect(nodesOf(v).approve?.wait?.signal).toMatchObject({ approved: true, source: "condition" });
    expect(nodesOf(v).report?.status).toBe("done");
  });

  it("a rejection stops the run before the report", async () => {
    const { runId } = await h.client.start({ workflow: "review-changes", input: INPUT });
    await until(h, runId, (v) => nodesOf(v).approve?.status === "waiting");
    await h.client.signal(runId, "approve", { approved: false });
    const v = await h.waitForRun(runId, 30_000);
    expect(v.status).toBe("failed");
    expect(nodesOf(v).approve?.error).toMatch(/^rejected by signal/);
    expect(nodesOf(v).report?.status).toBe("skipped");
  });
});

describe("review-changes on the fake Anthropic endpoint", () => {
  let h: Harness;
  let fake: FakeProviderServer;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    h = await startHarness({ vars: fakeAnthropicVars(fake.baseUrl) });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it("answers the structured nodes with schema-valid JSON, waits for the approval, then completes", async () => {
    fake.reset();
    const { runId } = await h.client.start({ workflow: "review-changes", input: INPUT });
    const waiting = await until(h, runId, (v) => nodesOf(v).approve?.status === "waiting");
    const question = nodesOf(waiting).approve?.wait?.question ?? "";
    expect(question).toContain('"securityIssue":true');
    expect(question).toContain('"findings":["[FAKE ANTHROPIC claude-haiku-4-5: no model was called]"]');
    expect(waiting.simulated).toBe(false);

    await h.client.signal(runId, "approve", {});
    const done = await h.waitForRun(runId, 30_000);
    expect(done.status).toBe("completed");
    // one request per node that called a model: analyze, review[0], report; each tier's model
    const calls = fake.calls();
    expect(calls.map((c) => c.model)).toEqual(["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5"]);
    // the report's request carries the reviews and the approval the signal made
    const reportBody = JSON.stringify(calls[2]?.body);
    expect(reportBody).toContain('\\"securityIssue\\":true');
    expect(reportBody).toContain('\\"asked\\":true');
    expect(done.totals.costUsd).toBeGreaterThan(0);
  });
});

import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { listQuery, RunClient } from "../../../shared/client/run-client.js";
import { RunClientError, RunResponseError } from "../../../shared/client/run-client-error.js";
import { invalidRequest, problem, problemResponse } from "../../../shared/errors/problem.js";

const RUN_ID = "run_0123456789abcdef0123456789";

const summary = {
  runId: RUN_ID,
  status: "completed",
  workflow: "review-all",
  trigger: "api",
  createdAt: "2026-12-07T09:00:00.000Z",
  finishedAt: "2026-12-07T09:00:01.000Z",
  totals: { nodes: 7, done: 7, failed: 0, skipped: 0, inputTokens: 10, outputTokens: 5, costUsd: 0 },
};

/** A worker stand-in for the list and action routes; records every request. */
function fakeWorker() {
  const requests: { method: string; url: string; body: string; key: string | undefined }[] = [];
  const app = new Hono();
  app.use("*", async (c, next) => {
    requests.push({
      method: c.req.method,
      url: c.req.url.replace("http://worker.test", ""),
      body: await c.req.text(),
      key: c.req.header("idempotency-key"),
    });
    await next();
  });
  app.get("/v1/runs", (c) => {
    if (c.req.query("limit") === "0") return problemResponse(invalidRequest("Invalid query"));
    return c.json({ runs: [summary], nextCursor: c.req.query("cursor") ? null : "next-page" });
  });
  app.post("/v1/runs/:id/cancel", (c) =>
    c.json({ runId: c.req.param("id"), status: "cancelled", alreadyCancelled: false, nodesCancelled: 3 }),
  );
  app.post("/v1/runs/:id/retry", () => problemResponse(problem("run-running", "still running")));
  app.post("/v1/runs/:id/rerun", async (c) => {
    const { from } = (await c.req.json()) as { from: string };
    if (from === "broken") return c.json({ runId: RUN_ID });
    return c.json({ runId: c.req.param("id"), status: "running", try: 2, reset: [from], from }, 202);
  });
  const client = new RunClient({
    baseUrl: "http://worker.test",
    apiKey: "dev-key",
    fetch: async (input, init) => app.request(input, init),
  });
  return { client, requests };
}

describe("listQuery", () => {
  it("is empty without filters and joins statuses with commas", () => {
    expect(listQuery({})).toBe("");
    expect(listQuery({ status: [] })).toBe("");
    expect(listQuery({ status: ["running", "failed"], workflow: "review-all", limit: 5 })).toBe(
      "?status=running%2Cfailed&workflow=review-all&limit=5",
    );
  });

  it("encodes a cron trigger and passes times as given", () => {
    expect(listQuery({ trigger: "cron:0 6 * * *", since: 1000, until: "2026-12-07T00:00:00Z" })).toBe(
      "?trigger=cron%3A0+6+*+*+*&since=1000&until=2026-12-07T00%3A00%3A00Z",
    );
  });
});

describe("RunClient.list", () => {
  it("reads a page with its cursor and sends the filters", async () => {
    const { client, requests } = fakeWorker();
    const page = await client.list({ status: ["completed"], workflow: "review-all" });
    expect(page.runs.map((r) => r.runId)).toEqual([RUN_ID]);
    expect(page.nextCursor).toBe("next-page");
    expect(requests[0]?.url).toBe("/v1/runs?status=completed&workflow=review-all");
    const last = await client.list({ cursor: "next-page" });
    expect(last.nextCursor).toBeNull();
  });

  it("throws the worker's problem on a bad filter", async () => {
    const { client } = fakeWorker();
    const err = await client.list({ limit: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunClientError);
    expect((err as RunClientError).status).toBe(422);
  });
});

describe("RunClient actions", () => {
  it("cancels with a POST and returns what it cancelled", async () => {
    const { client, requests } = fakeWorker();
    const out = await client.cancel(RUN_ID);
    expect(out).toMatchObject({ status: "cancelled", alreadyCancelled: false, nodesCancelled: 3 });
    expect(requests[0]).toMatchObject({ method: "POST", url: `/v1/runs/${RUN_ID}/cancel` });
  });

  it("reruns from a node with its idempotency key", async () => {
    const { client, requests } = fakeWorker();
    const out = await client.rerun(RUN_ID, "quality-reviewer", { idempotencyKey: "k1" });
    expect(out).toMatchObject({ status: "running", try: 2, from: "quality-reviewer" });
    expect(requests[0]).toMatchObject({ body: '{"from":"quality-reviewer"}', key: "k1" });
  });

  it("surfaces a refused retry as its problem type and an unreadable answer as RunResponseError", async () => {
    const { client } = fakeWorker();
    const err = (await client.retry(RUN_ID).catch((e: unknown) => e)) as RunClientError;
    expect(err.problem.type).toBe("https://agent-dag.dev/problems/run-running");
    await expect(client.rerun(RUN_ID, "broken")).rejects.toBeInstanceOf(RunResponseError);
  });
});

import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { RunClient } from "../../../shared/client/run-client.js";
import { RunClientError, RunFollowTimeoutError, RunResponseError } from "../../../shared/client/run-client-error.js";
import { idempotencyConflict, invalidWorkflow, notFound, problemResponse } from "../../../shared/errors/problem.js";
import { at, runningView } from "../local/fixtures.js";

const RUN_ID = "run_0123456789abcdef0123456789";

/** A run view body as the worker sends it, with `status` and `done` set. */
function viewBody(status: string, done = 1) {
  const base = runningView({ runId: RUN_ID, status, finishedAt: status === "running" ? null : at(3100) });
  return { ...base, totals: { ...base.totals, done }, budgetUsage: null };
}

/** A worker stand-in: records every request and answers `GET /v1/runs/:id` with `views` in turn (the last repeats). */
function fakeWorker(views: unknown[] = []) {
  const requests: { method: string; path: string; headers: Record<string, string>; body: string }[] = [];
  const app = new Hono();
  app.use("*", async (c, next) => {
    requests.push({
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      headers: Object.fromEntries(c.req.raw.headers),
      body: await c.req.text(),
    });
    await next();
  });
  app.post("/v1/runs", (c) => {
    const key = c.req.header("idempotency-key");
    if (key === "conflict") return problemResponse(idempotencyConflict("key reused", { instance: "/v1/runs" }));
    const self = `/v1/runs/${RUN_ID}`;
    const created = key !== "seen";
    return c.json(
      { runId: RUN_ID, status: "running", created, links: { self, output: `${self}/output` } },
      created ? 202 : 200,
    );
  });
  let read = 0;
  app.get("/v1/runs/:id", (c) => {
    if (c.req.param("id") !== RUN_ID) return problemResponse(notFound(`No run ${c.req.param("id")}`));
    const view = views[Math.min(read, views.length - 1)];
    read += 1;
    return c.json(view);
  });
  app.get("/v1/runs/:id/output", (c) =>
    c.json({ runId: RUN_ID, status: "completed", outputs: { "senior-reviewer": "LGTM", other: null } }),
  );
  const client = new RunClient({
    baseUrl: "http://worker.test/",
    apiKey: "dev-key",
    fetch: async (input, init) => app.request(input, init),
  });
  return { app, client, requests, reads: () => read };
}

describe("RunClient.start", () => {
  it("posts the body with the API key and the idempotency key, and returns the accepted run", async () => {
    const { client, requests } = fakeWorker();
    const body = { workflow: "review-all", input: { repo: "x" }, simulate: { latencyMs: 5 } };
    const accepted = await client.start(body, { idempotencyKey: "k-1" });
    expect(accepted).toEqual({
      runId: RUN_ID,
      status: "running",
      created: true,
      links: { self: `/v1/runs/${RUN_ID}`, output: `/v1/runs/${RUN_ID}/output` },
    });
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/v1/runs");
    expect(req?.headers).toMatchObject({
      authorization: "Bearer dev-key",
      "content-type": "application/json",
      "idempotency-key": "k-1",
    });
    expect(JSON.parse(req?.body ?? "")).toEqual(body);
  });

  it("reports an idempotent replay (200) as created: false and sends no key when none is given", async () => {
    const { client, requests } = fakeWorker();
    expect((await client.start({ workflow: "review-all" }, { idempotencyKey: "seen" })).created).toBe(false);
    await client.start({ workflow: "review-all" });
    expect(requests[1]?.headers["idempotency-key"]).toBeUndefined();
  });
});

describe("RunClient error mapping", () => {
  it("throws RunClientError carrying the problem details of a non-2xx answer", async () => {
    const app = new Hono();
    app.post("/v1/runs", () =>
      problemResponse(
        invalidWorkflow("Workflow has a cycle", {
          errors: [{ pointer: "/workflow/nodes/1/dependsOn/0", node: "b", detail: "cycle a -> b -> a" }],
        }),
      ),
    );
    const client = new RunClient({
      baseUrl: "http://w.test",
      apiKey: "k",
      fetch: async (i, init) => app.request(i, init),
    });
    const err = await client.start({ workflow: { name: "x" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunClientError);
    const e = err as RunClientError;
    expect(e.status).toBe(422);
    expect(e.problem).toEqual({
      type: "https://agent-dag.dev/problems/invalid-workflow",
      title: "Invalid workflow",
      status: 422,
      detail: "Workflow has a cycle",
      errors: [{ pointer: "/workflow/nodes/1/dependsOn/0", node: "b", detail: "cycle a -> b -> a" }],
    });
    expect(e.message).toBe("POST /v1/runs answered 422: Invalid workflow: Workflow has a cycle");
  });

  it("maps 404 and 409 answers of the worker's routes", async () => {
    const { client } = fakeWorker([viewBody("running")]);
    const missing = await client.get("run_nope").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RunClientError);
    expect((missing as RunClientError).problem.type).toBe("https://agent-dag.dev/problems/not-found");
    expect((missing as RunClientError).path).toBe("/v1/runs/run_nope");
    const conflict = await client.start({ workflow: "review-all" }, { idempotencyKey: "conflict" }).catch((e) => e);
    expect((conflict as RunClientError).status).toBe(409);
    expect((conflict as RunClientError).problem.instance).toBe("/v1/runs");
  });

  it("turns a body that is not problem+json into an about:blank problem with the text as detail", async () => {
    const client = new RunClient({
      baseUrl: "http://w.test",
      apiKey: "k",
      fetch: async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    });
    const err = (await client.get(RUN_ID).catch((e: unknown) => e)) as RunClientError;
    expect(err).toBeInstanceOf(RunClientError);
    expect(err.problem).toEqual({
      type: "about:blank",
      title: "Bad Gateway",
      status: 502,
      detail: "<html>bad gateway</html>",
    });
  });

  it("throws RunResponseError for a 2xx body that is not JSON or not a run view", async () => {
    const bodies = ["not json", JSON.stringify({ ...viewBody("running"), levels: "nope" })];
    for (const body of bodies) {
      const client = new RunClient({ baseUrl: "http://w.test", apiKey: "k", fetch: async () => new Response(body) });
      const err = await client.get(RUN_ID).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunResponseError);
      expect((err as RunResponseError).message).toMatch(
        /^GET \/v1\/runs\/run_\w+ answered 200 with an unreadable body/,
      );
    }
  });
});

describe("RunClient.get and output", () => {
  it("keeps members the client does not know (budgetUsage, newer fields) and percent-encodes the run id", async () => {
    const requests: string[] = [];
    const client = new RunClient({
      baseUrl: "http://w.test/api/",
      apiKey: "k",
      fetch: async (input) => {
        requests.push(input);
        return Response.json({ ...viewBody("running"), budgetUsage: null, futureField: 7 });
      },
    });
    const view = await client.get("run/../x");
    expect(view.budgetUsage).toBeNull();
    expect((view as unknown as { futureField: number }).futureField).toBe(7);
    expect(requests).toEqual(["http://w.test/api/v1/runs/run%2F..%2Fx"]);
  });

  it("reads the sinks' outputs", async () => {
    const { client } = fakeWorker();
    expect(await client.output(RUN_ID)).toEqual({
      runId: RUN_ID,
      status: "completed",
      outputs: { "senior-reviewer": "LGTM", other: null },
    });
  });

  it("refuses a relative base URL and an empty API key", () => {
    expect(() => new RunClient({ baseUrl: "/v1", apiKey: "k" })).toThrow(TypeError);
    expect(() => new RunClient({ baseUrl: "http://w.test", apiKey: "" })).toThrow(/apiKey/);
  });
});

describe("RunClient.follow", () => {
  it("reads the view until the run completes, handing every view to onView", async () => {
    const { client, reads } = fakeWorker([viewBody("running", 1), viewBody("running", 4), viewBody("completed", 7)]);
    const seen: string[] = [];
    const view = await client.follow(RUN_ID, {
      intervalMs: 1,
      onView: (v) => seen.push(`${v.status}:${v.totals.done}`),
    });
    expect(view.status).toBe("completed");
    expect(view.totals.done).toBe(7);
    expect(seen).toEqual(["running:1", "running:4", "completed:7"]);
    expect(reads()).toBe(3);
  });

  it("stops at a failed run", async () => {
    const { client, reads } = fakeWorker([viewBody("running"), viewBody("failed"), viewBody("completed")]);
    expect((await client.follow(RUN_ID, { intervalMs: 0 })).status).toBe("failed");
    expect(reads()).toBe(2);
  });

  it("pauses intervalMs between reads", async () => {
    const { client } = fakeWorker([viewBody("running"), viewBody("running"), viewBody("completed")]);
    const t0 = performance.now();
    await client.follow(RUN_ID, { intervalMs: 40 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
  });

  it("gives up after timeoutMs with the last view", async () => {
    const { client } = fakeWorker([viewBody("running", 2)]);
    const err = await client.follow(RUN_ID, { intervalMs: 5, timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFollowTimeoutError);
    expect((err as RunFollowTimeoutError).view.totals.done).toBe(2);
    expect((err as RunFollowTimeoutError).message).toMatch(/still running after 30 ms/);
  });

  it("timeoutMs 0 reads once: a terminal run is returned, a running one times out", async () => {
    expect((await fakeWorker([viewBody("completed")]).client.follow(RUN_ID, { timeoutMs: 0 })).status).toBe(
      "completed",
    );
    const running = fakeWorker([viewBody("running")]);
    await expect(running.client.follow(RUN_ID, { timeoutMs: 0 })).rejects.toBeInstanceOf(RunFollowTimeoutError);
    expect(running.reads()).toBe(1);
  });

  it("rejects with the signal's reason when aborted during the pause, and reads no more", async () => {
    const { client, reads } = fakeWorker([viewBody("running")]);
    const controller = new AbortController();
    const reason = new Error("stop");
    const following = client.follow(RUN_ID, {
      intervalMs: 10_000,
      signal: controller.signal,
      onView: () => queueMicrotask(() => controller.abort(reason)),
    });
    await expect(following).rejects.toBe(reason);
    expect(reads()).toBe(1);
  });

  it("rejects at once with an already aborted signal", async () => {
    const { client, reads } = fakeWorker([viewBody("running")]);
    const reason = new Error("already");
    await expect(client.follow(RUN_ID, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(reads()).toBe(0);
  });

  it("propagates a 404 while following", async () => {
    const { client } = fakeWorker([viewBody("running")]);
    await expect(client.follow("run_gone", { intervalMs: 0 })).rejects.toBeInstanceOf(RunClientError);
  });
});

describe("RunClient.run", () => {
  it("starts the run and follows it to its end", async () => {
    const { client, requests } = fakeWorker([viewBody("running"), viewBody("completed", 7)]);
    const view = await client.run({ workflow: "review-all" }, { intervalMs: 0, idempotencyKey: "k-2" });
    expect(view.status).toBe("completed");
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/runs",
      `GET /v1/runs/${RUN_ID}`,
      `GET /v1/runs/${RUN_ID}`,
    ]);
    expect(requests[0]?.headers["idempotency-key"]).toBe("k-2");
  });
});

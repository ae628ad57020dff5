import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunPage } from "../../shared/state/run-index.js";
import { node, type Problem, workflow } from "../support/workflows.js";
import { postRun } from "./helpers.js";

async function list(query: string, key = "acme-key"): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test/v1/runs${query}`, { headers: { authorization: `Bearer ${key}` } });
}

async function start(name: string): Promise<string> {
  const res = await postRun({ workflow: workflow([node("only")], { name }) }, { authorization: "Bearer acme-key" });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

describe("GET /v1/runs", () => {
  it("lists the tenant's runs newest first, filtered and paged, and only its own", async () => {
    const since = Date.now();
    const first = await start("list-one");
    const second = await start("list-two");
    const third = await start("list-one");
    await postRun({ workflow: workflow([node("only")], { name: "list-one" }) }); // tenant dev

    const all = await list(`?since=${since}`);
    expect(all.status).toBe(200);
    const page = (await all.json()) as RunPage;
    expect(page.runs.map((r) => r.runId)).toEqual([third, second, first]);
    expect(page.nextCursor).toBeNull();
    expect(page.runs[0]).toMatchObject({ workflow: "list-one", status: "running", trigger: "api", finishedAt: null });
    expect(page.runs[0]?.totals).toMatchObject({ nodes: 1, done: 0 });

    const one = (await (await list(`?since=${since}&workflow=list-one`)).json()) as RunPage;
    expect(one.runs.map((r) => r.runId)).toEqual([third, first]);
    const none = (await (await list(`?since=${since}&status=completed&status=failed`)).json()) as RunPage;
    expect(none.runs).toEqual([]);
    const cron = (await (await list(`?since=${since}&trigger=cron:x`)).json()) as RunPage;
    expect(cron.runs).toEqual([]);

    const p1 = (await (await list(`?since=${new Date(since).toISOString()}&limit=2`)).json()) as RunPage;
    expect(p1.runs.map((r) => r.runId)).toEqual([third, second]);
    const p2 = (await (await list(`?since=${since}&limit=2&cursor=${p1.nextCursor}`)).json()) as RunPage;
    expect(p2.runs.map((r) => r.runId)).toEqual([first]);
    expect(p2.nextCursor).toBeNull();
  });

  it("answers 422 problem+json naming the parameter at fault", async () => {
    for (const [query, pointer] of [
      ["?limit=0", "/limit"],
      ["?limit=101", "/limit"],
      ["?limit=abc", "/limit"],
      ["?status=paused", "/status/0"],
      ["?since=yesterday", "/since"],
      ["?cursor=bogus", "/cursor"],
      ["?workflow=Bad_Name", "/workflow"],
      ["?limit=1&limit=2", "/limit"],
      ["?sort=asc", "/sort"],
    ] as const) {
      const res = await list(query);
      expect(res.status, query).toBe(422);
      expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/);
      const body = (await res.json()) as Problem;
      expect(
        body.errors?.map((e) => e.pointer),
        query,
      ).toContain(pointer);
    }
  });

  it("needs an API key", async () => {
    const res = await SELF.fetch("http://agent-dag.test/v1/runs");
    expect(res.status).toBe(401);
  });
});

import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun } from "./helpers.js";

interface Started {
  runId: string;
  status: string;
  links: { self: string };
}

function getRun(path: string, key = "dev-key"): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test${path}`, { headers: { authorization: `Bearer ${key}` } });
}

function qstashAdmin(path: string, body: unknown): Promise<Response> {
  return fetch(`${env.QSTASH_URL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("starting runs", () => {
  it("GET /healthz reaches Redis", async () => {
    const res = await SELF.fetch("http://agent-dag.test/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, redis: { ok: true } });
  });

  it("starts a run: 202, roots queued, dependents pending, grouped by level", async () => {
    const res = await postRun({ workflow: workflow([node("a"), node("b"), node("c", ["a", "b"])]) });
    expect(res.status).toBe(202);
    const started = (await res.json()) as Started;
    expect(started.runId).toMatch(/^run_[0-9a-f]{26}$/);
    expect(res.headers.get("location")).toBe(`/v1/runs/${started.runId}`);
    const view = (await (await getRun(started.links.self)).json()) as {
      status: string;
      levels: { level: number; title: string; nodes: { id: string; status: string }[] }[];
      totals: { nodes: number };
    };
    expect(view.status).toBe("running");
    expect(view.totals.nodes).toBe(3);
    expect(view.levels.map((l) => l.title)).toEqual(["Level 1: 2 agents in parallel", "Level 2: 1 agent"]);
    expect(view.levels[1]?.nodes).toEqual([expect.objectContaining({ id: "c", status: "pending" })]);
    for (const n of view.levels[0]?.nodes ?? []) expect(["queued", "running", "done"]).toContain(n.status);
  });

  it("returns the same run for a repeated Idempotency-Key and 409 for a different body", async () => {
    const key = `k-${crypto.randomUUID()}`;
    const body = { workflow: workflow([node("a")]), input: { n: 1 } };
    const first = await postRun(body, { "idempotency-key": key });
    const second = await postRun(body, { "idempotency-key": key });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    const a = (await first.json()) as Started;
    const b = (await second.json()) as Started;
    expect(b.runId).toBe(a.runId);
    const conflict = await postRun({ ...body, input: { n: 2 } }, { "idempotency-key": key });
    expect(conflict.status).toBe(409);
  });

  it("resolves agents bundled in workflows/agents by name; an unknown one is a 422", async () => {
    const body = { name: "bundled", nodes: [{ id: "s", agent: "summarizer", prompt: "Summarize {{input.text}}" }] };
    expect((await postRun({ workflow: body, input: { text: "hi" } })).status).toBe(202);
    const unknown = await postRun({ workflow: { ...body, nodes: [{ id: "s", agent: "nobody", prompt: "x" }] } });
    expect(unknown.status).toBe(422);
  });

  it("hides a run from another tenant", async () => {
    const res = await postRun({ workflow: workflow([node("a")]) });
    const { links } = (await res.json()) as Started;
    expect((await getRun(links.self, "acme-key")).status).toBe(404);
    expect((await getRun(links.self)).status).toBe(200);
  });

  it("answers 404 problem+json for an unknown run", async () => {
    const res = await getRun("/v1/runs/run_ffffffffffffffffffffffffff");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("leaves no half run when QStash refuses the roots (503)", async () => {
    const before = await keysUnderPrefix();
    expect((await qstashAdmin("/__chaos", { publishErrors: 1 })).ok).toBe(true);
    const res = await postRun({ workflow: workflow([node("solo")]), input: { unique: crypto.randomUUID() } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { type: string }).type).toBe("https://agent-dag.dev/problems/dispatch-unavailable");
    const after = (await keysUnderPrefix()).filter((k) => !k.includes(":blob:"));
    expect(after).toEqual(before.filter((k) => !k.includes(":blob:")));
  });
});

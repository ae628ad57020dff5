import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, type Problem, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun } from "./helpers.js";

/** A request to the worker with tenant `dev` (or the key given). */
function call(method: string, path: string, body?: unknown, key = "dev-key"): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const unique = (base: string) => `${base}-${crypto.randomUUID().slice(0, 8)}`;

interface Stored {
  name: string;
  version: number;
  hash: string;
  created: boolean;
}
interface RunView {
  workflow: string;
  totals: { nodes: number };
  workflowVersion: { source: string; version: number | null; hash: string } | null;
}

async function runView(runId: string, key = "dev-key"): Promise<RunView> {
  const res = await call("GET", `/v1/runs/${runId}`, undefined, key);
  expect(res.status).toBe(200);
  return (await res.json()) as RunView;
}

describe("workflow registry", () => {
  it("stores immutable versions: a new definition is 201 with the next version, an identical one 200 with the same", async () => {
    const name = unique("wf");
    const v1 = workflow([node("a")], { name });
    const first = await call("PUT", `/v1/workflows/${name}`, v1);
    expect(first.status).toBe(201);
    const a = (await first.json()) as Stored;
    expect(a).toMatchObject({ name, version: 1, created: true });
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.headers.get("location")).toBe(`/v1/workflows/${name}?version=1`);

    const again = await call("PUT", `/v1/workflows/${name}`, v1);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ version: 1, hash: a.hash, created: false });

    const second = await call("PUT", `/v1/workflows/${name}`, workflow([node("a"), node("b", ["a"])], { name }));
    expect(second.status).toBe(201);
    const b = (await second.json()) as Stored;
    expect(b.version).toBe(2);
    expect(b.hash).not.toBe(a.hash);

    const latest = (await (await call("GET", `/v1/workflows/${name}`)).json()) as {
      version: number;
      definition: { nodes: unknown[] };
    };
    expect(latest.version).toBe(2);
    expect(latest.definition.nodes).toHaveLength(2);
    const old = (await (await call("GET", `/v1/workflows/${name}?version=1`)).json()) as {
      hash: string;
      definition: { nodes: unknown[] };
    };
    expect(old.hash).toBe(a.hash);
    expect(old.definition.nodes).toHaveLength(1);

    const list = (await (await call("GET", "/v1/workflows")).json()) as {
      workflows: { name: string; source: string; version: number | null }[];
    };
    expect(list.workflows).toContainEqual(expect.objectContaining({ name, source: "tenant", version: 2 }));
    expect(list.workflows).toContainEqual(expect.objectContaining({ name: "hello", source: "bundled", version: null }));
    const names = list.workflows.map((w) => w.name);
    expect(names).toEqual([...names].sort());
  });

  it("a run started before a PUT keeps its version, and the run view names it; a pinned version starts that one", async () => {
    const name = unique("wf");
    const put1 = (await (await call("PUT", `/v1/workflows/${name}`, workflow([node("a")], { name }))).json()) as Stored;
    const started = (await (await postRun({ workflow: name })).json()) as { runId: string };
    const put2 = (await (
      await call("PUT", `/v1/workflows/${name}`, workflow([node("a"), node("b"), node("c")], { name }))
    ).json()) as Stored;

    const before = await runView(started.runId);
    expect(before.workflowVersion).toEqual({ source: "tenant", version: 1, hash: put1.hash });
    expect(before.totals.nodes).toBe(1);

    const after = (await (await postRun({ workflow: name })).json()) as { runId: string };
    const view = await runView(after.runId);
    expect(view.workflowVersion).toEqual({ source: "tenant", version: 2, hash: put2.hash });
    expect(view.totals.nodes).toBe(3);

    const pinned = (await (await postRun({ workflow: name, version: 1 })).json()) as { runId: string };
    expect((await runView(pinned.runId)).workflowVersion?.version).toBe(1);

    const missing = await postRun({ workflow: name, version: 9 });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as Problem).errors?.[0]?.pointer).toBe("/version");
  });

  it("keeps tenants apart: another tenant's entry is a 404 and cannot be started by name", async () => {
    const name = unique("wf");
    expect((await call("PUT", `/v1/workflows/${name}`, workflow([node("a")], { name }))).status).toBe(201);
    expect((await call("GET", `/v1/workflows/${name}`, undefined, "acme-key")).status).toBe(404);
    expect((await call("DELETE", `/v1/workflows/${name}`, undefined, "acme-key")).status).toBe(404);
    const list = (await (await call("GET", "/v1/workflows", undefined, "acme-key")).json()) as {
      workflows: { name: string }[];
    };
    expect(list.workflows.map((w) => w.name)).not.toContain(name);
    const start = await postRun({ workflow: name }, { authorization: "Bearer acme-key" });
    expect(start.status).toBe(422);
    expect((await call("GET", `/v1/workflows/${name}`)).status).toBe(200);
  });

  it("bundled entries are read-only defaults: a tenant's PUT of the name overrides them for that tenant only", async () => {
    const bundled = (await (await call("GET", "/v1/workflows/hello")).json()) as { source: string; hash: string };
    expect(bundled.source).toBe("bundled");
    const refused = await call("DELETE", "/v1/workflows/hello");
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Problem).type).toBe("https://agent-dag.dev/problems/registry-read-only");

    // tenant `cron` owns the override, so no other test of this file sees it
    const override = workflow([node("only")], { name: "hello" });
    expect((await call("PUT", "/v1/workflows/hello", override, "cron-key")).status).toBe(201);
    try {
      const mine = (await (
        await postRun({ workflow: "hello", input: { name: "x" } }, { authorization: "Bearer cron-key" })
      ).json()) as { runId: string };
      expect((await runView(mine.runId, "cron-key")).workflowVersion).toMatchObject({ source: "tenant", version: 1 });
      const theirs = (await (await postRun({ workflow: "hello", input: { name: "x" } })).json()) as { runId: string };
      expect((await runView(theirs.runId)).workflowVersion).toEqual({
        source: "bundled",
        version: null,
        hash: bundled.hash,
      });
    } finally {
      expect((await call("DELETE", "/v1/workflows/hello", undefined, "cron-key")).status).toBe(204);
    }
    expect(
      ((await (await call("GET", "/v1/workflows/hello", undefined, "cron-key")).json()) as { source: string }).source,
    ).toBe("bundled");
  });

  it("refuses an invalid definition or a name other than the URL's with 422 naming the field, storing nothing", async () => {
    const name = unique("wf");
    const before = await keysUnderPrefix();
    const bad = await call("PUT", `/v1/workflows/${name}`, workflow([node("a", ["ghost"])], { name }));
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as Problem).errors?.map((e) => e.pointer)).toContain("/nodes/0/dependsOn/0");
    const renamed = await call("PUT", `/v1/workflows/${name}`, workflow([node("a")], { name: "other" }));
    expect(renamed.status).toBe(422);
    expect(((await renamed.json()) as Problem).errors?.[0]?.pointer).toBe("/name");
    expect((await call("PUT", "/v1/workflows/Bad_Name", workflow([node("a")]))).status).toBe(422);
    expect(await keysUnderPrefix()).toEqual(before);
    expect((await call("GET", `/v1/workflows/${name}`)).status).toBe(404);
  });

  it("DELETE removes every version; the name then resolves no more", async () => {
    const name = unique("wf");
    await call("PUT", `/v1/workflows/${name}`, workflow([node("a")], { name }));
    expect((await call("DELETE", `/v1/workflows/${name}`)).status).toBe(204);
    expect((await call("GET", `/v1/workflows/${name}?version=1`)).status).toBe(404);
    expect((await postRun({ workflow: name })).status).toBe(422);
    expect((await call("DELETE", `/v1/workflows/${name}`)).status).toBe(404);
  });
});

describe("agent registry", () => {
  it("stores profiles with description and capabilities; the tenant's workflows use them, other tenants cannot", async () => {
    const agent = unique("reviewer");
    const profile = {
      description: "Reviews pull requests for correctness.",
      capabilities: ["code-review", "security"],
      system: "You review code.",
      model: "sim-fast",
    };
    const put = await call("PUT", `/v1/agents/${agent}`, profile);
    expect(put.status).toBe(201);
    expect((await call("PUT", `/v1/agents/${agent}`, profile)).status).toBe(200);

    const list = (await (await call("GET", "/v1/agents")).json()) as {
      agents: { name: string; source: string; description: string | null; capabilities: string[] }[];
    };
    expect(list.agents).toContainEqual(
      expect.objectContaining({
        name: agent,
        source: "tenant",
        description: profile.description,
        capabilities: profile.capabilities,
      }),
    );
    expect(list.agents).toContainEqual(expect.objectContaining({ name: "summarizer", source: "bundled" }));

    const def = { name: "uses-agent", cache: false, nodes: [{ id: "r", agent, prompt: "Review." }] };
    expect((await postRun({ workflow: def })).status).toBe(202);
    const other = await postRun({ workflow: def }, { authorization: "Bearer acme-key" });
    expect(other.status).toBe(422);
    expect(((await other.json()) as Problem).errors?.[0]?.pointer).toBe("/workflow/nodes/0/agent");
    expect((await call("GET", `/v1/agents/${agent}`, undefined, "acme-key")).status).toBe(404);
  });

  it("refuses a profile without description, or with an unknown field, naming it", async () => {
    const agent = unique("a");
    const res = await call("PUT", `/v1/agents/${agent}`, { system: "x", tools: [] });
    expect(res.status).toBe(422);
    const pointers = ((await res.json()) as Problem).errors?.map((e) => e.pointer);
    expect(pointers).toContain("/description");
    expect(pointers).toContain("/tools");
  });
});

import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, type Problem, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun } from "./helpers.js";

async function problemOf(res: Response): Promise<Problem> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as Problem;
}

describe("POST /v1/runs authentication", () => {
  it("refuses a request without an API key with 401 problem+json", async () => {
    const res = await SELF.fetch("http://agent-dag.test/v1/runs", { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/unauthorized");
  });

  it("refuses an unknown API key", async () => {
    const res = await postRun({ workflow: "review-all" }, { authorization: "Bearer not-a-key" });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).detail).toMatch(/Unknown API key/);
  });
});

const big = Array.from({ length: 1001 }, (_, i) => node(`n${i}`));

/** [case, body, status, type slug, expected pointer, expected node, detail pattern] */
const cases: [string, unknown, number, string, string | null, string | null, RegExp][] = [
  [
    "duplicate ids",
    { workflow: workflow([node("a"), node("a")]) },
    422,
    "invalid-workflow",
    "/workflow/nodes/1/id",
    "a",
    /duplicate/i,
  ],
  [
    "unknown dependency",
    { workflow: workflow([node("a", ["ghost"])]) },
    422,
    "invalid-workflow",
    "/workflow/nodes/0/dependsOn/0",
    "a",
    /ghost/,
  ],
  [
    "self dependency",
    { workflow: workflow([node("a", ["a"])]) },
    422,
    "invalid-workflow",
    "/workflow/nodes/0/dependsOn/0",
    "a",
    /itself|self/i,
  ],
  [
    "cycle",
    { workflow: workflow([node("a", ["c"]), node("b", ["a"]), node("c", ["b"])]) },
    422,
    "invalid-workflow",
    null,
    null,
    /a -> .* -> a|cycle/i,
  ],
  [
    "template reads a non-ancestor",
    { workflow: workflow([node("a"), node("b", [], { prompt: "use {{nodes.a.output}}" })]) },
    422,
    "invalid-workflow",
    "/workflow/nodes/1/prompt",
    "b",
    /not an ancestor|ancestor/i,
  ],
  ["empty workflow", { workflow: workflow([]) }, 422, "invalid-workflow", "/workflow/nodes", null, /at least one node/],
  ["more than 1000 nodes", { workflow: workflow(big) }, 422, "invalid-workflow", "/workflow/nodes", null, /1000/],
  [
    "unknown agent",
    { workflow: workflow([node("a", [], { agent: "nobody" })]) },
    422,
    "invalid-workflow",
    "/workflow/nodes/0/agent",
    "a",
    /nobody|agent/,
  ],
  [
    "workflow node without its workflow",
    { workflow: workflow([node("a", [], { kind: "workflow" })]) },
    422,
    "invalid-workflow",
    "/workflow/nodes/0/workflow",
    "a",
    /needs "workflow"/,
  ],
  [
    "http node to a metadata address",
    {
      workflow: workflow([node("a", [], { kind: "http", http: { url: "http://169.254.169.254/latest/meta-data/" } })]),
    },
    422,
    "invalid-workflow",
    "/workflow/nodes/0/http/url",
    "a",
    /169\.254\.169\.254 is a link-local/,
  ],
  ["unknown workflow name", { workflow: "no-such-flow" }, 422, "invalid-workflow", "/workflow", null, /no-such-flow/],
  [
    "unknown top-level field",
    { workflow: "review-all", colour: "red" },
    422,
    "invalid-request",
    "/colour",
    null,
    /colour|unrecognized/i,
  ],
  [
    "negative simulated latency",
    { workflow: "review-all", simulate: { latencyMs: -1 } },
    422,
    "invalid-request",
    "/simulate/latencyMs",
    null,
    /invalid/i,
  ],
];

describe("POST /v1/runs validation", () => {
  it.each(cases)("rejects %s and stores nothing", async (_name, body, status, slug, pointer, nodeId, detail) => {
    const before = await keysUnderPrefix();
    const res = await postRun(body);
    expect(res.status).toBe(status);
    const p = await problemOf(res);
    expect(p.type).toBe(`https://agent-dag.dev/problems/${slug}`);
    expect(p.status).toBe(status);
    const texts = [p.detail, ...(p.errors ?? []).map((e) => e.detail)].join("\n");
    expect(texts).toMatch(detail);
    if (pointer !== null) expect(p.errors?.map((e) => e.pointer)).toContain(pointer);
    if (nodeId !== null) expect(p.errors?.map((e) => e.node)).toContain(nodeId);
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("gives the cycle's path", async () => {
    const res = await postRun({
      workflow: workflow([node("a", ["c"]), node("b", ["a"]), node("c", ["b"]), node("d")]),
    });
    const p = await problemOf(res);
    const texts = [p.detail, ...(p.errors ?? []).map((e) => e.detail)].join("\n");
    expect(texts).toMatch(
      /(a -> b -> c -> a|a -> c -> b -> a|b -> c -> a -> b|b -> a -> c -> b|c -> a -> b -> c|c -> b -> a -> c)/,
    );
    expect(texts).not.toMatch(/\bd\b -> /);
  });

  it("answers malformed JSON with 400", async () => {
    const res = await postRun("{not json");
    expect(res.status).toBe(400);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/malformed-json");
  });

  it("answers a body over 1 MiB with 413 and stores nothing", async () => {
    const before = await keysUnderPrefix();
    const res = await postRun({ workflow: "review-all", input: { blob: "x".repeat(1024 * 1024 + 10) } });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/payload-too-large");
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("rejects an empty Idempotency-Key", async () => {
    const res = await postRun({ workflow: "review-all" }, { "idempotency-key": "" });
    expect(res.status).toBe(422);
  });
});

describe("POST /v1/runs with the least a user must write", () => {
  it("lists a bad field and the graph problems behind it in one problem", async () => {
    const before = await keysUnderPrefix();
    const res = await postRun({
      workflow: workflow([node("a", ["ghost"]), node("b", ["c"]), node("c", ["b"], { retries: 99 }), node("a")]),
    });
    expect(res.status).toBe(422);
    const p = await problemOf(res);
    expect(p.type).toBe("https://agent-dag.dev/problems/invalid-workflow");
    expect(p.errors?.map((e) => [e.pointer, e.node])).toEqual([
      ["/workflow/nodes/2/retries", "c"],
      ["/workflow/nodes/3/id", "a"],
      ["/workflow/nodes/0/dependsOn/0", "a"],
      ["/workflow/nodes/1/dependsOn/0", "b"],
    ]);
    expect(p.errors?.[3]?.detail).toContain("b -> c -> b");
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("starts a workflow with no agents and no node agent: every node runs on the assistant profile", async () => {
    const res = await postRun({
      workflow: {
        name: "minimal",
        cache: false,
        nodes: [
          { id: "a", prompt: "Say a." },
          { id: "b", prompt: "Say b." },
          { id: "c", prompt: "{{nodes.a.output}} {{nodes.b.output}}", dependsOn: ["a", "b"] },
        ],
      },
    });
    expect(res.status).toBe(202);
    const { links } = (await res.json()) as { links: { self: string } };
    const view = (await (
      await SELF.fetch(`http://agent-dag.test${links.self}`, { headers: { authorization: "Bearer dev-key" } })
    ).json()) as { levels: { nodes: { id: string; agent: string }[] }[] };
    expect(view.levels.flatMap((l) => l.nodes.map((n) => [n.id, n.agent]))).toEqual([
      ["a", "assistant"],
      ["b", "assistant"],
      ["c", "assistant"],
    ]);
  });

  it("starts the bundled hello workflow by name", async () => {
    const res = await postRun({ workflow: "hello" });
    expect(res.status).toBe(202);
  });
});

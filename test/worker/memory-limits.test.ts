import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROMPT_LIMIT, promptCharCap } from "../../shared/dag/prompt-size.js";
import { MAX_JSON_DEPTH } from "../../shared/util/json-depth.js";
import { node, type Problem, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun, sign } from "./helpers.js";

/**
 * Memory and size limits in workerd: a trigger whose prompt would render past the cap, or whose body nests past
 * the depth limit, answers 422 problem+json and stores nothing; a node whose upstream outputs make its prompt too
 * large fails for good, named.
 */

const ORIGIN = "http://agent-dag.test";

async function problemOf(res: Response): Promise<Problem> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as Problem;
}

/** One signed delivery of `/internal/execute`, as QStash sends it. */
async function execute(runId: string, nodeId: string, messageId: string): Promise<Response> {
  const text = JSON.stringify({ runId, nodeId });
  return SELF.fetch(`${ORIGIN}/internal/execute`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": await sign(`${ORIGIN}/internal/execute`, text),
      "upstash-message-id": messageId,
      "upstash-retried": "0",
    },
    body: text,
  });
}

describe("POST /v1/runs refuses a prompt that would render past the cap (DoS)", () => {
  it("18,000 × {{input.a}} over a 20,000-character input (360 M characters) answers 422 naming the node and sizes; nothing is stored", async () => {
    const before = await keysUnderPrefix();
    const res = await postRun(
      {
        workflow: workflow([node("ok"), node("fan", [], { prompt: "{{input.a}}".repeat(18_000) })], {
          name: `fan-${crypto.randomUUID().slice(0, 8)}`,
        }),
        input: { a: "x".repeat(20_000) },
      },
      { "idempotency-key": crypto.randomUUID() },
    );
    expect(res.status).toBe(422);
    const p = await problemOf(res);
    expect(p.type).toBe("https://agent-dag.dev/problems/prompt-too-large");
    expect(p.errors).toHaveLength(1);
    expect(p.errors?.[0]).toMatchObject({ pointer: "/workflow/nodes/1/prompt", node: "fan" });
    const chars = Number(/at least (\d+) characters/.exec(p.errors?.[0]?.detail ?? "")?.[1]);
    expect(chars).toBeGreaterThan(promptCharCap(DEFAULT_PROMPT_LIMIT));
    expect(p.errors?.[0]?.detail).toContain(`the limit is ${DEFAULT_PROMPT_LIMIT.maxChars} characters`);
    // no run keys, no input blob, no index entry
    expect(await keysUnderPrefix()).toEqual(before);
  });
});

describe("POST /v1/runs refuses a body nested past the depth limit (DoS)", () => {
  it("a 400,000-level input answers 422 naming the field path, not 500; nothing is stored", async () => {
    const before = await keysUnderPrefix();
    const levels = 400_000;
    const body = `{"workflow":${JSON.stringify(workflow([node("a")]))},"input":${"[".repeat(levels)}${"]".repeat(levels)}}`;
    const res = await postRun(body);
    expect(res.status).toBe(422);
    const p = await problemOf(res);
    expect(p.type).toBe("https://agent-dag.dev/problems/invalid-request");
    // the body is level 1 and input's outermost array level 2: the first container too deep is 63 arrays in
    expect(p.errors?.[0]?.pointer).toBe(`/input${"/0".repeat(MAX_JSON_DEPTH - 1)}`);
    expect(p.detail).toMatch(new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
    expect(await keysUnderPrefix()).toEqual(before);
  });
});

describe("a node whose upstream outputs make its prompt too large fails for good (DoS)", () => {
  it("fails non-retryably (489) naming the node and the sizes, and its run fails", async () => {
    // a's output is 600,000 bytes; b reads it four times: 2.4 M characters, past the 2 M default
    const res0 = await postRun({
      workflow: workflow([
        node("a", [], { simulate: { outputBytes: 600_000 } }),
        node("b", ["a"], { prompt: "{{nodes.a.output}}".repeat(4) }),
      ]),
      simulate: { latencyMs: 1 },
    });
    expect(res0.status).toBe(202);
    const runId = ((await res0.json()) as { runId: string }).runId;
    expect((await execute(runId, "a", "msg_a")).status).toBe(200);
    const res = await execute(runId, "b", "msg_b");
    expect(res.status).toBe(489);
    expect(res.headers.get("upstash-nonretryable-error")).toBe("true");
    expect((await problemOf(res)).detail).toMatch(/node "b" is at least \d+ characters/);
    const view = (await (
      await SELF.fetch(`${ORIGIN}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } })
    ).json()) as { status: string; levels: { nodes: { id: string; status: string; error?: string | null }[] }[] };
    const b = view.levels.flatMap((l) => l.nodes).find((n) => n.id === "b");
    expect([view.status, b?.status]).toEqual(["failed", "failed"]);
    expect(b?.error).toMatch(
      /rendered prompt of node "b" is at least \d+ characters \(~\d+ tokens\); the limit is 2000000/,
    );
  });
});

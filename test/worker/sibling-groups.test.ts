import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, workflow } from "../support/workflows.js";
import { postRun, sign, testRedis } from "./helpers.js";

const ORIGIN = "http://agent-dag.test";

/** A signed QStash request to `/internal/<path>` with the given message headers (and signature, to replay one). */
async function signed(path: string, body: unknown, messageId = "msg", retried = 0, signature?: string) {
  const text = JSON.stringify(body);
  return SELF.fetch(`${ORIGIN}/internal/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": signature ?? (await sign(`${ORIGIN}/internal/${path}`, text)),
      "upstash-message-id": messageId,
      "upstash-retried": String(retried),
    },
    body: text,
  });
}

async function nodesOf(runId: string): Promise<Record<string, { status: string; attempts: number }>> {
  const v = (await (
    await SELF.fetch(`${ORIGIN}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } })
  ).json()) as { levels: { nodes: { id: string; status: string; attempts: number }[] }[] };
  return Object.fromEntries(v.levels.flatMap((l) => l.nodes.map((n) => [n.id, n])));
}

/** A run `m` (map over the input's three items) → `j`, with `m` expanded by its own delivery. */
async function expandedRun(): Promise<string> {
  const res = await postRun({
    workflow: workflow([
      node("m", [], { kind: "map", over: "{{input.xs}}", prompt: "Review {{item}}." }),
      node("j", ["m"], { prompt: "Join {{nodes.m.output}}." }),
    ]),
    input: { xs: ["a", "b", "c"] },
    simulate: { latencyMs: 1 },
  });
  expect(res.status).toBe(202);
  const { runId } = (await res.json()) as { runId: string };
  expect((await signed("execute", { runId, nodeId: "m" }, "msg_m")).status).toBe(200);
  return runId;
}

/** functions/internal.ts with shared/engine/sibling-groups.ts: one message, several children of a map. */
describe("a message that carries a map's children together", () => {
  it("runs each child once under a lease of its own and answers once; the same delivery again runs nothing", async () => {
    const runId = await expandedRun();
    const group = { runId, nodeId: "m[0]", siblings: ["m[1]", "m[2]"] };
    const res = await signed("execute", group, "msg_g");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { group: { nodeId: string; advanced?: { applied: boolean } }[] };
    expect(body.group.map((g) => [g.nodeId, g.advanced?.applied])).toEqual([
      ["m[0]", true],
      ["m[1]", true],
      ["m[2]", true],
    ]);
    const nodes = await nodesOf(runId);
    for (const id of ["m[0]", "m[1]", "m[2]"]) expect(nodes[id]).toMatchObject({ status: "done", attempts: 1 });
    // each child ran as the only node of a message of its own: the delivery's lease, then `<message id>/<i>`
    const leases = await testRedis().hmget(`${env.KEY_PREFIX}:{run:${runId}}:lease`, "m[0]", "m[1]", "m[2]");
    expect(Object.values(leases ?? {})).toEqual(["msg_g:0", "msg_g/1:0", "msg_g/2:0"]);
    // the map's last child released the map for its join
    expect(nodes["m"]?.status).toBe("queued");
    // the same delivery sent twice (same headers): every child is done, nothing runs again
    const again = await signed("execute", group, "msg_g");
    expect(again.status).toBe(200);
    expect(((await again.json()) as { group: { skipped?: boolean }[] }).group.every((g) => g.skipped)).toBe(true);
    expect((await nodesOf(runId))["m[1]"]).toMatchObject({ status: "done", attempts: 1 });
  });

  it("a copy of the group's request under other message headers is refused 409 and runs nothing", async () => {
    const runId = await expandedRun();
    const group = { runId, nodeId: "m[0]", siblings: ["m[1]"] };
    const signature = await sign(`${ORIGIN}/internal/execute`, JSON.stringify(group));
    expect((await signed("execute", group, "msg_first", 0, signature)).status).toBe(200);
    const copy = await signed("execute", group, "msg_copy", 0, signature);
    expect(copy.status).toBe(409);
    expect((await nodesOf(runId))["m[2]"]).toMatchObject({ status: "queued", attempts: 0 });
  });

  it("the group's failure callback fails each of its children", async () => {
    const runId = await expandedRun();
    const res = await signed(
      "failure",
      {
        status: 500,
        retried: 3,
        maxRetries: 3,
        sourceMessageId: "msg_g",
        sourceBody: btoa(JSON.stringify({ runId, nodeId: "m[0]", siblings: ["m[1]", "m[2]"] })),
        body: "",
      },
      "msg_f",
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { group: unknown[] }).group).toHaveLength(3);
    const nodes = await nodesOf(runId);
    expect([nodes["m[0]"]?.status, nodes["m[1]"]?.status, nodes["m[2]"]?.status]).toEqual([
      "failed",
      "failed",
      "failed",
    ]);
    expect(nodes["j"]?.status).toBe("skipped");
  });
});

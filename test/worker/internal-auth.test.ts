import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun, sign } from "./helpers.js";

const ORIGIN = "http://agent-dag.test";
const body = JSON.stringify({ runId: "run_0123456789abcdef0123456789", nodeId: "a" });

function post(path: string, headers: Record<string, string>, payload = body): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: payload,
  });
}

describe("/internal/* signature checks", () => {
  for (const path of ["/internal/execute", "/internal/callback", "/internal/failure"]) {
    it(`${path}: refuses a request without Upstash-Signature`, async () => {
      const res = await post(path, {});
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    });

    it(`${path}: refuses a signature made with a foreign key, and changes nothing`, async () => {
      const before = await keysUnderPrefix();
      const res = await post(path, {
        "upstash-signature": await sign(`${ORIGIN}${path}`, body, "sig_forgedforgedforgedforged"),
      });
      expect(res.status).toBe(401);
      expect(await keysUnderPrefix()).toEqual(before);
    });
  }

  it("refuses a valid signature minted for another URL (no replay across endpoints)", async () => {
    const res = await post("/internal/execute", {
      "upstash-signature": await sign(`${ORIGIN}/internal/failure`, body),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/subject/i);
  });

  it("refuses a valid signature over a different body", async () => {
    const res = await post(
      "/internal/execute",
      { "upstash-signature": await sign(`${ORIGIN}/internal/execute`, "{}") },
      body,
    );
    expect(res.status).toBe(401);
  });

  it("refuses an expired token", async () => {
    const sig = await sign(`${ORIGIN}/internal/execute`, body, env.QSTASH_CURRENT_SIGNING_KEY, {
      exp: Math.floor(Date.now() / 1000) - 60,
    });
    expect((await post("/internal/execute", { "upstash-signature": sig })).status).toBe(401);
  });

  it("refuses a token that is not valid yet", async () => {
    const sig = await sign(`${ORIGIN}/internal/execute`, body, env.QSTASH_CURRENT_SIGNING_KEY, {
      nbf: Math.floor(Date.now() / 1000) + 600,
    });
    expect((await post("/internal/execute", { "upstash-signature": sig })).status).toBe(401);
  });

  it("accepts the current and the next signing key", async () => {
    for (const key of [env.QSTASH_CURRENT_SIGNING_KEY, env.QSTASH_NEXT_SIGNING_KEY]) {
      const res = await post("/internal/execute", {
        "upstash-signature": await sign(`${ORIGIN}/internal/execute`, body, key),
      });
      expect(res.status).toBe(200);
      // the run does not exist, so the delivery is skipped: nothing runs, nothing is stored
      expect(await res.json()).toMatchObject({ skipped: true });
    }
  });

  it("answers a signed but malformed execute message with 489 non-retryable", async () => {
    const bad = JSON.stringify({ nope: true });
    const res = await post(
      "/internal/execute",
      { "upstash-signature": await sign(`${ORIGIN}/internal/execute`, bad) },
      bad,
    );
    expect(res.status).toBe(489);
    expect(res.headers.get("upstash-nonretryable-error")).toBe("true");
  });

  describe("a signed callback that cannot be read is answered 489 non-retryable, naming what is wrong, and changes nothing", () => {
    const cases: [string, unknown, RegExp][] = [
      ["not a callback", { status: 200 }, /not a QStash callback/],
      [
        "sourceBody not base64",
        { status: 200, sourceMessageId: "msg_1", sourceBody: "***", body: "" },
        /sourceBody is not an execute message/,
      ],
      [
        "sourceBody not an execute message",
        { status: 200, sourceMessageId: "msg_1", sourceBody: btoa("{}"), body: "" },
        /sourceBody is not an execute message/,
      ],
    ];
    for (const path of ["/internal/callback", "/internal/failure"]) {
      for (const [name, payload, detail] of cases) {
        it(`${path}: ${name}`, async () => {
          const text = JSON.stringify(payload);
          const res = await post(path, { "upstash-signature": await sign(`${ORIGIN}${path}`, text) }, text);
          expect(res.status).toBe(489);
          expect(res.headers.get("upstash-nonretryable-error")).toBe("true");
          expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
        });
      }
    }
  });

  it("a failure callback whose answer body is not base64 still fails its node (it is not dropped as malformed)", async () => {
    const started = await postRun({ workflow: workflow([node("a"), node("b", ["a"])]) });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const text = JSON.stringify({
      status: 500,
      sourceMessageId: "msg_1",
      sourceBody: btoa(JSON.stringify({ runId, nodeId: "a" })),
      body: "%%%",
    });
    const res = await post(
      "/internal/failure",
      { "upstash-signature": await sign(`${ORIGIN}/internal/failure`, text) },
      text,
    );
    expect(res.status).toBe(200);
    const view = (await (
      await SELF.fetch(`${ORIGIN}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } })
    ).json()) as {
      status: string;
      levels: { nodes: { id: string; status: string }[] }[];
    };
    const statuses = Object.fromEntries(view.levels.flatMap((l) => l.nodes.map((n) => [n.id, n.status])));
    expect(statuses).toEqual({ a: "failed", b: "skipped" });
    expect(view.status).toBe("failed");
  });
});

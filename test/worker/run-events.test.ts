import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type SseMessage, SseParser } from "../../shared/client/sse-parser.js";
import type { RunEventBody } from "../../shared/state/run-events.js";
import { RunStore } from "../../shared/state/run-store.js";
import { node, type Problem, workflow } from "../support/workflows.js";
import { postRun, testRedis } from "./helpers.js";

/**
 * `GET /v1/runs/:id/events` in workerd: auth and tenant as the run view, problem+json for bad input, events with
 * their stream ids, `Last-Event-ID` resuming with no gap or repeat, the early end with a `retry:` hint (the tier's
 * budget is 6 polls, 50 ms apart: vitest.config.ts), the close after the run's final event and 204 after it. The
 * QStash emulator cannot reach the test worker, so the test moves the run itself through the run store.
 */

const BASE = "http://agent-dag.test/v1/runs";

function events(runId: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/${runId}/events`, { headers: { authorization: "Bearer dev-key", ...headers } });
}

/** The whole body of an SSE response, parsed: its events, raw text and the parser (for retry:). */
async function readAll(res: Response): Promise<{ messages: SseMessage[]; bodies: RunEventBody[]; text: string }> {
  const text = await res.text();
  const parser = new SseParser();
  const messages = parser.push(text);
  return { messages, bodies: messages.map((m) => JSON.parse(m.data) as RunEventBody), text };
}

async function startRun(): Promise<string> {
  const res = await postRun({
    workflow: workflow([node("a"), node("b", ["a"]), node("c", ["a"])], {
      name: `events-${crypto.randomUUID().slice(0, 8)}`,
    }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

const brief = (bodies: RunEventBody[]) => bodies.map((b) => (b.node ? `${b.type}:${b.node}` : b.type));

describe("GET /v1/runs/:id/events", () => {
  it("answers problem+json for no key, an unknown run, another tenant's run and a malformed Last-Event-ID", async () => {
    const runId = await startRun();
    expect((await SELF.fetch(`${BASE}/${runId}/events`)).status).toBe(401);
    for (const [id, headers] of [
      ["run_ffffffffffffffffffffffffff", {}],
      ["not-a-run", {}],
      [runId, { authorization: "Bearer acme-key" }],
    ] as const) {
      const res = await events(id, headers);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as Problem).type).toMatch(/\/not-found$/);
    }
    for (const bad of ["abc", "12", "1-2-3", "-1-0"]) {
      const res = await events(runId, { "last-event-id": bad });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as Problem).type).toMatch(/\/invalid-event-id$/);
    }
  });

  it("streams events with their ids, ends early with retry:, resumes with no gap or repeat, closes after the final event", async () => {
    const runId = await startRun();
    const first = await events(runId);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toContain("text/event-stream");
    const one = await readAll(first);
    // the polling budget ran out while the run was running: the response ends with a reconnect hint
    expect(one.text.trimEnd()).toMatch(/retry: \d+$/);
    expect(brief(one.bodies)).toEqual(["run-started", "queued:a"]);
    expect(one.messages.map((m) => m.id)).toEqual(one.bodies.map((b) => b.id));
    const lastId = one.messages.at(-1)?.id as string;

    // the run moves while no client is connected
    const store = new RunStore(testRedis(), env.KEY_PREFIX as string);
    await store.claimNode(runId, "a", "m1:0", Date.now());
    await store.completeNode(runId, "a", {
      outputRef: "0".repeat(64),
      inputTokens: 5,
      outputTokens: 6,
      model: "m",
      excerpt: "e",
      startedAt: Date.now(),
      finishedAt: Date.now(),
      paidAttempt: 1,
    });
    const two = await readAll(await events(runId, { "last-event-id": lastId }));
    expect(brief(two.bodies).slice(0, 2)).toEqual(["started:a", "done:a"]);
    expect(new Set(brief(two.bodies).slice(2))).toEqual(new Set(["queued:b", "queued:c"]));
    expect(two.bodies[0]).toMatchObject({ attempt: 1, lease: "m1:0" });
    expect(two.bodies[1]).toMatchObject({ usage: { inputTokens: 5, outputTokens: 6 }, model: "m" });
    const all = [...one.bodies, ...two.bodies].map((b) => b.id);
    expect(new Set(all).size).toBe(all.length);
    const key = (id: string) => id.split("-").map(Number) as [number, number];
    for (let i = 1; i < all.length; i++) {
      const [pm, ps] = key(all[i - 1] as string);
      const [m, s] = key(all[i] as string);
      expect(m > pm || (m === pm && s > ps)).toBe(true);
    }

    // cancel: the stream delivers cancel, the cancelled nodes and run-finished, then closes without a retry hint
    const cancel = await SELF.fetch(`${BASE}/${runId}/cancel`, {
      method: "POST",
      headers: { authorization: "Bearer dev-key" },
    });
    expect(cancel.status).toBe(200);
    const three = await readAll(await events(runId, { "last-event-id": two.messages.at(-1)?.id as string }));
    expect(brief(three.bodies)[0]).toBe("cancel");
    expect(new Set(brief(three.bodies).slice(1, 3))).toEqual(new Set(["cancelled:b", "cancelled:c"]));
    expect(three.bodies.at(-1)).toMatchObject({ type: "run-finished", status: "cancelled" });
    expect(three.text).not.toContain("polling budget");

    // from the start, a finished run's whole log in one response, in order
    const whole = await readAll(await events(runId));
    expect(whole.bodies.map((b) => b.id)).toEqual([...one.bodies, ...two.bodies, ...three.bodies].map((b) => b.id));

    // a reconnect after the final event: 204, which stops EventSource
    const after = await events(runId, { "last-event-id": three.messages.at(-1)?.id as string });
    expect(after.status).toBe(204);
  });
});

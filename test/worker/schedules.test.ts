import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { qstashScheduleId } from "../../shared/schedules/schedule-queue.js";
import type { Problem } from "../support/workflows.js";
import { keysUnderPrefix, sign } from "./helpers.js";

function call(method: string, path: string, body?: unknown, key = "dev-key"): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const FIRING_URL = "http://agent-dag.test/internal/schedule";

/** A signed QStash firing of `POST /internal/schedule` with `body` (a fresh token unless `signature` is given). */
async function fire(
  body: { tenant?: string; scheduleId?: string },
  signature?: string,
  scheduleHeader = true,
): Promise<Response> {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "upstash-signature": signature ?? (await sign(FIRING_URL, text)),
    "upstash-message-id": `msg_${crypto.randomUUID()}`,
    "upstash-retried": "0",
  };
  // QStash names the schedule of each firing (the id the route created: schedule-queue.ts)
  if (scheduleHeader && body.tenant && body.scheduleId)
    headers["upstash-schedule-id"] = await qstashScheduleId(env.KEY_PREFIX as string, body.tenant, body.scheduleId);
  return SELF.fetch(FIRING_URL, { method: "POST", headers, body: text });
}

const created: string[] = [];

/** Creates the dev tenant's schedule `id`, paused (so the local QStash never calls the unreachable test origin). */
async function createPaused(id: string): Promise<void> {
  const res = await call("PUT", `/v1/schedules/${id}`, { cron: "0 3 * * *", workflow: "hello", paused: true });
  expect(res.status).toBe(201);
  created.push(id);
}

afterAll(async () => {
  for (const id of created) await call("DELETE", `/v1/schedules/${id}`);
});

describe("PUT /v1/schedules/:id refusals", () => {
  it.each([
    ["61 * * * *", "minute"],
    ["* * * * * *", "5 fields"],
    ["@daily", "5 fields"],
    ["0 0 L * *", "digits"],
    ["0 0 30 2 *", "never fires"],
  ])("refuses cron %j with 422 naming /cron, storing nothing", async (cron, why) => {
    const before = await keysUnderPrefix();
    const res = await call("PUT", "/v1/schedules/bad-cron", { cron, workflow: "hello" });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const p = (await res.json()) as Problem;
    expect(p.errors?.[0]?.pointer).toBe("/cron");
    expect(p.errors?.[0]?.detail).toContain(why);
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("refuses an unknown workflow with 422 naming /workflow", async () => {
    const res = await call("PUT", "/v1/schedules/bad-wf", { cron: "* * * * *", workflow: "no-such-workflow" });
    expect(res.status).toBe(422);
    const p = (await res.json()) as Problem;
    expect(p.errors?.map((e) => e.pointer)).toEqual(["/workflow"]);
    expect((await call("GET", "/v1/schedules/bad-wf")).status).toBe(404);
  });

  it("refuses unknown fields and a missing cron with 422 naming them", async () => {
    const res = await call("PUT", "/v1/schedules/bad-body", { workflow: "hello", every: "minute" });
    expect(res.status).toBe(422);
    const pointers = ((await res.json()) as Problem).errors?.map((e) => e.pointer) ?? [];
    expect(pointers).toContain("/cron");
  });

  it("answers 404 for an id that cannot name a schedule", async () => {
    expect((await call("PUT", "/v1/schedules/Bad_Id", { cron: "* * * * *", workflow: "hello" })).status).toBe(404);
  });
});

describe("a tenant sees only its own schedules", () => {
  it("another tenant's schedule is a 404 for every route, and missing from its list", async () => {
    await createPaused("nightly");
    expect((await call("GET", "/v1/schedules/nightly")).status).toBe(200);
    for (const [method, path] of [
      ["GET", "/v1/schedules/nightly"],
      ["POST", "/v1/schedules/nightly/pause"],
      ["POST", "/v1/schedules/nightly/resume"],
      ["DELETE", "/v1/schedules/nightly"],
    ] as const) {
      const res = await call(method, path, undefined, "acme-key");
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = (await (await call("GET", "/v1/schedules", undefined, "acme-key")).json()) as { schedules: unknown[] };
    expect(list.schedules).toEqual([]);
    // still there for its owner, still paused
    expect(await (await call("GET", "/v1/schedules/nightly")).json()).toMatchObject({ id: "nightly", paused: true });
  });

  it("the same id in two tenants is two schedules", async () => {
    const res = await call("PUT", "/v1/schedules/shared-name", { cron: "0 4 * * *", workflow: "hello", paused: true });
    expect(res.status).toBe(201);
    created.push("shared-name");
    const other = await call(
      "PUT",
      "/v1/schedules/shared-name",
      { cron: "0 5 * * *", workflow: "hello", paused: true },
      "acme-key",
    );
    expect(other.status).toBe(201);
    expect(await (await call("GET", "/v1/schedules/shared-name")).json()).toMatchObject({ cron: "0 4 * * *" });
    expect((await call("DELETE", "/v1/schedules/shared-name", undefined, "acme-key")).status).toBe(204);
    expect((await call("GET", "/v1/schedules/shared-name")).status).toBe(200);
  });
});

describe("POST /internal/schedule (a QStash firing)", () => {
  it("starts nothing for a paused schedule or an unknown one", async () => {
    await createPaused("paused-one");
    const paused = await fire({ tenant: "dev", scheduleId: "paused-one" });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ started: false, reason: "paused" });
    const unknown = await fire({ tenant: "dev", scheduleId: "never-made" });
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toMatchObject({ started: false, reason: "unknown-schedule" });
    // another tenant's name for the same id finds nothing either
    const foreign = await fire({ tenant: "acme", scheduleId: "paused-one" });
    expect(await foreign.json()).toMatchObject({ started: false, reason: "unknown-schedule" });
  });

  it("starts nothing for a signed request without QStash's schedule header (an http node's call, say)", async () => {
    const res = await call("PUT", "/v1/schedules/headerless", { cron: "0 0 * * *", workflow: "hello" });
    expect(res.status).toBe(201);
    created.push("headerless");
    const firing = await fire({ tenant: "dev", scheduleId: "headerless" }, undefined, false);
    expect(firing.status).toBe(200);
    expect(await firing.json()).toMatchObject({ started: false, reason: "unknown-schedule" });
  });

  it("starts one run per firing minute: a second copy finds it, a replayed token is refused", async () => {
    // QStash does not know these made-up message ids, so the firing time is the cron's latest occurrence (00:00 UTC)
    const res = await call("PUT", "/v1/schedules/daily", { cron: "0 0 * * *", workflow: "hello", input: { k: 1 } });
    expect(res.status).toBe(201);
    created.push("daily");
    const body = { tenant: "dev", scheduleId: "daily" };
    const signature = await sign(FIRING_URL, JSON.stringify(body));
    const first = await fire(body, signature);
    expect([200, 202]).toContain(first.status);
    const started = (await first.json()) as { runId: string; firing: string };
    expect(started.firing).toMatch(/T00:00:00\.000Z$/);
    const copy = await fire(body);
    expect(copy.status).toBe(200);
    expect(await copy.json()).toMatchObject({ started: false, runId: started.runId, firing: started.firing });
    const replay = await fire(body, signature);
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as Problem).type).toMatch(/replayed-delivery$/);
    const run = await call("GET", `/v1/runs/${started.runId}`);
    expect(await run.json()).toMatchObject({ trigger: "schedule:daily" });
  });

  it("refuses an unsigned firing with 401 and a malformed one with 489", async () => {
    const unsigned = await SELF.fetch("http://agent-dag.test/internal/schedule", {
      method: "POST",
      body: JSON.stringify({ tenant: "dev", scheduleId: "paused-one" }),
    });
    expect(unsigned.status).toBe(401);
    const malformed = await fire({ tenant: "dev" });
    expect(malformed.status).toBe(489);
    expect(malformed.headers.get("upstash-nonretryable-error")).toBe("true");
  });
});

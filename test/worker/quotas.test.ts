import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.js";
import type { Env } from "../../functions/env.js";
import { runScheduled } from "../../functions/scheduled.js";
import { node, type Problem, workflow } from "../support/workflows.js";
import { testRedis } from "./helpers.js";

const TYPE = "https://agent-dag.dev/problems/";
const app = createApp();

/** An env of its own (key prefix, tenants, quotas), so counts and key listings see only this test's writes. */
function quotaEnv(quotas: unknown, extra: Partial<Env> = {}): Env {
  const tag = Math.random().toString(36).slice(2, 8);
  return {
    ...env,
    KEY_PREFIX: `${env.KEY_PREFIX}-q${tag}`,
    API_KEYS: "t1:k1,t2:k2,cron:cron-key",
    TENANT_QUOTAS: JSON.stringify(quotas),
    ...extra,
  } as Env;
}

function call(e: Env, path: string, init: { body?: unknown; key?: string; headers?: Record<string, string> } = {}) {
  return app.fetch(
    new Request(`http://agent-dag.test${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${init.key ?? "k1"}`,
        "content-type": "application/json",
        ...init.headers,
      },
      body: JSON.stringify(init.body ?? {}),
    }),
    e,
  );
}

function start(e: Env, nodes = [node("a")], key = "k1", headers: Record<string, string> = {}) {
  return call(e, "/v1/runs", { body: { workflow: workflow(nodes), input: { u: crypto.randomUUID() } }, key, headers });
}

/** Every key under `e`'s prefix, sorted. */
async function keysOf(e: Env): Promise<string[]> {
  const redis = testRedis();
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, { match: `${e.KEY_PREFIX}:*`, count: 1000 });
    cursor = String(next);
    found.push(...keys);
  } while (cursor !== "0");
  return found.sort();
}

/** Redis string values of every counter key under `e`'s prefix (so "nothing changed" covers values, too). */
async function snapshot(e: Env): Promise<Record<string, unknown>> {
  const redis = testRedis();
  const out: Record<string, unknown> = {};
  for (const k of await keysOf(e)) {
    const type = await redis.type(k);
    out[k] = type === "string" ? await redis.get(k) : type === "zset" ? await redis.zrange(k, 0, -1) : type;
  }
  return out;
}

/** Waits out the last seconds of a minute, so a test's starts fall in one rate window. */
async function awayFromMinuteEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8000) await new Promise((r) => setTimeout(r, left + 200));
}

async function refused(res: Response, status: number, slug: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as Problem;
  expect(body.type).toBe(`${TYPE}${slug}`);
  return body;
}

describe("quotas (DoS, overspend): per-tenant limits on run starts", () => {
  it("DoS: runsPerMinute refuses the start past the limit with 429 + Retry-After and changes nothing", async () => {
    const e = quotaEnv({ t1: { runsPerMinute: 2 } });
    await awayFromMinuteEdge();
    expect((await start(e)).status).toBe(202);
    expect((await start(e)).status).toBe(202);
    const before = await snapshot(e);
    const res = await start(e);
    const body = await refused(res, 429, "quota-runs-per-minute");
    expect(body.detail).toMatch(/runsPerMinute/);
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await snapshot(e)).toEqual(before);
    // another tenant has its own window (no "*" entry: no quota)
    expect((await start(e, [node("a")], "k2")).status).toBe(202);
    // awayFromMinuteEdge may wait up to 8.2 s: more than the default 5 s test timeout
  }, 20_000);

  it("overspend: nodesPerDay refuses a whole run that would pass the UTC day's node count, counting nothing", async () => {
    const e = quotaEnv({ "*": { nodesPerDay: 3 } });
    expect((await start(e, [node("a"), node("b")])).status).toBe(202);
    const before = await snapshot(e);
    const res = await start(e, [node("a"), node("b")]);
    const body = await refused(res, 429, "quota-nodes-per-day");
    expect(body.detail).toMatch(/nodesPerDay/);
    const untilMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(Math.abs(retry - untilMidnight)).toBeLessThanOrEqual(5);
    expect(await snapshot(e)).toEqual(before);
    // the refused run counted nothing: one more node still fits, then the day is full
    expect((await start(e, [node("c")])).status).toBe(202);
    await refused(await start(e, [node("d")]), 429, "quota-nodes-per-day");
  });

  it("DoS: concurrentRuns refuses a start while the tenant's runs are live; the slot returns when a run finishes", async () => {
    const e = quotaEnv({ t1: { concurrentRuns: 1 } });
    const body = { workflow: workflow([node("a")]), input: { u: crypto.randomUUID() } };
    const first = await call(e, "/v1/runs", { body, headers: { "idempotency-key": "first" } });
    expect(first.status).toBe(202);
    const { runId } = (await first.json()) as { runId: string };
    const before = await snapshot(e);
    const res = await start(e);
    await refused(res, 429, "quota-concurrent-runs");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await snapshot(e)).toEqual(before);
    // an idempotent repeat of the live run is that same run, admitted at the limit and counted once
    const repeat = await call(e, "/v1/runs", { body, headers: { "idempotency-key": "first" } });
    expect(repeat.status).toBe(200);
    expect(((await repeat.json()) as { runId: string }).runId).toBe(runId);
    expect(await snapshot(e)).toEqual(before);
    expect((await call(e, `/v1/runs/${runId}/cancel`)).status).toBe(200);
    const next = await start(e);
    expect(next.status).toBe(202);
    // back at the limit: the next start is refused again
    await refused(await start(e), 429, "quota-concurrent-runs");
  });

  it("DoS: a retry that would make a finished run live again counts against concurrentRuns", async () => {
    const e = quotaEnv({ t1: { concurrentRuns: 1 } });
    const a = ((await (await start(e)).json()) as { runId: string }).runId;
    expect((await call(e, `/v1/runs/${a}/cancel`)).status).toBe(200);
    const b = ((await (await start(e)).json()) as { runId: string }).runId;
    const before = await snapshot(e);
    const res = await call(e, `/v1/runs/${a}/retry`);
    await refused(res, 429, "quota-concurrent-runs");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await snapshot(e)).toEqual(before);
    expect((await call(e, `/v1/runs/${b}/cancel`)).status).toBe(200);
    expect((await call(e, `/v1/runs/${a}/retry`)).status).toBe(202);
    await refused(await start(e), 429, "quota-concurrent-runs");
  });

  it("DoS: a start the queue refused (503) gives its concurrent-run slot back", async () => {
    const e = quotaEnv({ t1: { concurrentRuns: 1, runsPerMinute: 100 } });
    const chaos = await fetch(`${env.QSTASH_URL}/__chaos`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ publishErrors: 1 }),
    });
    expect(chaos.ok).toBe(true);
    expect((await start(e)).status).toBe(503);
    expect((await start(e)).status).toBe(202);
    await refused(await start(e), 429, "quota-concurrent-runs");
  });

  it("overspend: a node naming a tier or model outside allowedTiers/allowedModels is refused with 403 naming it", async () => {
    const e = quotaEnv({ t1: { allowedTiers: ["fast"] }, t2: { allowedModels: ["sim-fast"] } });
    const before = await snapshot(e);
    const res = await start(e, [
      node("ok"),
      node("big", [], { model: "deep" }),
      node("named", [], { model: "sim-deep" }),
    ]);
    const body = await refused(res, 403, "quota-model-not-allowed");
    expect(body.errors?.map((x) => [x.node, x.pointer])).toEqual([
      ["big", "/workflow/nodes/1/model"],
      ["named", "/workflow/nodes/2/model"],
    ]);
    const other = await refused(
      await start(e, [node("x", [], { model: "sim-balanced" })], "k2"),
      403,
      "quota-model-not-allowed",
    );
    expect(other.errors?.[0]?.node).toBe("x");
    expect(await snapshot(e)).toEqual(before);
    // the agent's own model (sim-fast) is allowed for both tenants
    expect((await start(e, [node("ok")])).status).toBe(202);
    expect((await start(e, [node("ok")], "k2")).status).toBe(202);
  });

  it("overspend: with ALLOW_SIMULATED_PROVIDER=false a run using the simulated provider is refused with 403", async () => {
    const e = quotaEnv({}, { ALLOW_SIMULATED_PROVIDER: "false" });
    const before = await snapshot(e);
    const body = await refused(await start(e, [node("a")]), 403, "provider-disabled");
    expect(body.errors?.[0]).toMatchObject({ node: "a", pointer: "/workflow/nodes/0" });
    expect(await snapshot(e)).toEqual(before);
  });

  it("DoS: cron-started runs (tenant cron) are subject to quotas too", async () => {
    const e = quotaEnv({ cron: { runsPerMinute: 0 } });
    await expect(runScheduled({ cron: "*/5 * * * *", scheduledTime: Date.now() }, e)).rejects.toThrow(/runsPerMinute/);
    expect((await keysOf(e)).filter((k) => k.includes("{run:"))).toEqual([]);
  });
});

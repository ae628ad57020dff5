import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scheduleIdempotencyKey } from "../../functions/schedule-firing.js";
import { runIdFor } from "../../shared/engine/start-run.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

/** The start of the minute after `ms`, unix ms. */
function nextMinute(ms: number): number {
  return (Math.floor(ms / 60_000) + 1) * 60_000;
}

describe("end to end: schedules fired by the local QStash emulator's Schedules", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A request to the worker's schedules API with the dev key. */
  async function api(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${h.url}${path}`, {
      method,
      headers: { authorization: "Bearer dev-key", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** The runs a schedule started, newest first. */
  async function runsOf(id: string) {
    return (await h.client.list({ trigger: `schedule:${id}` })).runs;
  }

  it("fires at the next minute, one run per firing even when delivered twice; pause stops it, resume restarts", async () => {
    const id = "every-minute";
    const put = await api("PUT", `/v1/schedules/${id}`, { cron: "* * * * *", workflow: "hello", input: { n: 1 } });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ id, cron: "* * * * *", workflow: "hello", paused: false });

    // the firing at the next minute, delivered twice at once (chaos): one run, with the run id of that minute
    h.stack.setChaos({ duplicateDelivery: true });
    const first = nextMinute(Date.now());
    expect(h.stack.advanceSchedules(first)).toHaveLength(1);
    await h.stack.idle();
    h.stack.setChaos({ duplicateDelivery: false });
    const expected = await runIdFor("dev", scheduleIdempotencyKey(id, first), "scheduled");
    let runs = await runsOf(id);
    expect(runs.map((r) => r.runId)).toEqual([expected]);
    expect(runs[0]).toMatchObject({ trigger: `schedule:${id}`, workflow: "hello" });
    expect((await h.waitForRun(expected)).status).toBe("completed");

    // paused: the next minute starts nothing
    const paused = await api("POST", `/v1/schedules/${id}/pause`);
    expect(await paused.json()).toMatchObject({ id, paused: true });
    expect(h.stack.advanceSchedules(first + 60_000)).toEqual([]);
    await h.stack.idle();
    expect(await runsOf(id)).toHaveLength(1);

    // resumed: the minute after fires again, a second run
    const resumed = await api("POST", `/v1/schedules/${id}/resume`);
    expect(await resumed.json()).toMatchObject({ id, paused: false });
    expect(h.stack.advanceSchedules(first + 120_000)).toHaveLength(1);
    await h.stack.idle();
    runs = await runsOf(id);
    expect(runs.map((r) => r.runId).sort()).toEqual(
      [expected, await runIdFor("dev", scheduleIdempotencyKey(id, first + 120_000), "scheduled")].sort(),
    );

    // deleted: gone from the API and from QStash, nothing fires
    expect((await api("DELETE", `/v1/schedules/${id}`)).status).toBe(204);
    expect((await api("GET", `/v1/schedules/${id}`)).status).toBe(404);
    expect(h.stack.advanceSchedules(first + 180_000)).toEqual([]);
  });

  it("lists the tenant's schedules; a schedule created paused fires nothing", async () => {
    const id = "created-paused";
    const put = await api("PUT", `/v1/schedules/${id}`, { cron: "*/5 * * * *", workflow: "hello", paused: true });
    expect(put.status).toBe(201);
    const list = (await (await api("GET", "/v1/schedules")).json()) as { schedules: { id: string }[] };
    expect(list.schedules.map((s) => s.id)).toContain(id);
    expect(h.stack.advanceSchedules(nextMinute(Date.now()) + 10 * 60_000)).toEqual([]);
    expect(await runsOf(id)).toEqual([]);
    // a PUT of the same id replaces it (200), keeping its creation time
    const again = await api("PUT", `/v1/schedules/${id}`, { cron: "0 * * * *", workflow: "hello", paused: true });
    expect(again.status).toBe(200);
    const body = (await again.json()) as { cron: string; createdAt: string };
    expect(body.cron).toBe("0 * * * *");
    expect(body.createdAt).toBe(((await put.json()) as { createdAt: string }).createdAt);
    expect((await api("DELETE", `/v1/schedules/${id}`)).status).toBe(204);
  });
});

import { Client, Receiver } from "@upstash/qstash";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { type Destination, startDestination } from "./helpers/destination.js";

/** Contract tests: the official @upstash/qstash Client's schedules API, unchanged, against the local emulator. */

let stack: LocalStack;
let client: Client;
let receiver: Receiver;
let dest: Destination;

beforeAll(async () => {
  stack = await startLocalStack({ memory: true, redisPort: 0, qstashPort: 0, retrySpeedup: 1000 });
  client = new Client({ baseUrl: stack.qstashUrl, token: stack.qstashToken });
  receiver = new Receiver({ currentSigningKey: stack.signingKeys.current, nextSigningKey: stack.signingKeys.next });
  dest = await startDestination();
});

afterAll(async () => {
  await stack?.close();
  await dest?.close();
});

afterEach(async () => {
  for (const s of await client.schedules.list()) await client.schedules.delete(s.scheduleId);
  stack.setChaos({ duplicateDelivery: false });
  await stack.idle();
});

/** A unique path for one test. */
function path(name: string): string {
  return `/${name}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The start of the minute after `ms`, unix ms. */
function nextMinute(ms: number, plus = 0): number {
  return (Math.floor(ms / 60_000) + 1 + plus) * 60_000;
}

describe("schedules API with the official client", () => {
  it("creates, gets and lists a schedule with the B4 fields", async () => {
    const url = dest.url(path("get"));
    const { scheduleId } = await client.schedules.create({
      destination: url,
      cron: "*/5 * * * *",
      body: '{"a":1}',
      headers: { "X-Custom": "v" },
      retries: 2,
    });
    expect(scheduleId).toMatch(/^scd_/);
    const s = await client.schedules.get(scheduleId);
    expect(s).toMatchObject({
      scheduleId,
      cron: "*/5 * * * *",
      destination: url,
      method: "POST",
      body: '{"a":1}',
      retries: 2,
      isPaused: false,
    });
    expect(s.header?.["X-Custom"]).toEqual(["v"]);
    expect(s.nextScheduleTime).toBeGreaterThan(Date.now());
    expect(s.nextScheduleTime! % 300_000).toBe(0);
    expect((await client.schedules.list()).map((x) => x.scheduleId)).toEqual([scheduleId]);
  });

  it("takes a chosen schedule id and replaces the schedule under it", async () => {
    const url = dest.url(path("id"));
    await client.schedules.create({ destination: url, cron: "0 * * * *", scheduleId: "my-sched" });
    const again = await client.schedules.create({ destination: url, cron: "30 * * * *", scheduleId: "my-sched" });
    expect(again.scheduleId).toBe("my-sched");
    expect((await client.schedules.get("my-sched")).cron).toBe("30 * * * *");
    expect(await client.schedules.list()).toHaveLength(1);
  });

  it("refuses an invalid cron and a six-field cron with 400", async () => {
    const url = dest.url(path("bad"));
    await expect(client.schedules.create({ destination: url, cron: "61 * * * *" })).rejects.toThrow(/cron/);
    await expect(client.schedules.create({ destination: url, cron: "* * * * * *" })).rejects.toThrow(/cron/);
    expect(await client.schedules.list()).toHaveLength(0);
  });

  it("fires at each occurrence a signed message with Upstash-Schedule-Id, created at the firing time", async () => {
    const p = path("fire");
    const url = dest.url(p);
    const { scheduleId } = await client.schedules.create({ destination: url, cron: "* * * * *", body: "tick" });
    const first = nextMinute(Date.now());
    const fired = stack.advanceSchedules(first + 60_000);
    expect(fired).toHaveLength(2);
    // the message can be read while it is being delivered; its createdAt is the firing time
    const got = await dest.waitFor(p, 2);
    expect(got.map((r) => r.headers["upstash-schedule-id"])).toEqual([scheduleId, scheduleId]);
    expect(got.map((r) => r.headers["upstash-message-id"]).sort()).toEqual([...fired].sort());
    expect(got[0]?.body).toBe("tick");
    expect(await receiver.verify({ signature: String(got[0]?.headers["upstash-signature"]), body: "tick", url })).toBe(
      true,
    );
    const s = await client.schedules.get(scheduleId);
    expect(s.lastScheduleTime).toBe(first + 60_000);
    // advancing again to the same time fires nothing more
    expect(stack.advanceSchedules(first + 60_000)).toEqual([]);
    await stack.idle();
    expect(Object.values((await client.schedules.get(scheduleId)).lastScheduleStates ?? {})).toEqual([
      "SUCCESS",
      "SUCCESS",
    ]);
  });

  it("a message of a firing reports its scheduleId and firing time through messages.get", async () => {
    const p = path("msg");
    const { scheduleId } = await client.schedules.create({
      destination: dest.url(p),
      cron: "* * * * *",
      delay: 3600,
    });
    const at = nextMinute(Date.now());
    const [messageId] = stack.advanceSchedules(at);
    const m = await client.messages.get(messageId as string);
    expect(m).toMatchObject({ messageId, scheduleId, createdAt: at });
    expect(m.notBefore).toBeGreaterThanOrEqual(Date.now() + 3_500_000);
    await client.messages.cancel(messageId as string);
  });

  it("a paused schedule fires nothing until resumed; delete stops it for good", async () => {
    const p = path("pause");
    const { scheduleId } = await client.schedules.create({ destination: dest.url(p), cron: "* * * * *" });
    await client.schedules.pause({ schedule: scheduleId });
    expect((await client.schedules.get(scheduleId)).isPaused).toBe(true);
    const t = nextMinute(Date.now());
    expect(stack.advanceSchedules(t)).toEqual([]);
    await client.schedules.resume({ schedule: scheduleId });
    expect((await client.schedules.get(scheduleId)).isPaused).toBe(false);
    // the occurrence skipped while paused is not made up; the next one fires
    expect(stack.advanceSchedules(t)).toEqual([]);
    expect(stack.advanceSchedules(t + 60_000)).toHaveLength(1);
    await client.schedules.delete(scheduleId);
    await expect(client.schedules.get(scheduleId)).rejects.toThrow(/not found/);
    expect(stack.advanceSchedules(t + 120_000)).toEqual([]);
    await stack.idle();
    expect(dest.on(p)).toHaveLength(1);
  });

  it("delivers each firing twice under chaos duplicateDelivery, both copies with the same message id", async () => {
    const p = path("dup");
    await client.schedules.create({ destination: dest.url(p), cron: "* * * * *" });
    stack.setChaos({ duplicateDelivery: true });
    const [messageId] = stack.advanceSchedules(nextMinute(Date.now()));
    const got = await dest.waitFor(p, 2);
    expect(got.map((r) => r.headers["upstash-message-id"])).toEqual([messageId, messageId]);
  });

  it("fires through the loopback test hook POST /__schedules/advance", async () => {
    const p = path("hook");
    await client.schedules.create({ destination: dest.url(p), cron: "* * * * *" });
    const bad = await fetch(`${stack.qstashUrl}/__schedules/advance`, { method: "POST", body: "{}" });
    expect(bad.status).toBe(400);
    const res = await fetch(`${stack.qstashUrl}/__schedules/advance`, {
      method: "POST",
      body: JSON.stringify({ to: nextMinute(Date.now()) }),
    });
    const { fired } = (await res.json()) as { fired: string[] };
    expect(fired).toHaveLength(1);
    expect((await dest.waitFor(p, 1))[0]?.headers["upstash-message-id"]).toBe(fired[0]);
  });

  it("answers 404 for an unknown schedule", async () => {
    await expect(client.schedules.get("scd_nope")).rejects.toThrow(/not found/);
    await expect(client.schedules.pause({ schedule: "scd_nope" })).rejects.toThrow(/not found/);
    await expect(client.schedules.delete("scd_nope")).rejects.toThrow(/not found/);
  });
});

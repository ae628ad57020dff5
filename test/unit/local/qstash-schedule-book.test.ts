import { afterEach, describe, expect, it, vi } from "vitest";
import type { MessageRecord } from "../../../local/qstash/message.js";
import { ScheduleBook } from "../../../local/qstash/schedules.js";

/** A schedule book whose firings are collected instead of delivered. */
function book() {
  const fired: MessageRecord[] = [];
  const b = new ScheduleBook({ publish: (rec) => fired.push(rec), log: () => undefined });
  const create = (cron: string, now = Date.now()) =>
    b.create({
      destination: "http://127.0.0.1:9/internal/schedule",
      headers: { "upstash-cron": cron, "content-type": "application/json" },
      body: Buffer.from("{}"),
      callerIp: "127.0.0.1",
      now,
    });
  return { b, fired, create };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("QStash emulator schedules on real time (timers)", () => {
  it("fires at each minute boundary of the cron, one message per occurrence, created at the occurrence", () => {
    vi.useFakeTimers({ now: Date.parse("2026-03-01T10:00:30Z"), toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { b, fired, create } = book();
    const id = create("*/2 * * * *");
    vi.advanceTimersByTime(29_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(5 * 60_000);
    expect(fired.map((m) => new Date(m.createdAt).toISOString())).toEqual([
      "2026-03-01T10:02:00.000Z",
      "2026-03-01T10:04:00.000Z",
    ]);
    expect(fired.every((m) => m.scheduleId === id && m.kind === "message")).toBe(true);
    b.close();
  });

  it("does not fire again on real time what the test hook already fired, nor while paused", () => {
    vi.useFakeTimers({ now: Date.parse("2026-03-01T10:00:30Z"), toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { b, fired, create } = book();
    const id = create("* * * * *");
    expect(b.advanceTo(Date.parse("2026-03-01T10:02:00Z"))).toHaveLength(2);
    vi.advanceTimersByTime(90_000); // real time reaches 10:02:00: both occurrences are already fired
    expect(fired).toHaveLength(2);
    b.pause(id);
    vi.advanceTimersByTime(3 * 60_000);
    expect(fired).toHaveLength(2);
    b.resume(id);
    vi.advanceTimersByTime(60_000);
    expect(fired.map((m) => new Date(m.createdAt).toISOString()).at(-1)).toBe("2026-03-01T10:06:00.000Z");
    expect(fired).toHaveLength(3);
    b.close();
  });
});

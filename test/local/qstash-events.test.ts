import { describe, expect, it } from "vitest";
import { EventLog, MAX_EVENTS, type QStashEvent } from "../../local/qstash/events.js";

const ev = (i: number, state: QStashEvent["state"] = "CREATED"): QStashEvent => ({
  time: i,
  state,
  messageId: `msg_${i % 7}`,
  url: "http://x/",
});

describe("QStash emulator event log", () => {
  it("returns events newest first, filtered by message and state, at most count", () => {
    const log = new EventLog();
    for (let i = 0; i < 20; i++) log.add(ev(i, i % 2 ? "DELIVERED" : "CREATED"));
    expect(log.query({ count: 3 }).map((e) => e.time)).toEqual([19, 18, 17]);
    expect(log.query({ messageId: "msg_3" }).map((e) => e.time)).toEqual([17, 10, 3]);
    expect(log.query({ state: "DELIVERED", count: 2 }).map((e) => e.time)).toEqual([19, 17]);
  });

  it("keeps the newest MAX_EVENTS once full, dropping the oldest", () => {
    const log = new EventLog();
    const total = MAX_EVENTS + 25;
    for (let i = 0; i < total; i++) log.add(ev(i));
    const all = log.query({ count: total });
    expect(all).toHaveLength(MAX_EVENTS);
    expect(all[0]!.time).toBe(total - 1);
    expect(all.at(-1)!.time).toBe(25);
  });

  it("an empty log returns nothing", () => {
    expect(new EventLog().query()).toEqual([]);
  });
});

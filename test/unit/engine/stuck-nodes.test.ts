import { describe, expect, it } from "vitest";
import { findStuckNodes, MAX_RETRY_BACKOFF_MS, type StuckInput } from "../../../shared/engine/stuck-nodes.js";

const T0 = 1_800_000_000_000;
const GRACE = 120_000;
const DEADLINE = 70_000;

/** A run a -> b, c (root) with the given per-node hashes, seen at `now`. */
function input(over: Partial<StuckInput>): StuckInput {
  return {
    status: {},
    started: {},
    offered: {},
    roots: new Set(["a", "c"]),
    createdAt: T0,
    concurrency: 2,
    deadlineMs: () => DEADLINE,
    now: T0 + GRACE + 1,
    graceMs: GRACE,
    ...over,
  };
}

describe("findStuckNodes", () => {
  it("finds roots offered longer than the grace period ago and never attempted", () => {
    const s = input({ status: { a: "queued", b: "pending", c: "queued" }, offered: { a: `${T0}`, c: `${T0}` } });
    expect(findStuckNodes(s)).toEqual([
      { nodeId: "a", reason: "root-not-published", seen: "queued", mark: `${T0}` },
      { nodeId: "c", reason: "root-not-published", seen: "queued", mark: `${T0}` },
    ]);
  });

  it("leaves queued nodes alone within the grace period", () => {
    const s = input({ status: { a: "queued" }, offered: { a: `${T0}` }, now: T0 + GRACE - 1 });
    expect(findStuckNodes(s)).toEqual([]);
  });

  it("counts a node taken before offer times existed as offered at the run's creation", () => {
    expect(findStuckNodes(input({ status: { a: "queued" } }))).toEqual([
      { nodeId: "a", reason: "root-not-published", seen: "queued", mark: "" },
    ]);
  });

  it("names a dependent a finished node took and nobody published", () => {
    const s = input({
      status: { a: "done", b: "queued", c: "done" },
      started: { a: `${T0}`, c: `${T0}` },
      offered: { a: `${T0}`, b: `${T0 + 5}`, c: `${T0}` },
      now: T0 + 5 + GRACE,
    });
    expect(findStuckNodes(s)).toEqual([
      { nodeId: "b", reason: "dependents-not-offered", seen: "queued", mark: `${T0 + 5}` },
    ]);
  });

  it("leaves a node claimed since its offer (a deferral waiting for its delayed message) alone", () => {
    const s = input({ status: { a: "queued" }, offered: { a: `${T0}` }, started: { a: `${T0 + 10}` } });
    expect(findStuckNodes(s)).toEqual([]);
  });

  it("calls a node released after an attempt whose message never came message-lost", () => {
    const s = input({
      status: { a: "queued" },
      offered: { a: `${T0 + 10}` },
      started: { a: `${T0}` },
      now: T0 + 11 + GRACE,
    });
    expect(findStuckNodes(s)[0]?.reason).toBe("message-lost");
  });

  it("does not call queued nodes lost while the run's slots are full of live deliveries", () => {
    const s = input({
      status: { a: "running", b: "queued", c: "running" },
      started: { a: `${T0 + GRACE}`, c: `${T0 + GRACE}` },
      offered: { b: `${T0}` },
      roots: new Set(["a", "b", "c"]),
    });
    expect(findStuckNodes(s)).toEqual([]);
    expect(findStuckNodes({ ...s, concurrency: 3 }).map((n) => n.nodeId)).toEqual(["b"]);
  });

  it("finds a running node past its deadline plus the grace period, and counts its slot as free", () => {
    const running = input({
      status: { a: "running", b: "queued" },
      started: { a: `${T0}` },
      offered: { a: `${T0}`, b: `${T0}` },
      concurrency: 1,
    });
    expect(findStuckNodes({ ...running, now: T0 + DEADLINE + GRACE })).toEqual([]);
    expect(findStuckNodes({ ...running, now: T0 + DEADLINE + GRACE + 1 })).toEqual([
      { nodeId: "a", reason: "lease-expired", seen: "running", mark: `${T0}` },
      { nodeId: "b", reason: "dependents-not-offered", seen: "queued", mark: `${T0}` },
    ]);
  });

  it("waits a deadline again after the sweeper re-offered a running node", () => {
    const s = input({
      status: { a: "running" },
      started: { a: `${T0}` },
      offered: { a: `${T0 + DEADLINE + GRACE + 1}` },
      now: T0 + DEADLINE + GRACE + 2,
    });
    expect(findStuckNodes(s)).toEqual([]);
  });

  it("finds a retrying node only after QStash's longest backoff has passed", () => {
    const s = input({ status: { a: "retrying" }, started: { a: `${T0}` } });
    const limit = T0 + MAX_RETRY_BACKOFF_MS + DEADLINE + GRACE;
    expect(findStuckNodes({ ...s, now: limit })).toEqual([]);
    expect(findStuckNodes({ ...s, now: limit + 1 })).toEqual([
      { nodeId: "a", reason: "retry-lost", seen: "retrying", mark: `${T0}` },
    ]);
  });

  it("ignores finished and pending nodes", () => {
    const s = input({ status: { a: "done", b: "pending", c: "failed" }, now: T0 + 10 * MAX_RETRY_BACKOFF_MS });
    expect(findStuckNodes(s)).toEqual([]);
  });
});

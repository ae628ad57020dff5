import { describe, expect, it } from "vitest";
import type { RunViewBody } from "../../../shared/client/run-api.js";
import { pollingRunFeed } from "../../../shared/client/run-feed.js";

/** Manual timers: `tick()` runs the pending callback and records the delay it was scheduled with. */
function manualTimers() {
  const delays: number[] = [];
  let pending: (() => void) | null = null;
  return {
    delays,
    timers: {
      setTimeout(fn: () => void, ms: number) {
        delays.push(ms);
        pending = fn;
        return fn;
      },
      clearTimeout(h: unknown) {
        if (pending === h) pending = null;
      },
    },
    tick() {
      const fn = pending;
      pending = null;
      fn?.();
    },
    hasPending: () => pending !== null,
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const view = (status: string) => ({ runId: "r", status }) as unknown as RunViewBody;

describe("pollingRunFeed", () => {
  it("reads at once, then every active interval until terminal, then every idle interval", async () => {
    const statuses = ["running", "running", "completed", "completed"];
    let reads = 0;
    const client = { get: async () => view(statuses[Math.min(reads++, statuses.length - 1)] as string) };
    const t = manualTimers();
    const seen: string[] = [];
    const sub = pollingRunFeed(client, { activeIntervalMs: 100, idleIntervalMs: 5000, timers: t.timers }).subscribe(
      "r",
      { onView: (v) => seen.push(v.status) },
    );
    await flush();
    t.tick();
    await flush();
    t.tick();
    await flush();
    expect(seen).toEqual(["running", "running", "completed"]);
    expect(t.delays).toEqual([100, 100, 5000]);
    sub.stop();
    expect(t.hasPending()).toBe(false);
  });

  it("stops after a terminal view when the idle interval is 0, and reports failed reads without stopping", async () => {
    let reads = 0;
    const client = {
      get: async () => {
        reads += 1;
        if (reads === 1) throw new Error("network down");
        return view("failed");
      },
    };
    const t = manualTimers();
    const errors: unknown[] = [];
    const seen: string[] = [];
    pollingRunFeed(client, { activeIntervalMs: 50, idleIntervalMs: 0, timers: t.timers }).subscribe("r", {
      onView: (v) => seen.push(v.status),
      onError: (e) => errors.push(e),
    });
    await flush();
    expect(errors).toHaveLength(1);
    t.tick();
    await flush();
    expect(seen).toEqual(["failed"]);
    expect(t.hasPending()).toBe(false);
  });

  it("refresh reads now, and a view arriving after stop is dropped", async () => {
    let release: (() => void) | null = null;
    const client = {
      get: () =>
        new Promise<RunViewBody>((resolve) => {
          release = () => resolve(view("running"));
        }),
    };
    const t = manualTimers();
    const seen: string[] = [];
    const sub = pollingRunFeed(client, { timers: t.timers }).subscribe("r", { onView: (v) => seen.push(v.status) });
    sub.stop();
    (release as unknown as () => void)();
    await flush();
    expect(seen).toEqual([]);
  });
});

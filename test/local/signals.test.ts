import { afterEach, describe, expect, it } from "vitest";
import { guardShutdown, SHUTDOWN_SIGNALS, type ShutdownGuard, SIGNAL_REPEAT_MS } from "../../local/signals.js";

/** Listeners present before each test (the test runner's own), restored afterwards. */
const before = new Map(SHUTDOWN_SIGNALS.map((s) => [s, process.listeners(s)]));
let guard: ShutdownGuard | undefined;

afterEach(() => {
  guard?.dispose();
  guard = undefined;
  for (const s of SHUTDOWN_SIGNALS) {
    for (const l of process.listeners(s)) if (!before.get(s)?.includes(l)) process.removeListener(s, l);
    for (const l of before.get(s) ?? []) if (!process.listeners(s).includes(l)) process.on(s, l);
  }
});

/** Calls only the guard's own handler, as a delivered signal would (without running the test runner's handlers). */
function deliver(signal: NodeJS.Signals): void {
  for (const l of process.listeners(signal))
    if (!before.get(signal as (typeof SHUTDOWN_SIGNALS)[number])?.includes(l)) l(signal);
}

describe("local tools' shutdown guard", () => {
  it("starts the cleanup on the first signal, ignores a repeat within the window, gives up on a later one", () => {
    let clock = 1_000;
    const calls: string[] = [];
    guard = guardShutdown(
      (s) => calls.push(`first ${s}`),
      () => calls.push("give up"),
      () => clock,
    );
    deliver("SIGINT");
    clock += 10;
    deliver("SIGINT"); // the same keypress, relayed by tsx
    expect(calls).toEqual(["first SIGINT"]);
    clock += SIGNAL_REPEAT_MS;
    deliver("SIGTERM");
    expect(calls).toEqual(["first SIGINT", "give up"]);
  });

  it("takes over the shutdown signals from other handlers (wrangler's), and disposes its own", () => {
    const foreign = () => undefined;
    process.on("SIGHUP", foreign);
    guard = guardShutdown(
      () => undefined,
      () => undefined,
    );
    expect(process.listeners("SIGHUP")).toContain(foreign);
    guard.takeOver();
    expect(process.listeners("SIGHUP")).not.toContain(foreign);
    for (const s of SHUTDOWN_SIGNALS) expect(process.listeners(s)).toHaveLength(1);
    guard.dispose();
    for (const s of SHUTDOWN_SIGNALS) expect(process.listeners(s)).toHaveLength(0);
  });
});

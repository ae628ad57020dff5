/**
 * Orderly Ctrl-C for the local tools that start workerd through wrangler (the demo and the benchmark): one handler
 * for SIGINT, SIGTERM and SIGHUP that starts the cleanup on the first signal and gives up on it only when the user
 * insists.
 */

/** The signals that stop a local tool. */
export const SHUTDOWN_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Signals closer together than this count as one Ctrl-C, ms. The terminal sends SIGINT to every process of the
 * group and tsx relays it to its child as well, so one keypress can arrive twice within a few ms.
 */
export const SIGNAL_REPEAT_MS = 1_000;

/** What {@link guardShutdown} installed. */
export interface ShutdownGuard {
  /**
   * Removes every other handler of the shutdown signals. wrangler's runtime (miniflare's exit hook) installs
   * handlers that kill workerd and exit the process at once, which would skip the tool's cleanup (the worker's
   * dispose, the stack's close, deleting its Redis keys): call this once the worker has started.
   */
  takeOver(): void;
  /** Removes this guard's own handler. */
  dispose(): void;
}

/** The guard installed by {@link guardShutdown} and not yet disposed, if any (one per process). */
let active: ShutdownGuard | undefined;

/**
 * Hands the shutdown signals to the installed guard ({@link ShutdownGuard.takeOver}); does nothing when no guard
 * is installed (e.g. in tests). local-worker.ts calls it once workerd runs, after wrangler installed its handlers.
 */
export function takeOverSignals(): void {
  active?.takeOver();
}

/**
 * Installs one handler for {@link SHUTDOWN_SIGNALS}: the first signal calls `onFirst` (start the cleanup); a repeat
 * within {@link SIGNAL_REPEAT_MS} is ignored (the same keypress relayed twice); a later one calls `onGiveUp` (exit
 * without waiting for the cleanup).
 * @param now clock in ms, for tests.
 */
export function guardShutdown(
  onFirst: (signal: NodeJS.Signals) => void,
  onGiveUp: () => void,
  now: () => number = Date.now,
): ShutdownGuard {
  let firstAt: number | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (firstAt === undefined) {
      firstAt = now();
      onFirst(signal);
      return;
    }
    if (now() - firstAt > SIGNAL_REPEAT_MS) onGiveUp();
  };
  for (const name of SHUTDOWN_SIGNALS) process.on(name, handler);
  const guard: ShutdownGuard = {
    takeOver() {
      for (const name of SHUTDOWN_SIGNALS) {
        for (const listener of process.listeners(name))
          if (listener !== handler) process.removeListener(name, listener);
      }
    },
    dispose() {
      for (const name of SHUTDOWN_SIGNALS) process.removeListener(name, handler);
      if (active === guard) active = undefined;
    },
  };
  active = guard;
  return guard;
}

/**
 * The run feed: the one seam through which the dashboard and the `agent-dag` CLI receive a run's views as it
 * changes. Today it polls `GET /v1/runs/:id` ({@link pollingRunFeed}); a feed over the server-sent events of
 * `GET /v1/runs/:id/events` can replace it behind the same {@link RunFeed} interface without touching a caller.
 */
import { isTerminalStatus, type RunViewBody } from "./run-api.js";
import type { RunClient } from "./run-client.js";

/** What a subscriber is told: every view read (terminal ones included) and every failed read. */
export interface RunFeedHandlers {
  onView(view: RunViewBody): void;
  /** A read failed; the feed keeps going (the next read may succeed) unless the caller stops it. */
  onError?(error: unknown): void;
}

/** A live subscription: `refresh` reads now (e.g. right after Cancel or Retry), `stop` ends it for good. */
export interface RunFeedSubscription {
  refresh(): void;
  stop(): void;
}

/** A source of a run's views as it changes. */
export interface RunFeed {
  /** Starts delivering `runId`'s views to `handlers` at once, until `stop`. */
  subscribe(runId: string, handlers: RunFeedHandlers): RunFeedSubscription;
}

/** Options of {@link pollingRunFeed}; intervals are pauses between the end of one read and the next, ms. */
export interface PollingFeedOptions {
  /** While the run is not terminal (default 1000). */
  activeIntervalMs?: number;
  /** Once it is terminal, to notice a retry or rerun started elsewhere (default 10000; 0 = stop polling). */
  idleIntervalMs?: number;
  /** The timer to use (default the global `setTimeout`/`clearTimeout`), for tests. */
  timers?: {
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
  };
}

/**
 * A {@link RunFeed} that polls {@link RunClient.get}: one read at a time, `activeIntervalMs` apart while the run
 * runs and `idleIntervalMs` apart once it ended. A read in flight when `stop` is called is dropped.
 * @param client a client of the run API.
 */
export function pollingRunFeed(client: Pick<RunClient, "get">, options: PollingFeedOptions = {}): RunFeed {
  const { activeIntervalMs = 1000, idleIntervalMs = 10_000 } = options;
  const timers = options.timers ?? {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  return {
    subscribe(runId, handlers) {
      let stopped = false;
      let timer: unknown = null;
      let inFlight = false;
      let again = false;
      const schedule = (ms: number) => {
        if (stopped || ms <= 0) return;
        timer = timers.setTimeout(read, ms);
      };
      async function read(): Promise<void> {
        if (stopped) return;
        if (inFlight) {
          again = true;
          return;
        }
        if (timer !== null) timers.clearTimeout(timer);
        timer = null;
        inFlight = true;
        let next = activeIntervalMs;
        try {
          const view = await client.get(runId);
          if (stopped) return;
          handlers.onView(view);
          if (isTerminalStatus(view.status)) next = idleIntervalMs;
        } catch (err) {
          if (!stopped) handlers.onError?.(err);
        } finally {
          inFlight = false;
        }
        if (again) {
          again = false;
          void read();
        } else schedule(next);
      }
      void read();
      return {
        refresh: () => void read(),
        stop() {
          stopped = true;
          if (timer !== null) timers.clearTimeout(timer);
        },
      };
    },
  };
}

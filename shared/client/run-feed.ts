/**
 * The run feed: the one seam through which the dashboard and the `agent-dag` CLI receive a run's views as it
 * changes. {@link sseRunFeed} follows the run's server-sent events (`GET /v1/runs/:id/events`) and reads the view
 * when an event says something changed; {@link pollingRunFeed} polls `GET /v1/runs/:id`, and is the fallback when
 * the event stream cannot be read.
 */
import type { RunEventBody } from "../state/run-events.js";
import { isTerminalStatus, type RunViewBody } from "./run-api.js";
import type { RunClient } from "./run-client.js";
import type { RunEventStreamResult } from "./run-event-stream.js";

/** What a subscriber is told: every view read (terminal ones included) and every failed read. */
export interface RunFeedHandlers {
  onView(view: RunViewBody): void;
  /** An event of the run's event log, as it arrives (event feeds only; before the view that reflects it). */
  onEvent?(event: RunEventBody): void;
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

/** The global `setTimeout`/`clearTimeout`: the timers of a feed when its options name none. */
const GLOBAL_TIMERS: Required<PollingFeedOptions>["timers"] = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * A {@link RunFeed} that polls {@link RunClient.get}: one read at a time, `activeIntervalMs` apart while the run
 * runs and `idleIntervalMs` apart once it ended. A read in flight when `stop` is called is dropped.
 * @param client a client of the run API.
 */
export function pollingRunFeed(client: Pick<RunClient, "get">, options: PollingFeedOptions = {}): RunFeed {
  const { activeIntervalMs = 1000, idleIntervalMs = 10_000 } = options;
  const timers = options.timers ?? GLOBAL_TIMERS;
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

/** Follows a run's events (shared/client/run-event-stream.ts `streamRunEvents`, bound to a base URL and key). */
export type RunEventSource = (
  runId: string,
  opts: { onEvent(event: RunEventBody): void; signal: AbortSignal },
) => Promise<Pick<RunEventStreamResult, "finished">>;

/** Options of {@link sseRunFeed}: those of the polling fallback, plus the least pause between two view reads. */
export interface SseFeedOptions extends PollingFeedOptions {
  /** Least pause between the starts of two view reads that events asked for, ms (default 200). */
  minReadIntervalMs?: number;
}

/**
 * A {@link RunFeed} over the run's server-sent events: it reads the view once, then, while the run runs, follows
 * its events (each passed to `onEvent`) and reads the view again after events, at most once per
 * `minReadIntervalMs` (bursts coalesce into one read). Once the run ended it reads every `idleIntervalMs` to
 * notice a retry or rerun, and follows the events again then. If the events cannot be read (an older server, a
 * proxy that buffers), the subscription falls back to {@link pollingRunFeed}.
 * @param client a client of the run API; @param events the event source (streamRunEvents bound to the same API).
 */
export function sseRunFeed(
  client: Pick<RunClient, "get">,
  events: RunEventSource,
  options: SseFeedOptions = {},
): RunFeed {
  const { idleIntervalMs = 10_000, minReadIntervalMs = 200 } = options;
  const timers = options.timers ?? GLOBAL_TIMERS;
  return {
    subscribe(runId, handlers) {
      let stopped = false;
      let timer: unknown = null;
      let inFlight = false;
      let again = false;
      let lastReadAt = Number.NEGATIVE_INFINITY;
      let streaming: AbortController | null = null;
      let fallback: RunFeedSubscription | null = null;
      const clear = () => {
        if (timer !== null) timers.clearTimeout(timer);
        timer = null;
      };
      const follow = () => {
        if (stopped || streaming || fallback) return;
        const ctl = new AbortController();
        streaming = ctl;
        events(runId, { onEvent: (e) => onEvent(e), signal: ctl.signal }).then(
          () => {
            if (streaming === ctl) streaming = null;
            if (!stopped) void read();
          },
          () => {
            // the events cannot be read (an older server, a buffering proxy): poll instead, which reports its own errors
            if (streaming === ctl) streaming = null;
            if (stopped) return;
            clear();
            fallback = pollingRunFeed(client, options).subscribe(runId, handlers);
          },
        );
      };
      function onEvent(e: RunEventBody): void {
        if (stopped) return;
        handlers.onEvent?.(e);
        if (inFlight) {
          again = true;
          return;
        }
        if (timer !== null) return;
        const wait = lastReadAt + minReadIntervalMs - Date.now();
        if (wait > 0) timer = timers.setTimeout(read, wait);
        else void read();
      }
      async function read(): Promise<void> {
        if (stopped || fallback) return;
        if (inFlight) {
          again = true;
          return;
        }
        clear();
        inFlight = true;
        lastReadAt = Date.now();
        let view: RunViewBody | null = null;
        try {
          view = await client.get(runId);
          if (!stopped) handlers.onView(view);
        } catch (err) {
          if (!stopped) handlers.onError?.(err);
        } finally {
          inFlight = false;
        }
        if (stopped || fallback) return;
        if (again) {
          again = false;
          timer = timers.setTimeout(read, minReadIntervalMs);
        } else if (view && !isTerminalStatus(view.status)) follow();
        else if (!streaming && idleIntervalMs > 0) timer = timers.setTimeout(read, view ? idleIntervalMs : 1000);
      }
      void read();
      return {
        refresh: () => (fallback ? fallback.refresh() : void read()),
        stop() {
          stopped = true;
          clear();
          streaming?.abort();
          fallback?.stop();
        },
      };
    },
  };
}

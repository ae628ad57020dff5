/**
 * Follows a run's event log (`GET /v1/runs/:id/events`, server-sent events) with `fetch`, so it can send the API key
 * as `Authorization: Bearer` (a browser's `EventSource` cannot send headers, and a key in the URL would land in
 * logs and history). It does what `EventSource` does: reconnects after the server's `retry:` delay with
 * `Last-Event-ID`, so a response ended by the server's polling budget, or cut by the network, resumes with no gap
 * and no repeat; it stops after the run's final event (`run-finished`) or on 204 (nothing more to send). Runs in
 * Node, workerd and browsers.
 */
import type { RunEventBody } from "../state/run-events.js";
import type { RunClientOptions } from "./run-client.js";
import { RunClientError, readProblem } from "./run-client-error.js";
import { SseParser } from "./sse-parser.js";

/** Options of {@link streamRunEvents}. */
export interface RunEventStreamOptions extends RunClientOptions {
  /** Called once per event, in stream order. */
  onEvent(event: RunEventBody): void;
  /** Resume after this stream id (as if a previous connection had seen it). */
  lastEventId?: string | undefined;
  /** Stops following (the promise then resolves). */
  signal?: AbortSignal | undefined;
  /** Reconnect delay when the server sent no `retry:`, ms (default 250). */
  reconnectMs?: number;
  /** Consecutive connections that fail (network, 5xx) before giving up (default 5). */
  maxFailures?: number;
  /** Called when a connection answers 200 (tests and the benchmark count connections). */
  onConnect?(): void;
}

/** How {@link streamRunEvents} ended: the last event id seen, connections made, and whether the run finished. */
export interface RunEventStreamResult {
  lastEventId: string;
  connections: number;
  finished: boolean;
}

/**
 * Reads the run's events until its final event, a 204, or `signal`.
 * @throws RunClientError on a 4xx answer (unknown run, another tenant's, bad `Last-Event-ID`, bad key): not retried;
 *   Error after `maxFailures` failed connections in a row.
 */
export async function streamRunEvents(runId: string, opts: RunEventStreamOptions): Promise<RunEventStreamResult> {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const path = `/v1/runs/${encodeURIComponent(runId)}/events`;
  const doFetch = opts.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const parser = new SseParser();
  parser.lastEventId = opts.lastEventId ?? "";
  let connections = 0;
  let failures = 0;
  let lastType = "";
  const result = (finished: boolean) => ({ lastEventId: parser.lastEventId, connections, finished });
  while (!opts.signal?.aborted) {
    let res: Response;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream", authorization: `Bearer ${opts.apiKey}` };
      if (parser.lastEventId) headers["last-event-id"] = parser.lastEventId;
      res = await doFetch(base + path, { method: "GET", headers, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      if (opts.signal?.aborted) break;
      if (++failures >= (opts.maxFailures ?? 5)) throw err;
      await pause(parser.retryMs ?? opts.reconnectMs ?? 250, opts.signal);
      continue;
    }
    if (res.status === 204) return result(true);
    if (res.status >= 400 && res.status < 500) {
      throw new RunClientError("GET", path, readProblem(res.status, res.statusText, await res.text()));
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      if (++failures >= (opts.maxFailures ?? 5)) throw new Error(`GET ${path} answered ${res.status}`);
      await pause(parser.retryMs ?? opts.reconnectMs ?? 250, opts.signal);
      continue;
    }
    connections += 1;
    failures = 0;
    opts.onConnect?.();
    parser.reset();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const msg of parser.push(value)) {
          const event = JSON.parse(msg.data) as RunEventBody;
          lastType = event.type;
          opts.onEvent(event);
        }
      }
    } catch {
      // cut off: reconnect below with the last id seen
    }
    if (lastType === "run-finished") return result(true);
    if (opts.signal?.aborted) break;
    await pause(parser.retryMs ?? opts.reconnectMs ?? 250, opts.signal);
  }
  return result(false);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * {@link streamRunEvents} bound to an API (base URL, key, fetch): the event source of run-feed.ts `sseRunFeed`.
 */
export function runEventSource(
  api: RunClientOptions,
): (runId: string, opts: { onEvent(event: RunEventBody): void; signal: AbortSignal }) => Promise<RunEventStreamResult> {
  return (runId, opts) => streamRunEvents(runId, { ...api, ...opts });
}

import { Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { z } from "zod";
import { notFound, ProblemError, problem } from "../shared/errors/problem.js";
import { eventBody, isStreamId, type RunEvent } from "../shared/state/run-events.js";
import type { RunStatus } from "../shared/state/run-types.js";
import type { AppEnv } from "./app-env.js";

/**
 * `GET /v1/runs/:id/events` (mounted under `/v1/runs`, behind its API-key check): the run's event log as
 * server-sent events. Each event is one `data:` line of JSON (shared/state/run-events.ts `eventBody`) with its
 * stream id as `id:`; `Last-Event-ID` resumes after that id. Redis is polled (Upstash REST has no blocking read):
 * one read_events script per poll, one subrequest. The response ends after the run's final event, or, before the
 * Worker's limits, after `SSE_MAX_POLLS` polls or `SSE_MAX_SECONDS` with a `retry:` hint so that `EventSource`
 * reconnects with `Last-Event-ID` and resumes with no gap. A reconnect after the final event gets 204 (which stops
 * `EventSource`). Keep-alive comments flow every 15 s of silence. Same auth and tenant rules as `GET /v1/runs/:id`.
 */
export const runEventRoutes = new Hono<AppEnv>();

/**
 * Polling budget of one SSE response, from the bindings: `SSE_POLL_MS` (pause between reads, 50..5000, default 250),
 * `SSE_MAX_POLLS` (reads per response, 1..100000, default 45: Workers Free allows 50 subrequests per request),
 * `SSE_MAX_SECONDS` (1..3600, default 300), `SSE_RETRY_MS` (the reconnect hint, 0..60000, default 250).
 */
export const sseLimitsSchema = z.object({
  SSE_POLL_MS: z.coerce.number().int().min(50).max(5000).default(250),
  SSE_MAX_POLLS: z.coerce.number().int().min(1).max(100_000).default(45),
  SSE_MAX_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  SSE_RETRY_MS: z.coerce.number().int().min(0).max(60_000).default(250),
});

/** Events read per poll; a full page is followed by the next read at once. */
const PAGE = 500;
/** A comment is sent after this much silence (ms), so proxies keep the connection open. */
const KEEP_ALIVE_MS = 15_000;
const RUN_ID = /^run_[0-9a-f]{26}$/;

type Page = { status: RunStatus; tenant: string; events: RunEvent[] };

runEventRoutes.get("/:id/events", async (c) => {
  const runId = c.req.param("id");
  const instance = `/v1/runs/${runId}/events`;
  const lastId = c.req.header("last-event-id")?.trim() || undefined;
  if (lastId !== undefined && !isStreamId(lastId)) {
    throw new ProblemError(
      problem("invalid-event-id", `Last-Event-ID must be a stream id <ms>-<seq> as sent in id:, got "${lastId}"`, {
        instance,
      }),
    );
  }
  const limits = sseLimitsSchema.parse({
    SSE_POLL_MS: c.env.SSE_POLL_MS,
    SSE_MAX_POLLS: c.env.SSE_MAX_POLLS,
    SSE_MAX_SECONDS: c.env.SSE_MAX_SECONDS,
    SSE_RETRY_MS: c.env.SSE_RETRY_MS,
  });
  const { engine } = c.get("services");
  const read = (after: string | undefined) => engine.store.readEvents(runId, after, PAGE);
  const first = RUN_ID.test(runId) ? await read(lastId) : null;
  if (!first || first.tenant !== c.get("tenant")) {
    throw new ProblemError(notFound(`No run ${runId} (runs expire after their retention)`, { instance }));
  }
  // the client has every event of a finished run: 204 tells EventSource not to reconnect
  if (lastId !== undefined && first.events.length === 0 && first.status !== "running") return c.body(null, 204);
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, (stream) => pump(stream, first, lastId, read, limits));
});

/**
 * Writes the events of `page` and of the pages read after it until the run's final event, the client leaving, or
 * the polling budget (then a `retry:` hint). Polls: `first` counts as one.
 */
async function pump(
  stream: SSEStreamingApi,
  first: Page,
  lastId: string | undefined,
  read: (after: string | undefined) => Promise<Page | null>,
  limits: z.output<typeof sseLimitsSchema>,
): Promise<void> {
  const started = Date.now();
  let aborted = false;
  stream.onAbort(() => {
    aborted = true;
  });
  let after = lastId;
  let polls = 1;
  let lastWrite = Date.now();
  let page: Page | null = first;
  await stream.write(`retry: ${limits.SSE_RETRY_MS}\n\n`);
  while (page && !aborted) {
    for (const e of page.events) {
      await stream.writeSSE({ id: e.id, data: JSON.stringify(eventBody(e)) });
      after = e.id;
      lastWrite = Date.now();
    }
    const full = page.events.length >= PAGE;
    // read_events reads status and events atomically: a finished run's page that is not full ends with its final event
    if (page.status !== "running" && !full) return;
    const budgetLeft =
      polls < limits.SSE_MAX_POLLS && Date.now() - started + limits.SSE_POLL_MS < limits.SSE_MAX_SECONDS * 1000;
    if (!budgetLeft) {
      await stream.write(`: polling budget spent, reconnect\nretry: ${limits.SSE_RETRY_MS}\n\n`);
      return;
    }
    if (!full) {
      await stream.sleep(limits.SSE_POLL_MS);
      if (aborted) return;
      if (Date.now() - lastWrite >= KEEP_ALIVE_MS) {
        await stream.write(": keep-alive\n\n");
        lastWrite = Date.now();
      }
    }
    page = await read(after);
    polls += 1;
  }
}

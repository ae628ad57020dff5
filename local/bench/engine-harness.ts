/**
 * The engine under test: the local stack (Upstash Redis REST over the real Redis + QStash v2 emulator, ephemeral
 * ports) and the worker in workerd (local/local-worker.ts: wrangler's dev server, env `dev`, addressed directly;
 * bindings from local/worker-bindings.ts, with `MAX_WORKFLOW_NODES` = BENCH_MAX_NODES) under a random Redis key
 * prefix, plus the calls the benchmark makes: start a run and wait for it (through the run API's client,
 * shared/client/run-client.ts), and read the stack's counters. `close()` stops everything and deletes only this
 * harness's keys.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { Redis as IORedis } from "ioredis";
import type { RunRequest, RunViewBody } from "../../shared/client/run-api.js";
import { RunClient } from "../../shared/client/run-client.js";
import { RunFollowTimeoutError } from "../../shared/client/run-client-error.js";
import { startLocalWorker } from "../local-worker.js";
import { deleteKeysWithPrefix } from "../redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../stack.js";
import type { StackStats } from "../stats.js";
import { workerBindings } from "../worker-bindings.js";
import { BENCH_MAX_NODES } from "./plan.js";
import { type ProcessCpu, readProcessCpu } from "./process-cpu.js";

/** The API key of `[env.dev]` in wrangler.toml (`API_KEYS = "dev:dev-key,…"`). */
export const DEV_API_KEY = "dev-key";

/** Loopback address every server listens on. */
const HOST = "127.0.0.1";

/** How often a run is polled once the stack says it is idle but the run view still says `running`, ms. */
const POLL_MS = 100;

/** A running engine (stack + worker) for the benchmark. */
export interface EngineHarness {
  stack: LocalStack;
  /** Worker origin, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Redis key prefix of this harness (`bench-<8 random chars>`). */
  prefix: string;
  /** Redis server version (`INFO server`), or null with the in-memory store or when unreadable. */
  redisServer: string | null;
  /** The worker's run API with the dev key. */
  client: RunClient;
  /**
   * `POST /v1/runs` with the dev key.
   * @returns the run id.
   * @throws RunClientError with the worker's problem details on a non-2xx answer.
   */
  startRun(body: RunRequest): Promise<string>;
  /**
   * Waits until the stack is idle (no QStash message queued, in flight or retrying), then follows every run in
   * `runIds` to its end (reading its view every 100 ms), or until `timeoutMs` passes. The figures come from the
   * views (their start and finish times), not from when a read arrived.
   * @returns the final views (runs still running at the deadline keep status `running`), whether it timed out, and
   *   the stack's counters and the processes' CPU time read the moment the stack went idle (before this call read
   *   any run view, so they hold only the runs' own traffic).
   */
  waitForRuns(
    runIds: readonly string[],
    timeoutMs: number,
  ): Promise<{ views: RunViewBody[]; timedOut: boolean; idleStats: StackStats; idleCpu: ProcessCpu }>;
  /** The stack's counters now (see local/stats.ts). */
  stats(): StackStats;
  /** CPU time so far of the worker's workerd processes, this process and the local Redis server (process-cpu.ts). */
  processCpu(): ProcessCpu;
  /** Stops the worker and the stack and deletes this harness's keys (only when the store is the real Redis). */
  close(): Promise<void>;
}

/**
 * Starts the stack and the worker.
 * @param opts.redisUrl backing Redis (default `REDIS_URL` or redis://127.0.0.1:6379; without one, the stack falls
 *   back to its in-memory store and says so in `stack.backend`).
 * @param opts.viaProxy address the worker through wrangler's proxy worker instead of directly (local-worker.ts).
 * @param opts.localObservability keep wrangler's local observability collector on (local-worker.ts; default off).
 * @param opts.log receives wrangler/stack log lines when verbose.
 * @throws the listen or startup error of the stack or of wrangler.
 */
export async function startEngine(
  opts: {
    redisUrl?: string;
    verbose?: boolean;
    viaProxy?: boolean;
    localObservability?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<EngineHarness> {
  const redisUrl = opts.redisUrl ?? process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
  const stack = await startLocalStack({
    host: HOST,
    redisPort: 0,
    qstashPort: 0,
    redisUrl,
    ...(opts.verbose && opts.log ? { log: opts.log } : {}),
  });
  const prefix = `bench-${Math.random().toString(36).slice(2, 10)}`;
  let dispose: (() => Promise<void>) | undefined;
  try {
    const worker = await startLocalWorker({
      // the message-size experiment's synthesizer reads five 1 MiB outputs (5 M characters): past the default
      // rendered-prompt cap (functions/env.ts), which is about memory, not what this experiment measures
      bindings: workerBindings(stack, {
        KEY_PREFIX: prefix,
        MAX_WORKFLOW_NODES: String(BENCH_MAX_NODES),
        MAX_RENDERED_PROMPT_CHARS: "16000000",
        MAX_RENDERED_PROMPT_TOKENS: "10000000",
      }),
      logLevel: opts.verbose ? "log" : "error",
      localObservability: opts.localObservability ?? false,
    });
    dispose = worker.dispose;
    // the run's base URL is the origin it was started from, so QStash then calls the same address
    const url = opts.viaProxy ? worker.proxyUrl : worker.url;
    const redis = stack.backend === "redis" ? await redisServerInfo(redisUrl) : { version: null, pid: null };
    return makeHarness(stack, url, prefix, redis, async () => {
      await dispose?.();
      await stack.close();
      if (stack.backend === "redis") await deleteKeysWithPrefix(redisUrl, prefix);
    });
  } catch (err) {
    await dispose?.().catch(() => undefined);
    await stack.close();
    throw err;
  }
}

function makeHarness(
  stack: LocalStack,
  url: string,
  prefix: string,
  redis: { version: string | null; pid: number | null },
  close: () => Promise<void>,
): EngineHarness {
  const client = new RunClient({ baseUrl: url, apiKey: DEV_API_KEY });
  let closing: Promise<void> | undefined;
  return {
    stack,
    url,
    prefix,
    redisServer: redis.version,
    client,
    startRun: async (body) => (await client.start(body)).runId,
    async waitForRuns(runIds, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const idleTimer = new AbortController();
      const timedOutIdle = await Promise.race([
        stack.idle().then(() => false),
        sleep(timeoutMs, true, { signal: idleTimer.signal }).catch(() => false),
      ]);
      idleTimer.abort();
      const idleStats = stack.stats();
      const idleCpu = readProcessCpu(redis.pid);
      // the stack never went idle: read each view once and report what is still running
      const followMs = timedOutIdle ? 0 : Math.max(0, deadline - Date.now());
      const outcomes = await Promise.all(
        runIds.map((id) =>
          client.follow(id, { intervalMs: POLL_MS, timeoutMs: followMs }).then(
            (view) => ({ view, timedOut: false }),
            (err: unknown) => {
              if (err instanceof RunFollowTimeoutError) return { view: err.view, timedOut: true };
              throw err;
            },
          ),
        ),
      );
      return {
        views: outcomes.map((o) => o.view),
        timedOut: outcomes.some((o) => o.timedOut),
        idleStats,
        idleCpu,
      };
    },
    stats: () => stack.stats(),
    processCpu: () => readProcessCpu(redis.pid),
    close: () => (closing ??= close()),
  };
}

/**
 * The Redis server's version and, when it listens on a loopback address (so it may be a process of this machine:
 * process-cpu.ts also checks that the pid is a `redis-server`), its pid, from `INFO server`; nulls where unreadable.
 */
async function redisServerInfo(redisUrl: string): Promise<{ version: string | null; pid: number | null }> {
  let local = false;
  try {
    local = ["127.0.0.1", "localhost", "[::1]"].includes(new URL(redisUrl).hostname);
  } catch {
    // not a URL ioredis reads the same way: the pid is not used
  }
  const redis = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info("server");
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    return { version: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? null, pid: local && pid > 0 ? pid : null };
  } catch {
    return { version: null, pid: null };
  } finally {
    redis.disconnect();
  }
}

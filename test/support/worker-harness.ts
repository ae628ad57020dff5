import { startLocalWorker } from "../../local/local-worker.js";
import { deleteKeysWithPrefix } from "../../local/redis-cleanup.js";
import { type ChaosOptions, type LocalStack, startLocalStack } from "../../local/stack.js";
import { workerBindings } from "../../local/worker-bindings.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { RunClient } from "../../shared/client/run-client.js";

/**
 * A running worker (workerd under wrangler's programmatic API, addressed directly: local/local-worker.ts) wired to a
 * local stack, and a client of its run API.
 */
export interface Harness {
  stack: LocalStack;
  /** Worker origin, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Key prefix of this harness (only its keys are deleted at the end). */
  prefix: string;
  /** The run API of the worker with the dev key. */
  client: RunClient;
  /**
   * Follows a run to its end, reading its view every 100 ms.
   * @throws RunFollowTimeoutError when it is still not terminal after `timeoutMs` (default 120 s).
   */
  waitForRun(runId: string, timeoutMs?: number): Promise<RunViewBody>;
  close(): Promise<void>;
}

/**
 * Starts the local stack on ephemeral ports and the worker on a free port, with bindings pointing at the stack and a
 * random key prefix. `vars` override further bindings (e.g. SIMULATED_LATENCY_MS); `retrySpeedup` divides QStash's
 * retry delays (default 1000; 1 = real time).
 */
export async function startHarness(
  opts: { chaos?: ChaosOptions; vars?: Record<string, string>; retrySpeedup?: number } = {},
): Promise<Harness> {
  const stack = await startLocalStack({
    redisPort: 0,
    qstashPort: 0,
    ...(opts.chaos ? { chaos: opts.chaos } : {}),
    ...(opts.retrySpeedup ? { retrySpeedup: opts.retrySpeedup } : {}),
  });
  const prefix = `test-e2e-${Math.random().toString(36).slice(2, 10)}`;
  let worker;
  try {
    worker = await startLocalWorker({
      bindings: workerBindings(stack, { KEY_PREFIX: prefix, ...opts.vars }),
      logLevel: "warn",
    });
  } catch (err) {
    await stack.close();
    throw err;
  }
  const url = worker.url;

  const client = new RunClient({ baseUrl: url, apiKey: "dev-key" });
  return {
    stack,
    url,
    prefix,
    client,
    waitForRun: (runId, timeoutMs = 120_000) => client.follow(runId, { intervalMs: 100, timeoutMs }),
    async close() {
      await worker.dispose();
      await stack.close();
      if (stack.backend === "redis")
        await deleteKeysWithPrefix(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
    },
  };
}

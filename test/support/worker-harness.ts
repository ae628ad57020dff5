import { startLocalWorker } from "../../local/local-worker.js";
import { deleteKeysWithPrefix } from "../../local/redis-cleanup.js";
import { type ChaosOptions, type LocalStack, startLocalStack } from "../../local/stack.js";
import { workerBindings } from "../../local/worker-bindings.js";

/** A running worker (workerd under wrangler's programmatic API, addressed directly: local/local-worker.ts) wired to a local stack. */
export interface Harness {
  stack: LocalStack;
  /** Worker origin, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Key prefix of this harness (only its keys are deleted at the end). */
  prefix: string;
  /** POST /v1/runs with the dev key. */
  startRun(
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: { runId: string; status: string } }>;
  /** GET /v1/runs/:id as JSON. */
  getRun(runId: string): Promise<RunViewLike>;
  /** Polls GET /v1/runs/:id until the run is terminal (or the timeout passes: then throws). */
  waitForRun(runId: string, timeoutMs?: number): Promise<RunViewLike>;
  close(): Promise<void>;
}

/** The fields of the run view the tests read. */
export interface RunViewLike {
  runId: string;
  status: string;
  makespanMs: number;
  totals: Record<string, number>;
  criticalPath: { nodes: string[]; durationMs: number };
  makespanOverCriticalPath: number | null;
  simulated: boolean;
  levels: {
    level: number;
    title: string;
    nodes: { id: string; status: string; attempts: number; error: string | null; durationMs: number | null }[];
  }[];
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

  const startRun: Harness["startRun"] = async (body, headers = {}) => {
    const res = await fetch(`${url}/v1/runs`, {
      method: "POST",
      headers: { authorization: "Bearer dev-key", "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { runId: string; status: string } };
  };
  const getRun = async (runId: string) => {
    const res = await fetch(`${url}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } });
    if (!res.ok) throw new Error(`GET run ${runId}: ${res.status} ${await res.text()}`);
    return (await res.json()) as RunViewLike;
  };
  const waitForRun = async (runId: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await getRun(runId);
      if (view.status !== "running") return view;
      if (Date.now() > deadline)
        throw new Error(`run ${runId} still running after ${timeoutMs} ms: ${JSON.stringify(view.totals)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    stack,
    url,
    prefix,
    startRun,
    getRun,
    waitForRun,
    async close() {
      await worker.dispose();
      await stack.close();
      if (stack.backend === "redis")
        await deleteKeysWithPrefix(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
    },
  };
}

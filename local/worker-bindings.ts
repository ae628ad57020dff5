import { createServer } from "node:net";
import type { LocalStack } from "./stack.js";

/**
 * The worker bindings that point the `dev` environment at a local stack (they override wrangler.toml's
 * `[env.dev.vars]`): Upstash Redis REST URL and token, QStash URL, token and signing keys, and the worker's own
 * public URL (for QStash to call back); `extra` adds or overrides more (e.g. `SIMULATED_LATENCY_MS`, `KEY_PREFIX`).
 * Shape: wrangler's `StartDevWorkerInput["bindings"]` (`plain_text`).
 */
export function workerBindings(
  stack: Pick<LocalStack, "redisRestUrl" | "redisToken" | "qstashUrl" | "qstashToken" | "signingKeys">,
  publicUrl: string | null,
  extra: Record<string, string> = {},
): Record<string, { type: "plain_text"; value: string }> {
  const vars: Record<string, string> = {
    UPSTASH_REDIS_REST_URL: stack.redisRestUrl,
    UPSTASH_REDIS_REST_TOKEN: stack.redisToken,
    QSTASH_URL: stack.qstashUrl,
    QSTASH_TOKEN: stack.qstashToken,
    QSTASH_CURRENT_SIGNING_KEY: stack.signingKeys.current,
    QSTASH_NEXT_SIGNING_KEY: stack.signingKeys.next,
    ...(publicUrl !== null ? { PUBLIC_URL: publicUrl } : {}),
    ...extra,
  };
  return Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value }]));
}

/**
 * A TCP port that was free a moment ago on `host` (a worker needs its URL before it starts, for `PUBLIC_URL`).
 * @throws Error when no port could be bound.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not find a free port"))));
    });
  });
}

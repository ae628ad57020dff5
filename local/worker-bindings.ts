import type { LocalStack } from "./stack.js";

/**
 * The worker bindings that point the `dev` environment at a local stack (they override wrangler.toml's
 * `[env.dev.vars]`): Upstash Redis REST URL and token, QStash URL, token and signing keys; `extra` adds or overrides
 * more (e.g. `SIMULATED_LATENCY_MS`, `KEY_PREFIX`). No `PUBLIC_URL`: the worker takes the origin of the request that
 * starts a run, which is the address local-worker.ts calls it on.
 * Shape: wrangler's `StartDevWorkerInput["bindings"]` (`plain_text`).
 */
export function workerBindings(
  stack: Pick<LocalStack, "redisRestUrl" | "redisToken" | "qstashUrl" | "qstashToken" | "signingKeys">,
  extra: Record<string, string> = {},
): Record<string, { type: "plain_text"; value: string }> {
  const vars: Record<string, string> = {
    UPSTASH_REDIS_REST_URL: stack.redisRestUrl,
    UPSTASH_REDIS_REST_TOKEN: stack.redisToken,
    QSTASH_URL: stack.qstashUrl,
    QSTASH_TOKEN: stack.qstashToken,
    QSTASH_CURRENT_SIGNING_KEY: stack.signingKeys.current,
    QSTASH_NEXT_SIGNING_KEY: stack.signingKeys.next,
    ...extra,
  };
  return Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value }]));
}

import { Redis } from "@upstash/redis";
import { deleteKeysWithPrefix } from "../../local/redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../../local/stack.js";

/**
 * The two backends of the local Upstash REST server that every store test runs on (`describe.each`): a real Redis
 * (REDIS_URL, default 127.0.0.1:6379) and the embedded in-memory store. Scripts must behave the same on both.
 */
export const STORE_BACKENDS = [
  { name: "real Redis", memory: false },
  { name: "in-memory", memory: true },
] as const;

/** Starts a local stack on ephemeral ports on the chosen backend (the stack falls back to memory without a Redis). */
export function startStoreBackend(memory: boolean): Promise<LocalStack> {
  return startLocalStack({ memory, redisPort: 0, qstashPort: 0 });
}

/** An official Upstash Redis client of `stack`, raw replies (`automaticDeserialization: false`) as the stores need. */
export function storeRedis(stack: LocalStack): Redis {
  return new Redis({
    url: stack.redisRestUrl,
    token: stack.redisToken,
    automaticDeserialization: false,
    enableTelemetry: false,
  });
}

/** Stops `stack` and deletes the keys under `prefix` that the test wrote to the real Redis (only its own). */
export async function stopStoreBackend(stack: LocalStack | undefined, prefix: string): Promise<void> {
  await stack?.close();
  if (stack?.backend === "redis") await deleteKeysWithPrefix(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
}

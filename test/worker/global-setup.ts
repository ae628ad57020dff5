import type { TestProject } from "vitest/node";
import { startLocalStack, type LocalStack } from "../../local/stack.js";
import { deleteKeysWithPrefix } from "../support/redis-cleanup.js";

/**
 * Starts the local stack (Upstash Redis REST + QStash emulator, real Redis behind it) on the fixed ports the worker
 * project's bindings point at (vitest.config.ts), and afterwards deletes only the keys under the worker tests' own
 * prefix.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  const cfg = JSON.parse(process.env.AGENT_DAG_WORKER_STACK ?? "{}") as { redis: number; qstash: number; prefix: string };
  const stack: LocalStack = await startLocalStack({ redisPort: cfg.redis, qstashPort: cfg.qstash });
  return async () => {
    await stack.close();
    if (stack.backend === "redis") await deleteKeysWithPrefix(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", cfg.prefix);
  };
}

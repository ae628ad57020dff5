import type { RedisBackend } from "./backend.js";
import { connectIoredis, redactUrl } from "./ioredis-backend.js";
import { MemoryBackend } from "./memory-backend.js";

/** How long to wait for the real Redis before falling back to the in-memory store, in ms (brief: "~1 s"). */
export const REDIS_CONNECT_TIMEOUT_MS = 1000;

/** Options of {@link openBackend}. */
export interface OpenBackendOptions {
  /** Real Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** Skip the real Redis and use the embedded in-memory store. */
  memory?: boolean;
  /** Receives the line announcing a fallback to memory (default: `console.warn`). */
  warn?: (line: string) => void;
}

/**
 * Opens the store behind the Upstash REST server: the real Redis at `redisUrl` when it answers PING within
 * {@link REDIS_CONNECT_TIMEOUT_MS}, otherwise (or when `memory` is set) the embedded in-memory store. A fallback
 * caused by an unreachable Redis is announced with one `warn` line. Never throws.
 */
export async function openBackend(opts: OpenBackendOptions): Promise<RedisBackend> {
  if (opts.memory) return new MemoryBackend();
  const real = await connectIoredis(opts.redisUrl, REDIS_CONNECT_TIMEOUT_MS);
  if (real) return real;
  const warn = opts.warn ?? ((line: string) => console.warn(line));
  warn(
    `local stack: no Redis reachable at ${redactUrl(opts.redisUrl)} within ${REDIS_CONNECT_TIMEOUT_MS} ms; ` +
      "using the embedded in-memory store (ioredis-mock): data is lost on exit",
  );
  return new MemoryBackend();
}

/**
 * A reply from Redis, binary-safe: bulk and status strings are Buffers, integers are numbers, nil is null,
 * arrays nest, and an Error may appear nested inside an array (e.g. a failed command inside EXEC or a Lua table
 * holding `{err=...}`).
 */
export type RedisReply = null | number | Buffer | Error | RedisReply[];

/** One Redis command as binary-safe arguments; element 0 is the command name. */
export type RedisCommand = Buffer[];

/**
 * What the Upstash REST server needs from a store. Implemented by the real-Redis backend (ioredis) and the
 * embedded in-memory backend (ioredis-mock).
 */
export interface RedisBackend {
  /** `"redis"` for a real server, `"memory"` for the embedded store. */
  readonly kind: "redis" | "memory";
  /** Human description for log lines, e.g. `redis://127.0.0.1:6379` or `in-memory (ioredis-mock)`. */
  readonly description: string;
  /**
   * Runs one command.
   * @throws Error whose message is the Redis error text (e.g. `WRONGTYPE ...`, `NOSCRIPT ...`).
   */
  command(cmd: RedisCommand): Promise<RedisReply>;
  /** Runs commands in order, not atomically; each failed command yields an Error in its slot. */
  pipeline(cmds: RedisCommand[]): Promise<RedisReply[]>;
  /**
   * Runs commands atomically (MULTI/EXEC); exec-time failures yield an Error in their slot.
   * @throws Error (e.g. `EXECABORT ...`) when the whole transaction was discarded.
   */
  transaction(cmds: RedisCommand[]): Promise<RedisReply[]>;
  /** Releases connections. */
  close(): Promise<void>;
}

/**
 * Commands refused on every backend because they change the connection's state or need a streaming
 * connection, which the REST model cannot offer (docs/upstash-protocols.md A3: WATCH/UNWATCH/DISCARD are not
 * supported over REST; A8: pub/sub uses a dedicated SSE route, not implemented here).
 */
export const CONNECTION_COMMANDS: ReadonlySet<string> = new Set([
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
  "monitor",
  "quit",
  "reset",
  "select",
  "hello",
  "auth",
  "sync",
  "psync",
  "replicaof",
  "slaveof",
  "shutdown",
  "debug",
  "migrate",
  "client",
  "failover",
]);

/**
 * Commands refused on the real-Redis backend only: the backing Redis is shared with other work (working
 * contract: "never FLUSHDB/FLUSHALL"). The in-memory backend allows them.
 */
export const SHARED_REDIS_FORBIDDEN: ReadonlySet<string> = new Set(["flushdb", "flushall", "swapdb", "config"]);

/** Lower-case command name of `cmd` ("" when empty). */
export function commandName(cmd: RedisCommand): string {
  return cmd[0]?.toString("utf8").toLowerCase() ?? "";
}

/**
 * Error for a command the local stack refuses, worded like Upstash's
 * (`ERR Command is not available: 'SUBSCRIBE'`).
 */
export function notAvailable(name: string): Error {
  return new Error(`ERR Command is not available: '${name.toUpperCase()}'`);
}

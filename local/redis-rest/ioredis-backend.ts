import { Command, Redis } from "ioredis";
import {
  CONNECTION_COMMANDS,
  commandName,
  notAvailable,
  type RedisBackend,
  type RedisCommand,
  type RedisReply,
  SHARED_REDIS_FORBIDDEN,
} from "./backend.js";

/**
 * Commands that may block the connection; they run on a short-lived duplicate connection so that other
 * requests are not stuck behind them.
 */
const BLOCKING = new Set([
  "blpop",
  "brpop",
  "brpoplpush",
  "blmove",
  "blmpop",
  "bzpopmin",
  "bzpopmax",
  "bzmpop",
  "wait",
  "waitaof",
]);

/**
 * Builds an ioredis Command that returns raw Buffers and skips ioredis' reply transformers (they are keyed by
 * the lower-case name, e.g. `hgetall` -> object), so the reply keeps Redis' RESP shape.
 */
function rawCommand(cmd: RedisCommand): Command {
  const [name, ...args] = cmd;
  return new Command((name ?? Buffer.alloc(0)).toString("utf8").toUpperCase(), args);
}

function isBlocking(name: string, cmd: RedisCommand): boolean {
  if (BLOCKING.has(name)) return true;
  if (name === "xread" || name === "xreadgroup") return cmd.some((a) => a.toString("utf8").toLowerCase() === "block");
  return false;
}

/** Refusal for a command that must not reach the shared Redis, or undefined when allowed. */
function refusal(name: string): Error | undefined {
  if (CONNECTION_COMMANDS.has(name) || SHARED_REDIS_FORBIDDEN.has(name)) return notAvailable(name);
  return undefined;
}

/**
 * Backend over a real Redis reached with ioredis. Commands are sent as raw ioredis Commands so the replies are
 * binary-safe Buffers; commands of one pipeline are written back to back on the same connection (so they keep
 * their order); a transaction uses ioredis' MULTI/EXEC.
 */
export class IoredisBackend implements RedisBackend {
  readonly kind = "redis" as const;

  constructor(
    private readonly client: Redis,
    readonly description: string,
  ) {}

  async command(cmd: RedisCommand): Promise<RedisReply> {
    const name = commandName(cmd);
    const refused = refusal(name);
    if (refused) throw refused;
    if (isBlocking(name, cmd)) {
      const conn = this.client.duplicate();
      try {
        return (await conn.sendCommand(rawCommand(cmd))) as RedisReply;
      } finally {
        conn.disconnect();
      }
    }
    return (await this.client.sendCommand(rawCommand(cmd))) as RedisReply;
  }

  async pipeline(cmds: RedisCommand[]): Promise<RedisReply[]> {
    const settled = await Promise.allSettled(cmds.map((c) => this.command(c)));
    return settled.map((s) => (s.status === "fulfilled" ? s.value : toError(s.reason)));
  }

  async transaction(cmds: RedisCommand[]): Promise<RedisReply[]> {
    for (const c of cmds) {
      const name = commandName(c);
      const refused = refusal(name) ?? (BLOCKING.has(name) ? notAvailable(name) : undefined);
      if (refused) throw new Error(`EXECABORT Transaction discarded because of previous errors: ${refused.message}`);
    }
    const multi = this.client.multi();
    // The Pipeline returned by multi() has sendCommand at runtime; its public type does not expose it.
    const queue = multi as unknown as { sendCommand(c: Command): unknown };
    for (const c of cmds) queue.sendCommand(rawCommand(c));
    const results = (await multi.exec()) ?? [];
    return results.map(([err, value]) => (err ? toError(err) : (value as RedisReply)));
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Connects to `url` and checks it answers PING within `timeoutMs`.
 * @returns the connected backend, or undefined when Redis is not reachable in time (the half-open client is
 * disconnected).
 */
export async function connectIoredis(url: string, timeoutMs: number): Promise<IoredisBackend | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    // commands issued in one tick (a pipeline's, and those of concurrent requests) go out in one socket write
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  client.on("error", () => {
    /* connection errors surface as command errors; ioredis reconnects by itself */
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
      }),
    ]);
    return new IoredisBackend(client, redactUrl(url));
  } catch {
    client.disconnect();
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** `url` with any password replaced by `***`, for log lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

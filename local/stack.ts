import type { Server } from "node:http";
import { Chaos, type ChaosOptions } from "./chaos.js";
import { closeServer, listen } from "./http-util.js";
import { DEV_QSTASH_TOKEN, type SigningKeyPair } from "./qstash/credentials.js";
import { createQStashServer } from "./qstash/server.js";
import { QStashService } from "./qstash/service.js";
import type { RedisBackend } from "./redis-rest/backend.js";
import { openBackend } from "./redis-rest/open-backend.js";
import { createRedisRestServer } from "./redis-rest/server.js";
import { type StackStats, StatsCounter } from "./stats.js";

/** Chaos settings (see chaos.ts), re-exported as part of the contract. */
export type { ChaosOptions } from "./chaos.js";
/** Stack counters (see stats.ts), re-exported as part of the contract. */
export type { StackStats } from "./stats.js";

/** Default Upstash Redis REST port, one below the QStash port. */
export const DEFAULT_REDIS_REST_PORT = 8079;
/** Default QStash API port; the QStash dev server's and `QSTASH_DEV=true`'s port (docs/upstash-protocols.md B9). */
export const DEFAULT_QSTASH_PORT = 8080;
/** Default Redis REST bearer token (a fixed local value: the stack binds to loopback by default). */
export const DEFAULT_REDIS_TOKEN = "local-redis-token";
/** Default divisor of QStash retry waits (12 s -> 12 ms), so retries in tests take milliseconds. */
export const DEFAULT_RETRY_SPEEDUP = 1000;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Backing Redis; default `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"`. */
  redisUrl?: string;
  /** Force the embedded in-memory store (ioredis-mock). */
  memory?: boolean;
  /** Interface to bind; default `"127.0.0.1"`. */
  host?: string;
  /** Upstash Redis REST port; default 8079; 0 = ephemeral. */
  redisPort?: number;
  /** QStash v2 API port; default 8080; 0 = ephemeral. */
  qstashPort?: number;
  /** Redis REST bearer token; default `"local-redis-token"`. */
  redisToken?: string;
  /** Divide every QStash retry wait by this; default 1000 (12 s -> 12 ms). Must be > 0. */
  retrySpeedup?: number;
  /** Initial chaos settings. */
  chaos?: ChaosOptions;
  /** Receives log lines; default: no logging (the in-memory fallback warning still goes to console.warn). */
  log?: (line: string) => void;
}

/** A running local stack: its URLs and credentials, counters, chaos switch and shutdown. */
export interface LocalStack {
  /** Base URL of the Upstash Redis REST API, e.g. `http://127.0.0.1:8079`. */
  redisRestUrl: string;
  /** Token for the Redis REST API. */
  redisToken: string;
  /** Base URL of the QStash v2 API, e.g. `http://127.0.0.1:8080`. */
  qstashUrl: string;
  /** The QStash dev token (docs/upstash-protocols.md B9). */
  qstashToken: string;
  /** Current and next signing keys (the dev keys unless rotated through `POST /v2/keys/rotate`). */
  readonly signingKeys: SigningKeyPair;
  /** Which store serves the Redis REST API. */
  backend: "redis" | "memory";
  /** A snapshot of both servers' counters. */
  stats(): StackStats;
  /** Zeroes every counter. */
  resetStats(): void;
  /** Merges chaos settings (fields left undefined keep their value). @throws RangeError on negative numbers. */
  setChaos(c: ChaosOptions): void;
  /** Resolves when no QStash message or callback is queued, in flight or waiting for a retry. */
  idle(): Promise<void>;
  /**
   * Test hook: fires every QStash schedule's cron occurrences after its last firing and at or before `toMs` (unix
   * ms, may be in the future), each a message created at its occurrence; real-time timers never fire them again
   * (local/qstash/schedules.ts). @returns the message ids published.
   */
  advanceSchedules(toMs: number): string[];
  /** Stops both servers, all deliveries and the Redis connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the local stack: an Upstash Redis REST server (over the real Redis at `redisUrl` when it answers within
 * ~1 s, otherwise over an embedded in-memory store) and a QStash v2 emulator that delivers signed messages with
 * retries, callbacks, DLQ, dedup, delays and flow control (wire facts: docs/upstash-protocols.md).
 * @throws the listen error (e.g. `EADDRINUSE`) when a port is taken (anything started is closed first), or
 * RangeError for a non-positive `retrySpeedup` or invalid chaos numbers.
 */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  const host = opts.host ?? "127.0.0.1";
  const retrySpeedup = opts.retrySpeedup ?? DEFAULT_RETRY_SPEEDUP;
  if (!(Number.isFinite(retrySpeedup) && retrySpeedup > 0)) {
    throw new RangeError(`Expected \`retrySpeedup\` to be a finite number > 0, got ${retrySpeedup}`);
  }
  const redisToken = opts.redisToken ?? DEFAULT_REDIS_TOKEN;
  const chaos = new Chaos(opts.chaos);
  const stats = new StatsCounter();

  const backend: RedisBackend = await openBackend({
    redisUrl: opts.redisUrl ?? process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379",
    memory: opts.memory,
    warn: opts.log ?? ((line) => console.warn(line)),
  });
  const service = new QStashService({ chaos, stats, retrySpeedup, log });
  const redisServer = createRedisRestServer({ backend, token: redisToken, stats });
  const qstashServer = createQStashServer({
    service,
    token: DEV_QSTASH_TOKEN,
    stats,
    chaos,
    allStats: () => stats.snapshot(),
  });

  const started: Server[] = [];
  let redisPort: number;
  let qstashPort: number;
  try {
    redisPort = await listen(redisServer, host, opts.redisPort ?? DEFAULT_REDIS_REST_PORT);
    started.push(redisServer);
    qstashPort = await listen(qstashServer, host, opts.qstashPort ?? DEFAULT_QSTASH_PORT);
    started.push(qstashServer);
  } catch (err) {
    service.close();
    await Promise.all(started.map(closeServer));
    await backend.close();
    throw err;
  }
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const redisRestUrl = `http://${urlHost}:${redisPort}`;
  const qstashUrl = `http://${urlHost}:${qstashPort}`;
  log(`redis-rest  ${redisRestUrl}  token=${redisToken}  backend=${backend.kind} (${backend.description})`);
  log(`qstash      ${qstashUrl}  retrySpeedup=${retrySpeedup}`);

  let closing: Promise<void> | undefined;
  return {
    redisRestUrl,
    redisToken,
    qstashUrl,
    qstashToken: DEV_QSTASH_TOKEN,
    get signingKeys() {
      return service.keys.get();
    },
    backend: backend.kind,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setChaos: (c) => chaos.set(c),
    idle: () => service.scheduler.idle(),
    advanceSchedules: (toMs) => service.schedules.advanceTo(toMs),
    close: () => {
      closing ??= (async () => {
        service.close();
        await Promise.all([closeServer(redisServer), closeServer(qstashServer)]);
        await backend.close();
      })();
      return closing;
    },
  };
}

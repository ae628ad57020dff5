import { Client, Receiver } from "@upstash/qstash";
import { Redis } from "@upstash/redis/cloudflare";
import { BlobStore } from "../shared/blobs/blob-store.js";
import { BudgetStore } from "../shared/budget/budget-store.js";
import { CacheStore } from "../shared/cache/cache-store.js";
import { QStashDispatcher } from "../shared/dispatch/dispatcher.js";
import type { Engine } from "../shared/engine/engine.js";
import { createProviders } from "../shared/providers/factory.js";
import { CLASSIFIER_CACHE_TTL_SECONDS, llmClassifier, type TierCache } from "../shared/routing/classifier.js";
import { isTier } from "../shared/routing/tier.js";
import { RunIndex } from "../shared/state/run-index.js";
import { RunStore } from "../shared/state/run-store.js";
import { SweepStore } from "../shared/state/sweep-store.js";
import { type Config, type Env, parseConfig } from "./env.js";

/** Seconds an active run's keys live (7 days) from its start, and again from each sweep that finds it active. */
export const ACTIVE_RUN_TTL_SECONDS = 7 * 24 * 3600;

/** Time between two sweeps, ms: the period of the sweeper's cron (`* * * * *`, functions/scheduled.ts). */
export const SWEEPER_PERIOD_MS = 60_000;

/** What the routes use: parsed config, the engine, and the QStash signature receiver. */
export interface Services {
  config: Config;
  engine: Engine;
  receiver: Receiver;
  /** The Redis client, for the health check. */
  redis: Pick<Redis, "ping">;
}

const byEnv = new WeakMap<object, Services>();

/** Routing classifier verdicts kept in Redis for {@link CLASSIFIER_CACHE_TTL_SECONDS}. */
function redisTierCache(redis: Redis): TierCache {
  return {
    async get(key) {
      const v = await redis.get<string>(key);
      return v && isTier(v) ? v : null;
    },
    async set(key, tier) {
      await redis.set(key, tier, { ex: CLASSIFIER_CACHE_TTL_SECONDS });
    },
  };
}

/**
 * Builds (once per bindings object, i.e. per isolate) the Redis and QStash clients and the engine.
 * @throws Error when the bindings are invalid (see parseConfig).
 */
export function services(env: Env): Services {
  const cached = byEnv.get(env);
  if (cached) return cached;
  const config = parseConfig(env);
  const redis = new Redis({
    url: config.redisUrl,
    token: config.redisToken,
    automaticDeserialization: false,
    enableTelemetry: false,
  });
  const qstash = new Client({ token: config.qstashToken, ...(config.qstashUrl ? { baseUrl: config.qstashUrl } : {}) });
  const providers = createProviders(config.providers, env as Record<string, unknown>, {
    simulatedLatencyMs: config.simulatedLatencyMs,
  });
  const classifierProvider = config.classifier ? providers.get(config.classifier.provider) : undefined;
  const engine: Engine = {
    store: new RunStore(redis, config.keyPrefix),
    runs: new RunIndex(redis, config.keyPrefix, ACTIVE_RUN_TTL_SECONDS + config.retentionSeconds),
    sweeps: new SweepStore(redis, config.keyPrefix),
    blobs: new BlobStore(redis, config.keyPrefix, config.retentionSeconds, { keyring: config.keyring }),
    dispatcher: new QStashDispatcher(qstash),
    providers,
    routing: {
      tierMap: config.tierMap,
      defaultProvider: config.defaultProvider,
      classifier:
        config.classifier && classifierProvider
          ? llmClassifier({
              provider: classifierProvider,
              model: config.classifier.model,
              prefix: config.keyPrefix,
              cache: redisTierCache(redis),
            })
          : undefined,
    },
    prices: config.prices,
    budgets: { store: new BudgetStore(redis, config.keyPrefix), tenantDaily: config.tenantBudgets },
    cache: new CacheStore(redis, config.keyPrefix),
    config: {
      keyPrefix: config.keyPrefix,
      retentionSeconds: config.retentionSeconds,
      activeTtlSeconds: ACTIVE_RUN_TTL_SECONDS,
      sweeper: { ...config.sweeper, periodMs: SWEEPER_PERIOD_MS },
    },
    now: () => Date.now(),
  };
  const receiver = new Receiver({
    currentSigningKey: config.signingKeys.current,
    nextSigningKey: config.signingKeys.next,
  });
  const built = { config, engine, receiver, redis };
  byEnv.set(env, built);
  return built;
}

import { Client, Receiver } from "@upstash/qstash";
import { Redis } from "@upstash/redis/cloudflare";
import { BlobStore } from "../shared/blobs/blob-store.js";
import { BudgetStore } from "../shared/budget/budget-store.js";
import { CacheStore } from "../shared/cache/cache-store.js";
import { QStashDispatcher } from "../shared/dispatch/dispatcher.js";
import { liveBlobTtlSeconds } from "../shared/engine/blob-retention.js";
import type { Engine, UsageLogSettings } from "../shared/engine/engine.js";
import { QStashHttpPublisher } from "../shared/http/qstash-http-publisher.js";
import { PlanStore } from "../shared/planner/plan-store.js";
import { AiGatewayUsageLog } from "../shared/providers/ai-gateway-usage-log.js";
import { CircuitBreaker } from "../shared/providers/circuit/circuit-breaker.js";
import { createProviders } from "../shared/providers/factory.js";
import type { UsageLogConfig } from "../shared/providers/usage-log-config.js";
import { QuotaStore } from "../shared/quota/quota-store.js";
import { RegistryStore } from "../shared/registry/registry-store.js";
import { CLASSIFIER_CACHE_TTL_SECONDS, llmClassifier, type TierCache } from "../shared/routing/classifier.js";
import { isTier } from "../shared/routing/tier.js";
import { QStashScheduleQueue, type ScheduleQueue } from "../shared/schedules/schedule-queue.js";
import { ScheduleStore } from "../shared/schedules/schedule-store.js";
import { DeliveryTokenStore } from "../shared/state/delivery-tokens.js";
import { RunIndex } from "../shared/state/run-index.js";
import { RunStore } from "../shared/state/run-store.js";
import { SweepStore } from "../shared/state/sweep-store.js";
import { RunTracer } from "../shared/telemetry/run-tracer.js";
import { HookStore } from "../shared/webhooks/hook-store.js";
import { type Config, type Env, parseConfig } from "./env.js";
import { httpNodeConfig } from "./http-node-config.js";
import { subWorkflowResolver } from "./sub-workflows.js";

/** Seconds an active run's keys live (7 days) from its start, and again from each sweep that finds it active. */
export const ACTIVE_RUN_TTL_SECONDS = 7 * 24 * 3600;

/** Time between two sweeps, ms: the period of the sweeper's cron (`* * * * *`, functions/scheduled.ts). */
export const SWEEPER_PERIOD_MS = 60_000;

/** What the routes use: parsed config, the engine, and the QStash signature receiver. */
export interface Services {
  config: Config;
  engine: Engine;
  receiver: Receiver;
  /** Single use of `/internal/*` delivery tokens (functions/middleware/qstash-signature.ts). */
  deliveryTokens: DeliveryTokenStore;
  /** The Redis client, for the health check. */
  redis: Pick<Redis, "ping">;
  /** The tenants' registries of workflows and agents (`/v1/workflows`, `/v1/agents`). */
  registry: RegistryStore;
  /** Webhooks (`/v1/hooks`). */
  hooks: HookStore;
  /** Schedules (`/v1/schedules`): the records in Redis, the clock in QStash. */
  schedules: { store: ScheduleStore; queue: ScheduleQueue };
  /** The tenants' plans (`/v1/plans`, shared/planner/). */
  plans: PlanStore;
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
  // every value the engine stores is text it wrote itself (binary blobs are base64: shared/blobs/envelope.ts), so the
  // REST answers need no base64 round trip (`responseEncoding`, @upstash/redis; decoding was 7% of a fan-out's CPU)
  const redis = new Redis({
    url: config.redisUrl,
    token: config.redisToken,
    automaticDeserialization: false,
    responseEncoding: false,
    enableTelemetry: false,
  });
  // devMode pinned off: otherwise QSTASH_DEV (read from process.env, which nodejs_compat fills with the bindings)
  // would point the client at 127.0.0.1:8080 and the receiver at Upstash's public dev keys
  const qstash = new Client({
    token: config.qstashToken,
    devMode: false,
    ...(config.qstashUrl ? { baseUrl: config.qstashUrl } : {}),
  });
  const providers = createProviders(config.providers, env as Record<string, unknown>, {
    simulatedLatencyMs: config.simulatedLatencyMs,
    simulated: config.allowSimulatedProvider,
    tagCalls: new Set(config.usageLog?.providers ?? []),
  });
  const classifierProvider = config.classifier ? providers.get(config.classifier.provider) : undefined;
  // tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT): no tracer at all
  const tracing = config.otel ? new RunTracer(config.otel) : undefined;
  const engine: Engine = {
    store: new RunStore(redis, config.keyPrefix),
    runs: new RunIndex(redis, config.keyPrefix, ACTIVE_RUN_TTL_SECONDS + config.retentionSeconds),
    sweeps: new SweepStore(redis, config.keyPrefix),
    // a live run's blobs outlive the retention by two sweeper periods: the sweeper extends them before they expire
    blobs: new BlobStore(
      redis,
      config.keyPrefix,
      liveBlobTtlSeconds({ retentionSeconds: config.retentionSeconds, sweeper: { periodMs: SWEEPER_PERIOD_MS } }),
      { keyring: config.keyring },
    ),
    // with tracing on, every message carries its parent span as `traceparent` (shared/telemetry/)
    dispatcher: new QStashDispatcher(qstash, tracing ? (runId) => tracing.traceparent(runId) : undefined),
    // http nodes: on only with an allowlist; secrets read from the bindings HTTP_NODE_SECRETS names
    http:
      config.httpNodes.allowedHosts.length > 0
        ? httpNodeConfig(
            config.environment,
            config.httpNodes,
            env as Record<string, unknown>,
            new QStashHttpPublisher(qstash),
          )
        : undefined,
    providers,
    usageLog: config.usageLog ? usageLogSettings(config.usageLog, env as Record<string, unknown>) : undefined,
    circuits: new CircuitBreaker(redis, config.keyPrefix, config.circuit),
    routing: {
      tierMap: config.tierMap,
      fallbacks: config.fallbacks,
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
    // no quota configured: no store, so a start sends no quota command at all
    quotas:
      Object.keys(config.tenantQuotas).length > 0
        ? {
            tenants: config.tenantQuotas,
            store: new QuotaStore(redis, config.keyPrefix, ACTIVE_RUN_TTL_SECONDS),
          }
        : undefined,
    config: {
      keyPrefix: config.keyPrefix,
      retentionSeconds: config.retentionSeconds,
      activeTtlSeconds: ACTIVE_RUN_TTL_SECONDS,
      sweeper: { ...config.sweeper, periodMs: SWEEPER_PERIOD_MS },
      promptLimit: config.promptLimit,
      maxNodes: config.maxNodes,
    },
    tracing,
    now: () => Date.now(),
  };
  const receiver = new Receiver({
    currentSigningKey: config.signingKeys.current,
    nextSigningKey: config.signingKeys.next,
    devMode: false,
  });
  const deliveryTokens = new DeliveryTokenStore(redis, config.keyPrefix);
  const registry = new RegistryStore(redis, config.keyPrefix);
  // workflow nodes start their child runs from the tenant's registry or the bundled workflows
  engine.subWorkflows = subWorkflowResolver(registry);
  const hooks = new HookStore(redis, config.keyPrefix, config.keyring);
  const schedules = { store: new ScheduleStore(redis, config.keyPrefix), queue: new QStashScheduleQueue(qstash) };
  const plans = new PlanStore(redis, config.keyPrefix);
  const built = { config, engine, receiver, deliveryTokens, redis, registry, hooks, schedules, plans };
  byEnv.set(env, built);
  return built;
}

/**
 * The usage log of `USAGE_LOG`: AI Gateway's logs read with the token in the secret `apiTokenSecret` (a missing
 * secret fails each look-up, naming it, and the estimates stay booked).
 */
function usageLogSettings(c: UsageLogConfig, env: Readonly<Record<string, unknown>>): UsageLogSettings {
  const token = env[c.apiTokenSecret];
  return {
    log: new AiGatewayUsageLog({
      accountId: c.accountId,
      gatewayId: c.gatewayId,
      apiToken: typeof token === "string" && token.length > 0 ? token : undefined,
      apiTokenSecret: c.apiTokenSecret,
      apiBaseUrl: c.apiBaseUrl,
    }),
    providers: new Set(c.providers),
    settleMs: c.settleSeconds * 1000,
    horizonMs: c.horizonSeconds * 1000,
  };
}

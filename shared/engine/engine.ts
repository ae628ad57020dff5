import type { BlobStore } from "../blobs/blob-store.js";
import type { TenantBudgets } from "../budget/budget-spec.js";
import type { BudgetStore } from "../budget/budget-store.js";
import type { CacheStore } from "../cache/cache-store.js";
import type { PromptLimit } from "../dag/prompt-size.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { HttpNodeConfig } from "../http/http-call.js";
import type { PriceTable } from "../pricing/prices.js";
import type { CircuitBreaker } from "../providers/circuit/circuit-breaker.js";
import type { LlmProvider } from "../providers/provider.js";
import type { UsageLog } from "../providers/usage-log.js";
import type { QuotaConfig } from "../quota/quota-gate.js";
import type { TierClassifier } from "../routing/classifier.js";
import type { ModelFallbacks } from "../routing/model-fallbacks.js";
import type { TierMap } from "../routing/tier-map.js";
import type { RunIndex } from "../state/run-index.js";
import type { RunStore } from "../state/run-store.js";
import type { SweepStore } from "../state/sweep-store.js";
import type { RunTracer } from "../telemetry/run-tracer.js";
import type { SubWorkflowResolver } from "./sub-workflow-node.js";

/** Engine settings that reach `shared/` as values (never read from globals). */
export interface EngineConfig {
  /** Redis key prefix (`KEY_PREFIX`), e.g. `ad`. */
  keyPrefix: string;
  /** Seconds a finished run (and the blobs it wrote) is kept (`RUN_RETENTION_SECONDS`). */
  retentionSeconds: number;
  /** Seconds an active run's keys live at most before expiring (safety net), default 7 days; the sweeper counts
   * them again from each sweep that finds the run active. */
  activeTtlSeconds: number;
  /** The sweeper's settings (shared/engine/sweeper.ts). */
  sweeper: SweeperConfig;
  /** Caps on a node's rendered prompt (`MAX_RENDERED_PROMPT_CHARS`, `MAX_RENDERED_PROMPT_TOKENS`; shared/dag/prompt-size.ts), checked
   * at trigger time and before a node renders (shared/engine/prompt-limit.ts). */
  promptLimit: PromptLimit;
  /** Most nodes a run may hold (`MAX_WORKFLOW_NODES`), its map nodes' children included (shared/engine/map-node.ts);
   * absent: the default limit, 1,000 (shared/schema/workflow.ts `MAX_NODES`). */
  maxNodes?: number | undefined;
}

/** How the sweeper works (config `SWEEPER_*`, functions/env.ts). */
export interface SweeperConfig {
  /** How long a queued node may wait for its delivery, and a running one beyond its deadline, before the sweeper
   * re-offers it, ms (`SWEEPER_GRACE_SECONDS`, default 120 s). */
  graceMs: number;
  /** Time between two looks at an active run, ms: the cron's period (one minute). */
  periodMs: number;
  /** Most runs one sweep looks at (`SWEEPER_BATCH`, default 10). */
  batch: number;
}

/** Model routing: tier map per provider, the provider agents use when they name none, an optional classifier. */
export interface RoutingConfig {
  tierMap: TierMap;
  /** Provider for agents without `provider` (config `DEFAULT_PROVIDER`, default `simulated`). */
  defaultProvider: string;
  /** Asked on the fast tier when the routing rules are unsure (config `ROUTING_CLASSIFIER`); off when undefined. */
  classifier?: TierClassifier | undefined;
  /** Per tier, the models a call goes to while its model's circuit is open (config `MODEL_FALLBACKS`); none when
   * undefined. */
  fallbacks?: ModelFallbacks | undefined;
}

/** Budgets: the store (Lua) and the per-tenant daily limits (config `TENANT_BUDGETS`). */
export interface BudgetConfig {
  store: BudgetStore;
  tenantDaily: TenantBudgets;
}

/** The provider usage log and when to read it (config `USAGE_LOG`, shared/providers/usage-log-config.ts). */
export interface UsageLogSettings {
  log: UsageLog;
  /** Providers whose calls go through the logged gateway (tagged with their call key); other calls are not looked
   * up. */
  providers: ReadonlySet<string>;
  /** How long after a call's intent its log entries are read, ms. */
  settleMs: number;
  /** How long after a run's finish the sweeper keeps reconciling its estimated calls, ms. */
  horizonMs: number;
}

/** Everything the engine's steps need: state, blobs, queue, providers, routing, prices, budgets, settings, clock. */
export interface Engine {
  store: RunStore;
  /** The per-tenant run index and the active-run index (shared/state/run-index.ts). */
  runs: RunIndex;
  /** What the sweeper reads and applies to one run (shared/state/sweep-store.ts). */
  sweeps: SweepStore;
  blobs: BlobStore;
  dispatcher: Dispatcher;
  /** Providers by name; `simulated` is present unless `ALLOW_SIMULATED_PROVIDER` turned it off. */
  providers: ReadonlyMap<string, LlmProvider>;
  /** Where a call whose answer was lost is read back and booked exactly (reconcile-estimates.ts); absent = such
   * calls stay booked at their reserved worst case. */
  usageLog?: UsageLogSettings | undefined;
  /** Circuit breakers per provider and model, shared through Redis (shared/providers/circuit/); off when undefined. */
  circuits?: CircuitBreaker | undefined;
  routing: RoutingConfig;
  /** USD per million tokens by model (DEFAULT_PRICES merged with config `PRICES`). */
  prices: PriceTable;
  budgets: BudgetConfig;
  /** The content-addressed result cache (entries, in-flight locks, generations, stats). */
  cache: CacheStore;
  /** http nodes: SSRF policy, readable secrets and the publisher of their calls (shared/http/); absent = refused. */
  http?: HttpNodeConfig | undefined;
  /** Finds the workflow a sub-workflow node starts (functions/resolve-workflow.ts); absent = such nodes fail. */
  subWorkflows?: SubWorkflowResolver | undefined;
  /** Per-tenant quotas checked when a run starts (config `TENANT_QUOTAS`, shared/quota/); absent = none. */
  quotas?: QuotaConfig | undefined;
  /** Traces over OTLP/HTTP (shared/telemetry/run-tracer.ts, config `OTEL_EXPORTER_OTLP_ENDPOINT`); absent = off: no
   * span, no header, no command. */
  tracing?: RunTracer | undefined;
  config: EngineConfig;
  /** Current time in ms since epoch (injectable for tests). */
  now(): number;
}

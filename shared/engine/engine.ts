import type { BlobStore } from "../blobs/blob-store.js";
import type { TenantBudgets } from "../budget/budget-spec.js";
import type { BudgetStore } from "../budget/budget-store.js";
import type { CacheStore } from "../cache/cache-store.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { PriceTable } from "../pricing/prices.js";
import type { LlmProvider } from "../providers/provider.js";
import type { TierClassifier } from "../routing/classifier.js";
import type { TierMap } from "../routing/tier-map.js";
import type { RunStore } from "../state/run-store.js";

/** Engine settings that reach `shared/` as values (never read from globals). */
export interface EngineConfig {
  /** Redis key prefix (`KEY_PREFIX`), e.g. `ad`. */
  keyPrefix: string;
  /** Seconds a finished run (and the blobs it wrote) is kept (`RUN_RETENTION_SECONDS`). */
  retentionSeconds: number;
  /** Seconds an active run's keys live at most before expiring (safety net), default 7 days. */
  activeTtlSeconds: number;
}

/** Model routing: tier map per provider, the provider agents use when they name none, an optional classifier. */
export interface RoutingConfig {
  tierMap: TierMap;
  /** Provider for agents without `provider` (config `DEFAULT_PROVIDER`, default `simulated`). */
  defaultProvider: string;
  /** Asked on the fast tier when the routing rules are unsure (config `ROUTING_CLASSIFIER`); off when undefined. */
  classifier?: TierClassifier | undefined;
}

/** Budgets: the store (Lua) and the per-tenant daily limits (config `TENANT_BUDGETS`). */
export interface BudgetConfig {
  store: BudgetStore;
  tenantDaily: TenantBudgets;
}

/** Everything the engine's steps need: state, blobs, queue, providers, routing, prices, budgets, settings, clock. */
export interface Engine {
  store: RunStore;
  blobs: BlobStore;
  dispatcher: Dispatcher;
  /** Providers by name; `simulated` is always present. */
  providers: ReadonlyMap<string, LlmProvider>;
  routing: RoutingConfig;
  /** USD per million tokens by model (DEFAULT_PRICES merged with config `PRICES`). */
  prices: PriceTable;
  budgets: BudgetConfig;
  /** The content-addressed result cache (entries, in-flight locks, generations, stats). */
  cache: CacheStore;
  config: EngineConfig;
  /** Current time in ms since epoch (injectable for tests). */
  now(): number;
}
